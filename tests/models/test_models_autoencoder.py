"""Autoencoders: shapes of encoder/decoder, sigmoid range, the stable BCE path, a short
training that really lowers the reconstruction loss, and the denoising input corruption."""

import numpy as np
import pytest

import glassbox as gb
from glassbox import models, nn, optim
from glassbox.models.autoencoder import AutoEncoder, DenoisingAutoEncoder, Unflatten, corrupt


def blobs(n, seed=0, size=28):
    """Synthetic 'digits': one bright Gaussian blob per image at a random place, in [0, 1]."""
    rng = np.random.default_rng(seed)
    r = np.arange(size)
    cy, cx = rng.uniform(6, size - 6, (2, n, 1, 1))
    img = np.exp(-((r[None, :, None] - cy) ** 2 + (r[None, None, :] - cx) ** 2) / 18.0)
    return img[:, None].astype(np.float32)


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_shapes_and_pixel_range(kind):
    gb.manual_seed(0)
    model = models.autoencoder(kind, code_size=12)
    x = gb.Tensor(blobs(5))
    z = model.encode(x)
    assert z.shape == (5, 12)
    out = model.decode(z)
    assert out.shape == (5, 1, 28, 28) and out.dtype == np.float32
    assert model.encoder(x).shape == (5, 12) and model.decoder(z).shape == (5, 1, 28, 28)
    y = model(x)
    np.testing.assert_allclose(y.numpy(), out.numpy(), rtol=1e-6)  # forward = decode(encode(x))
    assert 0.0 < y.numpy().min() and y.numpy().max() < 1.0
    # the logits are the pre-sigmoid values of the same reconstruction
    np.testing.assert_allclose(1 / (1 + np.exp(-model.logits(x).numpy())), y.numpy(), rtol=1e-5)


def test_other_sizes_and_channels():
    gb.manual_seed(0)
    model = models.autoencoder("conv", code_size=4, in_channels=3, image_size=16)
    x = gb.Tensor(np.random.default_rng(0).random((2, 3, 16, 16)))
    assert model.encode(x).shape == (2, 4) and model(x).shape == (2, 3, 16, 16)
    assert models.autoencoder("dense", 8, 2, 10)(gb.Tensor(np.zeros((3, 2, 10, 10)))).shape == (3, 2, 10, 10)


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind must be 'dense' or 'conv'.*'rnn'"):
        models.autoencoder("rnn")
    with pytest.raises(ValueError, match="multiple of 4.*30"):
        models.autoencoder("conv", image_size=30)
    with pytest.raises(ValueError, match="code_size.*0"):
        models.autoencoder(code_size=0)
    with pytest.raises(ValueError, match="noise_std must be > 0"):
        DenoisingAutoEncoder(nn.Identity(), nn.Identity(), noise_std=0.0)
    with pytest.raises(ValueError, match="'bce' or 'mse'"):
        models.autoencoder().training_pair("l1")
    with pytest.raises(ValueError, match=r"Unflatten.*\(2, 5\).*\(N, 2, 2\)"):
        Unflatten((2, 2))(gb.Tensor(np.zeros((2, 5))))


def test_bce_training_pair_uses_logits_and_shares_parameters():
    gb.manual_seed(0)
    model = models.autoencoder("dense", code_size=8)
    net, loss_fn = model.training_pair("bce")
    assert isinstance(loss_fn, nn.BCEWithLogitsLoss)
    assert [id(p) for p in net.parameters()] == [id(p) for p in model.parameters()]
    x = gb.Tensor(blobs(4))
    # the fused logits loss equals BCE on the sigmoid outputs (where those are not saturated)
    a = loss_fn(net(x), x).item()
    b = nn.BCELoss()(model(x), x).item()
    assert a == pytest.approx(b, rel=1e-4)
    net2, loss2 = model.training_pair("mse")
    assert net2 is model and isinstance(loss2, nn.MSELoss)


@pytest.mark.parametrize("kind, loss", [("dense", "bce"), ("conv", "mse")])
def test_short_training_reduces_reconstruction_loss(kind, loss):
    gb.manual_seed(0)
    x = blobs(256, seed=1)
    model = models.autoencoder(kind, code_size=8)
    net, loss_fn = model.training_pair(loss)
    mse = lambda: float(np.mean((gb.predict(model, x) - x) ** 2))
    before = mse()
    history = gb.fit(net, loss_fn, optim.Adam(model.parameters(), lr=3e-3), (x, x),
                     epochs=8, batch_size=32, verbose=0, seed=0)
    after = mse()
    assert after < 0.6 * before, (before, after)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]


def test_denoising_input_differs_from_target_only_in_training():
    gb.manual_seed(0)
    model = models.autoencoder("dense", code_size=8, noise_std=0.3)
    assert isinstance(model, DenoisingAutoEncoder) and model.noise_std == 0.3
    x = gb.Tensor(blobs(6))
    noisy = model.corrupt(x).numpy()
    assert noisy.shape == x.shape and noisy.min() >= 0.0 and noisy.max() <= 1.0
    diff = noisy - x.numpy()
    assert np.abs(diff).mean() > 0.05  # really corrupted
    # X̃ = clip(X + σε, 0, 1), ε ~ N(0, I) from the given generator
    eps = np.random.default_rng(7).standard_normal(x.shape).astype(np.float32)
    np.testing.assert_allclose(corrupt(x, 0.3, np.random.default_rng(7)).numpy(),
                               np.clip(x.numpy() + 0.3 * eps, 0, 1), rtol=1e-6)
    # mid-grey images are almost never clipped: the noise there has std σ
    grey = corrupt(np.full((4, 1, 28, 28), 0.5, np.float32), 0.1, np.random.default_rng(8))
    assert (grey.numpy() - 0.5).std() == pytest.approx(0.1, rel=0.05)
    assert not np.array_equal(model.corrupt(x).numpy(), noisy)  # fresh noise each call
    # the training forward sees the noisy input, the target stays the clean x
    net, loss_fn = model.training_pair("mse")
    gb.manual_seed(5)
    out_train = net(x).numpy()
    gb.manual_seed(5)
    expected = model.decode(model.encode(corrupt(x, 0.3))).numpy()
    np.testing.assert_allclose(out_train, expected, rtol=1e-5)
    model.eval()
    np.testing.assert_array_equal(model.corrupt(x).numpy(), x.numpy())
    np.testing.assert_allclose(model(x).numpy(), model.decode(model.encode(x)).numpy(), rtol=1e-6)


def test_plain_autoencoder_adds_no_noise():
    model = AutoEncoder(nn.Flatten(), Unflatten((1, 28, 28)))
    x = gb.Tensor(blobs(2))
    assert model.corrupt(x) is x
    np.testing.assert_allclose(model(x).numpy(), 1 / (1 + np.exp(-x.numpy())), rtol=1e-6)
    with pytest.raises(ValueError, match="noise_std must be >= 0"):
        corrupt(x, -0.1)
