"""Keras callbacks that keep a run's books while ``GAN.fit`` trains: history, sample grids, checkpoints, progress."""

from __future__ import annotations

import math
import time

import keras
import numpy as np
from keras import ops
from tqdm.auto import tqdm

from . import plotting
from .run_folder import RunFolder, write_atomically

METRIC_NAMES = ("d_loss", "d_acc", "g_loss", "g_acc")


class RunCallback(keras.callbacks.Callback):
    """Logs, samples, checkpoints and reports a run, and stops it at the first loss that is not finite or
    passes ``loss_bound``.

    Each Keras "epoch" of the run is ``log_interval`` steps, so the tracked metrics are means over that
    interval. Every ``sample_interval`` steps it saves a grid from the fixed noise, then the checkpoint
    (``checkpoints.save``), so a killed run never holds a checkpoint without its grid; every
    ``print_interval`` steps it prints a progress line. After a diverged loss or a non-finite weight,
    ``diverged`` holds a message naming the step, and nothing more is written. ``step`` is the number
    of steps trained so far; an epoch cut short by a stop adds no history row.

    Args (keyword-only):
        run: the run folder.
        checkpoints: the run's ``checkpoints.Checkpoints``.
        total_steps: the step the run ends at.
        log_interval, sample_interval, print_interval: in steps, as ``runs.train`` takes them.
        fixed_inputs: (noise (N, latent_dim), labels (N,) or None) behind the sample grids.
        history: the rows so far (a resumed run's); new rows are appended to it.
        show_samples: display each grid inline as well as saving it.
        loss_bound: a running d_loss or g_loss beyond this stops the run (``runs.divergence_bound``).
    """

    def __init__(
        self,
        *,
        run: RunFolder,
        checkpoints,
        total_steps: int,
        log_interval: int,
        sample_interval: int,
        print_interval: int,
        fixed_inputs: tuple[np.ndarray, np.ndarray | None],
        history: list[dict],
        show_samples: bool,
        loss_bound: float,
    ):
        super().__init__()
        self.run, self.checkpoints, self.total_steps = run, checkpoints, total_steps
        self.log_interval, self.sample_interval = log_interval, sample_interval
        self.print_interval, self.fixed_inputs, self.history = print_interval, fixed_inputs, history
        self.show_samples, self.loss_bound = show_samples, loss_bound
        self.step = history[-1]["step"] if history else 0
        self.diverged = None

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()
        self.start_step = self.step
        self.earlier_seconds = self.history[-1]["seconds"] if self.history else 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        """Stop at the first step whose running losses are not finite (a NaN step makes every later mean
        NaN) or pass the loss bound (a finite blow-up)."""
        self.step = self.epoch * self.log_interval + batch + 1
        if self.diverged:
            return
        values = {name: float(logs[name]) for name in METRIC_NAMES}
        shown = ", ".join(f"{name} {value:.4g}" for name, value in values.items())
        if not all(math.isfinite(v) for v in values.values()):
            self.stop(
                f"Training stopped at step {self.step}: a loss became NaN or infinite ({shown})."
            )
        elif max(abs(values["d_loss"]), abs(values["g_loss"])) > self.loss_bound:
            self.stop(
                f"Training stopped at step {self.step}: a loss passed {self.loss_bound:g}, far beyond "
                f"what this loss reaches in a healthy run, so the run blew up ({shown})."
            )

    def stop(self, message: str) -> None:
        self.diverged = message
        self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        step = (epoch + 1) * self.log_interval
        if self.diverged or self.step != step:  # diverged, or cut short by a stop
            return
        elapsed = time.perf_counter() - self.started
        self.history.append(
            {
                "step": step,
                "seconds": round(self.earlier_seconds + elapsed, 3),
                **{k: float(logs[k]) for k in METRIC_NAMES},
            }
        )
        sample_step = step % self.sample_interval == 0 or step == self.total_steps
        if sample_step and not (
            self.save_samples(step) and self.checkpoints.save(step, self.history)
        ):
            self.history.pop()
            return self.stop(f"Training stopped at step {step}: a weight became NaN or infinite.")
        if step % self.print_interval == 0 or step == self.total_steps:
            rate = (step - self.start_step) / max(elapsed, 1e-9)
            eta = (self.total_steps - step) / max(rate, 1e-9)
            # a print that keeps the bar whole
            tqdm.write(
                f"step {step:>7}/{self.total_steps}  "
                + "  ".join(f"{k} {logs[k]:.3f}" for k in METRIC_NAMES)
                + f"  {rate:.1f} steps/s  eta {eta / 60:.1f} min"
            )

    def save_samples(self, step) -> bool:
        """Save and show the grid of ``step``; False (and nothing saved) if an image is not finite."""
        noise, labels = self.fixed_inputs
        images = ops.convert_to_numpy(
            self.model.generate(noise, labels, generator=self.model.sampling_generator)
        )
        if not np.isfinite(images).all():
            return False
        write_atomically(self.run.grid_file(step), lambda temporary: np.save(temporary, images))
        rows = None if labels is None else self.model.num_classes
        figure = plotting.image_grid(
            images, title=f"step {step}", columns=len(images) // rows if rows else None
        )
        plotting.show_and_close(
            figure, show=self.show_samples, save_to=self.run.grid_file(step, ".png")
        )
        return True


class ProgressBar(keras.callbacks.Callback):
    """A live ``tqdm`` bar over the run's steps: step / total, steps/s, time left, and the latest running
    d_loss, g_loss and d_acc. In Jupyter and Colab it is a widget; in a terminal, a text bar on stderr;
    where output is not interactive (a log file, CI) it stays silent, and the printed record lines remain.
    """

    def __init__(self, *, done: int, total_steps: int, log_interval: int):
        super().__init__()
        self.done, self.total_steps, self.log_interval = done, total_steps, log_interval

    def on_train_begin(self, logs=None):
        self.bar = tqdm(
            total=self.total_steps,
            initial=self.done,
            unit="step",
            desc="training",
            disable=None,
            dynamic_ncols=True,
            smoothing=0.1,
        )

    def on_train_batch_end(self, batch, logs=None):
        self.bar.set_postfix(
            {name: f"{float(logs[name]):.3f}" for name in ("d_loss", "g_loss", "d_acc")},
            refresh=False,
        )
        self.bar.update(1)

    def on_train_end(self, logs=None):
        self.bar.close()


class TensorBoardLog(keras.callbacks.Callback):
    """Writes the four metrics (every log interval) and the sample grids (as images) of a run to TensorBoard
    event files in ``log_dir``, against the training step. A resumed run appends to the same log.

    Open it in a notebook with ``%load_ext tensorboard`` and ``%tensorboard --logdir <run_dir>/tensorboard``.
    """

    def __init__(self, *, log_dir, log_interval: int, run: RunFolder):
        super().__init__()
        self.log_dir, self.log_interval, self.run = log_dir, log_interval, run

    def on_train_begin(self, logs=None):
        import tensorflow as tf

        self.writer = tf.summary.create_file_writer(str(self.log_dir))
        self.grids_written = set(self.run.grids())

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf

        step = (epoch + 1) * self.log_interval
        if self.model.stop_training or not all(math.isfinite(float(logs[n])) for n in METRIC_NAMES):
            return  # diverged or cut short (RunCallback says why); nothing non-finite or absurd is drawn
        with self.writer.as_default():
            for name in METRIC_NAMES:
                tf.summary.scalar(name, float(logs[name]), step=step)
            if self.run.grid_file(step).is_file() and step not in self.grids_written:
                mosaic = plotting.tile(np.load(self.run.grid_file(step)))
                tf.summary.image("samples", mosaic.reshape(1, *mosaic.shape[:2], -1), step=step)
                self.grids_written.add(step)
        self.writer.flush()

    def on_train_end(self, logs=None):
        self.writer.close()
