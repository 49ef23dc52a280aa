"""A folder of your own images, streamed from disk: ``ImageFolder``, and the checks of a folder's files.

A folder holds .jpg/.png/.bmp/.gif images, directly or in subfolders. When every image lies in a subfolder
(``horse/0001.jpg``, ``bird/0002.jpg``), the subfolders are its classes, named as they are and numbered in
sorted order. Hidden files and folders (a name starting with ".", such as the ``.ipynb_checkpoints`` copies
Jupyter leaves behind) are skipped.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from . import datasets

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
GRAYSCALE_MODES = ("1", "L", "LA", "I", "I;16", "F")
# Larger images are refused before training: decoding one (before it is resized) takes over 1 GB as float32.
MAX_IMAGE_PIXELS = 50_000_000
# Which files an ImageFolder holds out depends on this seed alone, not on a run's seed, so every run on
# a folder is judged on the same held-out images.
HOLDOUT_SEED = 0
# The streams of random numbers drawn from (seed, batch number): one per purpose.
_FLIP_STREAM = 1
# Files read and decoded at once by an ImageFolder stream.
READ_THREADS = max(2, os.cpu_count() or 2)
PARTS = ("training", "holdout")


class ImageFolder:
    """A folder of images streamed from disk, with a share held out for judging: an image source for
    ``runs.train``.

    Nothing holds the folder in memory: ``batches`` reads, decodes, resizes and scales each batch's files
    as it is needed, in parallel threads, two batches ahead of training. Class subfolders are pooled
    (an unconditional GAN draws them all); ``labels`` gives each image's class.

    Args:
        path: a folder of .jpg/.png/.bmp/.gif images, optionally in class subfolders.
        image_size: (height, width), or one number for a square; default: the first image's size.
        grayscale: True reads one channel, False RGB; None (default) follows the files, and refuses a
            folder that mixes grayscale and colour images.
        holdout: the share of the images, in [0, 1), kept out of training (drawn with ``HOLDOUT_SEED``, so
            always the same files); at least 2 when above 0.
        flip: mirror each real training image left to right with probability 1/2, drawn from the seed and
            the batch number. Safe only when a mirrored image is as likely as the original.

    Attributes:
        image_shape: (H, W, C) of the images it makes; C is 1 for grayscale, else 3.
        files: {"training": [...], "holdout": [...]}: the image files of each part, sorted by path.
        stored_size: (height, width) of the first image as stored.
        class_names: the class subfolders' names, sorted (class i is ``class_names[i]``); empty when some
            images lie directly in the folder.

    Raises:
        FileNotFoundError: the folder does not exist, is a file, is empty, or holds no image files.
        ValueError: unreadable files (named), grayscale and colour mixed while ``grayscale`` is None, or
            a bad ``image_size`` or ``holdout``.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        image_size: int | Sequence[int] | None = None,
        grayscale: bool | None = None,
        holdout: float = 0.1,
        flip: bool = False,
    ):
        self.path, files, grayscale = _checked_image_files(path, grayscale)
        self.stored_size = _stored_size(files[0])
        size = self.stored_size if image_size is None else _checked_size(image_size)
        self.image_shape = (*size, 1 if grayscale else 3)
        self.files = _split(files, holdout, self.path)
        self.class_names = _class_names(self.path, files)
        self.flip = bool(flip)

    def __len__(self) -> int:
        """The number of training images."""
        return len(self.files["training"])

    def __repr__(self) -> str:
        classes = (
            f", pooled from {len(self.class_names)} class subfolder"
            f"{'s' if len(self.class_names) > 1 else ''} ({', '.join(self.class_names)})"
            if self.class_names
            else ""
        )
        return (
            f"ImageFolder({str(self.path)!r}: {len(self):,} training and {len(self.files['holdout']):,} "
            f"held-out images{classes}, read at {'x'.join(map(str, self.image_shape))}"
            f"{', flipped at random' if self.flip else ''})"
        )

    def resized(self, image_size: int | Sequence[int]) -> ImageFolder:
        """The same files, split alike, read at another ``image_size`` (no files are opened again)."""
        resized = copy.copy(self)
        resized.image_shape = (*_checked_size(image_size), self.image_shape[2])
        return resized

    def labels(self, part: str = "training") -> np.ndarray:
        """The class of each image of ``part`` (in the order of ``files[part]``), int64 (N,) in
        [0, len(class_names)): the index of its class subfolder.

        Raises:
            ValueError: the folder has no class subfolders (some images lie directly in it).
        """
        if not self.class_names:
            loose = [
                f for f in self.files["training"] + self.files["holdout"] if f.parent == self.path
            ]
            raise ValueError(
                f"{self.path} has no class subfolders, so its images have no labels: "
                f"{_some(loose, self.path)} lie directly in it. Put each class's images in a subfolder "
                f"named after the class (e.g. horse/, bird/), or leave the labels out."
            )
        return np.array(
            [self.class_names.index(_class_of(f, self.path)) for f in self._part(part)],
            dtype="int64",
        )

    def class_index(self, cls: int | str) -> int:
        """A class given by index or by subfolder name -> its label index (see ``labels``)."""
        return datasets.class_index_in(self.class_names, cls, str(self.path))

    def batches(self, batch_size: int, seed: int, first_batch: int = 0):
        """An endless ``tf.data`` stream of training batches (batch_size, H, W, C) float32 in [-1, 1], in the
        order of ``shuffled_index_batches(len(self), batch_size, seed, first_batch)``; the flips too depend
        on (seed, batch number) alone, so a run resumed at batch b sees what an uninterrupted one saw."""
        import tensorflow as tf

        from .data import shuffled_index_batches

        paths = tf.constant([str(p) for p in self.files["training"]])
        order = shuffled_index_batches(len(paths), batch_size, seed, first_batch).unbatch()
        images = order.map(
            lambda index: self._read(tf.gather(paths, index)), num_parallel_calls=READ_THREADS
        )
        numbered = tf.data.Dataset.zip(
            images.batch(batch_size, drop_remainder=True), tf.data.Dataset.range(first_batch, 2**62)
        )
        return numbered.map(lambda batch, number: self._flipped(batch, seed, number)).prefetch(2)

    def image_batches(
        self, part: str = "training", batch_size: int = 256, indices: Iterable[int] | None = None
    ):
        """The images of ``part`` ("training" or "holdout") at ``indices`` (default: all, in file order), once
        each and without flips: a finite ``tf.data`` stream of batches (<= batch_size, H, W, C) float32 in
        [-1, 1]."""
        import tensorflow as tf

        files = self._part(part)
        paths = [str(files[i]) for i in (range(len(files)) if indices is None else indices)]
        images = tf.data.Dataset.from_tensor_slices(paths).map(
            self._read, num_parallel_calls=READ_THREADS
        )
        return images.batch(batch_size).prefetch(2)

    def images(self, part: str = "training", indices: Iterable[int] | None = None) -> np.ndarray:
        """The images of ``part`` at ``indices`` (default: all) in memory, as float32 (N, H, W, C) in
        [-1, 1]: to look at some (``indices=range(25)``), or to judge a generator with them."""
        return np.concatenate(
            [batch.numpy() for batch in self.image_batches(part, indices=indices)]
        )

    def _part(self, part: str) -> list[Path]:
        if part not in PARTS:
            raise ValueError(f"Unknown part {part!r}; expected one of {PARTS}.")
        if not self.files[part]:
            raise ValueError(
                f"{self.path} has no {part} images: it was opened with holdout=0. Open it with "
                f"holdout=0.1 (say) to keep a share of the images for judging."
            )
        return self.files[part]

    def _read(self, path):
        """One image file -> float32 (H, W, C) in [-1, 1] at the folder's image size. A file that no longer
        starts like an image (overwritten since the folder was opened) stops the stream with its path."""
        import tensorflow as tf

        contents = tf.io.read_file(path)
        looks_like_an_image = (
            tf.io.is_jpeg(contents)
            | tf.equal(tf.strings.substr(contents, 0, 4), b"\x89PNG")
            | tf.equal(tf.strings.substr(contents, 0, 3), b"GIF")
            | tf.equal(tf.strings.substr(contents, 0, 2), b"BM")
        )
        check = tf.debugging.Assert(
            looks_like_an_image,
            [
                (
                    "This file is no longer an image (it was changed after the folder was opened); "
                    "replace or delete it, open the folder again, and rerun:"
                ),
                path,
            ],
        )
        with tf.control_dependencies([check]):
            image = tf.io.decode_image(contents, channels=3, expand_animations=False)
        if self.image_shape[2] == 1:  # decode to RGB first: GIF decodes to nothing else
            image = tf.image.rgb_to_grayscale(image)
        image = tf.image.resize(image, self.image_shape[:2], antialias=True)
        image = tf.clip_by_value(image / 127.5 - 1.0, -1.0, 1.0)
        return tf.ensure_shape(image, self.image_shape)

    def _flipped(self, images, seed: int, batch_number):
        import tensorflow as tf

        from .augment import flip_left_right

        if not self.flip:
            return images
        batch_seed = tf.stack([tf.constant(seed, tf.int64), batch_number])
        return flip_left_right(
            images, tf.random.experimental.stateless_fold_in(batch_seed, _FLIP_STREAM)
        )


def refuse_labels_with(source, labels) -> None:
    """For ``runs.train``: an image source (such as an ``ImageFolder``) streams images without labels,
    so ``labels`` given with it would be ignored; refuse them, as labels with in-memory images are refused
    for an unconditional GAN.

    Raises:
        ValueError: ``labels`` is not None.
    """
    if labels is None:
        return
    classes = getattr(source, "class_names", ())
    hint = (
        f" For a conditional GAN on its {len(classes)} class subfolders, load them in memory with "
        f"labels: data.load_images({str(source.path)!r}, return_labels=True)."
        if classes
        else ""
    )
    raise ValueError(
        f"labels were given with the image source {source!r}, which streams images without labels "
        f"(an unconditional GAN pools its classes), so they would be ignored. Leave labels out."
        + hint
    )


def _checked_image_files(
    path: str | os.PathLike, grayscale: bool | None
) -> tuple[Path, list[Path], bool]:
    """(the folder, its image files sorted by path, whether to read them as grayscale), after checking that
    the folder exists and holds readable images of one kind (grayscale or colour) unless ``grayscale`` says
    which to read them as. Hidden files and folders are skipped. Opens every file's header with Pillow.

    Raises: see ``ImageFolder``.
    """
    folder = Path(path)
    if folder.is_file():
        raise FileNotFoundError(
            f"Expected a folder of images, but {folder} is a file. Pass the folder that holds it "
            f"({folder.parent})."
        )
    if not folder.is_dir():
        raise FileNotFoundError(f"Expected a folder of images at {folder}, but it does not exist.")
    # Links too, so that a broken one is named as unreadable rather than skipped without a word.
    everything = sorted(
        p
        for p in folder.rglob("*")
        if (p.is_file() or (p.is_symlink() and not p.is_dir()))
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    if not everything:
        raise FileNotFoundError(
            f"The folder {folder} is empty; expected images ({', '.join(IMAGE_EXTENSIONS)})."
        )
    files = [p for p in everything if p.suffix.lower() in IMAGE_EXTENSIONS]
    if not files:
        raise FileNotFoundError(
            f"No images ({', '.join(IMAGE_EXTENSIONS)}) found in {folder}: its "
            f"{len(everything)} files are e.g. {_some(everything, folder)}."
        )
    gray, colour, unreadable, too_large = _inspect_images(files)
    if unreadable:
        raise ValueError(
            f"{len(unreadable)} of the {len(files)} image files in {folder} cannot be read as images "
            f"(damaged files or broken links): {_some(unreadable, folder, 10)}. Delete or replace "
            f"them, then load again."
        )
    if too_large:
        raise ValueError(
            f"{len(too_large)} of the {len(files)} images in {folder} have more than "
            f"{MAX_IMAGE_PIXELS:,} pixels: {_some(too_large, folder, 10)}. Decoding one takes "
            f"gigabytes of memory; shrink them first (e.g. to 1024 pixels a side), then load again."
        )
    if grayscale is None and gray and colour:
        raise ValueError(
            f"{folder} mixes {len(gray)} grayscale images (e.g. {_some(gray, folder, 1)}) with "
            f"{len(colour)} colour ones (e.g. {_some(colour, folder, 1)}); pass grayscale=True "
            f"to read all as one channel, or grayscale=False for RGB."
        )
    return folder, files, bool(gray) if grayscale is None else bool(grayscale)


def _checked_size(image_size: int | Sequence[int]) -> tuple[int, int]:
    """``image_size`` as (height, width), from a pair or one number (a square).

    Raises:
        ValueError: not one or two whole numbers > 0.
    """
    size = (image_size, image_size) if np.isscalar(image_size) else tuple(image_size)
    if len(size) != 2 or not all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0 for d in size
    ):
        raise ValueError(
            f"Expected image_size as (height, width) or one number of pixels, whole and > 0, "
            f"got {image_size!r}."
        )
    return int(size[0]), int(size[1])


def _inspect_images(files: Sequence[Path]) -> tuple[list[Path], list[Path], list[Path], list[Path]]:
    """Sort image files into (grayscale, colour, unreadable, too large) by opening each header with Pillow.
    A broken link is unreadable; too large is above ``MAX_IMAGE_PIXELS``."""
    from PIL import Image

    gray, colour, unreadable, too_large = [], [], [], []
    for path in files:
        try:
            with Image.open(path) as image:
                mode, (width, height) = image.mode, image.size
                image.verify()
        # Pillow raises many kinds (UnidentifiedImageError, OSError, SyntaxError, ...)
        except Exception:
            unreadable.append(path)
            continue
        if width * height > MAX_IMAGE_PIXELS:
            too_large.append(path)
        (gray if mode in GRAYSCALE_MODES else colour).append(path)
    return gray, colour, unreadable, too_large


def _class_of(file: Path, folder: Path) -> str | None:
    """The class subfolder ``file`` lies in, or None when it lies directly in ``folder``."""
    parts = file.relative_to(folder).parts
    return parts[0] if len(parts) > 1 else None


def _class_names(folder: Path, files: Sequence[Path]) -> tuple[str, ...]:
    """The sorted class subfolder names, or () when some file lies directly in ``folder``."""
    classes = {_class_of(f, folder) for f in files}
    return () if None in classes else tuple(sorted(classes))


def _some(paths: Sequence[Path], root: Path, count: int = 3) -> str:
    names = ", ".join(str(p.relative_to(root)) for p in paths[:count])
    return names + (f" and {len(paths) - count} more" if len(paths) > count else "")


def _stored_size(path: Path) -> tuple[int, int]:
    """(height, width) of an image file as stored."""
    from PIL import Image

    with Image.open(path) as image:
        return image.size[::-1]


def _split(files: Sequence[Path], holdout: float, folder: Path) -> dict[str, list[Path]]:
    """{"training": files, "holdout": files}: round(holdout * N) files drawn with HOLDOUT_SEED held out."""
    if not 0.0 <= holdout < 1.0:
        raise ValueError(
            f"holdout is the share of the images kept out of training, in [0, 1); got {holdout}."
        )
    count = round(holdout * len(files))
    if holdout and not 2 <= count < len(files):
        raise ValueError(
            f"holdout={holdout} of the {len(files)} images in {folder} keeps {count} out of "
            f"training; judging needs at least 2 held out and 1 left to train on. Add images, "
            f"change the share, or pass holdout=0 to train on all of them without judging."
        )
    held = set(np.random.default_rng(HOLDOUT_SEED).permutation(len(files))[:count].tolist())
    return {
        "training": [f for i, f in enumerate(files) if i not in held],
        "holdout": [f for i, f in enumerate(files) if i in held],
    }
