"""Running a GAN: ``train()`` trains a compiled ``training.GAN`` in a run folder, with sample grids, history
and checkpoints, and resumes it after a stop.

One *step* is one generator update preceded by ``d_steps`` discriminator updates. The assignment's
"epochs" are such steps: one batch each, not passes over the dataset.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from . import data, sampling
from .callbacks import ProgressBar, RunCallback, TensorBoardLog
from .run_folder import RunFolder, write_atomically
from .training import GAN


def fixed_grid_inputs(
    gan: GAN, grid_size: int | None = None, seed: int = 1234
) -> tuple[np.ndarray, np.ndarray | None]:
    """The inputs behind a run's sample grids: noise (grid_size**2, latent_dim) float32 and None; for a
    conditional GAN, noise (num_classes * grid_size, latent_dim), the same grid_size vectors for every
    class, and labels (num_classes * grid_size,) int32, row by row (class 0 first)."""
    if gan.num_classes is None:
        return sampling.noise((grid_size or 5) ** 2, gan.latent_dim, seed, gan.settings.noise), None
    columns = grid_size or gan.num_classes
    noise = sampling.noise(columns, gan.latent_dim, seed, gan.settings.noise)
    return np.tile(noise, (gan.num_classes, 1)), np.repeat(
        np.arange(gan.num_classes, dtype="int32"), columns
    )


class TrainingDiverged(RuntimeError):
    """A loss or a weight became NaN or infinite. Nothing from that step on was saved."""


class RunFolderError(RuntimeError):
    """A run folder holds a run that cannot be resumed as asked; the message says what to do."""


def train(
    gan: GAN,
    images,
    *,
    steps: int,
    run_dir: str | os.PathLike,
    labels: np.ndarray | None = None,
    batch_size: int = 128,
    sample_interval: int | None = None,
    log_interval: int | None = None,
    print_interval: int | None = None,
    grid_size: int | None = None,
    resume: bool = True,
    show_samples: bool = True,
    noise_seed: int = 1234,
    augment: keras.layers.Layer | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    tensorboard: bool = False,
    progress: bool = True,
) -> list[dict]:
    """Train a compiled ``gan`` for ``steps`` steps on ``images``, resuming from ``run_dir`` if it holds a run.

    Args:
        images: real images (N, H, W, C), float32 in [-1, 1]; or a streaming image source (anything with
            ``image_shape`` and ``batches(batch_size, seed, first_batch)``, such as ``data.ImageFolder``).
        labels: their classes (N,) int in [0, num_classes), for a conditional GAN only.
        steps: total generator updates (the assignment's "epochs"), a whole number > 0.
        run_dir: folder for the history, sample grids, checkpoints and final models (see ``RunFolder``).
        batch_size: real images per discriminator update.
        sample_interval: save (and show) a grid from the fixed noise, and a checkpoint, every this many steps;
            default steps // 10.
        log_interval: average the metrics over this many steps per history row; default: the largest
            divisor of steps and the other intervals that is at most min(100, sample_interval // 10).
        print_interval: print a progress line every this many steps; default sample_interval.
        grid_size: the sample grid is grid_size x grid_size (default 5); for a conditional GAN it has one
            row per class and grid_size columns (default num_classes), the same noise down each column.
        resume: continue from the newest checkpoint in ``run_dir`` that loads; False deletes the run there
            (its history, grids, checkpoints and models) and starts over.
        show_samples: display each grid inline (notebooks) as well as saving it.
        noise_seed: seed of the fixed noise behind the sample grids.
        augment: a Keras preprocessing layer applied to each in-memory real batch.
        callbacks: your own Keras callbacks (EarlyStopping, a LambdaCallback, ...), passed on to ``fit``. Each
            Keras "epoch" of a run is ``log_interval`` steps, and its logs hold d_loss, d_acc, g_loss, g_acc.
        tensorboard: also log the four metrics and the sample grids for TensorBoard, in run_dir/tensorboard
            (``%tensorboard --logdir <run_dir>/tensorboard``).
        progress: show a live progress bar (in Jupyter, Colab or a terminal; silent where output is not
            interactive).

    The order of the real batches follows ``gan.seed``. Resuming restores every variable a step depends
    on (weights, optimizer moments, random-number states) and the data position, so a run stopped at any
    checkpoint and resumed ends as if it had never stopped.

    Returns:
        The history: one dict per log interval with step, seconds, d_loss, d_acc, g_loss, g_acc.

    Raises:
        ValueError: a bad argument, or a run folder trained with other networks.
        RunFolderError: ``run_dir`` holds a run but no checkpoint of it loads (nothing is overwritten).
        TrainingDiverged: a loss or weight became NaN or infinite (the last good checkpoint is kept).
    """
    steps, batch_size = _whole_number("steps", steps), _whole_number("batch_size", batch_size)
    sample_interval, log_interval, print_interval = _intervals(
        steps, sample_interval, log_interval, print_interval
    )
    real_batches = _real_batches(gan, images, labels, batch_size * gan.settings.d_steps, augment)
    if getattr(gan, "d_optimizer", None) is None:
        raise ValueError("Compile the GAN before training: gan.compile().")

    run = RunFolder(run_dir)
    history = _start_or_resume(gan, run, resume, batch_size)
    done = history[-1]["step"] if history else 0
    if done % log_interval and done < steps:
        raise ValueError(
            f"The run in {run.path} stopped at step {done}, which is not a multiple of "
            f"log_interval={log_interval}; pass a log_interval that divides {done}."
        )
    new_noise, fixed_labels = fixed_grid_inputs(gan, grid_size, noise_seed)
    if not run.fixed_noise_file.exists():
        write_atomically(run.fixed_noise_file, lambda temporary: np.save(temporary, new_noise))

    if done < steps:
        callback = RunCallback(
            run,
            steps,
            log_interval,
            sample_interval,
            print_interval,
            (np.load(run.fixed_noise_file), fixed_labels),
            history,
            show_samples,
            save_checkpoint=lambda step, rows: _save_checkpoint(gan, run, step, rows, batch_size),
        )
        extras = (
            [TensorBoardLog(run.tensorboard_dir, log_interval, run)] if tensorboard else []
        ) + ([ProgressBar(done, steps, log_interval)] if progress else [])
        gan.fit(
            real_batches(first_batch=done),
            initial_epoch=done // log_interval,
            epochs=steps // log_interval,
            steps_per_epoch=log_interval,
            callbacks=[callback, *extras, *callbacks],
            shuffle=False,
            verbose=0,
        )
        if callback.diverged:
            raise TrainingDiverged(f"{callback.diverged} {_divergence_advice(gan, run)}") from None
    else:
        print(
            f"{run.path} already holds a finished run of {done} steps; loaded it without training."
        )
    finals = [
        (gan.sampling_generator, run.generator_file),
        (gan.discriminator, run.discriminator_file),
    ]
    if gan.ema_generator is not None:
        finals.append((gan.generator, run.live_generator_file))
    for network, path in finals:
        write_atomically(path, network.save)
    return history


def _whole_number(name: str, value) -> int:
    if isinstance(value, bool) or not float(value).is_integer() or value <= 0:
        raise ValueError(f"{name} must be a whole number > 0, got {value!r}.")
    return int(value)


def _intervals(steps: int, sample_interval, log_interval, print_interval) -> tuple[int, int, int]:
    """(sample, log, print) intervals; each given one must be a whole number > 0, and steps and the
    sample and print intervals multiples of the log interval."""
    sample_interval = (
        max(steps // 10, 1)
        if sample_interval is None
        else _whole_number("sample_interval", sample_interval)
    )
    print_interval = (
        sample_interval
        if print_interval is None
        else _whole_number("print_interval", print_interval)
    )
    if log_interval is None:
        common = math.gcd(steps, sample_interval, print_interval)
        limit = max(1, min(100, sample_interval // 10))
        return (
            sample_interval,
            max(d for d in range(1, limit + 1) if common % d == 0),
            print_interval,
        )
    log_interval = _whole_number("log_interval", log_interval)
    for name, value in (
        ("steps", steps),
        ("sample_interval", sample_interval),
        ("print_interval", print_interval),
    ):
        if value % log_interval:
            raise ValueError(
                f"{name}={value} is not a multiple of log_interval={log_interval}; history rows "
                f"average log_interval steps, so choose a log_interval that divides it."
            )
    return sample_interval, log_interval, print_interval


def _real_batches(gan: GAN, images, labels, batch_size: int, augment):
    """A function ``first_batch -> tf.data.Dataset`` of the real batches from that batch on, after checking
    the images (and labels) against ``gan``."""
    if hasattr(images, "batches"):  # a streaming source, e.g. data.ImageFolder
        if tuple(images.image_shape) != gan.image_shape:
            raise ValueError(
                f"The image source makes images of shape {tuple(images.image_shape)} but the "
                f"discriminator expects {gan.image_shape}."
            )
        if gan.num_classes is not None:
            raise ValueError(
                "A conditional GAN trains on in-memory images with labels, not on a streaming source."
            )
        return lambda first_batch: images.batches(batch_size, gan.seed, first_batch)
    images = data.check_images(images, gan.image_shape)
    if gan.num_classes is None and labels is not None:
        raise ValueError(
            "labels were given, but this GAN is unconditional (num_classes=None), so it would ignore "
            "them. Build a conditional GAN (e.g. recipes.dense_mnist_gan(num_classes=10)) to use "
            "labels, or leave labels out."
        )
    if gan.num_classes is not None:
        labels = _check_labels(labels, len(images), gan.num_classes)
    return lambda first_batch: data.real_image_batches(
        images, batch_size, gan.seed, labels, first_batch, augment
    )


def _check_labels(labels, count: int, num_classes: int) -> np.ndarray:
    if labels is None:
        raise ValueError(
            "A conditional GAN trains on labelled images: pass labels=(N,) class indices."
        )
    labels = np.asarray(labels)
    if (
        labels.shape != (count,)
        or not np.issubdtype(labels.dtype, np.integer)
        or labels.min() < 0
        or labels.max() >= num_classes
    ):
        raise ValueError(
            f"Expected labels of shape ({count},) with integers in [0, {num_classes}), got shape "
            f"{labels.shape}, dtype {labels.dtype}."
        )
    return labels.astype("int32")


# --- Checkpoints: everything the next step depends on ------------------------------------------------


def _state(gan: GAN) -> list:
    """Every variable the next step depends on: both networks' weights and statistics (with their dropout
    layers' random-number states), both optimizers' moments and step counts, the trainer's own
    random-number state, and the moving average of G. With the step count, this also fixes the data position."""
    optimizer_state = [
        v
        for optimizer in (gan.d_optimizer, gan.g_optimizer)
        for v in optimizer.variables
        if v.name != "learning_rate"
    ]  # a setting, not state: a resumed run takes the new one
    averaged = [] if gan.ema_generator is None else gan.ema_generator.variables
    return [
        *gan.generator.variables,
        *gan.discriminator.variables,
        *optimizer_state,
        gan.seed_generator.state,
        *averaged,
    ]


def _networks(gan: GAN) -> str:
    return " and ".join(
        f"{network.name} ({network.count_params():,} parameters)"
        for network in (gan.generator, gan.discriminator)
    )


def _save_checkpoint(
    gan: GAN, run: RunFolder, step: int, history: list[dict], batch_size: int
) -> bool:
    """Checkpoint the run at ``step`` with its ``history``; False (and nothing written) if any weight is
    not finite."""
    arrays = [np.asarray(variable) for variable in _state(gan)]
    if not all(np.isfinite(a).all() for a in arrays if np.issubdtype(a.dtype, np.floating)):
        return False
    meta = {
        "networks": _networks(gan),
        "shapes": [list(a.shape) for a in arrays],
        "settings": dataclasses.asdict(gan.settings),
        "seed": gan.seed,
        "batch_size": batch_size,
        "history": history,
    }
    run.save_checkpoint(step, arrays, meta)
    run.write_history(history)
    return True


def _start_or_resume(gan: GAN, run: RunFolder, resume: bool, batch_size: int) -> list[dict]:
    """Prepare ``run`` for training and return the history to continue (empty for a new run)."""
    if run.path.exists() and not run.path.is_dir():
        raise ValueError(f"run_dir {run.path} is a file; expected a folder.")
    run.samples_dir.mkdir(parents=True, exist_ok=True)
    leftovers = run.remove_leftover_temporaries()
    if leftovers:
        print(
            f"Removed {len(leftovers)} temporary file(s) that an interrupted write left in {run.path}."
        )
    if not resume:
        evidence = run.evidence_of_a_run()
        if evidence:
            run.remove_run()
            print(f"resume=False: deleted the earlier run in {run.path} ({', '.join(evidence)}).")
            run.samples_dir.mkdir(parents=True, exist_ok=True)
        return []
    checkpoint = run.load_checkpoint()
    if checkpoint is None:
        evidence = run.evidence_of_a_run()
        if evidence:
            raise RunFolderError(
                f"{run.path} holds a run ({', '.join(evidence)}) but no checkpoint of it that loads, so it "
                f"cannot be resumed; nothing was changed. To start over there, pass resume=False (it deletes "
                f"that run) or choose another run_dir; to keep it, put a good checkpoints/step_*.npz back."
            )
        return []
    step, arrays, meta = checkpoint
    _restore(gan, run, arrays, meta, batch_size)
    history = meta["history"]
    if run.history_if_readable() != history:
        if run.history_file.exists():
            print(
                f"{run.history_file.name} disagreed with the step-{step} checkpoint; rewrote it from the checkpoint."
            )
        run.write_history(history)
    print(f"Resuming from step {step} ({run.checkpoint_file(step)}).")
    return history


def _restore(
    gan: GAN, run: RunFolder, arrays: list[np.ndarray], meta: dict, batch_size: int
) -> None:
    state = _state(gan)
    if [list(v.shape) for v in state] != meta["shapes"]:
        raise ValueError(
            f"{run.path} was trained with other networks: it holds {meta['networks']}, and this GAN "
            f"has {_networks(gan)}. Use another run_dir for these networks, or pass resume=False "
            f"to delete that run and start over there."
        )
    for name, was, now in (
        ("settings", meta["settings"], dataclasses.asdict(gan.settings)),
        ("seed", meta["seed"], gan.seed),
        ("batch_size", meta["batch_size"], batch_size),
    ):
        if was != now:
            warnings.warn(
                f"{run.path} was started with {name} {was}; it continues with {now}.", stacklevel=3
            )
    for variable, value in zip(state, arrays):
        variable.assign(value)


def _divergence_advice(gan: GAN, run: RunFolder) -> str:
    kept = run.checkpoint_files()
    where = (
        f"the last good checkpoint, {kept[-1]}, is kept"
        if kept
        else "no checkpoint had been written yet"
    )
    rates = [
        float(ops.convert_to_numpy(optimizer.learning_rate))
        for optimizer in (gan.d_optimizer, gan.g_optimizer)
    ]
    return (
        f"Nothing from that step on was saved; {where}. Likely causes: a learning rate too high for these "
        f"networks (D {rates[0]:g}, G {rates[1]:g}; settings.BALANCED uses 2e-4), or broken input images. "
        f"Change the settings and train again "
        f"with resume=False, or in another run_dir."
    )
