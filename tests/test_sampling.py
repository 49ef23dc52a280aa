import numpy as np
import pytest

from gan_helpers import models, recipes, sampling


def test_noise_is_seeded_and_shaped():
    assert sampling.noise(10, 100, seed=3).shape == (10, 100)
    np.testing.assert_array_equal(sampling.noise(4, seed=3), sampling.noise(4, seed=3))
    assert not np.array_equal(sampling.noise(4, seed=3), sampling.noise(4, seed=4))


def test_generate_in_batches_matches_one_call():
    generator = models.dense_generator(latent_dim=8, units=(16,), image_shape=(8, 8, 1))
    noise = sampling.noise(25, 8)
    np.testing.assert_allclose(sampling.generate(generator, noise, batch_size=7),
                               np.asarray(generator(noise, training=False)), atol=1e-6)
    with pytest.raises(ValueError, match=r"Expected noise of shape \(N, 8\)"):
        sampling.generate(generator, sampling.noise(3, 100))


def test_missing_generator_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="No saved generator at .*generator.keras"):
        sampling.load_generator(tmp_path)


def test_recipe_uses_one_optimizer_per_network_with_given_rates():
    gan = recipes.dense_mnist_gan(real_label=1.0, g_learning_rate=1e-3, g_beta_1=0.9)
    assert gan.d_optimizer is not gan.g_optimizer
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(2e-4)
    assert gan.g_optimizer.beta_1 == 0.9 and gan.d_optimizer.beta_1 == 0.5 and gan.real_label == 1.0
