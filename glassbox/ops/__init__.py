"""Differentiable ops, grouped by kind; each op's forward and backward sit side by side.

| file | ops |
| --- | --- |
| ``arithmetic.py`` | add, sub, mul, div, neg, pow |
| ``linalg.py`` | matmul, linear (x·Wᵀ + b) |
| ``reduction.py`` | sum, mean, max, min |
| ``shape.py`` | reshape, transpose/permute, indexing, concatenate, stack, pad |
| ``elementwise.py`` | exp, log, sqrt, abs, clip, where, maximum, minimum, cast |
| ``activation.py`` | sigmoid, tanh, relu, leaky_relu, softmax, log_softmax |
| ``loss.py`` | fused softmax + cross-entropy, binary cross-entropy with logits |
"""
