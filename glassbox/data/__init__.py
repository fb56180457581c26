"""Data: datasets, mini-batch loading, transforms, IDX files and MNIST / Fashion-MNIST."""
from .dataloader import DataLoader
from .dataset import Dataset, Subset, TensorDataset
from .idx import read_idx, write_idx
from .mnist import DatasetNotFoundError, download_mnist, load_mnist, search_dirs
from .split import random_split, train_val_split
from .transforms import Standardizer, normalize, one_hot, standardize

__all__ = [
    "Dataset", "TensorDataset", "Subset", "DataLoader", "read_idx", "write_idx",
    "load_mnist", "download_mnist", "search_dirs", "DatasetNotFoundError",
    "random_split", "train_val_split", "one_hot", "normalize", "standardize", "Standardizer",
]

from . import augment
from .augment import (
    AugmentedLoader, BrightnessContrast, Compose, GaussianNoise, RandomCrop, RandomHorizontalFlip,
    RandomRotation, RandomShift, default_digit_augmentation,
)

__all__ += [
    "augment", "AugmentedLoader", "Compose", "RandomShift", "RandomCrop", "RandomRotation",
    "RandomHorizontalFlip", "GaussianNoise", "BrightnessContrast", "default_digit_augmentation",
]
