"""ONNX interchange: ``glassbox.onnx.export(model, example_input, "model.onnx")`` and
``glassbox.onnx.load("model.onnx")`` (an ``OnnxModule`` that runs the graph with glassbox ops).

Needs the optional ``onnx`` package (``pip install 'glassbox[onnx]'``; ``onnxruntime`` to
run the files). See docs/interop.md for the op table and the zoo results.
"""
from .export import OPSET, UnsupportedOperatorError, export, to_onnx
from .importer import IMPORTERS, OnnxModule, load
from .ops import CONVERTERS

__all__ = ["export", "to_onnx", "load", "OnnxModule", "UnsupportedOperatorError", "OPSET",
           "CONVERTERS", "IMPORTERS"]
