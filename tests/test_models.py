import numpy as np
import pytest

from gan_helpers import models

PARAMETER_COUNTS = [
    # the spec's smaller set, the default: G 100 -> 200 -> 500 -> 1000 -> 784, D 784 -> 1000 -> 500 -> 200 -> 1
    (models.dense_generator, (28, 28, 1), 1_406_484),
    (models.dense_discriminator, (1,), 1_385_901),
    (models.compact_generator, (28, 28, 1), 865_281),
    (models.compact_discriminator, (1,), 6_500_097),
    (models.constant_width_generator, (32, 32, 3), 1_468_803),
    (models.constant_width_discriminator, (1,), 519_425),
]


@pytest.mark.parametrize("build, output_shape, parameters", PARAMETER_COUNTS)
def test_architecture_output_shape_and_parameter_count(build, output_shape, parameters):
    model = build()
    assert model.output_shape[1:] == output_shape
    assert model.count_params() == parameters


def test_the_spec_s_larger_set_builds_300_600_1200_and_its_reverse():
    generator = models.dense_generator(units=models.SPEC_UNITS_LARGE)
    discriminator = models.dense_discriminator(units=models.SPEC_UNITS_LARGE[::-1])
    dense_units = [layer.units for layer in generator.layers if hasattr(layer, "units")]
    assert dense_units == [300, 600, 1200, 784]
    assert [layer.units for layer in discriminator.layers if hasattr(layer, "units")] == [
        1200,
        600,
        300,
        1,
    ]
    # 100*300+300 + 300*600+600 + 600*1200+1200 + 1200*784+784, and D's the same way
    assert (generator.count_params(), discriminator.count_params()) == (1_873_684, 1_843_201)


def test_generator_output_is_in_tanh_range_and_d_outputs_probabilities():
    generator, discriminator = models.dense_generator(), models.dense_discriminator()
    images = generator(np.random.default_rng(0).standard_normal((4, 100)).astype("float32")).numpy()
    assert images.min() >= -1 and images.max() <= 1
    probabilities = discriminator(images).numpy()
    assert (
        probabilities.shape == (4, 1) and (probabilities >= 0).all() and (probabilities <= 1).all()
    )


def test_dropout_rates_are_parameters():
    no_dropout = models.dense_discriminator(dropout_rates=(0.0, 0.0))
    assert not [layer for layer in no_dropout.layers if "dropout" in layer.name]
    rates = [
        layer.rate
        for layer in models.dense_discriminator(dropout_rates=(0.4, 0.2)).layers
        if "dropout" in layer.name
    ]
    assert rates == [0.4, 0.2]


def test_the_dense_d_and_the_mnist_recipe_drop_at_the_bundles_rate():
    """Notebook 01's run B and notebook 02's baseline both rely on this default."""
    from gan_helpers import recipes

    assert models.DENSE_DROPOUT_RATES == (0.3, 0.3)
    for discriminator in (models.dense_discriminator(), recipes.dense_mnist_gan().discriminator):
        rates = [layer.rate for layer in discriminator.layers if "dropout" in layer.name]
        assert rates == list(models.DENSE_DROPOUT_RATES)


@pytest.mark.parametrize(
    "build, shape",
    [
        (models.dense_generator, (28, 28)),
        (models.compact_generator, (30, 30, 1)),
        (models.constant_width_discriminator, (32, 32, 2)),
    ],
)
def test_impossible_image_shape_is_refused(build, shape):
    with pytest.raises(ValueError, match=r"Expected image_shape|divisible by"):
        build(image_shape=shape)


def test_bad_dropout_rate_is_refused():
    with pytest.raises(ValueError, match=r"dropout rates in \[0, 1\)"):
        models.dense_discriminator(dropout_rates=(1.2, 0.3))


def test_conditional_dense_networks_take_labels_as_one_hot_inputs():
    generator = models.dense_generator(num_classes=10)
    discriminator = models.dense_discriminator(num_classes=10)
    # Only the first Dense layer of each grows: 10 one-hot inputs x its units.
    assert generator.count_params() - models.dense_generator().count_params() == 10 * 200
    assert discriminator.count_params() - models.dense_discriminator().count_params() == 10 * 1000
    # same noise, two digits
    noise, labels = (
        np.ones((2, 100), "float32"),
        np.array([3, 7], "int32"),
    )
    images = np.asarray(generator([noise, labels]))
    assert images.shape == (2, 28, 28, 1) and not np.allclose(images[0], images[1])
    assert discriminator([images, labels]).shape == (2, 1)


def _channels(model, layer_type):
    return [layer.filters for layer in model.layers if type(layer) is layer_type]


def test_halving_width_follows_the_dcgan_papers_channel_schedule():
    from keras import layers

    generator = models.halving_width_generator(image_shape=(64, 64, 3), base_width=64)
    discriminator = models.halving_width_discriminator(image_shape=(64, 64, 3), base_width=64)
    assert generator.layers[2].output.shape[1:] == (4, 4, 512)  # the Dense output, reshaped
    assert _channels(generator, layers.Conv2DTranspose) == [256, 128, 64, 3]
    assert _channels(discriminator, layers.Conv2D) == [64, 128, 256, 512]
    assert discriminator.get_layer(models.LOGIT_LAYER).input.shape[1:] == (4 * 4 * 512,)


@pytest.mark.parametrize("size, channels", [(32, 3), (64, 1), (128, 3)])
def test_halving_width_builds_every_power_of_two_size_gray_or_colour(size, channels):
    shape = (size, size, channels)
    generator = models.halving_width_generator(latent_dim=16, image_shape=shape, base_width=8)
    discriminator = models.halving_width_discriminator(image_shape=shape, base_width=8)
    images = np.asarray(
        generator(np.random.default_rng(0).standard_normal((2, 16)).astype("float32"))
    )
    assert images.shape == (2, size, size, channels) and np.abs(images).max() <= 1
    assert discriminator(images).shape == (2, 1)
    # the base width next to the image
    assert _channels(generator, type(generator.layers[-1]))[-2] == 8


def test_halving_width_base_width_scales_the_work_quadratically():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from flops import forward_macs_per_layer

    narrow, wide = (
        sum(forward_macs_per_layer(models.halving_width_discriminator(base_width=w)))
        for w in (32, 64)
    )
    assert wide / narrow == pytest.approx(4, rel=0.05)


@pytest.mark.parametrize("shape", [(48, 48, 3), (64, 32, 3), (4, 4, 1), (64, 64, 2)])
def test_halving_width_refuses_sizes_it_cannot_make(shape):
    with pytest.raises(ValueError, match=r"power-of-two multiple of 4|Expected image_shape"):
        models.halving_width_generator(image_shape=shape)


@pytest.mark.parametrize(
    "size, nearest", [(1, 8), (28, 32), (45, 32), (46, 64), (64, 64), (150, 128), (200, 256)]
)
def test_halving_width_size_is_the_nearest_on_a_log_scale(size, nearest):
    assert models.halving_width_size(size) == nearest


def test_halving_width_size_refuses_non_sizes():
    for size in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="Expected an image size in pixels"):
            models.halving_width_size(size)
