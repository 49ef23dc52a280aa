"""Keras callbacks that keep a run's books while ``GAN.fit`` trains: history, sample grids, checkpoints, progress."""
from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from . import plotting
from .run_folder import RunFolder, write_atomically

METRIC_NAMES = ("d_loss", "d_acc", "g_loss", "g_acc")


class RunCallback(keras.callbacks.Callback):
    """Logs, samples, checkpoints and reports progress of a run, every ``log_interval`` steps.

    Each Keras "epoch" of the run is ``log_interval`` steps, so the tracked metrics are means over that
    interval. Every ``sample_interval`` steps it saves a grid from the fixed noise, the history and a
    checkpoint; every ``print_interval`` steps it prints a progress line.
    """

    def __init__(self, run: RunFolder, total_steps: int, log_interval: int, sample_interval: int,
                 checkpoint: tf.train.CheckpointManager, fixed_noise: np.ndarray, fixed_labels: np.ndarray | None,
                 history: list[dict], show_samples: bool, print_interval: int):
        super().__init__()
        self.run, self.total_steps, self.log_interval = run, total_steps, log_interval
        self.sample_interval, self.checkpoint, self.fixed_noise = sample_interval, checkpoint, fixed_noise
        self.fixed_labels = fixed_labels
        self.history, self.show_samples, self.print_interval = history, show_samples, print_interval

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()
        self.start_step = self.history[-1]["step"] if self.history else 0
        self.earlier_seconds = self.history[-1]["seconds"] if self.history else 0.0

    def on_epoch_end(self, epoch, logs=None):
        step = (epoch + 1) * self.log_interval
        elapsed = time.perf_counter() - self.started
        self.history.append({"step": step, "seconds": round(self.earlier_seconds + elapsed, 3),
                             **{k: float(logs[k]) for k in METRIC_NAMES}})
        if step % self.sample_interval == 0 or step == self.total_steps:
            self.save_samples(step)
            self.run.write_history(self.history)
            self.checkpoint.save(checkpoint_number=step)
        if step % self.print_interval == 0 or step == self.total_steps:
            rate = (step - self.start_step) / max(elapsed, 1e-9)
            eta = (self.total_steps - step) / max(rate, 1e-9)
            print(f"step {step:>7}/{self.total_steps}  " + "  ".join(f"{k} {logs[k]:.3f}" for k in METRIC_NAMES)
                  + f"  {rate:.1f} steps/s  eta {eta / 60:.1f} min", flush=True)

    def save_samples(self, step):
        images = ops.convert_to_numpy(self.model.generate(self.fixed_noise, self.fixed_labels))
        write_atomically(self.run.grid_file(step), lambda temporary: np.save(temporary, images))
        rows = None if self.fixed_labels is None else self.model.num_classes
        figure = plotting.image_grid(images, title=f"step {step}", columns=len(images) // rows if rows else None)
        plotting.show_and_close(figure, show=self.show_samples, save_to=self.run.grid_file(step, ".png"))
