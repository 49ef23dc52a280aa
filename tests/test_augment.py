import numpy as np
import pytest
import tensorflow as tf

from gan_helpers import augment, models

SEED = tf.constant([3, 7], tf.int32)


def _distinct_images(count=6, size=16, channels=3):
    """Images whose pixels are all different, in [-1, 1], so any moved pixel can be traced."""
    values = np.arange(count * size * size * channels, dtype="float32").reshape(
        count, size, size, channels
    )
    return values / values.max() * 1.8 - 0.9


@pytest.mark.parametrize(
    "policy", [["colour"], ["translation"], ["cutout"], ["colour", "translation", "cutout"]]
)
def test_same_seed_same_augmentation_other_seed_other(policy):
    images = _distinct_images()
    augmentation = augment.diff_augment(policy)
    first, again = augmentation(images, SEED).numpy(), augmentation(images, SEED).numpy()
    other = augmentation(images, tf.constant([4, 7], tf.int32)).numpy()
    assert first.shape == images.shape
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.array_equal(first, images)


def test_translation_shifts_whole_images_within_an_eighth_and_fills_with_zero():
    images = _distinct_images(count=20, size=16)
    moved = augment.translate(images, SEED).numpy()
    for original, shifted in zip(images, moved):
        matches = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if np.array_equal(shifted, _shift(original, dy, dx))
        ]
        assert len(matches) == 1  # exactly one shift of at most 16/8 = 2 pixels explains the image


def _shift(image, dy, dx):
    out = np.zeros_like(image)
    height, width = image.shape[:2]
    out[max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = image[
        max(-dy, 0) : height - max(dy, 0), max(-dx, 0) : width - max(dx, 0)
    ]
    return out


def test_cutout_erases_one_square_of_at_most_half_the_side():
    images = _distinct_images(count=20, size=16)
    erased = augment.cut_out(images, SEED).numpy() == 0
    for mask in erased[..., 0]:
        rows, columns = np.nonzero(mask)
        assert 0 < mask.sum() <= 8 * 8
        assert mask[
            rows.min() : rows.max() + 1, columns.min() : columns.max() + 1
        ].all()  # one solid rectangle
    assert (erased.sum(axis=(1, 2, 3)) == 8 * 8 * 3).any()  # a square wholly inside the image


def test_colour_keeps_grayscale_images_gray_and_changes_each_image_by_its_own_draw():
    gray = np.repeat(_distinct_images(count=4, channels=1), 3, axis=-1)
    coloured = augment.adjust_colour(gray, SEED).numpy()
    np.testing.assert_allclose(coloured[..., 0], coloured[..., 2], atol=1e-6)
    one_channel = augment.adjust_colour(_distinct_images(count=4, channels=1), SEED).numpy()
    assert one_channel.shape == (4, 16, 16, 1)
    shifts = (coloured - gray).mean(axis=(1, 2, 3))
    assert len(set(np.round(shifts, 4))) == 4


def test_flip_mirrors_about_half_of_the_images_and_changes_nothing_else():
    images = _distinct_images(count=64)
    flipped = augment.flip_left_right(images, SEED).numpy()
    mirrored = [np.array_equal(out, image[:, ::-1]) for out, image in zip(flipped, images)]
    kept = [np.array_equal(out, image) for out, image in zip(flipped, images)]
    assert all(m or k for m, k in zip(mirrored, kept))
    assert 16 < sum(mirrored) < 48


def test_generator_gradient_passes_through_the_augmentation():
    generator = models.halving_width_generator(latent_dim=8, image_shape=(16, 16, 3), base_width=4)
    discriminator = models.halving_width_discriminator(image_shape=(16, 16, 3), base_width=4)
    noise = tf.random.stateless_normal((4, 8), seed=[1, 2])
    with tf.GradientTape() as tape:
        images = augment.diff_augment()(generator(noise, training=True), SEED)
        loss = tf.reduce_mean(discriminator(images, training=True))
    gradients = tape.gradient(loss, generator.trainable_variables)
    assert all(g is not None for g in gradients)
    assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in gradients)


def test_works_inside_an_xla_compiled_function():
    images = _distinct_images()
    compiled = tf.function(augment.diff_augment(), jit_compile=True)
    np.testing.assert_allclose(
        compiled(images, SEED).numpy(), augment.diff_augment()(images, SEED).numpy(), atol=1e-5
    )


@pytest.mark.parametrize("policy", [[], ["rotation"], ["cutout", "cutout"]])
def test_unknown_or_repeated_transform_is_refused(policy):
    with pytest.raises(ValueError, match="Expected a policy of distinct names from"):
        augment.diff_augment(policy)
