"""Figures: image grids, training curves, noise vectors as images, comparisons and a progress GIF.

Images come in as arrays (N, H, W, C) in [-1, 1], the generators' range, and are rescaled to [0, 1].
Every function returns the matplotlib Figure; ``show_and_close`` displays one inline and frees it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

if (
    not matplotlib.get_backend()
    .lower()
    .startswith(("module://", "inline", "nbagg", "widget", "ipympl"))
):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from . import assessment
from .losses import LOSSES
from .run_folder import RunFolder, write_atomically


def to_display_range(images: np.ndarray) -> np.ndarray:
    """[-1, 1] -> [0, 1] (clipped), dropping a single channel so matplotlib shows grayscale."""
    images = np.clip((np.asarray(images, dtype="float32") + 1.0) / 2.0, 0.0, 1.0)
    return images[..., 0] if images.shape[-1] == 1 else images


def show_and_close(
    figure: plt.Figure, show: bool = True, save_to: str | Path | None = None
) -> None:
    """Save ``figure`` to ``save_to`` (if given), display it inline when running under IPython (and
    ``show``), then close it."""
    if save_to is not None:
        write_atomically(
            Path(save_to), lambda temporary: figure.savefig(temporary, dpi=100, bbox_inches="tight")
        )
    if show:
        try:
            from IPython import get_ipython
            from IPython.display import display

            if get_ipython() is not None:
                display(figure)
        except ImportError:
            pass
    plt.close(figure)


def image_grid(
    images: np.ndarray,
    title: str | None = None,
    columns: int | None = None,
    labels: Sequence[str] | None = None,
    cell_inches: float = 1.0,
) -> plt.Figure:
    """A grid of images (N, H, W, C) in [-1, 1], square by default, with optional per-image labels."""
    images = to_display_range(images)
    count = len(images)
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(columns * cell_inches, rows * cell_inches + 0.4), squeeze=False
    )
    for i, axis in enumerate(axes.flat):
        axis.axis("off")
        if i < count:
            axis.imshow(images[i], cmap="gray" if images.ndim == 3 else None, vmin=0, vmax=1)
            if labels is not None:
                axis.set_title(str(labels[i]), fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_curves(
    history: Sequence[Mapping[str, float]] | Mapping[str, Sequence[Mapping[str, float]]],
    keys: Sequence[str],
    ylabel: str,
    title: str,
    labels: Mapping[str, str] | None = None,
    ylim: tuple[float, float] | None = None,
    panel_per_run: bool = False,
) -> plt.Figure:
    """Metrics against training step, from one history or a dict of named histories: overlaid on one axis,
    or with ``panel_per_run`` one panel per run, each on its own scale (for runs whose values differ by
    orders of magnitude, such as a collapsed run's loss of 20 beside a balanced run's 1).

    A history is the list of dicts that ``runs.train`` returns (each with "step" and the keys).
    """
    runs = history if isinstance(history, Mapping) else {"": history}
    labels = labels or {}
    groups = [{name: rows} for name, rows in runs.items()] if panel_per_run else [runs]
    figure, axes = plt.subplots(
        len(groups), 1, figsize=(10, 1 + 3 * len(groups)), sharex=True, squeeze=False
    )
    for axis, group in zip(axes[:, 0], groups):
        for run_name, rows in group.items():
            steps = [row["step"] for row in rows]
            for key in keys:
                name = " ".join(filter(None, [run_name, labels.get(key, key)]))
                axis.plot(steps, [row[key] for row in rows], label=name, linewidth=1)
        axis.set_ylabel(ylabel)
        if ylim:
            axis.set_ylim(*ylim)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    axes[-1, 0].set_xlabel("training step (one batch = one assignment 'epoch')")
    axes[0, 0].set_title(title)
    figure.tight_layout()
    return figure


def plot_losses(
    history,
    title: str = "Losses during training",
    panel_per_run: bool = False,
    loss: str | None = "bce",
) -> plt.Figure:
    """D loss and GAN (generator) loss against step, the axis named after ``loss`` (a name in
    ``losses.LOSSES``; None for runs with different losses, each panel on its own scale)."""
    return plot_curves(
        history,
        ["d_loss", "g_loss"],
        LOSSES[loss].axis_label if loss else "loss (each run's own)",
        title,
        labels={"d_loss": "D loss", "g_loss": "GAN loss"},
        panel_per_run=panel_per_run,
    )


def plot_accuracies(
    history, title: str = "Accuracies during training", panel_per_run: bool = False
) -> plt.Figure:
    """D accuracy and GAN accuracy (share of fakes D calls real) against step."""
    return plot_curves(
        history,
        ["d_acc", "g_acc"],
        "accuracy",
        title,
        ylim=(-0.02, 1.02),
        labels={"d_acc": "D accuracy", "g_acc": "GAN accuracy"},
        panel_per_run=panel_per_run,
    )


def noise_as_images(
    noise: np.ndarray,
    labels: Sequence[str] | None = None,
    title: str = "input noise (gray = 0)",
    scale: float | None = None,
) -> plt.Figure:
    """Show noise vectors (N, D) with D a perfect square (100 -> 10x10) as grayscale images: 0 is mid-gray,
    +-``scale`` (default: the largest magnitude in ``noise``) white and black."""
    noise = np.asarray(noise, dtype="float32")
    side = math.isqrt(noise.shape[-1])
    if noise.ndim != 2 or side * side != noise.shape[-1]:
        raise ValueError(
            f"Expected noise of shape (N, D) with D a perfect square, got {noise.shape}."
        )
    scaled = noise / max(np.abs(noise).max() if scale is None else scale, 1e-9)
    return image_grid(
        scaled.reshape(-1, side, side, 1), title=title, columns=len(noise), labels=labels
    )


def compare_grids(
    grids: Mapping[str, np.ndarray], title: str | None = None, columns: int | None = None
) -> plt.Figure:
    """Side by side: one tile per named grid of images (N, H, W, C) in [-1, 1], in one row or in rows of
    ``columns`` tiles."""
    columns = columns or len(grids)
    rows = math.ceil(len(grids) / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(3.2 * columns, 3.4 * rows + 0.2), squeeze=False
    )
    for axis in axes.flat:
        axis.axis("off")
    for axis, (name, images) in zip(axes.flat, grids.items()):
        axis.imshow(tile(images), cmap="gray", vmin=0, vmax=1)
        axis.set_title(name, fontsize=9)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def show_run_comparison(
    runs: Mapping[str, Mapping], title: str, save_prefix: str | Path, show: bool = True
) -> list[Path]:
    """Runs of one study side by side (e.g. one class at several D:G ratios): their losses, their accuracies
    and their final fixed-noise grids, each shown and saved as <save_prefix>_losses.png, _accuracies.png
    and _samples.png. ``runs``: {label: a dict with "history" (``runs.train``'s rows) and
    "final_grid" (N, H, W, C) in [-1, 1]}, as the recipes return. Returns the three paths."""
    histories = {label: run["history"] for label, run in runs.items()}
    figures = {
        "losses": plot_losses(histories, title=f"{title}: losses"),
        "accuracies": plot_accuracies(histories, title=f"{title}: accuracies"),
        "samples": compare_grids(
            {label: run["final_grid"] for label, run in runs.items()},
            title=f"{title}: the final fixed-noise grids",
        ),
    }
    paths = []
    for kind, figure in figures.items():
        paths.append(Path(f"{save_prefix}_{kind}.png"))
        show_and_close(figure, show=show, save_to=paths[-1])
    return paths


def show_class_samples(
    results: Mapping[str, Mapping], out_dir: str | Path, count: int = 25
) -> None:
    """The final fixed-noise grids of the classes' runs (``recipes.class_dcgan_run`` results) side by side (saved as
    out_dir/final_samples.png); then for each class, ``count`` of its judged samples at random beside the
    ``count`` that the classifier is surest belong to the class (chosen, as labs show them), saved as
    out_dir/<class>_random_and_chosen.png."""
    steps = {result["history"][-1]["step"] for result in results.values()}
    show_and_close(
        compare_grids(
            {name: r["final_grid"] for name, r in results.items()},
            title=f"fixed-noise grids after {max(steps):,} steps",
        ),
        save_to=Path(out_dir) / "final_samples.png",
    )
    for name, result in results.items():
        chosen = assessment.most_confident(
            result["metrics"]["probabilities"], count, intended_class=result["class_index"]
        )
        grids = {
            "random samples": result["samples"][:count],
            f"chosen: the {count} the classifier is surest are {name}": result["samples"][chosen],
        }
        show_and_close(
            compare_grids(grids, title=name),
            save_to=Path(out_dir) / f"{name.replace(' ', '_')}_random_and_chosen.png",
        )


def image_rows(
    rows: Mapping[str, np.ndarray], title: str | None = None, cell_inches: float = 0.9
) -> plt.Figure:
    """One labelled row per named set of images (N, H, W, C) in [-1, 1], e.g. an interpolation path per
    model, or the images a conditional generator made for each requested class."""
    columns = max(len(images) for images in rows.values())
    figure, axes = plt.subplots(
        len(rows),
        columns,
        squeeze=False,
        figsize=(columns * cell_inches + 1.2, len(rows) * cell_inches + 0.4),
    )
    for axes_row, (name, images) in zip(axes, rows.items()):
        images = to_display_range(images)
        for i, axis in enumerate(axes_row):
            axis.set_xticks([])
            axis.set_yticks([])
            axis.set_frame_on(False)
            if i < len(images):
                axis.imshow(images[i], cmap="gray" if images.ndim == 3 else None, vmin=0, vmax=1)
        axes_row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def tile(images: np.ndarray) -> np.ndarray:
    """Images (N, H, W, C) in [-1, 1] -> one square mosaic (rows, columns[, 3]) in [0, 1], 1-pixel gaps."""
    images = to_display_range(images)
    count, height, width = images.shape[:3]
    side = math.ceil(math.sqrt(count))
    mosaic = np.ones((side * (height + 1), side * (width + 1), *images.shape[3:]), dtype="float32")
    for i, image in enumerate(images):
        r, c = divmod(i, side)
        mosaic[
            r * (height + 1) : r * (height + 1) + height, c * (width + 1) : c * (width + 1) + width
        ] = image
    return mosaic


def progress_gif(
    run_dir: str | Path, path: str | Path | None = None, seconds_per_frame: float = 0.6
) -> Path:
    """Write a GIF of the fixed-noise grid over training (one frame per saved grid); returns its path."""
    from PIL import Image

    grids = RunFolder(run_dir).grids()
    if not grids:
        raise FileNotFoundError(f"No saved grids (samples/step_*.npy) in {run_dir}.")
    frames = [
        Image.fromarray((tile(grid) * 255).astype("uint8")).resize((280, 280), Image.NEAREST)
        for grid in grids.values()
    ]
    path = Path(path or Path(run_dir) / "progress.gif")
    write_atomically(
        path,
        lambda temporary: frames[0].save(
            temporary,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=int(seconds_per_frame * 1000),
            loop=0,
        ),
    )
    return path


def class_histogram(
    shares: Mapping[str, np.ndarray],
    class_names: Sequence[str] | None = None,
    title: str = "Predicted class of each image",
) -> plt.Figure:
    """Grouped bars: share of images (0-1) per predicted class, one colour per named image set."""
    figure, axis = plt.subplots(figsize=(8, 3.5))
    count = len(next(iter(shares.values())))
    width = 0.8 / len(shares)
    for i, (name, values) in enumerate(shares.items()):
        axis.bar(np.arange(count) + (i - (len(shares) - 1) / 2) * width, values, width, label=name)
    axis.axhline(0.05, color="gray", linestyle=":", linewidth=1, label="5 % line")
    axis.set_xticks(np.arange(count), class_names or [str(c) for c in range(count)])
    axis.set_xlabel("predicted class")
    axis.set_ylabel("share of images")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    return figure


def confidence_histogram(
    probabilities: Mapping[str, np.ndarray], title: str = "Classifier confidence (max probability)"
) -> plt.Figure:
    """Overlaid histograms of each image's highest class probability, one per named set (N, K)."""
    figure, axis = plt.subplots(figsize=(8, 3.5))
    bins = np.linspace(0, 1, 41)
    for name, p in probabilities.items():
        axis.hist(np.asarray(p).max(axis=1), bins=bins, alpha=0.5, label=name, density=True)
    axis.set_xlabel("max class probability")
    axis.set_ylabel("density")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    return figure


def metrics_table(
    rows: Mapping[str, Mapping[str, float]], title: str, columns: Mapping[str, str] | None = None
) -> plt.Figure:
    """A table of numbers as a figure: one row per name, one column per metric (``columns`` maps metric keys to
    headings, in order; default: every key, as is). Whole numbers print as such, others with 3 decimals."""
    columns = columns or {key: key for row in rows.values() for key in row}
    columns = {
        key: heading for key, heading in columns.items() if any(key in row for row in rows.values())
    }

    def cell(value):
        return (
            "" if value is None else f"{value:.0f}" if float(value).is_integer() else f"{value:.3f}"
        )

    figure, axis = plt.subplots(figsize=(1.6 + 1.1 * len(columns), 0.5 + 0.32 * len(rows)))
    axis.axis("off")
    shown = axis.table(
        cellText=[[cell(row.get(key)) for key in columns] for row in rows.values()],
        rowLabels=list(rows),
        colLabels=list(columns.values()),
        loc="center",
    )
    shown.scale(1, 1.3)
    axis.set_title(title, fontsize=10)
    return figure


def nearest_pairs(
    generated: np.ndarray,
    nearest: np.ndarray,
    distances: Sequence[float],
    title: str = "Generated images and their nearest training images",
) -> plt.Figure:
    """Generated images (N, H, W, C) in [-1, 1] in the top row, each titled with its distance to its nearest
    training image, and those training images (N, H, W, C) in [-1, 1] below: a pair that looks alike at a
    small distance is a copy."""
    generated, nearest = to_display_range(generated), to_display_range(nearest)
    figure, axes = plt.subplots(
        2, len(generated), squeeze=False, figsize=(len(generated) * 0.9 + 1.4, 2.4)
    )
    for column, (made, found, distance) in enumerate(zip(generated, nearest, distances)):
        for axis, image in ((axes[0, column], made), (axes[1, column], found)):
            axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
        axes[0, column].set_title(f"{distance:.1f}", fontsize=8)
    axes[0, 0].set_ylabel("generated", rotation=0, ha="right", va="center", fontsize=9)
    axes[1, 0].set_ylabel("nearest\ntraining", rotation=0, ha="right", va="center", fontsize=9)
    figure.suptitle(f"{title}\n(number: distance in classifier features)", fontsize=10)
    figure.tight_layout()
    return figure
