"""The layout of one training run's folder. Everything that reads or writes a run's files asks ``RunFolder``.

A run folder holds::

    history.json                  one row per log interval: step, seconds, d_loss, d_acc, g_loss, g_acc
    fixed_noise.npy               the noise behind the sample grids
    samples/step_NNNNNN.png|.npy  the grid at that step, as a picture and as images (N, H, W, C) in [-1, 1]
    checkpoints/step_NNNNNN.npz   everything the next step depends on, and the history up to that step
                                  (written and checked by ``checkpoints.Checkpoints``)
    checkpoints/set_aside/        checkpoints whose step did not fit the run, moved aside, not deleted
    tensorboard/                  TensorBoard event files, when training with tensorboard=True
    generator.keras               the final generator (what notebooks load; the moving average, if any)
    generator_live.keras          the live generator, beside a moving average
    discriminator.keras           the final discriminator

Every file is written under a temporary name and renamed into place (``write_atomically``), so a reader
never sees half a file; a killed write leaves only a ``.tmp-*`` file, which the next run removes.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import numpy as np

TEMPORARY_PREFIX = ".tmp-"


class RunFolder:
    """One run's folder, ``RunFolder("artifacts/01_dense_mnist_gan/B_dense_mnist")``."""

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
    def set_aside_dir(self) -> Path:
        return self.checkpoints_dir / "set_aside"

    @property
    def tensorboard_dir(self) -> Path:
        return self.path / "tensorboard"

    @property
    def generator_file(self) -> Path:
        return self.path / "generator.keras"

    @property
    def live_generator_file(self) -> Path:
        """The live G of a run with a moving average (generator.keras is then the average)."""
        return self.path / "generator_live.keras"

    @property
    def discriminator_file(self) -> Path:
        return self.path / "discriminator.keras"

    # --- Sample grids and history ------------------------------------------------------------------

    def grid_file(self, step: int, suffix: str = ".npy") -> Path:
        """samples/step_NNNNNN.npy (or another ``suffix``, e.g. ".png")."""
        return self.samples_dir / f"step_{int(step):06d}{suffix}"

    def grid_files(self) -> list[Path]:
        """The saved grid arrays, samples/step_NNNNNN.npy, in step order."""
        return sorted(self.samples_dir.glob("step_*.npy"))

    def grids(self) -> dict[int, np.ndarray]:
        """{step: the grid's images (N, H, W, C) in [-1, 1]}, in step order."""
        return {step_of(path): np.load(path) for path in self.grid_files()}

    def final_grid(self) -> np.ndarray:
        """The grid of the last saved step (N, H, W, C) in [-1, 1].

        Raises:
            FileNotFoundError: the run saved no grid yet.
        """
        files = self.grid_files()
        if not files:
            raise FileNotFoundError(
                f"No saved grids (samples/step_*.npy) in {self.path}; train the run first."
            )
        return np.load(files[-1])

    def history(self) -> list[dict]:
        """The history rows (step, seconds, d_loss, d_acc, g_loss, g_acc); [] for a run not yet logged.

        Raises:
            ValueError: history.json is damaged (training the run again rewrites it from its checkpoint).
        """
        if not self.history_file.is_file():
            return []
        try:
            return json.loads(self.history_file.read_text())
        except ValueError as error:
            raise ValueError(
                f"{self.history_file} is damaged ({error}); train the run again (same run_dir): "
                f"it rewrites the file from its newest checkpoint."
            ) from error

    def history_if_readable(self) -> list[dict] | None:
        """``history()``, or None when history.json is damaged."""
        try:
            return self.history()
        except ValueError:
            return None

    def write_history(self, rows: list[dict]) -> None:
        write_atomically(
            self.history_file, lambda temporary: temporary.write_text(json.dumps(rows, indent=1))
        )

    # --- Final models ------------------------------------------------------------------------------

    def generator(self):
        """The saved final generator (a keras.Model).

        Raises:
            FileNotFoundError: no generator.keras yet (train the run first).
            ValueError: the file is damaged (re-running the training cell rewrites it from the checkpoint).
        """
        return self._final_model(self.generator_file, "saved generator")

    def discriminator(self):
        """The saved final discriminator (a keras.Model); raises as ``generator`` does."""
        return self._final_model(self.discriminator_file, "saved discriminator")

    def _final_model(self, path: Path, what: str):
        return load_model_file(
            path,
            what,
            f"run the notebook that trains it first (its run folder holds {path.name}).",
            f"Re-run the notebook that trains it: the run reloads its last checkpoint and saves "
            f"{path.name} again.",
        )

    # --- Checkpoints -------------------------------------------------------------------------------

    def checkpoint_file(self, step: int) -> Path:
        return self.checkpoints_dir / f"step_{int(step):06d}.npz"

    def checkpoint_files(self) -> list[Path]:
        """The checkpoints present (checkpoints/step_*.npz), oldest first."""
        return sorted(self.checkpoints_dir.glob("step_*.npz"))

    # --- The folder as a whole ---------------------------------------------------------------------

    def evidence_of_a_run(self) -> list[str]:
        """What in this folder shows that a run was checkpointed here: its history or its checkpoints
        (empty for a new folder, or one where a run stopped before its first checkpoint)."""
        evidence = []
        history = self.history_if_readable()
        if history is None:
            evidence.append(f"a damaged {self.history_file.name}")
        elif history:
            evidence.append(f"{self.history_file.name} up to step {history[-1]['step']}")
        if self.checkpoint_files():
            evidence.append(f"{len(self.checkpoint_files())} checkpoint file(s)")
        return evidence

    def leftovers(self) -> list[str]:
        """The files of a run that stopped before its first checkpoint (grids, noise, models)."""
        files = [
            path
            for path in (
                self.fixed_noise_file,
                self.generator_file,
                self.discriminator_file,
                self.live_generator_file,
            )
            if path.exists()
        ]
        return [path.name for path in files] + (
            [f"{len(self.grid_files())} sample grid(s)"] if self.grid_files() else []
        )

    def remove_run(self) -> None:
        """Delete the files a run writes (history, noise, grids, checkpoints, models); other files stay."""
        for folder in (self.samples_dir, self.checkpoints_dir, self.tensorboard_dir):
            shutil.rmtree(folder, ignore_errors=True)
        for path in (
            self.history_file,
            self.fixed_noise_file,
            self.generator_file,
            self.discriminator_file,
            self.live_generator_file,
        ):
            path.unlink(missing_ok=True)

    def remove_leftover_temporaries(self) -> list[Path]:
        """Delete the ``.tmp-*`` files that killed writes left behind; returns what was removed."""
        leftovers = [
            path
            for folder in (self.path, self.samples_dir, self.checkpoints_dir)
            if folder.is_dir()
            for path in folder.glob(f"{TEMPORARY_PREFIX}*")
        ]
        for path in leftovers:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        return leftovers


def write_atomically(path: Path, write) -> None:
    """Call ``write(temporary_path)``, then rename the temporary file to ``path``: a reader never sees a
    half-written file, and a failed write (a full disk, say) leaves the previous ``path`` as it was.

    Raises:
        OSError: the write failed; the message names ``path`` and says what is left.
    """
    path = Path(path)
    temporary = path.with_name(f"{TEMPORARY_PREFIX}{os.getpid()}-{path.name}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(temporary)
        os.replace(temporary, path)
    except OSError as error:
        remedy = (
            "Free some disk space"
            if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
            else "Fix the cause"
        )
        message = (
            f"Could not write {path} ({error.strerror or error}). Nothing was replaced: the previous "
            f"{path.name}, if there was one, is intact. {remedy} and run again; training resumes from "
            f"its last checkpoint."
        )
        raise (OSError(error.errno, message) if error.errno else OSError(message)) from error
    finally:
        # not unlink(missing_ok=True): under a path that is not a folder, it raises
        if temporary.exists():
            temporary.unlink()


def step_of(path: Path) -> int:
    """The step in a file name such as step_000120.npz."""
    return int(path.stem.split("_")[1])


def load_model_file(path: Path, what: str, missing_hint: str, remedy: str):
    """``keras.models.load_model(path, compile=False)``, with errors a student can act on.

    Raises:
        FileNotFoundError: no file at ``path`` ("No <what> at <path>; <missing_hint>").
        ValueError: the file is not a readable Keras model (the message ends with ``remedy``).
    """
    import keras

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No {what} at {path}; {missing_hint}")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as error:  # keras raises many kinds for a damaged file
        raise ValueError(
            f"{path} is not a readable Keras model file ({error.__class__.__name__}: {error}). "
            f"{remedy}"
        ) from error
