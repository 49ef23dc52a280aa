"""A folder of the students' own images, end to end: the size chosen for it, and a GAN trained on it."""
import numpy as np

from gan_helpers import augment, recipes


def _xray_like_folder(folder, count=20, side=200):
    """Grayscale 200x200 images, the size of a chest X-ray folder."""
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (side, side), dtype="uint8"), "L").save(folder / f"{i:02d}.png")
    return folder


def test_a_200_pixel_grayscale_folder_is_read_at_the_nearest_size_and_says_so(tmp_path, capsys):
    source = recipes.folder_source(_xray_like_folder(tmp_path / "xrays"), holdout=0.1)
    assert source.image_shape == (256, 256, 1)
    assert "grayscale; the first is 200x200" in capsys.readouterr().out
    assert recipes.folder_source(source.path, image_size=70).image_shape == (64, 64, 1)
    assert "the nearest to IMAGE_SIZE 70 is 64" in capsys.readouterr().out


def test_a_halving_width_gan_trains_on_a_streamed_folder_with_diffaugment(tmp_path):
    source = recipes.folder_source(_xray_like_folder(tmp_path / "xrays", side=40), image_size=16)
    gan = recipes.dcgan("halving_width", image_shape=source.image_shape, augment=augment.diff_augment())
    history = gan.fit(source.batches(4, seed=0), steps_per_epoch=3, shuffle=False, verbose=0).history
    assert all(np.isfinite(values).all() for values in history.values())
    assert gan.g_optimizer.iterations.numpy() == 3
