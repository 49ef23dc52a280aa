"""The named datasets, one record each: class names, local files, local reader and download.

To add a dataset, add a ``Dataset`` record to ``DATASETS`` (and, for the notebooks' DCGANs and judges, its
architecture in ``recipes.DATASET_ARCHITECTURE`` and its classifier in ``classifiers.RECIPES``/``assets/``).

Source order: a local copy under the folder named by ``GAN_DATA_DIR`` first (for offline machines and CI),
then the dataset's download (``keras.datasets``, cached in ``~/.keras/datasets``). The local layout:

    mnist.npz                                                       (x_train, y_train, x_test, y_test)
    fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz   (Zalando's IDX files)
    cifar10/{train,test}/<class name>/*.jpg|png                      (an image-folder tree)
"""

from __future__ import annotations

import gzip
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA_ENV = "GAN_DATA_DIR"
SPLITS = ("train", "test")

# reader(root, split, wanted classes or None) -> (uint8 pixels (N, H, W[, C]), int labels (N,))
Reader = Callable[[Path, str, Sequence[int] | None], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Dataset:
    """A named dataset.

    Attributes:
        name: what ``data.load_images`` takes, e.g. "mnist".
        class_names: the label names, in label order (label i is ``class_names[i]``), lower case.
        local_files: the files of a local copy, relative to ``GAN_DATA_DIR``, as shown in error messages;
            ``<class>`` and ``*`` stand for many. A local copy is used when the part of each before its
            first ``<`` or ``*`` exists (a folder when that part ends in "/").
        read_local: reads a split of the local copy (see ``Reader``); it may skip classes not wanted.
        download: split -> (uint8 pixels, int labels), e.g. from ``keras.datasets``.
        aliases: other names of classes, e.g. {"car": "automobile"}.
    """

    name: str
    class_names: tuple[str, ...]
    local_files: tuple[str, ...]
    read_local: Reader
    download: Callable[[str], tuple[np.ndarray, np.ndarray]]
    aliases: dict[str, str] = field(default_factory=dict)

    def class_index(self, cls: int | str) -> int:
        """A class given by index (``7``) or by name or alias (``"sneaker"``) -> its label index."""
        return class_index_in(self.class_names, cls, self.name, self.aliases)

    def class_name(self, cls: int | str) -> str:
        """A class given by index, name or alias -> its name in ``class_names``."""
        return self.class_names[self.class_index(cls)]

    def has_local_copy(self, root: Path) -> bool:
        return all(_fixed_part_exists(root, pattern) for pattern in self.local_files)

    def read(self, split: str, wanted: Sequence[int] | None) -> tuple[np.ndarray, np.ndarray]:
        """(uint8 pixels (N, H, W[, C]), int labels (N,)) of ``split``, from the local copy if there is
        one, else downloaded; classes not ``wanted`` may or may not be left out.

        Raises:
            ValueError: the local copy is damaged (its files are named), or holds another number of
                images than of labels.
            FileNotFoundError: no local copy, and the download failed (offline).
        """
        local_root = os.environ.get(DATA_ENV)
        if local_root and self.has_local_copy(Path(local_root)):
            try:
                return self.read_local(Path(local_root), split, wanted)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
                raise ValueError(
                    f"The local copy of {self.name} in {DATA_ENV}={local_root} is damaged: {error} "
                    f"({error.__class__.__name__}). Replace the files {', '.join(self.local_files)} "
                    f"there with good copies."
                ) from error
        try:
            pixels, labels = self.download(split)
        except Exception as error:  # keras raises a bare Exception on a failed fetch
            where = (
                f"{DATA_ENV}={local_root!r} lacks them" if local_root else f"{DATA_ENV} is not set"
            )
            raise FileNotFoundError(
                f"Could not load {self.name}: the download failed ({error.__class__.__name__}: "
                f"{error}) and no local copy was found ({where}). Set {DATA_ENV} to a folder holding "
                f"{', '.join(self.local_files)}."
            ) from error
        return pixels, np.asarray(labels).reshape(-1)


def class_index_in(
    class_names: Sequence[str], cls, source: str, aliases: dict[str, str] | None = None
) -> int:
    """The label index of ``cls`` (an index, or a name or alias, any case, "_" for " ") among
    ``class_names`` of ``source`` (a dataset or folder, for the message).

    Raises:
        ValueError: an index out of range, an unknown name, or neither an int nor a str (e.g. 7.0).
    """
    count = len(class_names)
    if isinstance(cls, (int, np.integer)) and not isinstance(cls, (bool, np.bool_)):
        if 0 <= cls < count:
            return int(cls)
        raise ValueError(f"Class index {cls} is out of range for {source}; expected 0-{count - 1}.")
    if isinstance(cls, str):
        key = cls.strip().lower()
        key = (aliases or {}).get(key, key.replace("_", " "))
        names = [name.lower().replace("_", " ") for name in class_names]
        if key in names:
            return names.index(key)
    raise ValueError(
        f"Unknown class {cls!r} for {source}; expected an index 0-{count - 1} or one of "
        f"{list(class_names)}."
    )


def get(name) -> Dataset:
    """The record of the dataset called ``name``.

    Raises:
        ValueError: no dataset has that name.
    """
    if isinstance(name, str) and name in DATASETS:
        return DATASETS[name]
    raise ValueError(f"Unknown dataset {name!r}; expected one of {sorted(DATASETS)}.")


def _paired(
    pixels: np.ndarray, labels: np.ndarray, pixels_from: str, labels_from: str
) -> tuple[np.ndarray, np.ndarray]:
    """(pixels, labels) after checking that there are as many of each."""
    if len(pixels) != len(labels):
        raise ValueError(
            f"{pixels_from} holds {len(pixels):,} images but {labels_from} {len(labels):,} labels"
        )
    return pixels, labels


def _fixed_part_exists(root: Path, pattern: str) -> bool:
    fixed = pattern.split("<")[0].split("*")[0]
    return (root / fixed).is_dir() if fixed.endswith("/") else (root / fixed).is_file()


def _from_keras(module: str) -> Callable[[str], tuple[np.ndarray, np.ndarray]]:
    """A download function for ``keras.datasets.<module>``."""

    def download(split: str) -> tuple[np.ndarray, np.ndarray]:
        import keras

        train, test = getattr(keras.datasets, module).load_data()
        return train if split == "train" else test

    return download


def _read_mnist_npz(root: Path, split: str, wanted) -> tuple[np.ndarray, np.ndarray]:
    path = root / "mnist.npz"
    try:
        with np.load(path) as arrays:
            pixels, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} cannot be read as the keras MNIST file ({error})") from error
    return _paired(pixels, labels, f"{path.name}'s x_{split}", f"its y_{split}")


def _read_idx(path: Path) -> np.ndarray:
    """A gzipped IDX file (the MNIST/Fashion-MNIST format) -> its uint8 array, of the shape its header
    gives."""
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read()
        if data[:3] != b"\x00\x00\x08":
            raise ValueError(
                f"it starts with {data[:3]!r}, not the uint8 IDX mark b'\\x00\\x00\\x08'"
            )
        ndim = data[3]
        shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
        return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    except (OSError, ValueError, IndexError, EOFError) as error:
        raise ValueError(f"{path} cannot be read as a gzipped IDX file ({error})") from error


def _read_fashion_idx(root: Path, split: str, wanted) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if split == "train" else "t10k"
    images, labels = (
        root / "fashion-mnist" / f"{prefix}-{kind}-ubyte.gz"
        for kind in ("images-idx3", "labels-idx1")
    )
    return _paired(_read_idx(images), _read_idx(labels), images.name, labels.name)


def _read_cifar_tree(root: Path, split: str, wanted) -> tuple[np.ndarray, np.ndarray]:
    pixels, labels = [], []
    for index in range(10) if wanted is None else wanted:
        folder = root / "cifar10" / split / CIFAR10.class_names[index]
        class_pixels = _decode_folder(folder, image_size=(32, 32))
        pixels.append(class_pixels)
        labels.append(np.full(len(class_pixels), index, dtype="int64"))
    return np.concatenate(pixels), np.concatenate(labels)


def _decode_folder(folder: Path, image_size: tuple[int, int]) -> np.ndarray:
    """Every image under ``folder``, decoded as RGB by keras' standard reader -> uint8 (N, H, W, 3)."""
    import keras

    if not folder.is_dir():
        raise FileNotFoundError(f"Expected an image folder at {folder}.")
    dataset = keras.utils.image_dataset_from_directory(
        folder, labels=None, image_size=image_size, batch_size=1024, shuffle=False, verbose=False
    )
    return np.concatenate([batch.numpy() for batch in dataset]).round().astype("uint8")


MNIST = Dataset(
    name="mnist",
    class_names=tuple(str(digit) for digit in range(10)),
    local_files=("mnist.npz",),
    read_local=_read_mnist_npz,
    download=_from_keras("mnist"),
)
FASHION_MNIST = Dataset(
    name="fashion_mnist",
    class_names=(
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
    ),
    local_files=tuple(
        f"fashion-mnist/{part}-ubyte.gz"
        for part in (
            "train-images-idx3",
            "train-labels-idx1",
            "t10k-images-idx3",
            "t10k-labels-idx1",
        )
    ),
    read_local=_read_fashion_idx,
    download=_from_keras("fashion_mnist"),
    aliases={
        "top": "t-shirt",
        "t-shirt/top": "t-shirt",
        "tshirt": "t-shirt",
        "boot": "ankle boot",
    },
)
CIFAR10 = Dataset(
    name="cifar10",
    class_names=(
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
    ),
    local_files=("cifar10/train/<class>/*.jpg", "cifar10/test/<class>/*.jpg"),
    read_local=_read_cifar_tree,
    download=_from_keras("cifar10"),
    aliases={"car": "automobile", "plane": "airplane"},
)
DATASETS = {dataset.name: dataset for dataset in (MNIST, FASHION_MNIST, CIFAR10)}
