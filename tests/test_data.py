import dataclasses
import gzip

import numpy as np
import pytest

from gan_helpers import data, datasets


@pytest.mark.parametrize("name, shape", [("mnist", (28, 28, 1)), ("fashion_mnist", (28, 28, 1))])
def test_grayscale_sets_shape_dtype_range(needs_local_data, name, shape):
    images, labels = data.load_images(name, split="test", return_labels=True)
    assert images.shape == (10_000, *shape) and images.dtype == np.float32
    assert images.min() == -1.0 and images.max() == 1.0
    assert sorted(np.unique(labels)) == list(range(10))


def test_mnist_train_matches_known_mean(needs_local_data):
    pixels_mean = (data.load_images("mnist").mean() + 1) * 127.5
    assert pixels_mean == pytest.approx(33.3184, abs=1e-3)


def test_class_filter_by_name_and_index(needs_local_data):
    sneakers, labels = data.load_images(
        "fashion_mnist", classes=["sneaker", 1], split="test", return_labels=True
    )
    assert set(labels) == {1, 7} and len(sneakers) == 2000


def test_cifar_tree_class_by_name(needs_local_data):
    horses, labels = data.load_images("cifar10", classes="horse", split="test", return_labels=True)
    assert horses.shape == (1000, 32, 32, 3) and set(labels) == {7}
    assert -1.0 <= horses.min() < -0.9 and 0.9 < horses.max() <= 1.0


@pytest.mark.parametrize(
    "name, classes", [("mnist", [10]), ("fashion_mnist", ["sandwich"]), ("cifar10", ["unicorn"])]
)
def test_unknown_class_names_what_is_expected(name, classes):
    with pytest.raises(ValueError, match=r"expected (an index )?0-9"):
        data.load_images(name, classes=classes)


def test_unknown_dataset_and_split():
    with pytest.raises(ValueError, match="Unknown dataset 'svhn'; expected one of"):
        data.load_images("svhn")
    with pytest.raises(ValueError, match="expected 'train' or 'test'"):
        data.load_images("mnist", split="validation")


def test_one_class_as_a_float_is_named_in_the_error():
    with pytest.raises(ValueError, match=r"Unknown class 7.0 for mnist; expected an index 0-9"):
        data.load_images("mnist", classes=7.0)


def test_offline_without_copy_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    offline = dataclasses.replace(datasets.FASHION_MNIST, download=_failing_download)
    monkeypatch.setitem(datasets.DATASETS, "fashion_mnist", offline)
    with pytest.raises(
        FileNotFoundError, match=r"GAN_DATA_DIR.*fashion-mnist/train-images-idx3-ubyte.gz"
    ):
        data.load_images("fashion_mnist")


def _failing_download(split):
    raise Exception("URL fetch failure: no network")  # what keras raises offline


def _write_idx(path, array):
    """``array`` (uint8) as a gzipped IDX file, header and all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype("uint8").tobytes())


def test_a_labels_file_shorter_than_its_images_file_is_named(tmp_path, monkeypatch):
    """Both files read whole, each header agreeing with its contents: 5 images but 3 labels."""
    folder = tmp_path / "fashion-mnist"
    for prefix, images, labels in (("train", 5, 3), ("t10k", 2, 2)):
        _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", np.zeros((images, 28, 28)))
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", np.arange(labels))
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    with pytest.raises(
        ValueError,
        match=r"local copy of fashion_mnist .* is damaged: train-images-idx3-ubyte.gz holds 5 "
        r"images but train-labels-idx1-ubyte.gz 3 labels",
    ):
        data.load_images("fashion_mnist")
    assert data.load_images("fashion_mnist", split="test").shape == (2, 28, 28, 1)


def test_a_new_dataset_is_one_record(tmp_path, monkeypatch):
    """A record with its own class names, file and reader is all load_images and example_folder need."""
    rng = np.random.default_rng(0)
    np.savez(
        tmp_path / "dots.npz",
        x_train=rng.integers(0, 256, (6, 4, 4, 3), dtype="uint8"),
        y_train=np.array([0, 1, 1, 0, 1, 1]),
    )

    def read_dots(root, split, wanted):
        with np.load(root / "dots.npz") as arrays:
            return arrays[f"x_{split}"], arrays[f"y_{split}"]

    dots = datasets.Dataset(
        name="dots",
        class_names=("red", "blue"),
        local_files=("dots.npz",),
        read_local=read_dots,
        download=_failing_download,
    )
    monkeypatch.setitem(datasets.DATASETS, "dots", dots)
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    blue, labels = data.load_images("dots", classes="blue", return_labels=True)
    assert blue.shape == (4, 4, 4, 3) and list(labels) == [1, 1, 1, 1]
    folder = data.example_folder(tmp_path / "mine", "dots", classes=["red"], count=5)
    assert len(list((folder / "red").glob("*.png"))) == 2


def _save(path, mode, size=(6, 6), value=128):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 0, 0)).save(path)


def test_a_folder_of_images_loads_whole(tmp_path):
    from PIL import Image

    for i, colour in enumerate([(0, 0, 0), (255, 255, 255)]):
        Image.new("RGB", (12, 10), colour).save(tmp_path / f"{i}.png")
    images = data.load_images(str(tmp_path))
    assert images.shape == (2, 10, 12, 3)
    assert sorted([images[0].mean(), images[1].mean()]) == [-1.0, 1.0]


def test_class_subfolders_give_labels(tmp_path):
    for name, value in (("horse", 200), ("bird", 10)):
        for i in range(2 if name == "horse" else 3):
            _save(tmp_path / name / f"{i}.jpg", "RGB", value=value)
    images, labels = data.load_images(tmp_path, return_labels=True)
    assert images.shape == (5, 6, 6, 3) and list(labels) == [0, 0, 0, 1, 1]  # bird, then horse
    horses, labels = data.load_images(tmp_path, classes="horse", return_labels=True)
    assert len(horses) == 2 and list(labels) == [1, 1] and horses[..., 0].min() > 0.5
    assert len(data.load_images(tmp_path, classes=0)) == 3


def test_a_folder_without_class_subfolders_says_it_has_no_labels(tmp_path):
    _save(tmp_path / "loose.png", "RGB")
    _save(tmp_path / "horse" / "0.png", "RGB")
    assert len(data.load_images(tmp_path)) == 2  # pooled, as no labels were asked for
    with pytest.raises(
        ValueError, match=r"has no class subfolders, so its images have no labels: "
    ):
        data.load_images(tmp_path, return_labels=True)
    with pytest.raises(ValueError, match=r"loose.png lie directly in it"):
        data.load_images(tmp_path, classes="horse")


def test_a_folder_has_no_test_split(tmp_path):
    _save(tmp_path / "a.png", "RGB")
    with pytest.raises(ValueError, match=r"no 'test' split.*holdout=0.1"):
        data.load_images(tmp_path, split="test")


def test_a_file_given_as_a_folder_says_it_is_a_file(tmp_path):
    _save(tmp_path / "horse.png", "RGB")
    for load in (data.load_images, data.ImageFolder):
        with pytest.raises(FileNotFoundError, match=r"but .*horse.png is a file. Pass the folder"):
            load(tmp_path / "horse.png")


def test_empty_folder_and_folder_without_images_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="is empty"):
        data.load_images(tmp_path)
    (tmp_path / "notes.txt").write_text("no pictures here")
    with pytest.raises(FileNotFoundError, match=r"No images .* its 1 files are e.g. notes.txt"):
        data.load_images(tmp_path)
    with pytest.raises(FileNotFoundError, match="absent, but it does not exist"):
        data.load_images(tmp_path / "absent")


def test_example_folder_holds_the_requested_class_images(needs_local_data, tmp_path):
    folder = data.example_folder(tmp_path / "mine", "cifar10", classes=["horse", "bird"], count=12)
    assert sorted(p.name for p in folder.iterdir()) == ["bird", "horse"]
    assert len(list((folder / "horse").glob("*.png"))) == 12
    images, labels = data.load_images(folder, return_labels=True)
    assert list(labels) == [0] * 12 + [1] * 12  # bird/ sorts before horse/
    np.testing.assert_allclose(
        np.sort(images[labels == 1].mean(axis=(1, 2, 3))),
        np.sort(data.load_images("cifar10", "horse")[:12].mean(axis=(1, 2, 3))),
        atol=0.01,
    )
