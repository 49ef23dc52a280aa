"""ImageFolder: a folder of images streamed from disk, its checks and its class subfolders."""

import numpy as np
import pytest

from gan_helpers import folders
from gan_helpers.folders import ImageFolder


def _save(path, mode, size=(6, 6), value=128):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 0, 0)).save(path)


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
    source = ImageFolder(_folder_of_distinct_images(tmp_path, 40), holdout=0.1, flip=True)
    assert len(source) == 36 and source.image_shape == (12, 10, 3)
    whole = [
        b.numpy() for b in source.batches(8, seed=5).take(10)
    ]  # 80 images: more than two epochs
    resumed = [b.numpy() for b in source.batches(8, seed=5, first_batch=6).take(4)]
    assert whole[0].shape == (8, 12, 10, 3) and whole[0].dtype == np.float32
    assert min(b.min() for b in whole) >= -1.0 and max(b.max() for b in whole) <= 1.0
    for got, expected in zip(resumed, whole[6:]):
        np.testing.assert_array_equal(got, expected)
    other_seed = [b.numpy() for b in source.batches(8, seed=6).take(10)]
    assert not np.array_equal(np.concatenate(whole), np.concatenate(other_seed))


def test_image_folder_flips_some_real_images_and_only_when_asked(tmp_path):
    folder = _folder_of_distinct_images(tmp_path, 40)
    flipped = np.concatenate(
        [b.numpy() for b in ImageFolder(folder, flip=True).batches(8, 0).take(8)]
    )
    plain = np.concatenate([b.numpy() for b in ImageFolder(folder).batches(8, 0).take(8)])
    bright_left = plain[:, :, 0, 0] == 1.0
    assert bright_left.all()  # every image as stored has its bright column on the left
    mirrored = flipped[:, 0, -1, 0] == 1.0
    assert 0.25 < mirrored.mean() < 0.75
    np.testing.assert_array_equal(flipped[mirrored], plain[mirrored][:, :, ::-1])
    np.testing.assert_array_equal(flipped[~mirrored], plain[~mirrored])


def test_image_folder_holds_out_the_same_share_whatever_the_run(tmp_path):
    folder = _folder_of_distinct_images(tmp_path, 50)
    source = ImageFolder(folder, holdout=0.2)
    held, trained = source.files["holdout"], source.files["training"]
    assert len(held) == 10 and len(trained) == 40 and not set(held) & set(trained)
    assert held == ImageFolder(folder, holdout=0.2).files["holdout"]
    assert held != sorted(folder.glob("*.png"))[:10]  # drawn at random, not the first ten
    batch_values = {
        round(float(v), 4) for b in source.batches(10, 0).take(8) for v in b.numpy()[:, 5, 5, 0]
    }
    held_values = {round(float(v), 4) for v in source.images("holdout")[:, 5, 5, 0]}
    assert batch_values and not batch_values & held_values  # training never sees a held-out image
    assert ImageFolder(folder, holdout=0).files["holdout"] == []


def test_image_folder_reads_a_grayscale_folder_and_resizes(tmp_path):
    folder = _folder_of_distinct_images(tmp_path, 20, mode="L", size=(200, 200))
    source = ImageFolder(folder, holdout=0.1)
    assert source.image_shape == (200, 200, 1) and source.stored_size == (200, 200)
    small = source.resized(64)
    assert small.image_shape == (64, 64, 1) and small.files == source.files
    assert next(iter(small.batches(4, 0))).shape == (4, 64, 64, 1)
    assert small.images("holdout").shape == (2, 64, 64, 1)
    assert small.images(indices=[3, 0]).shape == (2, 64, 64, 1)


def test_image_folder_names_unreadable_files_broken_links_and_mixed_kinds(tmp_path):
    with pytest.raises(FileNotFoundError, match="is empty"):
        ImageFolder(tmp_path)
    _save(tmp_path / "good.png", "RGB")
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(ValueError, match=r"cannot be read as images .*: broken.jpg"):
        ImageFolder(tmp_path)
    (tmp_path / "broken.jpg").unlink()
    (tmp_path / "moved.png").symlink_to(tmp_path / "no longer here.png")
    with pytest.raises(ValueError, match=r"damaged files or broken links\): moved.png"):
        ImageFolder(tmp_path)
    (tmp_path / "moved.png").unlink()
    _save(tmp_path / "gray.png", "L")
    with pytest.raises(ValueError, match=r"mixes 1 grayscale images .* grayscale=True"):
        ImageFolder(tmp_path, holdout=0)
    assert ImageFolder(tmp_path, grayscale=True, holdout=0).image_shape == (6, 6, 1)
    assert ImageFolder(tmp_path, grayscale=False, image_size=(4, 5), holdout=0).image_shape == (
        4,
        5,
        3,
    )


def test_a_huge_image_is_refused_by_name_before_anything_decodes_it(tmp_path):
    from PIL import Image

    _save(tmp_path / "small.png", "RGB")
    side = int(folders.MAX_IMAGE_PIXELS**0.5) + 1
    # all black: small on disk, huge decoded
    Image.new("L", (side, side)).save(tmp_path / "scan.png")
    with pytest.raises(
        ValueError, match=r"1 of the 2 images .* have more than 50,000,000 pixels: scan.png"
    ):
        ImageFolder(tmp_path, grayscale=False, holdout=0)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"holdout": 1.0}, r"in \[0, 1\)"),
        ({"holdout": 0.1}, "keeps 0 out of training"),
        ({"image_size": (32, 0)}, "Expected image_size"),
        ({"image_size": 31.5}, "Expected image_size"),
        ({"image_size": (0, 0)}, "Expected image_size"),
        ({"image_size": (-5, 10)}, "Expected image_size"),
        ({"image_size": "32"}, "Expected image_size"),
        ({"image_size": (True, 8)}, "Expected image_size"),
    ],
)
def test_image_folder_refuses_bad_options(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        ImageFolder(_folder_of_distinct_images(tmp_path, 5), **options)


def test_image_folder_without_holdout_says_how_to_get_one(tmp_path):
    source = ImageFolder(_folder_of_distinct_images(tmp_path, 5), holdout=0)
    with pytest.raises(ValueError, match=r"has no holdout images.*holdout=0\.1"):
        source.images("holdout")
    with pytest.raises(ValueError, match="Unknown part 'test'"):
        source.images("test")


def test_hidden_folders_are_skipped(tmp_path):
    """Jupyter's .ipynb_checkpoints copies and dot files are neither trained on nor taken for a class."""
    for name in ("horse/0.png", "horse/1.png", "bird/0.png"):
        _save(tmp_path / name, "RGB")
    _save(tmp_path / "horse" / ".ipynb_checkpoints" / "0-checkpoint.png", "RGB")
    _save(tmp_path / ".ipynb_checkpoints" / "2-checkpoint.png", "RGB")
    _save(tmp_path / "bird" / ".hidden.png", "RGB")
    (tmp_path / ".trash").mkdir()
    (tmp_path / ".trash" / "broken.jpg").write_bytes(b"not an image, and never opened")
    source = ImageFolder(tmp_path, holdout=0)
    assert [str(f.relative_to(tmp_path)) for f in source.files["training"]] == [
        "bird/0.png",
        "horse/0.png",
        "horse/1.png",
    ]
    assert source.class_names == ("bird", "horse")
    assert list(source.labels()) == [0, 1, 1]


def test_class_subfolders_are_pooled_and_named(tmp_path):
    for name in ("horse/a/0.png", "horse/1.png", "bird/0.png", "bird/1.png", "bird/2.png"):
        _save(tmp_path / name, "RGB")
    source = ImageFolder(tmp_path, holdout=0.4)
    assert source.class_names == ("bird", "horse") and len(source) == 3
    assert "pooled from 2 class subfolders (bird, horse)" in repr(source)
    for part in folders.PARTS:
        expected = [1 if "horse" in f.parts else 0 for f in source.files[part]]
        assert list(source.labels(part)) == expected


def test_labels_given_with_a_streamed_folder_are_refused(tmp_path):
    """train() refuses labels with in-memory images for an unconditional GAN; with a stream it calls this."""
    for name in ("horse/0.png", "bird/0.png"):
        _save(tmp_path / name, "RGB")
    source = ImageFolder(tmp_path, holdout=0)
    folders.refuse_labels_with(source, None)  # no labels: nothing to refuse
    with pytest.raises(
        ValueError,
        match=r"labels were given with the image source ImageFolder\(.*would be ignored.*"
        r"data.load_images\(.*return_labels=True\)",
    ):
        folders.refuse_labels_with(source, np.array([0, 1]))


def test_an_image_overwritten_after_opening_stops_the_stream_with_its_path(tmp_path):
    import tensorflow as tf

    for i in range(4):
        _save(tmp_path / f"{i}.png", "RGB")
    source = ImageFolder(tmp_path, holdout=0)
    (tmp_path / "2.png").write_text("my notes, saved over the picture by mistake")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"no longer an image.*2\.png"):
        for _ in source.batches(4, seed=0).take(2):
            pass
