import numpy as np
import pytest

from gan_helpers import plotting


def test_display_range_maps_generator_range_to_unit_interval():
    images = np.array([-1.0, 0.0, 1.0, 3.0]).reshape(1, 2, 2, 1)
    np.testing.assert_allclose(plotting.to_display_range(images)[0].ravel(), [0.0, 0.5, 1.0, 1.0])


def test_grid_and_curves_have_titles_and_labelled_axes():
    grid = plotting.image_grid(np.zeros((25, 28, 28, 1)), title="step 10")
    assert len(grid.axes) == 25 and grid._suptitle.get_text() == "step 10"
    history = [
        {"step": s, "d_loss": 0.6, "g_loss": 0.9, "d_acc": 0.5, "g_acc": 0.3} for s in (100, 200)
    ]
    for figure in (
        plotting.plot_losses(history),
        plotting.plot_accuracies({"a": history, "b": history}),
    ):
        axis = figure.axes[0]
        assert axis.get_xlabel().startswith("training step") and axis.get_ylabel()
        assert len(axis.get_lines()) in (2, 4)


def test_the_loss_axis_is_named_after_the_loss():
    history = [{"step": s, "d_loss": 0.6, "g_loss": 0.9} for s in (100, 200)]
    assert plotting.plot_losses(history).axes[0].get_ylabel() == "binary cross-entropy"
    assert plotting.plot_losses(history, loss="hinge").axes[0].get_ylabel() == "hinge loss"
    mixed = plotting.plot_losses({"a": history, "b": history}, panel_per_run=True, loss=None)
    assert [axis.get_ylabel() for axis in mixed.axes] == ["loss (each run's own)"] * 2
    with pytest.raises(KeyError):
        plotting.plot_losses(history, loss="no such loss")


def test_noise_needs_square_length():
    assert len(plotting.noise_as_images(np.zeros((10, 100))).axes) == 10
    with pytest.raises(ValueError, match="perfect square"):
        plotting.noise_as_images(np.zeros((10, 99)))


def test_progress_gif_has_one_frame_per_grid(tmp_path):
    from PIL import Image

    (tmp_path / "samples").mkdir()
    for step in (100, 200, 300):
        np.save(
            tmp_path / "samples" / f"step_{step:06d}.npy", np.full((4, 8, 8, 1), step / 300 * 2 - 1)
        )
    with Image.open(plotting.progress_gif(tmp_path)) as gif:
        assert gif.n_frames == 3
    with pytest.raises(FileNotFoundError):
        plotting.progress_gif(tmp_path / "empty")


def test_image_rows_has_one_labelled_row_per_set_and_saves(tmp_path):
    rows = {"dense": np.zeros((10, 8, 8, 1)), "DCGAN": np.ones((6, 8, 8, 1))}
    figure = plotting.image_rows(rows, title="interpolation")
    axes = np.array(figure.axes).reshape(2, 10)
    assert [axes[r, 0].get_ylabel() for r in range(2)] == ["dense", "DCGAN"]
    # the shorter row leaves blanks
    assert len(axes[1, 5].images) == 1 and len(axes[1, 6].images) == 0
    plotting.show_and_close(figure, show=False, save_to=tmp_path / "rows.png")
    assert (tmp_path / "rows.png").stat().st_size > 0


def test_panel_per_run_gives_each_run_its_own_scale_and_labelled_axes():
    calm = [{"step": s, "d_loss": 0.6, "g_loss": 0.9} for s in (100, 200)]
    collapsed = [{"step": s, "d_loss": 0.0, "g_loss": 20.0 + s / 100} for s in (100, 200)]
    figure = plotting.plot_losses({"A": collapsed, "B": calm}, panel_per_run=True)
    axes = figure.axes
    assert len(axes) == 2 and all(axis.get_ylabel() for axis in axes)
    assert (
        axes[-1].get_xlabel().startswith("training step")
        and axes[1].get_ylim()[1] < 5 < axes[0].get_ylim()[1]
    )
    assert [line.get_label() for line in axes[1].get_lines()] == ["B D loss", "B GAN loss"]


def test_compare_grids_wraps_into_rows_of_columns():
    grids = {f"step {s}": np.zeros((4, 8, 8, 1)) for s in range(1, 11)}
    figure = plotting.compare_grids(grids, title="ten grids", columns=5)
    shown = [axis for axis in figure.axes if axis.images]
    assert len(figure.axes) == 10 and [axis.get_title() for axis in shown] == list(grids)


def test_metrics_table_shows_every_row_and_the_chosen_columns():
    rows = {
        "run": {"classifier_score": 8.5, "covered": 10.0},
        "real": {"classifier_score": 9.8, "covered": 10.0},
    }
    figure = plotting.metrics_table(
        rows, "a table", {"classifier_score": "CS", "covered": "classes", "other": "x"}
    )
    texts = [cell.get_text().get_text() for cell in figure.axes[0].tables[0].get_celld().values()]
    assert {"CS", "classes", "run", "real", "8.500", "10", "9.800"} <= set(
        texts
    ) and "x" not in texts
    plotting.show_and_close(figure, show=False)


def test_nearest_pairs_show_each_distance_over_its_generated_image():
    images = np.zeros((4, 8, 8, 1))
    figure = plotting.nearest_pairs(images, images, [0.5, 1.25, 2.0, 3.0], title="copies?")
    assert len(figure.axes) == 8
    assert [axis.get_title() for axis in figure.axes[:4]] == ["0.5", "1.2", "2.0", "3.0"]
    assert figure.axes[0].get_ylabel() == "generated" and "nearest" in figure.axes[4].get_ylabel()
    assert figure._suptitle.get_text().startswith("copies?")


def test_a_run_comparison_shows_and_saves_losses_accuracies_and_final_grids(tmp_path):
    history = [
        {"step": s, "d_loss": 0.7, "d_acc": 0.5, "g_loss": 0.8, "g_acc": 0.4} for s in (10, 20)
    ]
    runs = {label: {"history": history, "final_grid": np.zeros((25, 8, 8, 1))} for label in "AB"}
    paths = plotting.show_run_comparison(runs, "sneaker", tmp_path / "ratio", show=False)
    assert [path.name for path in paths] == [
        "ratio_losses.png",
        "ratio_accuracies.png",
        "ratio_samples.png",
    ]
    assert all(path.stat().st_size > 1000 for path in paths)


def test_class_samples_save_the_final_grids_and_each_class_random_beside_chosen(tmp_path):
    history = [{"step": 30}]
    probabilities = np.full((30, 10), 0.05)
    probabilities[[4, 9], 7] = 0.9  # the two images the classifier is surest are class 7
    samples = np.linspace(-1, 1, 30)[:, None, None, None] * np.ones((30, 8, 8, 1))
    results = {
        "sneaker": {
            "history": history,
            "final_grid": np.zeros((25, 8, 8, 1)),
            "metrics": {"probabilities": probabilities},
            "samples": samples,
            "class_index": 7,
        }
    }
    plotting.show_class_samples(results, tmp_path, count=2)
    assert (tmp_path / "final_samples.png").stat().st_size > 1000
    assert (tmp_path / "sneaker_random_and_chosen.png").stat().st_size > 1000
