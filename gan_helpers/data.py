"""Dataset loading: MNIST, Fashion-MNIST, CIFAR-10 or a folder of images, as float32 NHWC in [-1, 1].

Source order for the named datasets:
1. a local copy under the folder named by ``GAN_DATA_DIR`` (for offline machines and CI), laid out as
       mnist.npz                                   (x_train, y_train, x_test, y_test as in keras)
       fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz   (Zalando's IDX files)
       cifar10/{train,test}/<class name>/*.jpg|png (an image-folder tree)
2. the normal ``keras.datasets`` download (cached in ``~/.keras/datasets``).
"""

from __future__ import annotations

import copy
import gzip
import os
import warnings
import zipfile
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

DATA_ENV = "GAN_DATA_DIR"

CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "fashion_mnist": [
        "t-shirt",
        "trouser",
        "pullover",
        "dress",
        "coat",
        "sandal",
        "shirt",
        "sneaker",
        "bag",
        "ankle boot",
    ],
    "cifar10": [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ],
}
_ALIASES = {
    "top": "t-shirt",
    "t-shirt/top": "t-shirt",
    "tshirt": "t-shirt",
    "ankle_boot": "ankle boot",
    "boot": "ankle boot",
    "car": "automobile",
    "plane": "airplane",
}
_LOCAL_FILES = {
    "mnist": ["mnist.npz"],
    "fashion_mnist": [
        f"fashion-mnist/{p}-ubyte.gz"
        for p in ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1")
    ],
    "cifar10": ["cifar10/train/<class>/*.jpg", "cifar10/test/<class>/*.jpg"],
}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


def class_index(name: str, cls: int | str) -> int:
    """Turn a class given by index (``7``) or by name (``"sneaker"``) into its label index 0-9."""
    names = CLASS_NAMES[name]
    if isinstance(cls, (int, np.integer)) and not isinstance(cls, bool):
        if 0 <= cls < len(names):
            return int(cls)
        raise ValueError(
            f"Class index {cls} is out of range for {name}; expected 0-{len(names) - 1}."
        )
    if isinstance(cls, str):
        key = cls.strip().lower()
        key = _ALIASES.get(key, key.replace("_", " "))
        if key in names:
            return names.index(key)
    raise ValueError(
        f"Unknown class {cls!r} for {name}; expected an index 0-{len(names) - 1} or one of {names}."
    )


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
        name: "mnist" (28x28x1), "fashion_mnist" (28x28x1), "cifar10" (32x32x3),
            or a path to a folder of images (see ``load_folder``).
        classes: keep only these classes, by index or name (e.g. ``["sneaker", 1]``); None keeps all.
        split: "train" or "test".
        return_labels: also return the int labels (N,) in 0-9.

    Raises:
        ValueError: unknown dataset, class or split.
        FileNotFoundError: no local copy and the download failed (offline).
    """
    if split not in ("train", "test"):
        raise ValueError(f"Unknown split {split!r}; expected 'train' or 'test'.")
    if name not in CLASS_NAMES:
        if os.path.isdir(str(name)):
            images = load_folder(name)
            return (images, np.zeros(len(images), dtype="int64")) if return_labels else images
        raise ValueError(
            f"Unknown dataset {name!r}; expected one of {sorted(CLASS_NAMES)} "
            f"or a path to a folder of images."
        )
    if classes is not None and isinstance(classes, (int, str, np.integer)):
        classes = [classes]
    wanted = None if classes is None else sorted({class_index(name, c) for c in classes})
    if wanted == []:
        raise ValueError(
            f"classes is empty, so no image would be loaded; give some classes of {name} "
            f"(indices 0-{len(CLASS_NAMES[name]) - 1} or names), or None for all."
        )

    pixels, labels = _load_pixels(name, split, wanted)
    if wanted is not None:
        keep = np.isin(labels, wanted)
        pixels, labels = pixels[keep], labels[keep]
    images = scale_to_unit_range(pixels)
    return (images, labels.astype("int64")) if return_labels else images


def _load_pixels(
    name: str, split: str, wanted: Sequence[int] | None
) -> tuple[np.ndarray, np.ndarray]:
    local_root = os.environ.get(DATA_ENV)
    if local_root and _has_local_copy(Path(local_root), name):
        try:
            return _LOCAL_READERS[name](Path(local_root), split, wanted)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(
                f"The local copy of {name} in {DATA_ENV}={local_root} is damaged: {error} "
                f"({error.__class__.__name__}). Replace the files {', '.join(_LOCAL_FILES[name])} "
                f"there with good copies."
            ) from error
    try:
        return _download(name, split)
    except Exception as error:  # keras raises a bare Exception on a failed fetch
        where = f"{DATA_ENV}={local_root!r} lacks them" if local_root else f"{DATA_ENV} is not set"
        raise FileNotFoundError(
            f"Could not load {name}: the keras download failed ({error.__class__.__name__}: {error}) "
            f"and no local copy was found ({where}). Set {DATA_ENV} to a folder holding "
            f"{', '.join(_LOCAL_FILES[name])}."
        ) from error


def _has_local_copy(root: Path, name: str) -> bool:
    if name == "cifar10":
        return (root / "cifar10" / "train").is_dir() and (root / "cifar10" / "test").is_dir()
    return all((root / f).is_file() for f in _LOCAL_FILES[name])


def _download(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    import keras

    loader = {
        "mnist": keras.datasets.mnist,
        "fashion_mnist": keras.datasets.fashion_mnist,
        "cifar10": keras.datasets.cifar10,
    }[name]
    (x_train, y_train), (x_test, y_test) = loader.load_data()
    x, y = (x_train, y_train) if split == "train" else (x_test, y_test)
    return x, np.asarray(y).reshape(-1)


def _read_mnist_npz(root: Path, split: str, wanted) -> tuple[np.ndarray, np.ndarray]:
    path = root / "mnist.npz"
    try:
        with np.load(path) as arrays:
            return arrays[f"x_{split}"], arrays[f"y_{split}"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} cannot be read as the keras MNIST file ({error})") from error


def _read_idx(path: Path) -> np.ndarray:
    """Read a gzipped IDX file (the MNIST/Fashion-MNIST format) into a uint8 array."""
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read()
        ndim = data[3]
        shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
        return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    except (OSError, ValueError, IndexError, EOFError) as error:
        raise ValueError(f"{path} cannot be read as a gzipped IDX file ({error})") from error


def _read_fashion_idx(root: Path, split: str, wanted) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if split == "train" else "t10k"
    folder = root / "fashion-mnist"
    return (
        _read_idx(folder / f"{prefix}-images-idx3-ubyte.gz"),
        _read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz"),
    )


def _read_cifar_tree(root: Path, split: str, wanted) -> tuple[np.ndarray, np.ndarray]:
    indices = range(10) if wanted is None else wanted
    pixels, labels = [], []
    for index in indices:
        folder = root / "cifar10" / split / CLASS_NAMES["cifar10"][index]
        class_pixels = _decode_folder(folder, image_size=(32, 32), grayscale=False)
        pixels.append(class_pixels)
        labels.append(np.full(len(class_pixels), index, dtype="int64"))
    return np.concatenate(pixels), np.concatenate(labels)


_LOCAL_READERS = {
    "mnist": _read_mnist_npz,
    "fashion_mnist": _read_fashion_idx,
    "cifar10": _read_cifar_tree,
}


def _decode_folder(folder: Path, image_size: tuple[int, int], grayscale: bool) -> np.ndarray:
    """Decode every image under ``folder`` with keras' standard reader -> uint8 (N, H, W, C)."""
    import keras

    if not folder.is_dir():
        raise FileNotFoundError(f"Expected an image folder at {folder}.")
    dataset = keras.utils.image_dataset_from_directory(
        folder,
        labels=None,
        color_mode="grayscale" if grayscale else "rgb",
        image_size=image_size,
        batch_size=1024,
        shuffle=False,
        verbose=False,
    )
    return np.concatenate([batch.numpy() for batch in dataset]).round().astype("uint8")


GRAYSCALE_MODES = ("1", "L", "LA", "I", "I;16", "F")


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


def _some(paths: Sequence[Path], root: Path, count: int = 3) -> str:
    names = ", ".join(str(p.relative_to(root)) for p in paths[:count])
    return names + (f" and {len(paths) - count} more" if len(paths) > count else "")


# Larger images are refused before training: decoding one (before it is resized) takes over 1 GB as float32.
MAX_IMAGE_PIXELS = 50_000_000


def _checked_image_files(
    path: str | os.PathLike, grayscale: bool | None
) -> tuple[Path, list[Path], bool]:
    """(the folder, its image files sorted by path, whether to read them as grayscale), after checking that
    the folder exists and holds readable images of one kind (grayscale or colour) unless ``grayscale`` says
    which to read them as. Opens every file's header with Pillow.

    Raises: see ``load_folder``.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"Expected a folder of images at {folder}, but it does not exist.")
    # Links too, so that a broken one is named as unreadable rather than skipped without a word.
    everything = sorted(
        p
        for p in folder.rglob("*")
        if (p.is_file() or p.is_symlink() and not p.is_dir()) and not p.name.startswith(".")
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


def _stored_size(path: Path) -> tuple[int, int]:
    """(height, width) of an image file as stored."""
    from PIL import Image

    with Image.open(path) as image:
        return image.size[::-1]


def load_folder(
    path: str | os.PathLike,
    image_size: tuple[int, int] | None = None,
    grayscale: bool | None = None,
) -> np.ndarray:
    """Load every image in a folder (and its subfolders, e.g. one per class) as float32 (N, H, W, C) in [-1, 1].

    The whole folder is held in memory (4 bytes per pixel and channel: 20,000 images of 128x128x3 take
    3.9 GB); ``ImageFolder`` streams a folder from disk instead.

    Args:
        path: a folder of .jpg/.png/.bmp/.gif images, optionally in class subfolders (pooled).
        image_size: (height, width) to resize to; default: the size of the first image found.
        grayscale: True decodes to one channel, False to RGB; None (default) follows the files, and
            refuses a folder that mixes grayscale and colour images.

    Raises:
        FileNotFoundError: the folder does not exist, is empty, or holds no image files.
        ValueError: some files cannot be read as images (they are named), or grayscale and colour
            images are mixed while ``grayscale`` is None.
    """
    folder, files, grayscale = _checked_image_files(path, grayscale)
    image_size = tuple(image_size or _stored_size(files[0]))
    return scale_to_unit_range(_decode_folder(folder, image_size, grayscale))


def augmentation(flip: bool = True, rotation_degrees: float = 0.0, seed: int = 0):
    """Keras preprocessing layers for real image batches in [-1, 1]: a random horizontal flip and, only if
    asked for, a random rotation of up to +-``rotation_degrees`` (edges filled by reflection). Pass to
    ``runs.train(augment=...)`` with in-memory images.

    Warning: whatever is applied to the real images only, the generator learns to draw. A flip is safe when
    a mirrored image is as likely as the original (a horse); a rotation with reflected borders is not: D
    learns that real images are tilted and reflect-padded, and G learns to make them so (Zhao et al.,
    2020; Karras et al., 2020). To augment against a small folder, augment both sides instead:
    ``training.GAN(augment=augment.diff_augment())``. These layers also draw from their own random state,
    so a resumed run does not see the augmentation an uninterrupted one would; ``ImageFolder(flip=True)``
    draws its flips from the seed and the batch number.
    """
    import keras

    if rotation_degrees < 0 or rotation_degrees > 180:
        raise ValueError(f"rotation_degrees must be in [0, 180], got {rotation_degrees}.")
    steps = ([keras.layers.RandomFlip("horizontal", seed=seed)] if flip else []) + (
        [keras.layers.RandomRotation(rotation_degrees / 360.0, fill_mode="reflect", seed=seed)]
        if rotation_degrees
        else []
    )
    return keras.Sequential(steps, name="augmentation")


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
    augment=None,
):
    """An endless ``tf.data`` stream of real image batches (batch_size, H, W, C) in the order of
    ``shuffled_index_batches``, starting at batch number ``first_batch``; or of (images, labels (batch_size,)
    int32) pairs when ``labels`` (N,) are given. ``augment`` (e.g. ``augmentation()``) is applied to each
    batch of images in training mode."""
    import tensorflow as tf

    pixels = tf.constant(images)
    classes = None if labels is None else tf.constant(np.asarray(labels, dtype="int32"))
    batches = shuffled_index_batches(len(images), batch_size, seed, first_batch)
    if augment is None:
        gather = lambda indices: tf.gather(pixels, indices)  # noqa: E731
    else:
        gather = lambda indices: augment(tf.gather(pixels, indices), training=True)  # noqa: E731
    batches = batches.map(
        gather
        if classes is None
        else lambda indices: (gather(indices), tf.gather(classes, indices))
    )
    # tf.data's autotuner slowed the dense GAN's fit() by about a quarter on a 2-core CPU
    # (benchmarks/trainer_ablation.py); a fixed prefetch of two batches keeps up without it.
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

    folder = Path(folder)
    for cls in classes:
        name = CLASS_NAMES[dataset][class_index(dataset, cls)]
        target = folder / name.replace(" ", "_")
        target.mkdir(parents=True, exist_ok=True)
        images = load_images(dataset, classes=name)[:count]
        pixels = np.round((images + 1.0) * 127.5).astype("uint8")
        for i, image in enumerate(pixels):
            path = target / f"{name.replace(' ', '_')}_{i:05d}.png"
            if not path.exists():
                Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(path)
    return folder


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
    as it is needed, in parallel threads, two batches ahead of training.

    Args:
        path: a folder of .jpg/.png/.bmp/.gif images, optionally in class subfolders (pooled).
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

    Raises:
        FileNotFoundError: the folder does not exist, is empty, or holds no image files.
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
        self.flip = bool(flip)

    def __len__(self) -> int:
        """The number of training images."""
        return len(self.files["training"])

    def __repr__(self) -> str:
        return (
            f"ImageFolder({str(self.path)!r}: {len(self):,} training and {len(self.files['holdout']):,} "
            f"held-out images, read at {'x'.join(map(str, self.image_shape))}"
            f"{', flipped at random' if self.flip else ''})"
        )

    def resized(self, image_size: int | Sequence[int]) -> "ImageFolder":
        """The same files, split alike, read at another ``image_size`` (no files are opened again)."""
        resized = copy.copy(self)
        resized.image_shape = (*_checked_size(image_size), self.image_shape[2])
        return resized

    def batches(self, batch_size: int, seed: int, first_batch: int = 0):
        """An endless ``tf.data`` stream of training batches (batch_size, H, W, C) float32 in [-1, 1], in the
        order of ``shuffled_index_batches(len(self), batch_size, seed, first_batch)``; the flips too depend
        on (seed, batch number) alone, so a run resumed at batch b sees what an uninterrupted one saw."""
        import tensorflow as tf

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
        """One image file -> float32 (H, W, C) in [-1, 1] at the folder's image size."""
        import tensorflow as tf

        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
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


def _checked_size(image_size: int | Sequence[int]) -> tuple[int, int]:
    size = (image_size, image_size) if np.isscalar(image_size) else tuple(image_size)
    if len(size) != 2 or not all(isinstance(d, (int, np.integer)) and d > 0 for d in size):
        raise ValueError(
            f"Expected image_size as (height, width) or one number of pixels, whole and > 0, "
            f"got {image_size!r}."
        )
    return int(size[0]), int(size[1])


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
