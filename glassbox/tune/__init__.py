"""Hyperparameter search: random search and coarse-to-fine search over declared spaces.

    >>> space = {"lr": LogUniform(1e-4, 1e-1), "beta1": log_uniform_beta(0.9, 0.999)}
    >>> result = random_search(objective, space, trials=16, seed=0)
    >>> print(result.table()); result.save("runs/tune/results.json")
"""
from .objective import OPTIMIZERS, ClassificationObjective, make_optimizer
from .search import KEEP, Trial, TuneResult, coarse_to_fine, random_search, zoom_space
from .space import (
    Choice, Distribution, IntUniform, LogUniform, OneMinusLogUniform, Uniform, log_uniform_beta,
    sample_space, space_from_dict, space_to_dict,
)

__all__ = [
    "Distribution", "Uniform", "LogUniform", "OneMinusLogUniform", "log_uniform_beta", "IntUniform",
    "Choice", "sample_space", "space_to_dict", "space_from_dict",
    "Trial", "TuneResult", "random_search", "coarse_to_fine", "zoom_space", "KEEP",
    "ClassificationObjective", "make_optimizer", "OPTIMIZERS",
]
