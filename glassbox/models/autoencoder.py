"""Autoencoders: learn F_θ(X) ≈ X through a narrow code, so the code must keep what matters.

An encoder squeezes an image X into a code z = E(X) of ``code_size`` numbers; a decoder maps
the code back to an image X̂ = D(z). Training minimizes a reconstruction loss between X̂ and X
itself, so no labels are needed:

    MSE:  L = (1/m) Σᵢ ‖X̂ᵢ − Xᵢ‖² / d                  (per pixel)
    BCE:  L = −(1/m·d) Σᵢ Σₚ [Xᵢₚ log X̂ᵢₚ + (1 − Xᵢₚ) log(1 − X̂ᵢₚ)]   (pixels in [0, 1])

X̂ = σ(logits) keeps pixels in [0, 1]. For BCE the stable path is to give the *logits* to
``nn.BCEWithLogitsLoss`` (max(z, 0) − z·y + log(1 + e^{−|z|}), gradient σ(z) − y) instead of
feeding σ(z) to ``BCELoss``, whose gradient vanishes once σ(z) rounds to exactly 0 or 1:
``AutoEncoder.logits`` and ``AutoEncoder.training_pair("bce")`` do that.

Denoising autoencoder: corrupt the input, X̃ = clip(X + σ·ε, 0, 1) with ε ~ N(0, I), and still
ask for the clean X: L(D(E(X̃)), X). It cannot just copy pixels, so it learns the shape of
digits. With ``noise_std > 0`` the model corrupts its own input in training mode (fresh noise
every batch); in eval mode it reconstructs what it is given.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import nn
from ..core.tensor import Tensor
from ..random import default_generator


class Unflatten(nn.Module):
    """(N, d) → (N, *shape), the inverse of ``Flatten`` (d = prod(shape))."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(int(s) for s in shape)

    def forward(self, x: Tensor) -> Tensor:
        if int(np.prod(x.shape[1:])) != int(np.prod(self.shape)):
            raise ValueError(f"{self!r}: cannot reshape input of shape {tuple(x.shape)} to "
                             f"(N, {', '.join(map(str, self.shape))})")
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


def corrupt(x: Any, noise_std: float, generator: np.random.Generator | None = None) -> Tensor:
    """X̃ = clip(X + σ·ε, 0, 1), ε ~ N(0, I): Gaussian pixel noise kept in the pixel range.

    Uses the global generator (``glassbox.manual_seed``) unless one is given.
    """
    if not noise_std >= 0:
        raise ValueError(f"corrupt: noise_std must be >= 0, got {noise_std!r}")
    x = x if isinstance(x, Tensor) else Tensor(x)
    if noise_std == 0:
        return x
    rng = generator if generator is not None else default_generator()
    noise = rng.standard_normal(x.shape).astype(x.dtype, copy=False)
    noise *= x.dtype.type(noise_std)
    return (x + Tensor._from_op(noise, None)).clip(0.0, 1.0)


class AutoEncoder(nn.Module):
    """X̂ = D(E(X)): an encoder to a code and a decoder back to an image in [0, 1].

    Args:
        encoder: maps images (N, C, H, W) to codes (N, code_size).
        decoder: maps codes to pixel *logits* (N, C, H, W); the model adds the sigmoid.
        noise_std: σ of the Gaussian input noise applied in training mode (0: plain AE,
            > 0: denoising AE).

    ``encoder``/``decoder`` are usable on their own; ``decoder`` is an ``nn.Sequential``
    ending in ``nn.Sigmoid`` so ``model.decoder(z)`` is already an image.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, noise_std: float = 0.0) -> None:
        super().__init__()
        if not noise_std >= 0:
            raise ValueError(f"AutoEncoder: noise_std must be >= 0, got {noise_std!r}")
        self.encoder = encoder
        self.decoder = nn.Sequential(decoder, nn.Sigmoid())
        self.noise_std = float(noise_std)

    def encode(self, x: Tensor) -> Tensor:
        """z = E(X), shape (N, code_size). No noise here, even for a denoising model."""
        return self.encoder(x if isinstance(x, Tensor) else Tensor(x))

    def decode_logits(self, z: Tensor) -> Tensor:
        """The decoder before its sigmoid: pixel logits, for ``nn.BCEWithLogitsLoss``."""
        return self.decoder[0](z if isinstance(z, Tensor) else Tensor(z))

    def decode(self, z: Tensor) -> Tensor:
        """X̂ = σ(D(z)), pixels in [0, 1], shape (N, C, H, W)."""
        return self.decoder(z if isinstance(z, Tensor) else Tensor(z))

    def corrupt(self, x: Tensor) -> Tensor:
        """The input the encoder sees: X̃ = clip(X + σ·ε, 0, 1) in training mode, else X."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        return corrupt(x, self.noise_std) if self.training and self.noise_std > 0 else x

    def logits(self, x: Tensor) -> Tensor:
        """Pixel logits D(E(X̃)) (σ of them is the reconstruction)."""
        return self.decode_logits(self.encode(self.corrupt(x)))

    def forward(self, x: Tensor) -> Tensor:
        """X̂ = σ(D(E(X̃))), the reconstruction in [0, 1], same shape as X."""
        return self.decoder[1](self.logits(x))

    def training_pair(self, loss: str = "bce") -> tuple[nn.Module, nn.Module]:
        """(module to train, loss) for ``fit(net, loss_fn, opt, (x, x))``.

        "bce": a view of this model that returns logits, with ``nn.BCEWithLogitsLoss`` (the
        stable path); "mse": the model itself (pixels in [0, 1]) with ``nn.MSELoss``.
        Both share this model's parameters.
        """
        key = str(loss).lower()
        if key == "bce":
            return _LogitsView(self), nn.BCEWithLogitsLoss()
        if key == "mse":
            return self, nn.MSELoss()
        raise ValueError(f"AutoEncoder.training_pair: loss must be 'bce' or 'mse', got {loss!r}")

    def extra_repr(self) -> str:
        return f"noise_std={self.noise_std}" if self.noise_std else ""


class _LogitsView(nn.Module):
    """The same autoencoder, returning pixel logits instead of pixels (shares parameters)."""

    def __init__(self, model: AutoEncoder) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Tensor) -> Tensor:
        return self.model.logits(x)


class DenoisingAutoEncoder(AutoEncoder):
    """An ``AutoEncoder`` trained on corrupted inputs X̃ = clip(X + σ·ε, 0, 1) against the
    clean X (σ = ``noise_std``, default 0.3); the noise is drawn only in training mode."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, noise_std: float = 0.3) -> None:
        if not noise_std > 0:
            raise ValueError(f"DenoisingAutoEncoder: noise_std must be > 0, got {noise_std!r}")
        super().__init__(encoder, decoder, noise_std)


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"autoencoder: `{name}` must be a positive integer, got {value!r}")
    return int(value)


def dense_coder(code_size: int, in_channels: int, image_size: int,
                hidden: int = 256) -> tuple[nn.Module, nn.Module]:
    """784-256-code encoder and code-256-784 decoder (logits), ReLU hidden layers."""
    d = in_channels * image_size * image_size
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, code_size))
    decoder = nn.Sequential(nn.Linear(code_size, hidden), nn.ReLU(), nn.Linear(hidden, d),
                            Unflatten((in_channels, image_size, image_size)))
    return encoder, decoder


def conv_coder(code_size: int, in_channels: int, image_size: int,
               channels: tuple[int, int] = (16, 32)) -> tuple[nn.Module, nn.Module]:
    """Two stride-2 3×3 convs (28 → 14 → 7), a dense code; the decoder mirrors them with
    stride-2 transposed convs (7 → 14 → 28; output_padding=1 picks the even size)."""
    if image_size % 4:
        raise ValueError(f"autoencoder: kind='conv' halves the image twice, so image_size must "
                         f"be a multiple of 4, got {image_size}")
    c1, c2 = channels
    small = image_size // 4
    encoder = nn.Sequential(
        nn.Conv2d(in_channels, c1, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(c2 * small * small, code_size),
    )
    decoder = nn.Sequential(
        nn.Linear(code_size, c2 * small * small), nn.ReLU(), Unflatten((c2, small, small)),
        nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(c1, in_channels, 3, stride=2, padding=1, output_padding=1),
    )
    return encoder, decoder


def autoencoder(kind: str = "dense", code_size: int = 32, in_channels: int = 1,
                image_size: int = 28, noise_std: float = 0.0) -> AutoEncoder:
    """An untrained autoencoder for square images (MNIST defaults).

    Args:
        kind: "dense" (784-256-code-256-784) or "conv" (conv stride 2 down to 7×7, a dense
            code, transposed convs back up).
        code_size: length of the code z.
        in_channels, image_size: the images are (N, in_channels, image_size, image_size).
        noise_std: > 0 gives a ``DenoisingAutoEncoder`` with that input noise σ.

    The output is σ(logits) in [0, 1]; train with ``model.training_pair("bce"|"mse")``.
    """
    code_size = _positive_int(code_size, "code_size")
    in_channels = _positive_int(in_channels, "in_channels")
    image_size = _positive_int(image_size, "image_size")
    key = str(kind).lower()
    if key == "dense":
        encoder, decoder = dense_coder(code_size, in_channels, image_size)
    elif key == "conv":
        encoder, decoder = conv_coder(code_size, in_channels, image_size)
    else:
        raise ValueError(f"autoencoder: kind must be 'dense' or 'conv', got {kind!r}")
    if noise_std:
        return DenoisingAutoEncoder(encoder, decoder, noise_std)
    return AutoEncoder(encoder, decoder)


__all__ = ["AutoEncoder", "DenoisingAutoEncoder", "autoencoder", "corrupt", "Unflatten",
           "dense_coder", "conv_coder"]
