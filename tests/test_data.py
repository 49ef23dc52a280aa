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
    with pytest.raises(
        FileNotFoundError, match=r"GAN_DATA_DIR.*fashion-mnist/train-images-idx3-ubyte.gz"
    ):
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
    with pytest.raises(
        ValueError, match=r"1 of the 2 image files .* cannot be read as images .*: broken.jpg"
    ):
        data.load_folder(tmp_path)


def test_mixed_grayscale_and_colour_need_a_choice(tmp_path):
    _save(tmp_path / "a" / "gray.png", "L", value=255)
    _save(tmp_path / "b" / "colour.png", "RGB", value=255)
    with pytest.raises(
        ValueError, match="mixes 1 grayscale images .* with 1 colour ones .* grayscale=True"
    ):
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
    np.testing.assert_allclose(
        np.sort(images[12:].mean(axis=(1, 2, 3))),  # horse/ sorts after bird/
        np.sort(data.load_images("cifar10", "horse")[:12].mean(axis=(1, 2, 3))),
        atol=0.01,
    )


def _folder_of_distinct_images(folder, count, mode="RGB", size=(10, 12)):
    """``count`` images, each of one flat value (its index), with a left-right gradient so a flip shows."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        pixels = np.full((size[1], size[0]), 4 * i, dtype="uint8")
        pixels[:, 0] = 255
        image = Image.fromarray(pixels, "L")
        (image if mode == "L" else image.convert(mode)).save(folder / f"{i:03d}.png")
    return folder


def test_image_folder_streams_batches_that_resume_where_they_stopped(tmp_path):
    source = data.ImageFolder(_folder_of_distinct_images(tmp_path, 40), holdout=0.1, flip=True)
    assert len(source) == 36 and source.image_shape == (12, 10, 3)
    whole = [
        b.numpy() for b in source.batches(8, seed=5).take(10)
    ]  # 80 images: more than two epochs
    resumed = [b.numpy() for b in source.batches(8, seed=5, first_batch=6).take(4)]
    assert whole[0].shape == (8, 12, 10, 3) and whole[0].dtype == np.float32
    assert -1.0 <= min(b.min() for b in whole) and max(b.max() for b in whole) <= 1.0
    for got, expected in zip(resumed, whole[6:]):
        np.testing.assert_array_equal(got, expected)
    other_seed = [b.numpy() for b in source.batches(8, seed=6).take(10)]
    assert not np.array_equal(np.concatenate(whole), np.concatenate(other_seed))


def test_image_folder_flips_some_real_images_and_only_when_asked(tmp_path):
    folder = _folder_of_distinct_images(tmp_path, 40)
    flipped = np.concatenate(
        [b.numpy() for b in data.ImageFolder(folder, flip=True).batches(8, 0).take(8)]
    )
    plain = np.concatenate([b.numpy() for b in data.ImageFolder(folder).batches(8, 0).take(8)])
    bright_left = plain[:, :, 0, 0] == 1.0
    assert bright_left.all()  # every image as stored has its bright column on the left
    mirrored = flipped[:, 0, -1, 0] == 1.0
    assert 0.25 < mirrored.mean() < 0.75
    np.testing.assert_array_equal(flipped[mirrored], plain[mirrored][:, :, ::-1])
    np.testing.assert_array_equal(flipped[~mirrored], plain[~mirrored])


def test_image_folder_holds_out_the_same_share_whatever_the_run(tmp_path):
    folder = _folder_of_distinct_images(tmp_path, 50)
    source = data.ImageFolder(folder, holdout=0.2)
    held, trained = source.files["holdout"], source.files["training"]
    assert len(held) == 10 and len(trained) == 40 and not set(held) & set(trained)
    assert held == data.ImageFolder(folder, holdout=0.2).files["holdout"]
    assert held != sorted(folder.glob("*.png"))[:10]  # drawn at random, not the first ten
    batch_values = {
        round(float(v), 4) for b in source.batches(10, 0).take(8) for v in b.numpy()[:, 5, 5, 0]
    }
    held_values = {round(float(v), 4) for v in source.images("holdout")[:, 5, 5, 0]}
    assert batch_values and not batch_values & held_values  # training never sees a held-out image
    assert data.ImageFolder(folder, holdout=0).files["holdout"] == []


def test_image_folder_reads_a_grayscale_folder_and_resizes(tmp_path):
    folder = _folder_of_distinct_images(tmp_path, 20, mode="L", size=(200, 200))
    source = data.ImageFolder(folder, holdout=0.1)
    assert source.image_shape == (200, 200, 1) and source.stored_size == (200, 200)
    small = source.resized(64)
    assert small.image_shape == (64, 64, 1) and small.files == source.files
    assert next(iter(small.batches(4, 0))).shape == (4, 64, 64, 1)
    assert small.images("holdout").shape == (2, 64, 64, 1)
    assert small.images(indices=[3, 0]).shape == (2, 64, 64, 1)


def test_image_folder_gives_load_folders_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="is empty"):
        data.ImageFolder(tmp_path)
    _save(tmp_path / "good.png", "RGB")
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(ValueError, match=r"cannot be read as images .*: broken.jpg"):
        data.ImageFolder(tmp_path)
    (tmp_path / "broken.jpg").unlink()
    (tmp_path / "moved.png").symlink_to(tmp_path / "no longer here.png")
    with pytest.raises(ValueError, match=r"damaged files or broken links\): moved.png"):
        data.ImageFolder(tmp_path)
    (tmp_path / "moved.png").unlink()
    _save(tmp_path / "gray.png", "L")
    with pytest.raises(ValueError, match="mixes 1 grayscale images .* grayscale=True"):
        data.ImageFolder(tmp_path, holdout=0)
    assert data.ImageFolder(tmp_path, grayscale=True, holdout=0).image_shape == (6, 6, 1)


def test_a_huge_image_is_refused_by_name_before_anything_decodes_it(tmp_path):
    from PIL import Image

    _save(tmp_path / "small.png", "RGB")
    side = int(data.MAX_IMAGE_PIXELS**0.5) + 1
    # all black: small on disk, huge decoded
    Image.new("L", (side, side)).save(tmp_path / "scan.png")
    with pytest.raises(
        ValueError, match=r"1 of the 2 images .* have more than 50,000,000 pixels: scan.png"
    ):
        data.ImageFolder(tmp_path, grayscale=False, holdout=0)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"holdout": 1.0}, r"in \[0, 1\)"),
        ({"holdout": 0.1}, "keeps 0 out of training"),
        ({"image_size": (32, 0)}, "Expected image_size"),
        ({"image_size": 31.5}, "Expected image_size"),
    ],
)
def test_image_folder_refuses_bad_options(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        data.ImageFolder(_folder_of_distinct_images(tmp_path, 5), **options)


def test_image_folder_without_holdout_says_how_to_get_one(tmp_path):
    source = data.ImageFolder(_folder_of_distinct_images(tmp_path, 5), holdout=0)
    with pytest.raises(ValueError, match="has no holdout images.*holdout=0.1"):
        source.images("holdout")
    with pytest.raises(ValueError, match="Unknown part 'test'"):
        source.images("test")
