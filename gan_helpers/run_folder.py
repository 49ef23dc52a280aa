"""The layout of one training run's folder. Everything that reads or writes a run's files asks ``RunFolder``.

A run folder holds::

    history.json                  one row per log interval: step, seconds, d_loss, d_acc, g_loss, g_acc
    fixed_noise.npy               the noise behind the sample grids
    samples/step_NNNNNN.png|.npy  the grid at that step, as a picture and as images (N, H, W, C) in [-1, 1]
    checkpoints/                  what resuming needs
    generator.keras               the final generator (what notebooks load)
    discriminator.keras           the final discriminator
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np


class RunFolder:
    """One run's folder, ``RunFolder("artifacts/01_dense_mnist_gan/B_balanced")``."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    @property
    def history_file(self) -> Path:
        return self.path / "history.json"

    @property
    def fixed_noise_file(self) -> Path:
        return self.path / "fixed_noise.npy"

    @property
    def samples_dir(self) -> Path:
        return self.path / "samples"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def generator_file(self) -> Path:
        return self.path / "generator.keras"

    @property
    def discriminator_file(self) -> Path:
        return self.path / "discriminator.keras"

    def grid_file(self, step: int, suffix: str = ".npy") -> Path:
        """samples/step_NNNNNN.npy (or another ``suffix``, e.g. ".png")."""
        return self.samples_dir / f"step_{int(step):06d}{suffix}"

    def grid_files(self) -> list[Path]:
        """The saved grid arrays, samples/step_NNNNNN.npy, in step order."""
        return sorted(self.samples_dir.glob("step_*.npy"))

    def grids(self) -> dict[int, np.ndarray]:
        """{step: the grid's images (N, H, W, C) in [-1, 1]}, in step order."""
        return {int(path.stem.split("_")[1]): np.load(path) for path in self.grid_files()}

    def final_grid(self) -> np.ndarray:
        """The grid of the last saved step (N, H, W, C) in [-1, 1].

        Raises:
            FileNotFoundError: the run saved no grid yet.
        """
        files = self.grid_files()
        if not files:
            raise FileNotFoundError(f"No saved grids (samples/step_*.npy) in {self.path}; train the run first.")
        return np.load(files[-1])

    def history(self) -> list[dict]:
        """The history rows (step, seconds, d_loss, d_acc, g_loss, g_acc); [] for a run not yet logged."""
        if not self.history_file.is_file():
            return []
        return json.loads(self.history_file.read_text())

    def write_history(self, rows: list[dict]) -> None:
        write_atomically(self.history_file, lambda temporary: temporary.write_text(json.dumps(rows, indent=1)))

    def generator(self):
        """The saved final generator (a keras.Model).

        Raises:
            FileNotFoundError: no generator.keras yet (train the run first).
        """
        import keras

        if not self.generator_file.is_file():
            raise FileNotFoundError(f"No saved generator at {self.generator_file}; run the notebook that trains it "
                                    f"first (its run folder holds generator.keras).")
        return keras.models.load_model(self.generator_file, compile=False)


def write_atomically(path: Path, write) -> None:
    """Call ``write(temporary_path)`` and then rename the temporary file to ``path``, so that a reader
    never sees a half-written file."""
    temporary = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    write(temporary)
    os.replace(temporary, path)
