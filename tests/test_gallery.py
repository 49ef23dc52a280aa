"""scripts/make_gallery.py: a notebook whose runs are unfinished leaves no picture behind."""

import importlib.util
import json
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from gan_helpers import runs

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "make_gallery.py"


def _make_gallery(artifacts: Path, out: Path, monkeypatch) -> None:
    spec = importlib.util.spec_from_file_location("make_gallery", SCRIPT)
    gallery = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gallery)
    monkeypatch.setattr(
        sys, "argv", ["make_gallery.py", "--artifacts", str(artifacts), "--out", str(out)]
    )
    gallery.main()


def test_unfinished_notebook_runs_are_skipped_by_name_without_partial_pictures(
    tmp_path, make_tiny_gan, monkeypatch, capsys
):
    images = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    notebook_01 = tmp_path / "artifacts" / "01_dense_mnist_gan"
    for run in (
        "A_literal",
        "B_dense_mnist",
    ):  # both runs trained, but the notebook never judged them
        runs.train(
            make_tiny_gan(),
            images,
            steps=4,
            batch_size=8,
            run_dir=notebook_01 / run,
            sample_interval=2,
            progress=False,
        )
    (tmp_path / "artifacts" / "05_dcgan_fashion_mnist").mkdir()  # a notebook started, no run yet
    _make_gallery(tmp_path / "artifacts", tmp_path / "out", monkeypatch)
    printed = capsys.readouterr().out
    assert "notebook 01: skipped" in printed and "metrics.json" in printed
    assert "notebook 05: skipped" in printed and "no class runs" in printed
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["summary.json"]
    assert set(json.loads((tmp_path / "out" / "summary.json").read_text())) == {"machine"}


class PowerCut(keras.callbacks.Callback):
    """Stops training with an error after its first sample interval (grid and checkpoint written), as a
    killed kernel would."""

    def on_epoch_end(self, epoch, logs=None):
        raise RuntimeError("power cut")


def test_a_class_run_cut_short_keeps_its_notebook_out_of_the_gallery(
    tmp_path, make_tiny_gan, monkeypatch, capsys
):
    images = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    notebook_05 = tmp_path / "artifacts" / "05_dcgan_fashion_mnist"
    common = {"batch_size": 8, "sample_interval": 2, "progress": False}
    runs.train(make_tiny_gan(), images, steps=4, run_dir=notebook_05 / "sneaker_dg1", **common)
    with pytest.raises(RuntimeError, match="power cut"):
        runs.train(
            make_tiny_gan(),
            images,
            steps=4,
            run_dir=notebook_05 / "trouser_dg1",
            callbacks=[PowerCut()],
            **common,
        )
    assert (notebook_05 / "trouser_dg1" / "samples").is_dir()  # it had started: grids of step 2
    _make_gallery(tmp_path / "artifacts", tmp_path / "out", monkeypatch)
    printed = capsys.readouterr().out
    assert "notebook 05: skipped" in printed and "trouser_dg1 has not finished training" in printed
    assert not (tmp_path / "out" / "05_classes.png").exists()


def test_a_finished_run_trained_further_counts_as_unfinished_until_it_ends(
    tmp_path, make_tiny_gan, monkeypatch, capsys
):
    images = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    run_dir = tmp_path / "artifacts" / "05_dcgan_fashion_mnist" / "sneaker_dg1"
    common = {"batch_size": 8, "sample_interval": 2, "log_interval": 2, "progress": False}
    runs.train(make_tiny_gan(), images, steps=2, run_dir=run_dir, **common)  # finished at 2 steps
    with pytest.raises(RuntimeError, match="power cut"):  # then extended to 6, cut after step 4
        runs.train(
            make_tiny_gan(), images, steps=6, run_dir=run_dir, callbacks=[PowerCut()], **common
        )
    assert (run_dir / "generator.keras").is_file()  # the 2-step generator is still there
    _make_gallery(tmp_path / "artifacts", tmp_path / "out", monkeypatch)
    printed = capsys.readouterr().out
    assert "notebook 05: skipped" in printed and "sneaker_dg1 has not finished training" in printed
    assert not (tmp_path / "out" / "05_classes.png").exists()


def test_the_summary_keeps_the_entries_the_gallery_does_not_make(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    out.mkdir()
    earlier = {
        "machine": "an older CPU",
        "05": {"sneaker_dg1": {"steps": 500, "training_minutes": 12.4}},
        "benchmarks": {"train_speed": {"trainer_steps_per_second": 26.03}},
    }
    (out / "summary.json").write_text(json.dumps(earlier))
    (tmp_path / "artifacts").mkdir()
    _make_gallery(tmp_path / "artifacts", out, monkeypatch)
    summary = json.loads((out / "summary.json").read_text())
    assert "notebook 05: skipped" in capsys.readouterr().out
    assert summary["05"] == earlier["05"] and summary["benchmarks"] == earlier["benchmarks"]
    assert summary["machine"] != "an older CPU"


def test_a_finished_folder_run_shows_its_grids_copy_check_and_scores(
    tmp_path, make_tiny_gan, monkeypatch, capsys
):
    images = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    folder = tmp_path / "artifacts" / "09_your_own_images"
    history = runs.train(
        make_tiny_gan(), images, steps=8, batch_size=8, run_dir=folder / "run",
        sample_interval=2, log_interval=2, progress=False,
    )  # fmt: skip
    from gan_helpers import assessment, plotting

    scores = {
        "generated": {"frechet_distance": 12.5, "nearest_distance": 3.0, "nearest_ratio": 1.2}
    }
    assessment.save_table(scores, folder / "metrics.json")
    plotting.show_and_close(
        plotting.image_grid(images[:4]), show=False, save_to=folder / "nearest_training_images.png"
    )
    _make_gallery(tmp_path / "artifacts", tmp_path / "out", monkeypatch)
    assert "notebook 09: skipped" not in capsys.readouterr().out
    assert all((tmp_path / "out" / name).is_file() for name in ("09_grids.png", "09_nearest.png"))
    entry = json.loads((tmp_path / "out" / "summary.json").read_text())["09"]
    assert entry["steps"] == history[-1]["step"] == 8 and entry["image_size"] == 8
    assert entry["metrics"] == scores


def test_notebook_06_shows_its_class_grids_ratio_samples_and_both_tables_once_all_are_there(
    tmp_path, make_tiny_gan, monkeypatch, capsys
):
    from gan_helpers import assessment, plotting

    images = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    folder = tmp_path / "artifacts" / "06_dcgan_cifar10"
    common = {"batch_size": 8, "sample_interval": 2, "progress": False}
    for run, steps in (("horse_dg1", 4), ("bird_dg1", 4), ("horse_dg3", 2)):
        runs.train(make_tiny_gan(), images, steps=steps, run_dir=folder / run, **common)
    per_class = {"horse generated": {"class_accuracy": 0.25, "frechet_distance": 40.0}}
    assessment.save_table(per_class, folder / "metrics.json")
    plotting.show_and_close(
        plotting.image_grid(images[:4]), show=False, save_to=folder / "ratio_samples.png"
    )
    out = tmp_path / "out"
    _make_gallery(tmp_path / "artifacts", out, monkeypatch)  # the ratio table is not written yet
    printed = capsys.readouterr().out
    assert "notebook 06: skipped" in printed and "ratio_metrics.json" in printed
    assert not list(out.glob("06_*"))

    by_ratio = {"D:G 3:1": {"class_accuracy": 0.5}, "real": {"class_accuracy": 0.75}}
    assessment.save_table(by_ratio, folder / "ratio_metrics.json")
    _make_gallery(tmp_path / "artifacts", out, monkeypatch)
    assert "notebook 06: skipped" not in capsys.readouterr().out
    assert sorted(path.name for path in out.glob("06_*")) == [
        "06_classes.png",
        "06_ratio_samples.png",
    ]
    entry = json.loads((out / "summary.json").read_text())["06"]
    assert entry["metrics"] == per_class and entry["ratio_metrics"] == by_ratio
    assert {name: run["steps"] for name, run in entry["runs"].items()} == {
        "bird_dg1": 4, "horse_dg1": 4, "horse_dg3": 2,
    }  # fmt: skip
