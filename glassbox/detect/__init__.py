"""Object detection basics (course notes 05, "目标检测"): box formats, IoU, non-max
suppression, the YOLO grid/anchor target and loss, mAP, synthetic digit canvases, a small
YOLO-style detector, and drawing the boxes."""
from .boxes import (box_area, center_to_corners, clip_boxes, corners_to_center, to_absolute,
                    to_relative)
from .iou import box_iou, shape_iou
from .metrics import average_precision, mean_average_precision
from .model import TinyYOLO, build_detector
from .nms import batched_nms, nms
from .synthetic import make_canvases
from .yolo import (decode_predictions, decode_targets, detect, encode_targets, postprocess,
                   yolo_loss)

__all__ = [
    "box_area", "center_to_corners", "clip_boxes", "corners_to_center", "to_absolute",
    "to_relative", "box_iou", "shape_iou", "nms", "batched_nms", "encode_targets",
    "decode_targets", "decode_predictions", "postprocess", "detect", "yolo_loss",
    "average_precision", "mean_average_precision", "make_canvases", "TinyYOLO", "build_detector",
]
