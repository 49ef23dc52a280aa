"""scripts/make_gallery.py: a notebook whose runs are unfinished leaves no picture behind."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

from gan_helpers import training

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
    for run in ("A_literal", "B_balanced"):  # both runs trained, but the notebook never judged them
        training.train(
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
