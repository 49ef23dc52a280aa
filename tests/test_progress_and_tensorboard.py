"""What a student watches while a run trains: the live progress bar, the record lines and TensorBoard."""

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import numpy as np

from gan_helpers import runs, training

CHILD = Path(__file__).resolve().parent / "train_child.py"


def _images(count=64):
    return np.random.default_rng(0).uniform(-1, 1, (count, 8, 8, 1)).astype("float32")


def _run_child_in(tmp_path, terminal: bool) -> str:
    """Train 40 steps in a child process whose stderr is a terminal (a pseudo-terminal) or a pipe;
    returns what it wrote to stderr."""
    command = [sys.executable, str(CHILD), str(tmp_path / "run"), "40", str(tmp_path / "out.npz")]
    if not terminal:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=300, check=True
        ).stderr
    leader, follower = pty.openpty()
    # 40 rows of 120 columns
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert child.wait(timeout=300) == 0
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def test_a_terminal_shows_a_live_bar_with_rate_and_losses(tmp_path):
    shown = _run_child_in(tmp_path, terminal=True)
    bars = [part.strip() for part in shown.split("\r") if part.strip().startswith("training:")]
    assert len(bars) >= 2, shown[-2000:]  # it refreshed
    assert "40/40" in bars[-1] and "step/s" in bars[-1]
    assert "d_loss=" in bars[-1] and "g_loss=" in bars[-1] and "d_acc=" in bars[-1]


def test_no_bar_floods_a_log_that_is_not_a_terminal(tmp_path):
    assert "training:" not in _run_child_in(tmp_path, terminal=False)


def _events(log_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    events.Reload()
    return events


def test_tensorboard_holds_the_four_metrics_and_the_grids_and_a_resume_continues_the_log(
    make_tiny_gan, tmp_path
):
    options = {
        "batch_size": 8,
        "log_interval": 10,
        "sample_interval": 20,
        "show_samples": False,
        "tensorboard": True,
    }
    runs.train(make_tiny_gan(), _images(), steps=40, run_dir=tmp_path, **options)
    # resumed
    history = runs.train(make_tiny_gan(), _images(), steps=60, run_dir=tmp_path, **options)
    events = _events(tmp_path / "tensorboard")
    tags = events.Tags()
    for name in training.METRIC_NAMES:
        values = events.Tensors(name)
        assert [event.step for event in values] == [10, 20, 30, 40, 50, 60]
        logged = [
            float(np.asarray(__import__("tensorflow").make_ndarray(event.tensor_proto)))
            for event in values
        ]
        np.testing.assert_allclose(logged, [row[name] for row in history], rtol=1e-6)
    assert "samples" in tags["tensors"]
    grids = events.Tensors("samples")
    assert [event.step for event in grids] == [20, 40, 60]
    width, height = (int(value) for value in grids[0].tensor_proto.string_val[:2])
    assert (width, height) == (5 * 9, 5 * 9)  # a 5x5 mosaic of 8x8 images with 1-pixel gaps
