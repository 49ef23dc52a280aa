import numpy as np
import pytest

from gan_helpers import models, recipes, sampling, settings


def test_noise_is_seeded_and_shaped():
    assert sampling.noise(10, 100, seed=3).shape == (10, 100)
    np.testing.assert_array_equal(sampling.noise(4, seed=3), sampling.noise(4, seed=3))
    assert not np.array_equal(sampling.noise(4, seed=3), sampling.noise(4, seed=4))


def test_generate_in_batches_matches_one_call():
    generator = models.dense_generator(latent_dim=8, units=(16,), image_shape=(8, 8, 1))
    noise = sampling.noise(25, 8)
    np.testing.assert_allclose(
        sampling.generate(generator, noise, batch_size=7),
        np.asarray(generator(noise, training=False)),
        atol=1e-6,
    )
    with pytest.raises(ValueError, match=r"Expected noise of shape \(N, 8\)"):
        sampling.generate(generator, sampling.noise(3, 100))


def test_missing_generator_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No saved generator at .*generator\.keras"):
        sampling.load_generator(tmp_path)


def test_recipe_uses_one_optimizer_per_network_with_the_settings_rates():
    gan = recipes.dense_mnist_gan(settings=settings.LITERAL)
    assert gan.d_optimizer is not gan.g_optimizer
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(2e-4)
    assert (
        gan.g_optimizer.beta_1 == 0.9
        and gan.d_optimizer.beta_1 == 0.5
        and gan.settings.real_label == 1.0
    )
    # the dense default with one setting changed
    tuned = recipes.dense_mnist_gan(g_learning_rate=4e-4)
    assert float(tuned.g_optimizer.learning_rate) == pytest.approx(4e-4)
    assert float(tuned.d_optimizer.learning_rate) == pytest.approx(
        settings.DENSE_MNIST.d_learning_rate
    )
    assert tuned.settings == settings.DENSE_MNIST.replace(g_learning_rate=4e-4)


def test_conditional_generation_needs_and_uses_labels():
    generator = models.dense_generator(
        latent_dim=8, units=(16,), image_shape=(8, 8, 1), num_classes=3
    )
    noise = np.repeat(sampling.noise(1, 8), 3, axis=0)
    images = sampling.generate(generator, noise, labels=np.array([0, 1, 2]))
    assert images.shape == (3, 8, 8, 1)
    assert not np.allclose(images[0], images[1])  # same noise, other class: another image
    with pytest.raises(ValueError, match="conditional generator needs labels"):
        sampling.generate(generator, noise)
    with pytest.raises(ValueError, match=r"labels of shape \(3,\) in \[0, 3\)"):
        sampling.generate(generator, noise, labels=np.array([0, 1]))
    with pytest.raises(ValueError, match=r"in \[0, 3\), got shape \(3,\) with values 0..5"):
        sampling.generate(generator, noise, labels=np.array([0, 1, 5]))
    assert sampling.sample(generator, 7).shape == (7, 8, 8, 1)
    np.testing.assert_array_equal(sampling.balanced_labels(7, 3), [0, 1, 2, 0, 1, 2, 0])


def test_spherical_interpolation_runs_between_the_endpoints():
    start, end = sampling.noise(2, 100, seed=5)
    path = sampling.interpolate(start, end, count=9)
    assert path.shape == (9, 100)
    np.testing.assert_allclose(path[0], start, atol=1e-5)
    np.testing.assert_allclose(path[-1], end, atol=1e-5)
    # Gaussian noise vectors of dimension 100 have norm ~10; the midpoint of a straight line would be ~7.
    assert np.linalg.norm(path[4]) == pytest.approx(
        (np.linalg.norm(start) + np.linalg.norm(end)) / 2, rel=0.05
    )
    with pytest.raises(ValueError, match="count >= 2"):
        sampling.interpolate(start, end, count=1)


def test_dcgan_recipe_builds_the_named_networks_at_other_sizes():
    gan = recipes.dcgan("constant_width", image_shape=(64, 64, 1), d_steps=2)
    assert gan.generator.output_shape == (None, 64, 64, 1) and gan.settings.d_steps == 2
    assert (
        recipes.dcgan(recipes.DATASET_ARCHITECTURE["fashion_mnist"]).generator.count_params()
        == 865_281
    )
    with pytest.raises(ValueError, match="Unknown DCGAN architecture 'vgg'"):
        recipes.dcgan("vgg")


def _brightness_judge(pixels: int):
    """A discriminator whose logit is an image's mean pixel: it finds the brightest images most real."""
    import keras

    images = keras.Input((2, 2, 1))
    logit = keras.layers.Dense(1, name=models.LOGIT_LAYER, kernel_initializer="ones")(
        keras.layers.Flatten()(images) / pixels
    )
    return keras.Model(images, keras.layers.Activation("sigmoid")(logit))


def test_the_discriminator_keeps_the_samples_it_scores_most_real_in_drawing_order():
    import keras

    noise = keras.Input((4,))  # a generator that shows its noise as a 2x2 image
    generator = keras.Model(noise, keras.layers.Reshape((2, 2, 1))(noise))
    kept = sampling.sample_kept_by_discriminator(
        generator, _brightness_judge(4), count=6, keep=0.5, seed=3
    )
    drawn = sampling.noise(12, 4, seed=3)
    brightest = np.sort(np.argsort(-drawn.mean(axis=1))[:6])
    np.testing.assert_allclose(kept.reshape(6, 4), drawn[brightest], atol=1e-6)
    everything = sampling.sample_kept_by_discriminator(generator, _brightness_judge(4), 5, keep=1.0)
    np.testing.assert_allclose(everything, sampling.sample(generator, 5), atol=1e-6)


def test_keeping_by_the_discriminator_refuses_a_bad_share_and_a_conditional_generator():
    generator = models.dense_generator(latent_dim=4, units=(8,), image_shape=(2, 2, 1))
    for keep in (0.0, 1.5):
        with pytest.raises(ValueError, match=r"keep is the share of samples kept, in \(0, 1\]"):
            sampling.sample_kept_by_discriminator(generator, _brightness_judge(4), 5, keep=keep)
    conditional = models.dense_generator(
        latent_dim=4, units=(8,), image_shape=(2, 2, 1), num_classes=10
    )
    with pytest.raises(ValueError, match="takes an unconditional generator"):
        sampling.sample_kept_by_discriminator(conditional, _brightness_judge(4), 5)


def test_a_run_folder_loads_its_discriminator_or_says_it_is_missing(tmp_path):
    from gan_helpers.run_folder import RunFolder

    run = RunFolder(tmp_path)
    with pytest.raises(
        FileNotFoundError, match=r"No saved discriminator at .*discriminator\.keras"
    ):
        run.discriminator()
    judge = _brightness_judge(4)
    judge.save(run.discriminator_file)
    images = np.random.default_rng(0).uniform(-1, 1, (3, 2, 2, 1)).astype("float32")
    np.testing.assert_allclose(run.discriminator()(images), judge(images), atol=1e-6)
