"""Recipes take networks: a built model, a builder function, or None for the dataset's default."""

from functools import partial

import numpy as np
import pytest

from gan_helpers import assessment, models, recipes

TINY_DENSE = (
    partial(models.dense_generator, latent_dim=8, units=(16,)),
    partial(models.dense_discriminator, units=(16,), dropout_rates=()),
)


def test_notebook_09s_base_width_tip_passes_in_as_written():
    gan = recipes.dcgan(
        "halving_width",
        generator=models.halving_width_generator(base_width=64),
        discriminator=models.halving_width_discriminator(base_width=64),
    )
    # base width 64 at 64x64: 4x4x512 -> 8x8x256 -> 16x16x128 -> 32x32x64 -> 64x64x3
    assert [layer.filters for layer in gan.generator.layers if hasattr(layer, "filters")] == [
        256,
        128,
        64,
        3,
    ]
    assert gan.image_shape == (64, 64, 3)


def test_a_given_generator_sets_the_image_shape_of_the_default_discriminator():
    generator = models.halving_width_generator(image_shape=(16, 16, 1), base_width=8)
    gan = recipes.dcgan("halving_width", generator=generator)
    assert gan.generator is generator
    assert gan.discriminator.name == "halving_width_discriminator"
    assert gan.image_shape == (16, 16, 1)


def test_builders_are_called_with_the_image_shape_and_seeded_by_the_recipe():
    builders = {
        "generator": partial(models.halving_width_generator, base_width=8),
        "discriminator": partial(models.halving_width_discriminator, base_width=8),
    }
    first, second, other = (
        recipes.dcgan("halving_width", image_shape=(16, 16, 3), seed=seed, **builders)
        for seed in (3, 3, 4)
    )
    assert first.generator.output_shape == (None, 16, 16, 3)
    np.testing.assert_array_equal(
        first.generator.get_weights()[0], second.generator.get_weights()[0]
    )
    assert not np.array_equal(first.generator.get_weights()[0], other.generator.get_weights()[0])


def test_a_built_network_of_another_image_shape_is_refused_with_the_fix():
    with pytest.raises(
        ValueError,
        match=r"The generator works on images of shape \(64, 64, 3\), but this GAN's images are "
        r"\(32, 32, 3\)\. Build it with image_shape=\(32, 32, 3\)",
    ):
        recipes.dcgan(
            "halving_width",
            image_shape=(32, 32, 3),
            generator=models.halving_width_generator(base_width=64),
        )


def test_something_that_is_not_a_network_or_a_builder_is_refused():
    with pytest.raises(TypeError, match=r"discriminator must be a keras\.Model, a function"):
        recipes.dcgan("compact", discriminator="halving_width")
    with pytest.raises(TypeError, match=r"The generator builder returned int, not a keras\.Model"):
        recipes.dcgan("compact", image_shape=(28, 28, 1), generator=lambda image_shape: 3)


def test_the_dense_recipe_takes_networks_and_keeps_its_defaults_for_the_rest():
    generator = models.dense_generator(units=(32,))
    gan = recipes.dense_mnist_gan(generator=generator, seed=1)
    assert gan.generator is generator
    # the default D, at its default units (the generator's reversed)
    assert [layer.units for layer in gan.discriminator.layers if hasattr(layer, "units")] == [
        1000,
        500,
        200,
        1,
    ]


def test_a_class_run_takes_builders_trains_at_1_to_3_and_logs_for_tensorboard(
    needs_local_data, tmp_path
):
    classifier = assessment.load_classifier(assessment.classifier_path("fashion_mnist"))
    generator, discriminator = TINY_DENSE
    result = recipes.class_dcgan_run(
        "fashion_mnist",
        "sneaker",
        tmp_path,
        classifier,
        steps=2,
        sample_interval=2,
        eval_samples=20,
        g_steps=3,
        batch_size=8,
        show_samples=False,
        generator=generator,
        discriminator=discriminator,
    )
    assert result["ratio"] == "D:G 1:3" and result["run_dir"] == tmp_path / "sneaker_dg1-3"
    assert result["samples"].shape == (20, 28, 28, 1) and result["history"][-1]["step"] == 2
    assert list((result["run_dir"] / "tensorboard").glob("events.out.tfevents.*"))
    table = recipes.runs_table({result["ratio"]: result}, save_to=tmp_path / "ratio_metrics.json")
    assert table.splitlines()[1].startswith("D:G 1:3") and table.splitlines()[2].startswith("real")
    saved = assessment.load_table(tmp_path / "ratio_metrics.json")  # the numbers the gallery reads
    assert list(saved) == ["D:G 1:3", "real"]
    assert saved["D:G 1:3"]["frechet_distance"] == pytest.approx(
        result["metrics"]["frechet_distance"]
    )
    assert saved["real"]["class_accuracy"] == pytest.approx(result["reference"]["class_accuracy"])
    # the recipe runs and judges; the notebook plots and prints what it returns
    assert not (result["run_dir"] / "losses.png").exists()
    line = recipes.describe_run(result)
    assert line.startswith("sneaker (D:G 1:3): 2 steps in ") and str(result["run_dir"]) in line
    assert "class accuracy" in line and result["class_index"] == 7


def test_a_class_run_refuses_a_built_network_that_every_class_would_share(tmp_path):
    with pytest.raises(TypeError, match="takes a function that builds the generator"):
        recipes.class_dcgan_run(
            "fashion_mnist",
            "sneaker",
            tmp_path,
            classifier=None,
            steps=2,
            sample_interval=2,
            eval_samples=20,
            generator=models.compact_generator(),
        )


def test_the_class_classifier_comes_with_its_accuracy_on_real_test_images():
    classifier, accuracy = recipes.class_classifier("fashion_mnist", test_samples=200)
    assert classifier.output_shape == (None, 10)
    assert 0.8 < accuracy <= 1.0  # the shipped Fashion-MNIST classifier scores about 91 %
