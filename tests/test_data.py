import numpy as np
import pytest

from gan_helpers import data


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
    sneakers, labels = data.load_images("fashion_mnist", classes=["sneaker", 1], split="test",
                                        return_labels=True)
    assert set(labels) == {1, 7} and len(sneakers) == 2000


def test_cifar_tree_class_by_name(needs_local_data):
    horses, labels = data.load_images("cifar10", classes="horse", split="test", return_labels=True)
    assert horses.shape == (1000, 32, 32, 3) and set(labels) == {7}
    assert -1.0 <= horses.min() < -0.9 and 0.9 < horses.max() <= 1.0


@pytest.mark.parametrize("name, classes", [("mnist", [10]), ("fashion_mnist", ["sandwich"]),
                                           ("cifar10", ["unicorn"])])
def test_unknown_class_names_what_is_expected(name, classes):
    with pytest.raises(ValueError, match="expected (an index )?0-9"):
        data.load_images(name, classes=classes)


def test_unknown_dataset_and_split():
    with pytest.raises(ValueError, match="Unknown dataset 'svhn'; expected one of"):
        data.load_images("svhn")
    with pytest.raises(ValueError, match="expected 'train' or 'test'"):
        data.load_images("mnist", split="validation")


def test_offline_without_copy_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(data, "_download", _failing_download)
    with pytest.raises(FileNotFoundError, match=r"GAN_DATA_DIR.*fashion-mnist/train-images-idx3-ubyte.gz"):
        data.load_images("fashion_mnist")


def _failing_download(name, split):
    raise Exception("URL fetch failure: no network")


def test_folder_of_images(tmp_path):
    from PIL import Image

    for i, colour in enumerate([(0, 0, 0), (255, 255, 255)]):
        (tmp_path / "cls").mkdir(exist_ok=True)
        Image.new("RGB", (12, 10), colour).save(tmp_path / "cls" / f"{i}.png")
    images = data.load_images(str(tmp_path))
    assert images.shape == (2, 10, 12, 3)
    assert sorted([images[0].mean(), images[1].mean()]) == [-1.0, 1.0]


def _save(path, mode, size=(6, 6), value=128):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 0, 0)).save(path)


def test_empty_folder_and_folder_without_images_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="is empty"):
        data.load_folder(tmp_path)
    (tmp_path / "notes.txt").write_text("no pictures here")
    with pytest.raises(FileNotFoundError, match=r"No images .* its 1 files are e.g. notes.txt"):
        data.load_folder(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load_folder(tmp_path / "absent")


def test_unreadable_images_are_named(tmp_path):
    _save(tmp_path / "good.png", "RGB")
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(ValueError, match=r"1 of the 2 image files .* cannot be read as images: broken.jpg"):
        data.load_folder(tmp_path)


def test_mixed_grayscale_and_colour_need_a_choice(tmp_path):
    _save(tmp_path / "a" / "gray.png", "L", value=255)
    _save(tmp_path / "b" / "colour.png", "RGB", value=255)
    with pytest.raises(ValueError, match="mixes 1 grayscale images .* with 1 colour ones .* grayscale=True"):
        data.load_folder(tmp_path)
    assert data.load_folder(tmp_path, grayscale=True).shape == (2, 6, 6, 1)
    assert data.load_folder(tmp_path, grayscale=False, image_size=(4, 4)).shape == (2, 4, 4, 3)
    assert data.load_folder(tmp_path / "a").shape == (1, 6, 6, 1)  # all grayscale: one channel


def test_augmentation_rejects_impossible_rotation():
    with pytest.raises(ValueError, match=r"rotation_degrees must be in \[0, 180\]"):
        data.augmentation(rotation_degrees=200)


def test_example_folder_holds_the_requested_class_images(needs_local_data, tmp_path):
    folder = data.example_folder(tmp_path / "mine", "cifar10", classes=["horse", "bird"], count=12)
    assert sorted(p.name for p in folder.iterdir()) == ["bird", "horse"]
    assert len(list((folder / "horse").glob("*.png"))) == 12
    images = data.load_folder(folder)
    np.testing.assert_allclose(np.sort(images[12:].mean(axis=(1, 2, 3))),  # horse/ sorts after bird/
                               np.sort(data.load_images("cifar10", "horse")[:12].mean(axis=(1, 2, 3))), atol=0.01)
