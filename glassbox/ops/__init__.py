"""Differentiable ops, grouped by kind; each op's forward and backward sit side by side.

| file | ops |
| --- | --- |
| ``arithmetic.py`` | add, sub, mul, div, neg, pow |
| ``linalg.py`` | matmul, linear (x·Wᵀ + b) |
| ``reduction.py`` | sum, mean, var, max, min, p-norm |
| ``shape.py`` | reshape, transpose/permute, indexing, item assignment, expand, repeat, concatenate, stack, pad |
| ``elementwise.py`` | exp, log, sqrt, abs, sign, clip, where, maximum, minimum, cast, clone |
| ``activation.py`` | sigmoid, tanh, relu, leaky_relu, softmax, log_softmax |
| ``loss.py`` | fused softmax + cross-entropy, binary cross-entropy with logits |
"""
