"""Images for training and judging, as float32 NHWC in [-1, 1]: ``load_images`` (a named dataset or a folder),
the checks every batch of images passes, and the order in which training draws them.

The named datasets and their files are in ``datasets``; a folder streamed from disk is ``ImageFolder``
(in ``folders``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from . import datasets
from .folders import ImageFolder


def scale_to_unit_range(pixels: np.ndarray) -> np.ndarray:
    """uint8 pixels in [0, 255] -> float32 in [-1, 1], with a channel axis added to grayscale (N, H, W)."""
    images = pixels.astype("float32") / 127.5 - 1.0
    return images[..., None] if images.ndim == 3 else images


def check_images(images, image_shape: Sequence[int]) -> np.ndarray:
    """Images as float32 (N, H, W, C) in [-1, 1]; flat (N, H*W*C) and channel-less (N, H, W) batches are
    reshaped to ``image_shape``. Images that all lie in [0, 1] pass with a warning (half the generator's
    range goes unused: scale them with x * 2 - 1).

    Raises:
        ValueError: no images, another shape, NaN or infinite pixels, or values outside [-1, 1] (0-255 pixels).
    """
    images = np.asarray(images, dtype="float32")
    image_shape = tuple(int(d) for d in image_shape)
    if images.ndim == 2 and images.shape[1] == int(np.prod(image_shape)):
        images = images.reshape((-1, *image_shape))
    if images.ndim == 3 and image_shape[-1] == 1 and images.shape[1:] == image_shape[:2]:
        images = images[..., None]
    if images.ndim != 4 or images.shape[1:] != image_shape:
        raise ValueError(
            f"Expected images of shape (N, {', '.join(map(str, image_shape))}) or "
            f"(N, {int(np.prod(image_shape))}), got {images.shape}."
        )
    if not len(images):
        raise ValueError(
            f"Expected at least one image of shape {image_shape}, got an empty array {images.shape}."
        )
    broken = ~np.isfinite(images).reshape(len(images), -1).all(axis=1)
    if broken.any():
        raise ValueError(
            f"{broken.sum()} of the {len(images)} images hold NaN or infinite pixels (the first is "
            f"image {np.argmax(broken)}); fix or drop them before training."
        )
    if images.min() < -1.001 or images.max() > 1.001:
        raise ValueError(
            f"Expected pixel values in [-1, 1], got [{images.min():.3g}, {images.max():.3g}]; "
            f"load_images scales 0-255 pixels as x / 127.5 - 1."
        )
    if images.min() >= 0.0 and images.max() > 0.0:
        warnings.warn(
            f"All pixels lie in [0, {images.max():.3g}], but the generator draws in [-1, 1] (tanh): "
            f"scale the images with x * 2 - 1, or load them with load_images.",
            stacklevel=2,
        )
    return images


def load_images(
    name: str,
    classes: Iterable[int | str] | int | str | None = None,
    split: str = "train",
    return_labels: bool = False,
):
    """Load a dataset as float32 images of shape (N, H, W, C) scaled to [-1, 1].

    Args:
        name: "mnist" (28x28x1), "fashion_mnist" (28x28x1), "cifar10" (32x32x3) (see ``datasets``), or a
            path to a folder of images, read whole at the first image's size (see ``ImageFolder``); its
            class subfolders, if every image lies in one, are its classes.
        classes: keep only these classes, by index or name (e.g. ``["sneaker", 1]``, or one: ``7``); None
            keeps all.
        split: "train" or "test"; a folder has "train" only.
        return_labels: also return the int64 labels (N,): 0-9, or a folder's class subfolder indices.

    Raises:
        ValueError: unknown dataset, class or split; labels or classes asked of a folder without class
            subfolders.
        FileNotFoundError: no local copy and the download failed (offline); a folder path that is a file.
    """
    if split not in datasets.SPLITS:
        raise ValueError(f"Unknown split {split!r}; expected 'train' or 'test'.")
    if not isinstance(name, str) or name not in datasets.DATASETS:
        return _load_folder(name, classes, split, return_labels)
    dataset = datasets.get(name)
    wanted = _wanted(classes, dataset.class_index, name)
    pixels, labels = dataset.read(split, wanted)
    if wanted is not None:
        keep = np.isin(labels, wanted)
        pixels, labels = pixels[keep], labels[keep]
    images = scale_to_unit_range(pixels)
    return (images, labels.astype("int64")) if return_labels else images


def _load_folder(path, classes, split: str, return_labels: bool):
    """``load_images`` of a folder: all its images (of ``classes``) in memory."""
    is_a_path = isinstance(path, os.PathLike) or (
        isinstance(path, str) and (os.sep in path or Path(path).exists())
    )
    if not is_a_path:
        raise ValueError(
            f"Unknown dataset {path!r}; expected one of {sorted(datasets.DATASETS)} "
            f"or a path to a folder of images."
        )
    if split != "train":
        raise ValueError(
            f"A folder of images has no {split!r} split, only 'train'. To judge on images kept out of "
            f"training, open it with ImageFolder({str(path)!r}, holdout=0.1) and use "
            f".images('holdout')."
        )
    source = ImageFolder(path, holdout=0)
    labels = None if classes is None and not return_labels else source.labels()
    wanted = _wanted(classes, source.class_index, str(source.path))
    indices = None if wanted is None else np.flatnonzero(np.isin(labels, wanted))
    images = source.images(indices=indices)
    if not return_labels:
        return images
    return images, labels if indices is None else labels[indices]


def _wanted(classes, class_index, source: str) -> list[int] | None:
    """The sorted label indices of ``classes`` (one class, many, or None for all)."""
    if classes is None:
        return None
    if isinstance(classes, str) or not isinstance(classes, Iterable):
        classes = [classes]
    wanted = sorted({class_index(c) for c in classes})
    if not wanted:
        raise ValueError(
            f"classes is empty, so no image would be loaded; give some classes of {source} "
            f"(indices or names), or None for all."
        )
    return wanted


def shuffled_index_batches(count: int, batch_size: int, seed: int, first_batch: int = 0):
    """An endless ``tf.data`` stream of index batches (batch_size,) int64 into ``count`` items.

    Concatenated, the batches run through one epoch after another: epoch e visits every index once, in the
    order of a permutation drawn from (``seed``, e) alone. The stream begins at batch ``first_batch``, so a
    run resumed after b batches sees exactly the batches an uninterrupted run saw from there on.
    """
    import tensorflow as tf

    epoch, offset = divmod(int(first_batch) * int(batch_size), int(count))

    def permutation(epoch_number):
        keys = tf.random.stateless_uniform(
            [count],
            seed=tf.stack([tf.constant(seed, tf.int64), epoch_number]),
            minval=None,
            maxval=None,
            dtype=tf.int64,
        )
        order = tf.argsort(keys, stable=True)
        return tf.cast(order[offset:] if epoch_number == epoch else order, tf.int64)

    return (
        tf.data.Dataset.range(epoch, 2**62)
        .map(permutation)
        .rebatch(batch_size, drop_remainder=True)
    )


def real_image_batches(
    images: np.ndarray,
    batch_size: int,
    seed: int = 0,
    labels: np.ndarray | None = None,
    first_batch: int = 0,
):
    """An endless ``tf.data`` stream of real image batches (batch_size, H, W, C) in the order of
    ``shuffled_index_batches``, starting at batch number ``first_batch``; or of (images, labels (batch_size,)
    int32) pairs when ``labels`` (N,) are given."""
    import tensorflow as tf

    pixels = tf.constant(images)
    classes = None if labels is None else tf.constant(np.asarray(labels, dtype="int32"))
    batches = shuffled_index_batches(len(images), batch_size, seed, first_batch)
    batches = batches.map(
        (lambda indices: tf.gather(pixels, indices))
        if classes is None
        else lambda indices: (tf.gather(pixels, indices), tf.gather(classes, indices))
    )
    # tf.data's autotuner slowed the dense GAN's fit() by about a quarter on a 2-core CPU
    # (docs/decisions/trainer_design.md); a fixed prefetch of two batches keeps up without it.
    options = tf.data.Options()
    options.autotune.enabled = False
    return batches.prefetch(2).with_options(options)


def example_folder(
    folder: str | os.PathLike,
    dataset: str = "cifar10",
    classes: Iterable[int | str] = ("horse",),
    count: int = 500,
) -> Path:
    """Write the first ``count`` training images of each class in ``classes`` of ``dataset`` as PNGs into
    folder/<class>/, a stand-in for a folder of your own images; files already there are kept."""
    from PIL import Image

    folder, record = Path(folder), datasets.get(dataset)
    for cls in classes:
        name = record.class_name(cls)
        target = folder / name.replace(" ", "_")
        target.mkdir(parents=True, exist_ok=True)
        images = load_images(dataset, classes=name)[:count]
        pixels = np.round((images + 1.0) * 127.5).astype("uint8")
        for i, image in enumerate(pixels):
            path = target / f"{name.replace(' ', '_')}_{i:05d}.png"
            if not path.exists():
                Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(path)
    return folder
