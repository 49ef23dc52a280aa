"""Generator and discriminator architectures.

Every generator maps noise (N, latent_dim) to images (N, H, W, C) in [-1, 1] (tanh).
Every discriminator maps images (N, H, W, C) in [-1, 1] to the probability (N, 1) that they are real: its
last two layers are ``logit`` (Dense 1) and ``sigmoid`` (the spec's sigmoid), so its summary shows the
sigmoid, and the trainer reads the logit before it (``logit_model``), which every loss is written on.

Under mixed precision (``config.use_mixed_precision``) the hidden layers compute in bf16/fp16 while each
network's output layers are float32, so images, logits and probabilities (and the loss) stay float32.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

LEAKY_SLOPE = 0.2
# D's dropout after its first two hidden layers. The spec gives no rate. Over 15,000 steps of run B, 0.1 drew
# cleaner digits than 0.3, but over the assignment's 100,000 it let G drop digits (CS 8.12, one digit under
# 5 %; docs/decisions/cleaner_digits.md), so the dense D keeps 0.3.
DENSE_DROPOUT_RATES = (0.3, 0.3)


def _check_image_shape(image_shape: Sequence[int], divisor: int = 1) -> tuple[int, int, int]:
    shape = tuple(int(d) for d in image_shape)
    if len(shape) != 3 or min(shape) <= 0 or shape[2] not in (1, 3):
        raise ValueError(
            f"Expected image_shape (height, width, channels) with channels 1 or 3, "
            f"got {tuple(image_shape)}."
        )
    if shape[0] % divisor or shape[1] % divisor:
        raise ValueError(
            f"This architecture needs height and width divisible by {divisor}, got {shape[:2]}."
        )
    return shape


def _check_rates(rates: Sequence[float], count: int) -> tuple[float, ...]:
    rates = tuple(float(r) for r in rates)
    if len(rates) != count or any(not 0.0 <= r < 1.0 for r in rates):
        raise ValueError(f"Expected {count} dropout rates in [0, 1), got {rates}.")
    return rates


# The assignment's dense networks give each hidden layer two sizes: a revision of the spec struck one of each
# pair out, and the copy this bundle works from does not show which. Both sets are here by name; pick the one
# your copy of the spec shows. G's hidden layers widen, D's narrow (the same sizes reversed).
SPEC_UNITS_SMALL = (200, 500, 1000)
SPEC_UNITS_LARGE = (300, 600, 1200)
# The default is the smaller set: after 15,000 steps (both learning rates 5e-4, EMA 0.999) all three sets below
# score alike (classifier score 8.64-8.69), and the smaller costs the fewest FLOPs per step
# (benchmarks/dense_sizes.py).
# Neither set: the sizes this bundle used before (256 -> 512 -> 1024), kept only as a reference point.
POWERS_OF_TWO_UNITS = (256, 512, 1024)

LABEL_LAYER = "one_hot_label"
LOGIT_LAYER, SIGMOID_LAYER = "logit", "sigmoid"


def _real_probability(features):
    """D's head: the logit (N, 1) = Dense 1 of ``features``, then the probability (N, 1) in [0, 1] that the
    image is real = sigmoid(logit); both float32, also under mixed precision."""
    logit = layers.Dense(1, dtype="float32", name=LOGIT_LAYER)(features)
    return layers.Activation("sigmoid", dtype="float32", name=SIGMOID_LAYER)(logit)


def logit_model(discriminator: keras.Model) -> keras.Model:
    """The discriminator without its final sigmoid: the same layers and weights, mapping its inputs to the
    logit z (N, 1), unbounded, where the discriminator gives sigmoid(z).

    Raises:
        ValueError: the discriminator does not end in a sigmoid layer of its own (as the builders here
            make it), so there is no logit to read.
    """
    last = discriminator.layers[-1]
    if not (isinstance(last, layers.Activation) and last.activation is keras.activations.sigmoid):
        raise ValueError(
            f"Expected a discriminator whose last layer is a sigmoid of its own (Dense(1), then "
            f"Activation('sigmoid')), so the trainer can read the logit before it; {discriminator.name} "
            f"ends in {type(last).__name__} {last.name!r}. Build it with gan_helpers.models, or end it so."
        )
    return keras.Model(discriminator.input, last.input, name=f"{discriminator.name}_logit")


@keras.saving.register_keras_serializable(package="gan_helpers")
class MinibatchStdDev(layers.Layer):
    """The minibatch standard-deviation feature (Karras et al., 2018): one more feature per image, the
    standard deviation of each feature over a group of ``group_size`` images, averaged over the features.
    Fakes of a collapsed G look alike, so their group's feature is small: D can see a lack of variety that
    no single image shows.

    Groups are runs of consecutive images (the whole batch when its size is not a multiple of
    ``group_size``), so a batch split over devices in multiples of the group keeps its groups.
    Input (N, F) or (N, H, W, C); output (N, F + 1) or (N, H, W, C + 1), the feature repeated over H, W.
    """

    def __init__(self, group_size: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.group_size = int(group_size)

    def call(self, x):
        count = ops.shape(x)[0]
        flat = ops.reshape(ops.cast(x, "float32"), (count, -1))
        # each image's group, by segment ids rather than a reshape, so that XLA sees fixed shapes
        index = tf.range(count)
        group = tf.where(count % self.group_size == 0, index // self.group_size, 0)
        mean = tf.math.unsorted_segment_mean(flat, group, count)
        variance = tf.math.unsorted_segment_mean(
            ops.square(flat - ops.take(mean, group, axis=0)), group, count
        )
        deviation = ops.mean(ops.sqrt(variance + 1e-8), axis=1)  # +1e-8: no NaN gradient at 0
        feature = ops.take(deviation, group, axis=0)  # (N,)
        feature = ops.cast(ops.reshape(feature, (-1,) + (1,) * (len(x.shape) - 1)), x.dtype)
        return ops.concatenate([x, feature * ops.ones_like(x[..., :1])], axis=-1)

    def compute_output_shape(self, input_shape):
        last = None if input_shape[-1] is None else input_shape[-1] + 1
        return (*input_shape[:-1], last)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}


def class_count(generator: keras.Model) -> int:
    """How many classes a conditional network (built with ``num_classes``) knows."""
    return int(generator.get_layer(LABEL_LAYER).num_tokens)


def _with_labels(tensor, num_classes: int | None):
    """(inputs, tensor) for an unconditional net, or (inputs + a label input (N,) int, tensor joined with
    the one-hot label) for a conditional one. (Multiplying the input by a learned label embedding instead
    let the dense D win outright: D accuracy 1.000 and G loss 7.8 by step 900, where the joined one-hot
    trained evenly, D accuracy 0.84.)"""
    if num_classes is None:
        return [], tensor
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = layers.CategoryEncoding(
        num_tokens=num_classes, output_mode="one_hot", name=LABEL_LAYER
    )(labels)
    return [labels], layers.Concatenate()([tensor, one_hot])


def dense_generator(
    latent_dim: int = 100,
    units: Sequence[int] = SPEC_UNITS_SMALL,
    image_shape: Sequence[int] = (28, 28, 1),
    num_classes: int | None = None,
) -> keras.Model:
    """The assignment's dense G: noise -> Dense ``units`` (LeakyReLU 0.2 after each) -> Dense H*W*C tanh.

    ``units`` defaults to the spec's smaller set, 200 -> 500 -> 1000; ``SPEC_UNITS_LARGE`` is the other.

    With ``num_classes``, a conditional G: inputs [noise, labels (N,) int], the one-hot label joined to the
    noise (the conditional GAN of Mirza and Osindero, 2014).
    """
    height, width, channels = _check_image_shape(image_shape)
    noise = keras.Input((latent_dim,), name="noise")
    label_inputs, x = _with_labels(noise, num_classes)
    for n in units:
        x = layers.Dense(n)(x)
        x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)
    x = layers.Dense(height * width * channels, activation="tanh")(x)
    images = layers.Reshape((height, width, channels), dtype="float32")(x)
    name = "conditional_dense_generator" if num_classes else "dense_generator"
    return keras.Model([noise, *label_inputs] if label_inputs else noise, images, name=name)


def dense_discriminator(
    image_shape: Sequence[int] = (28, 28, 1),
    units: Sequence[int] = SPEC_UNITS_SMALL[::-1],
    dropout_rates: Sequence[float] = DENSE_DROPOUT_RATES,
    num_classes: int | None = None,
    minibatch_std: bool = False,
) -> keras.Model:
    """The assignment's dense D: 784 -> Dense ``units`` (LeakyReLU 0.2 after each, Dropout after the first
    two) -> 1 sigmoid. ``units`` defaults to the spec's smaller set reversed, 1000 -> 500 -> 200; pass
    ``SPEC_UNITS_LARGE[::-1]`` for the other. The spec gives no dropout rate and no LeakyReLU slope:
    ``DENSE_DROPOUT_RATES`` (0.3) and 0.2 are this bundle's.

    ``dropout_rates`` follow the first ``len(dropout_rates)`` hidden layers; a rate of 0 drops the layer.
    With ``num_classes``, a conditional D: inputs [images, labels (N,) int], the one-hot label joined to the
    flattened image. With ``minibatch_std``, the last hidden layer also sees the minibatch
    standard-deviation feature (``MinibatchStdDev``).
    """
    image_shape = _check_image_shape(image_shape)
    rates = _check_rates(dropout_rates, len(dropout_rates))
    if len(rates) > len(units):
        raise ValueError(f"Got {len(rates)} dropout rates for only {len(units)} hidden layers.")
    images = keras.Input(image_shape, name="images")
    label_inputs, x = _with_labels(layers.Flatten()(images), num_classes)
    for i, n in enumerate(units):
        if minibatch_std and i == len(units) - 1:
            x = MinibatchStdDev()(x)
        x = layers.Dense(n)(x)
        x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)
        if i < len(rates) and rates[i] > 0:
            x = layers.Dropout(rates[i])(x)
    probability = _real_probability(x)
    name = "conditional_dense_discriminator" if num_classes else "dense_discriminator"
    return keras.Model([images, *label_inputs] if label_inputs else images, probability, name=name)


# Each convolutional pair halves (D) and doubles (G) the image size in stride-2 stages, so it fits images
# whose height and width are multiples of this; the builders check it with ``_check_image_shape``.
COMPACT_SIZE_MULTIPLE = 4  # D: two stride-2 convolutions; G: two stride-2 transposed convolutions
CONSTANT_WIDTH_SIZE_MULTIPLE = 16  # D: four stride-2 convolutions (G needs only 8)


def compact_discriminator(
    image_shape: Sequence[int] = (28, 28, 1), dropout_rate: float = 0.4, minibatch_std: bool = False
) -> keras.Model:
    """Two strided convolutions and a wide dense layer (the Fashion-MNIST lab's D): Conv 64 k5 s2 -> Conv
    128 k3 s2 -> Dense 1024 -> 1, LeakyReLU and dropout (6,500,097 params at 28x28x1). With
    ``minibatch_std``, the dense layer also sees the minibatch standard-deviation map."""
    image_shape = _check_image_shape(image_shape, divisor=COMPACT_SIZE_MULTIPLE)
    (rate,) = _check_rates([dropout_rate], 1)
    images = keras.Input(image_shape, name="images")
    x = images
    for filters, kernel in ((64, 5), (128, 3)):
        x = layers.Conv2D(filters, kernel, strides=2, padding="same")(x)
        x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)
        x = layers.Dropout(rate)(x)
    x = layers.Flatten()(MinibatchStdDev()(x) if minibatch_std else x)
    x = layers.Dense(1024)(x)
    x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)
    x = layers.Dropout(rate)(x)
    probability = _real_probability(x)
    return keras.Model(images, probability, name="compact_discriminator")


def compact_generator(
    latent_dim: int = 100, image_shape: Sequence[int] = (28, 28, 1)
) -> keras.Model:
    """A dense layer and two strided transposed convolutions with batch norm (the Fashion-MNIST lab's G):
    Dense (H/4)(W/4)128 -> ConvT 64 k5 s2 -> ConvT C k5 s2 tanh (865,281 params at 28x28x1)."""
    height, width, channels = _check_image_shape(image_shape, divisor=COMPACT_SIZE_MULTIPLE)
    noise = keras.Input((latent_dim,), name="noise")
    x = layers.Dense(height // 4 * width // 4 * 128)(noise)
    x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Reshape((height // 4, width // 4, 128))(x)
    x = layers.Conv2DTranspose(64, 5, strides=2, padding="same")(x)
    x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)
    x = layers.BatchNormalization()(x)
    images = layers.Conv2DTranspose(
        channels, 5, strides=2, padding="same", activation="tanh", dtype="float32"
    )(x)
    return keras.Model(noise, images, name="compact_generator")


def constant_width_discriminator(
    image_shape: Sequence[int] = (32, 32, 3), dropout_rate: float = 0.4, minibatch_std: bool = False
) -> keras.Model:
    """Four strided convolutions (the CIFAR-10 lab's D): Conv 64 -> 128 -> 128 -> 256 (k3 s2) -> Dropout ->
    Dense 1 (519,425 params at 32x32x3). With ``minibatch_std``, the minibatch standard-deviation map is
    joined to the last feature map."""
    image_shape = _check_image_shape(image_shape, divisor=CONSTANT_WIDTH_SIZE_MULTIPLE)
    (rate,) = _check_rates([dropout_rate], 1)
    images = keras.Input(image_shape, name="images")
    x = images
    for filters in (64, 128, 128, 256):
        x = layers.Conv2D(filters, 3, strides=2, padding="same")(x)
        x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)
    x = layers.Flatten()(MinibatchStdDev()(x) if minibatch_std else x)
    x = layers.Dropout(rate)(x)
    probability = _real_probability(x)
    return keras.Model(images, probability, name="constant_width_discriminator")


def constant_width_generator(
    latent_dim: int = 100, image_shape: Sequence[int] = (32, 32, 3)
) -> keras.Model:
    """Three strided transposed convolutions of 128 filters at every resolution (the CIFAR-10 lab's G):
    Dense (H/8)(W/8)256 -> 3 x ConvT 128 k4 s2 -> Conv C k4 tanh (1,468,803 params at 32x32x3)."""
    height, width, channels = _check_image_shape(image_shape, divisor=CONSTANT_WIDTH_SIZE_MULTIPLE)
    noise = keras.Input((latent_dim,), name="noise")
    x = layers.Dense(height // 8 * width // 8 * 256)(noise)
    x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)
    x = layers.Reshape((height // 8, width // 8, 256))(x)
    for _ in range(3):
        x = layers.Conv2DTranspose(128, 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)
    images = layers.Conv2D(channels, 4, padding="same", activation="tanh", dtype="float32")(x)
    return keras.Model(noise, images, name="constant_width_generator")


# The DCGAN paper's channel schedule (Radford et al., 2016): G halves its channels each time it doubles
# the resolution (at 64x64, base width w: 4x4x8w -> 8x8x4w -> 16x16x2w -> 32x32xw -> 64x64xC), and D
# mirrors it. A map's area times its channels squared stays constant, so every inner stage costs about the
# same, and the large maps, thin, cost little: the constant-width G spends most of its work there.
HALVING_WIDTH_START = 4  # G starts from, and D ends at, a 4x4 map
HALVING_WIDTH_BASE = 32  # the channels next to the image; the paper's 64 costs about 4x the work


def halving_width_size(size: int) -> int:
    """The image size (height = width) the halving-width networks make that is nearest to ``size`` pixels
    on a log scale: a power-of-two multiple of 4 from 8 up (e.g. 200 -> 256, 150 -> 128, 32 -> 32)."""
    if isinstance(size, bool) or int(size) != size or size <= 0:
        raise ValueError(f"Expected an image size in pixels (a whole number > 0), got {size!r}.")
    doublings = max(1, round(math.log2(size / HALVING_WIDTH_START)))
    return HALVING_WIDTH_START * 2**doublings


def _halving_width_stages(
    image_shape: Sequence[int], base_width: int
) -> tuple[tuple[int, int, int], list[int]]:
    """(the checked image shape, the channels of the 4x4 map and of each larger inner map, up to size/2):
    for 64x64 and base width w, [8w, 4w, 2w, w]."""
    shape = _check_image_shape(image_shape)
    if shape[0] != shape[1] or shape[0] != halving_width_size(shape[0]):
        raise ValueError(
            f"The halving-width networks make square images of a power-of-two "
            f"multiple of 4 pixels (8, 16, 32, 64, 128, ...), got {shape[:2]}; the nearest is "
            f"{halving_width_size(max(shape[:2]))} (models.halving_width_size)."
        )
    if isinstance(base_width, bool) or int(base_width) != base_width or base_width < 1:
        raise ValueError(f"base_width must be a whole number >= 1, got {base_width!r}.")
    inner_maps = int(math.log2(shape[0] // HALVING_WIDTH_START))
    return shape, [int(base_width) * 2 ** (inner_maps - 1 - i) for i in range(inner_maps)]


def halving_width_generator(
    latent_dim: int = 100,
    image_shape: Sequence[int] = (64, 64, 3),
    base_width: int = HALVING_WIDTH_BASE,
) -> keras.Model:
    """The DCGAN paper's G at any size 4 * 2^k: Dense to a 4x4 map, then stride-2 transposed convolutions
    (k4) that double the size and halve the channels, batch norm and ReLU between, tanh at the end.
    At 64x64x3 and base width w: 4x4x8w -> 8x8x4w -> 16x16x2w -> 32x32xw -> 64x64x3."""
    shape, widths = _halving_width_stages(image_shape, base_width)
    noise = keras.Input((latent_dim,), name="noise")
    x = layers.Dense(HALVING_WIDTH_START**2 * widths[0], use_bias=False)(noise)
    x = layers.Reshape((HALVING_WIDTH_START, HALVING_WIDTH_START, widths[0]))(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    for filters in widths[1:]:
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    images = layers.Conv2DTranspose(
        shape[2], 4, strides=2, padding="same", activation="tanh", dtype="float32"
    )(x)
    return keras.Model(noise, images, name="halving_width_generator")


def halving_width_discriminator(
    image_shape: Sequence[int] = (64, 64, 3),
    base_width: int = HALVING_WIDTH_BASE,
    minibatch_std: bool = False,
) -> keras.Model:
    """The DCGAN paper's D, G's mirror: stride-2 convolutions (k4) that halve the size and double the
    channels down to a 4x4 map, LeakyReLU 0.2, batch norm after all but the first, then Dense 1 sigmoid.
    At 64x64x3 and base width w: 32x32xw -> 16x16x2w -> 8x8x4w -> 4x4x8w -> 1. With ``minibatch_std``,
    the minibatch standard-deviation map is joined to the 4x4 map (as in Karras et al., 2018)."""
    shape, widths = _halving_width_stages(image_shape, base_width)
    images = keras.Input(shape, name="images")
    x = layers.Conv2D(widths[-1], 4, strides=2, padding="same")(images)
    x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)
    for filters in reversed(widths[:-1]):
        x = layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(layers.BatchNormalization()(x))
    x = layers.Flatten()(MinibatchStdDev()(x) if minibatch_std else x)
    probability = _real_probability(x)
    return keras.Model(images, probability, name="halving_width_discriminator")


def copy_of(network: keras.Model) -> keras.Model:
    """A second network of the same architecture and weights (for the moving average)."""
    copy = keras.models.clone_model(network)
    copy.set_weights(network.get_weights())
    return copy


def reseed_random_layers(generator, discriminator, seed: int) -> None:
    """Set the random-number state of every dropout (or other random) layer in both networks from ``seed``,
    so the masks depend on the GAN's seed alone, not on what was drawn before the networks were built."""
    states = [
        v
        for network in (generator, discriminator)
        for v in network.non_trainable_variables
        if v.path.endswith("seed_generator_state")
    ]
    for state, layer_seed in zip(
        states, np.random.default_rng(seed).integers(0, 2**31, len(states))
    ):
        state.assign(np.array([layer_seed, 0], dtype=state.dtype))


def check_pair(generator, discriminator, num_classes, mismatched_real) -> None:
    """Refuse a generator and discriminator that cannot train together as a GAN (``training.GAN``): their
    inputs must match ``num_classes`` (one input each, or [data, labels] each), ``mismatched_real`` needs
    labels, and G's images must have the shape D takes."""
    inputs = (len(generator.inputs), len(discriminator.inputs))
    if inputs != ((1, 1) if num_classes is None else (2, 2)):
        raise ValueError(
            f"Expected {'one input' if num_classes is None else 'two inputs (data, labels)'} "
            f"per network for num_classes={num_classes}, got {inputs[0]} (generator) and "
            f"{inputs[1]} (discriminator)."
        )
    if num_classes is not None and (int(num_classes) != num_classes or num_classes < 2):
        raise ValueError(f"num_classes must be an integer >= 2 or None, got {num_classes}.")
    if mismatched_real and num_classes is None:
        raise ValueError(
            "mismatched_real needs a conditional GAN (num_classes); this one has no labels."
        )
    if tuple(generator.output_shape[1:]) != tuple(discriminator.inputs[0].shape[1:]):
        raise ValueError(
            f"The generator makes images of shape {generator.output_shape[1:]} but the "
            f"discriminator expects {tuple(discriminator.inputs[0].shape[1:])}."
        )
