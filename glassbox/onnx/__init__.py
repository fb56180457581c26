"""ONNX interchange: ``glassbox.onnx.export(model, example_input, "model.onnx")``.

Needs the optional ``onnx`` package (``pip install 'glassbox[onnx]'``; ``onnxruntime`` to
run the files). See docs/interop.md for the op table and the zoo results.
"""
from .export import OPSET, UnsupportedOperatorError, export, to_onnx
from .ops import CONVERTERS

__all__ = ["export", "to_onnx", "UnsupportedOperatorError", "OPSET", "CONVERTERS"]
