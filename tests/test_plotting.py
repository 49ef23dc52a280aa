import numpy as np
import pytest

from gan_helpers import plotting


def test_display_range_maps_generator_range_to_unit_interval():
    images = np.array([-1.0, 0.0, 1.0, 3.0]).reshape(1, 2, 2, 1)
    np.testing.assert_allclose(plotting.to_display_range(images)[0].ravel(), [0.0, 0.5, 1.0, 1.0])


def test_grid_and_curves_have_titles_and_labelled_axes():
    grid = plotting.image_grid(np.zeros((25, 28, 28, 1)), title="step 10")
    assert len(grid.axes) == 25 and grid._suptitle.get_text() == "step 10"
    history = [{"step": s, "d_loss": 0.6, "g_loss": 0.9, "d_acc": 0.5, "g_acc": 0.3} for s in (100, 200)]
    for figure in (plotting.plot_losses(history), plotting.plot_accuracies({"a": history, "b": history})):
        axis = figure.axes[0]
        assert axis.get_xlabel().startswith("training step") and axis.get_ylabel()
        assert len(axis.get_lines()) in (2, 4)


def test_noise_needs_square_length():
    assert len(plotting.noise_as_images(np.zeros((10, 100))).axes) == 10
    with pytest.raises(ValueError, match="perfect square"):
        plotting.noise_as_images(np.zeros((10, 99)))


def test_progress_gif_has_one_frame_per_grid(tmp_path):
    from PIL import Image

    (tmp_path / "samples").mkdir()
    for step in (100, 200, 300):
        np.save(tmp_path / "samples" / f"step_{step:06d}.npy", np.full((4, 8, 8, 1), step / 300 * 2 - 1))
    with Image.open(plotting.progress_gif(tmp_path)) as gif:
        assert gif.n_frames == 3
    with pytest.raises(FileNotFoundError):
        plotting.progress_gif(tmp_path / "empty")


def test_image_rows_has_one_labelled_row_per_set_and_saves(tmp_path):
    rows = {"dense": np.zeros((10, 8, 8, 1)), "DCGAN": np.ones((6, 8, 8, 1))}
    figure = plotting.image_rows(rows, title="interpolation")
    axes = np.array(figure.axes).reshape(2, 10)
    assert [axes[r, 0].get_ylabel() for r in range(2)] == ["dense", "DCGAN"]
    assert len(axes[1, 5].images) == 1 and len(axes[1, 6].images) == 0  # the shorter row leaves blanks
    plotting.show_and_close(figure, show=False, save_to=tmp_path / "rows.png")
    assert (tmp_path / "rows.png").stat().st_size > 0


def test_nearest_pairs_show_each_distance_over_its_generated_image():
    images = np.zeros((4, 8, 8, 1))
    figure = plotting.nearest_pairs(images, images, [0.5, 1.25, 2.0, 3.0], title="copies?")
    assert len(figure.axes) == 8
    assert [axis.get_title() for axis in figure.axes[:4]] == ["0.5", "1.2", "2.0", "3.0"]
    assert figure.axes[0].get_ylabel() == "generated" and "nearest" in figure.axes[4].get_ylabel()
    assert figure._suptitle.get_text().startswith("copies?")
