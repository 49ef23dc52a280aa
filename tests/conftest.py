"""Shared fixtures: quiet TensorFlow, a private artifacts folder, and tiny networks for fast trainer tests."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest

from gan_helpers import datasets, models


@pytest.fixture(autouse=True)
def isolated_artifacts(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_ARTIFACTS_DIR", str(tmp_path / "artifacts"))


@pytest.fixture
def needs_local_data():
    root = os.environ.get(datasets.DATA_ENV)
    if not root:
        pytest.skip(f"{datasets.DATA_ENV} is not set; .ci/run sets it to ../shared/datasets")
    return root


@pytest.fixture
def make_tiny_gan():
    """Factory for a compiled GAN on 8x8x1 images (latent 8), small enough to train in milliseconds;
    conditional on ``num_classes`` classes when given."""
    from gan_helpers import training

    def make(dropout_rates=(0.3,), num_classes=None, **gan_options):
        generator = models.dense_generator(
            latent_dim=8, units=(16,), image_shape=(8, 8, 1), num_classes=num_classes
        )
        discriminator = models.dense_discriminator(
            image_shape=(8, 8, 1), units=(16,), dropout_rates=dropout_rates, num_classes=num_classes
        )
        gan = training.GAN(generator, discriminator, num_classes=num_classes, **gan_options)
        gan.compile()
        return gan

    return make
