import numpy as np
import pytest

from gan_helpers import config


@pytest.fixture
def mixed_policy():
    policy = config.use_mixed_precision(True)
    yield policy
    config.use_mixed_precision(False)


def test_mixed_precision_trains_with_float32_outputs(mixed_policy, make_tiny_gan):
    assert mixed_policy == "mixed_bfloat16"  # no GPU here
    gan = make_tiny_gan()
    images = np.random.default_rng(0).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    assert gan.generator.layers[1].compute_dtype == "bfloat16"
    assert gan.generator(np.zeros((2, 8), "float32")).dtype == "float32"
    assert gan.discriminator(images).dtype == "float32"
    d_loss, _ = gan.discriminator_step(images)
    g_loss, _ = gan.generator_step(16)
    assert np.isfinite(float(d_loss)) and np.isfinite(float(g_loss))


def test_default_policy_is_float32():
    import keras

    assert config.use_mixed_precision(False) == "float32"
    assert keras.mixed_precision.global_policy().name == "float32"
