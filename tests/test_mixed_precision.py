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


def test_penalty_loss_trains_under_xla_with_loss_scaling(make_tiny_gan):
    """WGAN-GP's second-order gradient and lazy R1, compiled by XLA in float16 (the policy that wraps each
    Adam in a LossScaleOptimizer, as on a GPU): finite, and both players learn."""
    import keras

    from gan_helpers import data

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan = make_tiny_gan(loss="wgan-gp", real_label=1.0, r1_weight=1.0, r1_interval=2)
        gan.compile(jit_compile=True)
        assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
        before = [w.copy() for w in gan.discriminator.get_weights() + gan.generator.get_weights()]
        images = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
        history = gan.fit(
            data.real_image_batches(images, 8), steps_per_epoch=6, shuffle=False, verbose=0
        ).history
    finally:
        config.use_mixed_precision(False)
    assert all(np.isfinite(values[-1]) for values in history.values())
    after = gan.discriminator.get_weights() + gan.generator.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(before, after) if a.size > 1)
