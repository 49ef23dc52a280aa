"""Make docs/results/ from the notebooks' real runs: small PNGs (and notebook 01's GIF) that the README shows.

Usage: python scripts/make_gallery.py [--artifacts DIR] [--out docs/results]

Reads the run folders the notebooks wrote under the artifacts root (GAN_ARTIFACTS_DIR, default artifacts/):
notebook 01 at full length, 02, 05, 06, 07, 08, 09 and 10. A notebook whose finished runs (with their metric
table) are missing is skipped and named, and none of its pictures are written. Prints the figures it
shows (steps, training minutes, classifier metrics) and writes them to summary.json with the machine they
came from. The other entries of summary.json (the benchmarks' and the classifiers' figures,
copied from those runs' printed output) and a skipped notebook's earlier entry are kept:
tests/test_quoted_figures.py checks every figure the README and the notebooks quote against that file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gan_helpers import assessment, config, machine, plotting
from gan_helpers.run_folder import RunFolder

DPI = 72


def save(figure, path: Path) -> None:
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    plotting.show_and_close(figure, show=False)


def shrunk_copy(source: Path, target: Path, width: int = 640) -> None:
    """A copy of the picture ``source``, at most ``width`` pixels wide, as an optimised PNG."""
    from PIL import Image

    with Image.open(source) as picture:
        if picture.width > width:
            picture = picture.resize(
                (width, round(picture.height * width / picture.width)), Image.LANCZOS
            )
        picture.save(target, optimize=True)


def finished(path: Path) -> RunFolder:
    """The run folder at ``path``. Raises FileNotFoundError while its training is unfinished: the trainer
    writes generator.keras after the last step, so a run without one, or with checkpoints newer than it
    (a finished run being trained further), is still training."""
    run = RunFolder(path)
    generator, checkpoints = run.generator_file, run.checkpoint_files()
    if not generator.is_file() or (
        checkpoints and checkpoints[-1].stat().st_mtime_ns > generator.stat().st_mtime_ns
    ):
        raise FileNotFoundError(
            f"{path} has not finished training (no {generator.name} after its last step)"
        )
    return run


def run_summary(run: RunFolder) -> dict:
    history = run.history()
    return {"steps": history[-1]["step"], "training_minutes": round(history[-1]["seconds"] / 60, 1)}


def notebook_01(artifacts: Path, out: Path) -> dict:
    folder = artifacts / "01_dense_mnist_gan"
    literal, dense_mnist = finished(folder / "A_literal"), finished(folder / "B_dense_mnist")
    grids = {f"step {step:,}": grid for step, grid in dense_mnist.grids().items()}
    save(
        plotting.compare_grids(
            grids, title="Notebook 01, run B: the fixed-noise grid every 10,000 steps", columns=5
        ),
        out / "01_grids.png",
    )
    runs = {"A LITERAL": literal.history(), "B DENSE_MNIST": dense_mnist.history()}
    save(
        plotting.plot_losses(runs, title="Notebook 01: losses", panel_per_run=True),
        out / "01_losses.png",
    )
    save(
        plotting.plot_accuracies(runs, title="Notebook 01: accuracies", panel_per_run=True),
        out / "01_accuracies.png",
    )
    shutil.copy(plotting.progress_gif(dense_mnist.path), out / "01_progress.gif")
    return {
        "A LITERAL": run_summary(literal),
        "B DENSE_MNIST": run_summary(dense_mnist),
        "metrics": assessment.load_table(folder / "metrics.json"),
    }


def notebook_02(artifacts: Path, out: Path) -> dict:
    folder = artifacts / "02_dropout_ablation"
    table = assessment.load_table(folder / "ablation_metrics.json")
    # The full-mode baseline is notebook 01's run B (fast mode trains its own in this folder).
    notebook_01_run = artifacts / "01_dense_mnist_gan" / "B_dense_mnist"
    own = {name: folder / name.replace(" ", "_") for name in table if name != "real (reference)"}
    runs = {
        name: finished(
            path if path.is_dir() or not name.startswith("baseline") else notebook_01_run
        )
        for name, path in own.items()
    }
    steps = max(run_summary(run)["steps"] for run in runs.values())
    save(
        plotting.compare_grids(
            {name: run.final_grid() for name, run in runs.items()},
            title=f"Notebook 02: D's dropout after {steps:,} steps",
        ),
        out / "02_ablation_grids.png",
    )
    save(
        plotting.metrics_table(
            table,
            "Notebook 02: the dropout ablation, judged by the MNIST classifier",
            assessment.TABLE_COLUMNS,
        ),
        out / "02_ablation_table.png",
    )
    return {"runs": {name: run_summary(run) for name, run in runs.items()}, "metrics": table}


def class_runs(folder: Path, notebook: str, out: Path) -> dict[str, RunFolder]:
    """Notebook 05's or 06's per-class runs (folders <class>_dg1, finished), by folder name; their final
    fixed-noise grids side by side are saved as out/<notebook>_classes.png."""
    runs = {path.name: finished(path) for path in sorted(folder.glob("*_dg1"))}
    if not runs:
        raise FileNotFoundError(f"no class runs (*_dg1) in {folder}")
    save(
        plotting.compare_grids(
            {name.removesuffix("_dg1"): run.final_grid() for name, run in runs.items()},
            title=f"Notebook {notebook} after {max(run_summary(r)['steps'] for r in runs.values()):,} "
            f"steps per class",
        ),
        out / f"{notebook}_classes.png",
    )
    return runs


def notebook_05(artifacts: Path, out: Path) -> dict:
    runs = class_runs(artifacts / "05_dcgan_fashion_mnist", "05", out)
    return {name: run_summary(run) for name, run in runs.items()}


def notebook_06(artifacts: Path, out: Path) -> dict:
    folder = artifacts / "06_dcgan_cifar10"
    tables = {
        key: assessment.load_table(folder / f"{key}.json") for key in ("metrics", "ratio_metrics")
    }
    class_runs(folder, "06", out)
    shrunk_copy(folder / "ratio_samples.png", out / "06_ratio_samples.png")
    # every run: the classes' (<class>_dg1) and the D:G ratios' on the first class (<class>_dg3, _dg1-3)
    runs = {path.name: finished(path) for path in sorted(folder.glob("*_dg*")) if path.is_dir()}
    return {"runs": {name: run_summary(run) for name, run in runs.items()}, **tables}


def notebook_07(artifacts: Path, out: Path) -> dict:
    folder = artifacts / "07_dense_vs_dcgan_mnist"
    runs = {name: finished(folder / name) for name in ("dense", "DCGAN")}
    steps = run_summary(runs["dense"])["steps"]
    save(
        plotting.compare_grids(
            {name: run.final_grid() for name, run in runs.items()},
            title=f"Notebook 07: dense GAN and DCGAN after {steps:,} steps",
        ),
        out / "07_dense_vs_dcgan.png",
    )
    return {
        "runs": {name: run_summary(run) for name, run in runs.items()},
        "metrics": assessment.load_table(folder / "metrics.json"),
    }


def notebook_08(artifacts: Path, out: Path) -> dict:
    run = finished(artifacts / "08_conditional_gan_mnist" / "run")
    shrunk_copy(run.path / "digit_rows.png", out / "08_digit_rows.png")
    return {**run_summary(run), "metrics": assessment.load_table(run.path / "metrics.json")}


def notebook_09(artifacts: Path, out: Path) -> dict:
    folder = artifacts / "09_your_own_images"
    run = finished(folder / "run")
    grids = run.grids()
    # three of the ten grids at full length: steps 2,000, 6,000 and 10,000
    steps = sorted(grids)[1::4] or sorted(grids)
    save(
        plotting.compare_grids(
            {f"step {step:,}": grids[step] for step in steps},
            title="Notebook 09: the example folder (CIFAR-10 horses), the fixed-noise grid",
        ),
        out / "09_grids.png",
    )
    shrunk_copy(folder / "nearest_training_images.png", out / "09_nearest.png")
    size = grids[steps[-1]].shape[1]
    return {
        **run_summary(run),
        "image_size": size,
        "metrics": assessment.load_table(folder / "metrics.json"),
    }


def notebook_10(artifacts: Path, out: Path) -> dict:
    folder = artifacts / "10_cleaner_digits"
    table = assessment.load_table(folder / "metrics.json")
    runs = {
        name: finished(folder / name.replace(" ", "_"))
        for name in table
        if name != "real (reference)"
    }
    shrunk_copy(folder / "final_grids.png", out / "10_final_grids.png")
    shrunk_copy(folder / "losses.png", out / "10_losses.png")
    return {"runs": {name: run_summary(run) for name, run in runs.items()}, "metrics": table}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--artifacts",
        default=None,
        help="the artifacts root (default: GAN_ARTIFACTS_DIR or artifacts/)",
    )
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "results")
    )
    args = parser.parse_args()
    artifacts = Path(args.artifacts) if args.artifacts else config.artifacts_dir()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary_file = out / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    summary["machine"] = machine.cpu_description()
    for name, make in (
        ("01", notebook_01),
        ("02", notebook_02),
        ("05", notebook_05),
        ("06", notebook_06),
        ("07", notebook_07),
        ("08", notebook_08),
        ("09", notebook_09),
        ("10", notebook_10),
    ):
        # Each notebook's pictures are made in a folder of their own and moved into ``out`` only when all
        # of them are made, so a notebook whose runs are missing or unfinished leaves nothing behind.
        staging = out / f".staging-{name}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            summary[name] = make(artifacts, staging)
        except (FileNotFoundError, IndexError, KeyError, ValueError) as error:
            print(
                f"notebook {name}: skipped, its finished runs are not in {artifacts} "
                f"({error.__class__.__name__}: {error})"
            )
        else:
            for made in staging.iterdir():
                os.replace(made, out / made.name)
        finally:
            shutil.rmtree(staging)
    summary_file.write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    total = sum(path.stat().st_size for path in out.iterdir())
    print(f"{out}: {len(list(out.iterdir()))} files, {total / 2**20:.2f} MB")


if __name__ == "__main__":
    main()
