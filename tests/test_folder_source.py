"""A folder of the students' own images, end to end: the size chosen for it, and a GAN trained on it."""

import numpy as np

from gan_helpers import augment, config, recipes, runs


def _xray_like_folder(folder, count=20, side=200):
    """Grayscale 200x200 images, the size of a chest X-ray folder."""
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (side, side), dtype="uint8"), "L").save(
            folder / f"{i:02d}.png"
        )
    return folder


def test_a_200_pixel_grayscale_folder_is_read_at_the_nearest_size_and_says_so(tmp_path, capsys):
    source = recipes.folder_source(_xray_like_folder(tmp_path / "xrays"), holdout=0.1)
    assert source.image_shape == (256, 256, 1)
    assert "grayscale; the first is 200x200" in capsys.readouterr().out
    assert recipes.folder_source(source.path, image_size=70).image_shape == (64, 64, 1)
    assert "the nearest to the asked-for 70 is 64" in capsys.readouterr().out


def test_a_folder_with_class_subfolders_says_it_pools_them(tmp_path, capsys):
    for name in ("horse", "bird"):
        _xray_like_folder(tmp_path / name, count=3, side=8)
    recipes.folder_source(tmp_path, holdout=0)
    assert "pooled from the class subfolders bird, horse." in capsys.readouterr().out


def test_a_run_on_a_streamed_folder_resumes_as_if_it_had_never_stopped(tmp_path, make_tiny_gan):
    """Flipped real images and DiffAugment on both sides, stopped after 2 steps and resumed to 4: the same
    weights as 4 steps in one go."""
    source = recipes.folder_source(
        _xray_like_folder(tmp_path / "xrays", side=20), image_size=8, flip=True
    )
    options = {"batch_size": 4, "log_interval": 2, "sample_interval": 2, "show_samples": False}
    weights = {}
    for name, stops in (("straight", [4]), ("resumed", [2, 4])):
        for steps in stops:
            config.seed_everything(0)
            gan = make_tiny_gan(augment=augment.diff_augment(), seed=3)
            history = runs.train(gan, source, steps=steps, run_dir=tmp_path / name, **options)
        weights[name] = [np.asarray(w) for w in gan.generator.weights + gan.discriminator.weights]
    assert history[-1]["step"] == 4 and all(np.isfinite(row["g_loss"]) for row in history)
    for straight, resumed in zip(weights["straight"], weights["resumed"]):
        np.testing.assert_array_equal(straight, resumed)
