"""Differentiable augmentation (DiffAugment, Zhao et al., 2020) for ``training.GAN(augment=...)``.

The trainer passes every image the discriminator sees through ``augment(images, seed)``: the real ones and
the generated ones, in D's step and in G's step. Both sides are augmented alike, so D cannot learn that
"real images look augmented", and G is not taught to draw the augmentation. Augmenting the real images
only (as a rotation of the real batches did in an earlier version) leaks: G learns to draw rotated,
reflect-padded images.

Every transform here is made of differentiable tensor operations, so G's gradient passes through it, and
draws its randomness with stateless ops from the (2,) int32 ``seed``: the same seed gives the same
augmentation, so runs repeat and resume exactly.

Images are (N, H, W, C) float32 in [-1, 1] (C = 1 or 3). Outputs have the same shape; colour changes may
leave [-1, 1] (D sees them as they are, as in DiffAugment).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import tensorflow as tf

TRANSLATION_SHARE = 0.125  # shift by up to 1/8 of the height and width (DiffAugment's default)
CUTOUT_SHARE = 0.5  # erase a square of half the height and width (DiffAugment's default)


# The same random numbers with and without XLA: stateless integer draws agree between XLA and TensorFlow's
# own kernels when the algorithm is pinned, float draws do not (they turn bits into floats differently),
# so floats are made here from 24-bit integers.
ALGORITHM = "philox"
_FLOAT_BITS = 24


def _part(seed, part: int):
    """A seed of its own for ``part`` of the work keyed on ``seed`` (2,) int32."""
    return tf.random.experimental.stateless_fold_in(seed, part, alg=ALGORITHM)


def _integers(seed, part: int, shape, low: int, high: int):
    """Uniform int32 in [low, high) from ``part`` of ``seed``."""
    return tf.random.stateless_uniform(
        shape, seed=_part(seed, part), minval=low, maxval=high, dtype=tf.int32, alg=ALGORITHM
    )


def _uniform(seed, part: int, shape):
    """Uniform float32 in [0, 1) from ``part`` of ``seed``."""
    return tf.cast(_integers(seed, part, shape, 0, 2**_FLOAT_BITS), tf.float32) * 2.0**-_FLOAT_BITS


def translate(images, seed, share: float = TRANSLATION_SHARE):
    """Shift each image by its own whole number of pixels, up to ``share`` of its height and width in each
    direction; the uncovered border is 0 (mid-grey)."""
    height, width = images.shape[1], images.shape[2]
    count = tf.shape(images)[0]
    inside_masks = []
    for axis, size in ((1, height), (2, width)):
        limit = int(size * share + 0.5)
        shift = _integers(seed, axis, [count, 1], -limit, limit + 1)
        # (N, size): the source row (or column) of each output one
        source = tf.range(size)[None, :] - shift
        inside = tf.cast((source >= 0) & (source < size), images.dtype)
        images = tf.gather(images, tf.clip_by_value(source, 0, size - 1), axis=axis, batch_dims=1)
        inside_masks.append(inside)
    rows_inside, columns_inside = inside_masks
    return images * rows_inside[:, :, None, None] * columns_inside[:, None, :, None]


def cut_out(images, seed, share: float = CUTOUT_SHARE):
    """Set a square of ``share`` of the height and width to 0 (mid-grey) in each image, centred anywhere
    in the image (so it may be cut by the border)."""
    height, width = images.shape[1], images.shape[2]
    count = tf.shape(images)[0]
    masks = []
    for axis, size in ((1, height), (2, width)):
        side = int(size * share + 0.5)
        centre = _integers(seed, axis, [count, 1], 0, size + 1)
        position = tf.range(size)[None, :] - (centre - side // 2)
        # (N, size): inside the square along this axis
        masks.append((position >= 0) & (position < side))
    rows, columns = masks
    erased = rows[:, :, None, None] & columns[:, None, :, None]
    return images * (1.0 - tf.cast(erased, images.dtype))


def adjust_colour(images, seed):
    """Per image: brightness +-0.5, then saturation x [0, 2] (none for grayscale), then contrast
    x [0.5, 1.5], each drawn uniformly (DiffAugment's colour transform)."""
    count = tf.shape(images)[0]
    brightness, saturation, contrast = (_uniform(seed, part, [count, 1, 1, 1]) for part in range(3))
    images = images + (brightness - 0.5)
    mean = tf.reduce_mean(images, axis=3, keepdims=True)
    images = (images - mean) * (2.0 * saturation) + mean
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * (contrast + 0.5) + mean


TRANSFORMS: dict[str, Callable] = {
    "colour": adjust_colour,
    "translation": translate,
    "cutout": cut_out,
}


def diff_augment(policy: Sequence[str] = ("colour", "translation", "cutout")) -> Callable:
    """An ``augment(images, seed) -> images`` function for ``training.GAN(augment=...)`` that applies the
    transforms named in ``policy`` (any of "colour", "translation", "cutout") in the order given, each with
    its own part of ``seed``. The default is DiffAugment's full policy, in its order.

    Raises:
        ValueError: an unknown or repeated transform name, or an empty policy.
    """
    policy = [policy] if isinstance(policy, str) else list(policy)
    unknown = [name for name in policy if name not in TRANSFORMS]
    if not policy or unknown or len(set(policy)) != len(policy):
        raise ValueError(
            f"Expected a policy of distinct names from {sorted(TRANSFORMS)}, got {policy}; "
            f"e.g. diff_augment(('translation', 'cutout')), or GAN(augment=None) for none."
        )
    transforms = [TRANSFORMS[name] for name in policy]

    def augment(images, seed):
        images = tf.convert_to_tensor(images, tf.float32)
        for index, transform in enumerate(transforms):
            images = transform(images, _part(seed, index))
        return images

    return augment


def flip_left_right(images, seed):
    """Mirror each image left to right with probability 1/2. Unlike the transforms above, safe on the real
    images alone when a mirrored image is as likely as the original (a horse; not text, nor an X-ray
    whose sides differ): ``data.ImageFolder(flip=True)`` applies it so."""
    mirrored = _uniform(seed, 0, [tf.shape(images)[0]]) < 0.5
    return tf.where(mirrored[:, None, None, None], tf.reverse(images, axis=[2]), images)


def checked(augment):
    """``augment`` itself when it is a function augment(images, seed) -> images or None; else a TypeError
    that says what to pass."""
    if augment is not None and not callable(augment):
        raise TypeError(
            f"augment must be a function augment(images, seed) -> images, or None; got {augment!r}. "
            f"For DiffAugment's transforms by name, pass augment.diff_augment(['translation'])."
        )
    return augment
