"""Running a GAN: ``train()`` trains a compiled ``training.GAN`` in a run folder, with sample grids, history
and checkpoints, and resumes it after any stop.

One *step* is one generator update preceded by ``d_steps`` discriminator updates. The assignment's
"epochs" are such steps: one batch each, not passes over the dataset.

What a run may rely on (tests/test_reliability.py checks each):

- every file is written whole or not at all (``run_folder.write_atomically``);
- a checkpoint holds every variable a step depends on, by name, and is checked before it is trusted
  (``checkpoints.Checkpoints``), so a resumed run ends as if it had never stopped;
- a loss that turns NaN, infinite or absurdly large (beyond ``divergence_bound``) stops the run, and
  nothing from that step on is saved;
- a run that stops early (a callback's ``stop_training``, an error) is checkpointed where it stopped
  when it stopped on a history row, so training again resumes;
- loading a finished run writes nothing.
"""

from __future__ import annotations

import math
import os
import warnings
import zipfile
from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from . import data, folders, sampling
from .callbacks import ProgressBar, RunCallback, TensorBoardLog
from .checkpoints import Checkpoints
from .run_folder import RunFolder, step_of, write_atomically
from .training import GAN


def divergence_bound(gan: GAN) -> float:
    """The largest running d_loss or g_loss a healthy run of ``gan`` reaches; beyond it the run has blown
    up, and it stops as at a NaN. Each loss states its own (``losses.Loss.divergence_bound``): 100 for the
    cross-entropy, whose collapsed run's G loss climbs to about 19 (notebook 01's literal run A) while a
    blown-up one (a learning rate of 1e3) passes 1e6 within ten steps."""
    return gan.objective.divergence_bound


def fixed_grid_inputs(
    gan: GAN, grid_size: int | None = None, seed: int = 1234
) -> tuple[np.ndarray, np.ndarray | None]:
    """The inputs behind a run's sample grids: noise (grid_size**2, latent_dim) float32 and None; for a
    conditional GAN, noise (num_classes * grid_size, latent_dim), the same grid_size vectors for every
    class, and labels (num_classes * grid_size,) int32, row by row (class 0 first).

    Raises:
        ValueError: ``grid_size`` is not None or a whole number > 0.
    """
    if grid_size is not None:
        grid_size = _whole_number("grid_size", grid_size)
    if gan.num_classes is None:
        return sampling.noise((grid_size or 5) ** 2, gan.latent_dim, seed, gan.settings.noise), None
    columns = grid_size or gan.num_classes
    noise = sampling.noise(columns, gan.latent_dim, seed, gan.settings.noise)
    return np.tile(noise, (gan.num_classes, 1)), np.repeat(
        np.arange(gan.num_classes, dtype="int32"), columns
    )


class TrainingDiverged(RuntimeError):
    """A loss or a weight became NaN, infinite or absurdly large. Nothing from that step on was saved."""


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
            A resumed run keeps the grid it started with (and says so if this asks for another).
        resume: continue from the newest checkpoint in ``run_dir`` that passes its checks; False deletes
            the run there (its history, grids, checkpoints and models) and starts over.
        show_samples: display each grid inline (notebooks) as well as saving it.
        noise_seed: seed of the fixed noise behind the sample grids.
        callbacks: your own Keras callbacks (EarlyStopping, a LambdaCallback, ...), passed on to ``fit``. Each
            Keras "epoch" of a run is ``log_interval`` steps, and its logs hold d_loss, d_acc, g_loss, g_acc.
            A callback that stops training leaves a run that training again resumes.
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
        TypeError: ``callbacks`` holds something other than Keras callbacks.
        RunFolderError: ``run_dir`` holds a run but no checkpoint of it passes its checks (nothing is
            overwritten).
        TrainingDiverged: a loss or weight became NaN, infinite or absurd (the last good checkpoint is kept).
    """
    steps, batch_size = _whole_number("steps", steps), _whole_number("batch_size", batch_size)
    sample_interval, log_interval, print_interval = _intervals(
        steps, sample_interval, log_interval, print_interval
    )
    real_batches = _real_batches(gan, images, labels, batch_size * gan.settings.d_steps)
    if getattr(gan, "d_optimizer", None) is None:
        raise ValueError("Compile the GAN before training: gan.compile().")
    callbacks = _checked_callbacks(callbacks)
    grid_inputs = fixed_grid_inputs(gan, grid_size, noise_seed)
    run = RunFolder(run_dir)
    if tensorboard and run.tensorboard_dir.exists() and not run.tensorboard_dir.is_dir():
        raise ValueError(
            f"{run.tensorboard_dir} is a file, but tensorboard=True writes its logs in a folder there. "
            f"Move or delete that file, or pass tensorboard=False."
        )

    checkpoints = Checkpoints(gan, run, batch_size=batch_size)
    history = _start_or_resume(run, resume, checkpoints)
    done = history[-1]["step"] if history else 0
    if done % log_interval and done < steps:
        raise ValueError(
            f"The run in {run.path} stopped at step {done}, which is not a multiple of "
            f"log_interval={log_interval}; pass a log_interval that divides {done}."
        )
    fixed_inputs = _fixed_inputs(gan, run, grid_inputs, noise_seed)
    if done >= steps:
        print(
            f"{run.path} already holds a finished run of {done} steps; loaded it without training."
        )
        _save_final_models(gan, run, checkpoints.last_good)
        return history

    # a run that trains has its samples folder from the start
    run.samples_dir.mkdir(parents=True, exist_ok=True)
    callback = RunCallback(
        run=run,
        checkpoints=checkpoints,
        total_steps=steps,
        log_interval=log_interval,
        sample_interval=sample_interval,
        print_interval=print_interval,
        fixed_inputs=fixed_inputs,
        history=history,
        show_samples=show_samples,
        loss_bound=divergence_bound(gan),
    )
    extras = (
        [TensorBoardLog(log_dir=run.tensorboard_dir, log_interval=log_interval, run=run)]
        if tensorboard
        else []
    ) + ([ProgressBar(done=done, total_steps=steps, log_interval=log_interval)] if progress else [])
    try:
        gan.fit(
            real_batches(first_batch=done),
            initial_epoch=done // log_interval,
            epochs=steps // log_interval,
            steps_per_epoch=log_interval,
            callbacks=[callback, *extras, *callbacks],
            shuffle=False,
            verbose=0,
        )
    except BaseException as error:  # an interrupt too: checkpoint what can be, then let it go on
        error.add_note(_checkpoint_the_stop(callback, checkpoints, sample_interval))
        raise
    if callback.diverged:
        raise TrainingDiverged(
            f"{callback.diverged} {_divergence_advice(gan, checkpoints)}"
        ) from None
    if callback.step < steps:
        print(
            f"A callback stopped training. {_checkpoint_the_stop(callback, checkpoints, sample_interval)}"
        )
    _save_final_models(gan, run, checkpoints.last_good)
    return history


def _checked_callbacks(callbacks) -> list[keras.callbacks.Callback]:
    """``callbacks`` as a list (a single callback is welcome too), each checked to be a Keras callback."""
    if isinstance(callbacks, keras.callbacks.Callback):
        return [callbacks]
    if (
        callbacks is None
        or isinstance(callbacks, (str, bytes))
        or not hasattr(callbacks, "__iter__")
    ):
        raise TypeError(
            f"callbacks must be a list of Keras callbacks, e.g. [keras.callbacks.EarlyStopping(...)]; "
            f"got {callbacks!r}."
        )
    callbacks = list(callbacks)
    for index, callback in enumerate(callbacks):
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(
                f"callbacks[{index}] is {callback!r}, not a Keras callback. Wrap a function in "
                f"keras.callbacks.LambdaCallback(on_epoch_end=your_function) (its arguments: epoch, logs)."
            )
    return callbacks


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


def _real_batches(gan: GAN, images, labels, batch_size: int):
    """A function ``first_batch -> tf.data.Dataset`` of the real batches from that batch on, after checking
    the images (and labels) against ``gan``."""
    if hasattr(images, "batches"):  # a streaming source, e.g. data.ImageFolder
        folders.refuse_labels_with(images, labels)
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
        images, batch_size, gan.seed, labels, first_batch
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


# --- Starting, resuming and stopping a run -----------------------------------------------------------


def _start_or_resume(run: RunFolder, resume: bool, checkpoints: Checkpoints) -> list[dict]:
    """Prepare ``run`` for training and return the history to continue (empty for a new run). Writes
    nothing in a folder whose run is resumed as it is."""
    if run.path.exists() and not run.path.is_dir():
        raise ValueError(f"run_dir {run.path} is a file; expected a folder.")
    leftovers = run.remove_leftover_temporaries()
    if leftovers:
        print(
            f"Removed {len(leftovers)} temporary file(s) that an interrupted write left in {run.path}."
        )
    if not resume:
        evidence = run.evidence_of_a_run() + run.leftovers()
        if evidence:
            run.remove_run()
            print(f"resume=False: deleted the earlier run in {run.path} ({', '.join(evidence)}).")
        return []
    restored = checkpoints.restore()
    if restored is None:
        evidence = run.evidence_of_a_run()
        if evidence:
            raise RunFolderError(
                f"{run.path} holds a run ({', '.join(evidence)}) but no checkpoint of it that passes its "
                f"checks (the warnings above say why), so it cannot be resumed; nothing was changed. To "
                f"start over there, pass resume=False (it deletes that run) or choose another run_dir; to "
                f"keep it, put a good checkpoints/step_*.npz back."
            )
        started = run.leftovers()
        if started:
            run.remove_run()
            print(
                f"{run.path} held what a run left before its first checkpoint ({', '.join(started)}); "
                f"nothing there could be resumed, so it was removed and the run starts over."
            )
        return []
    step, history = restored
    if run.history_if_readable() != history:
        if run.history_file.exists():
            print(
                f"{run.history_file.name} disagreed with the step-{step} checkpoint; rewrote it from the checkpoint."
            )
        run.write_history(history)
    print(f"Resuming from step {step} ({checkpoints.last_good}).")
    return history


def _fixed_inputs(gan: GAN, run: RunFolder, grid_inputs: tuple, noise_seed: int) -> tuple:
    """(noise, labels) behind the run's grids: the run's saved noise, so that every grid of a run shows
    the same noise. A new run saves ``grid_inputs``' noise; a damaged or missing file is rewritten from
    ``noise_seed``; a resumed run asked for another grid keeps its own, with a warning."""
    noise, labels = grid_inputs
    try:
        saved = np.load(run.fixed_noise_file) if run.fixed_noise_file.exists() else None
    except (OSError, ValueError, EOFError) as error:
        print(
            f"{run.fixed_noise_file} was damaged ({error}); rewrote it from noise_seed={noise_seed}."
        )
        saved = None
    per_row = gan.num_classes or 1
    if saved is None or saved.ndim != 2 or saved.shape[1] != gan.latent_dim or len(saved) % per_row:
        write_atomically(run.fixed_noise_file, lambda temporary: np.save(temporary, noise))
        return noise, labels
    if not np.array_equal(saved, noise):
        columns = len(saved) // per_row
        grid = columns if gan.num_classes else math.isqrt(columns)
        warnings.warn(
            f"{run.path} keeps the fixed noise it started with ({run.fixed_noise_file.name}, "
            f"{len(saved)} images), so that its grids stay comparable; the grid_size or noise_seed "
            f"given now would need other noise. For a new grid, pass resume=False or use another run_dir.",
            stacklevel=3,
        )
        labels = None if gan.num_classes is None else fixed_grid_inputs(gan, grid, noise_seed)[1]
    return saved, labels


def _checkpoint_the_stop(
    callback: RunCallback, checkpoints: Checkpoints, sample_interval: int
) -> str:
    """Checkpoint a run stopped before its last step, when it stopped on a history row between sample
    steps (a sample step's checkpoint is the callback's, written with its grid). Returns what training
    again will do."""
    step, history = callback.step, callback.history
    checkpointed = checkpoints.last_good is not None and step_of(checkpoints.last_good) == step
    if history and history[-1]["step"] == step and step % sample_interval and not checkpointed:
        try:
            checkpoints.save(step, history)
        except OSError as error:
            print(error)
    where = checkpoints.last_good
    if where is None:
        return f"Training stopped at step {step}, before its first checkpoint: training again starts over."
    return (
        f"Training stopped at step {step}; training again (same run_dir) resumes from step "
        f"{step_of(where)} ({where})."
    )


def _save_final_models(gan: GAN, run: RunFolder, checkpoint) -> None:
    """Save generator.keras and discriminator.keras (and generator_live.keras beside a moving average) from
    the GAN at ``checkpoint``, unless each is already newer than that checkpoint and whole (so loading a
    finished run writes nothing, and a damaged model file is written again). Nothing without a checkpoint."""
    if checkpoint is None:
        return
    finals = [
        (gan.sampling_generator, run.generator_file),
        (gan.discriminator, run.discriminator_file),
    ]
    if gan.ema_generator is not None:
        finals.append((gan.generator, run.live_generator_file))
    made = checkpoint.stat().st_mtime_ns
    for network, path in finals:
        if not (path.is_file() and path.stat().st_mtime_ns >= made and _whole_zip(path)):
            write_atomically(path, network.save)


def _whole_zip(path) -> bool:
    """Whether the file at ``path`` is a zip archive (as .keras files are) whose every entry reads back."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile):
        return False


def _divergence_advice(gan: GAN, checkpoints: Checkpoints) -> str:
    good = checkpoints.last_good
    where = (
        f"the last good checkpoint, {good}, is kept"
        if good is not None and good.exists()
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
