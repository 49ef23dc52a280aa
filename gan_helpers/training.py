"""How a GAN learns: the two losses, one step of each player, and ``train()`` for resumable runs.

Read this file top to bottom:

1. ``discriminator_loss`` and ``generator_loss``: what each player minimises.
2. ``GAN``: a ``keras.Model`` whose ``train_step`` makes ``d_steps`` discriminator updates and then one
   generator update, each player with its own ``GradientTape`` and its own optimizer.
3. ``train()``: runs ``GAN.fit`` in a run folder, with sample grids, history and checkpoints, and resumes.

Why not the classic listing (``discriminator.trainable = False`` and a stacked model trained with
``train_on_batch``)? In Keras 3 ``trainable`` is read when the train function is traced, not at compile,
so that recipe silently trains the wrong weights. Here each update touches only its own player's weights
(``tests/test_training.py`` proves it).

One *step* is one generator update preceded by ``d_steps`` discriminator updates. The assignment's
"epochs" are such steps: one batch each, not passes over the dataset.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from . import _distributed, config, data, sampling
from .callbacks import METRIC_NAMES, ProgressBar, RunCallback, TensorBoardLog
from .run_folder import RunFolder, write_atomically
from .settings import LITERAL, Settings


def discriminator_loss(p_real, p_fake, real_label: float = 1.0, p_mismatched=None):
    """D's loss: binary cross-entropy that calls real images real and fakes fake, averaged over the batch.

        L_D = 1/2 [ BCE(t, D(x)) + BCE(0, D(G(z))) ],   BCE(y, p) = -(y log p + (1 - y) log(1 - p))

    with t = ``real_label`` (1, or 0.9 for one-sided label smoothing). A matching-aware conditional D also
    gets ``p_mismatched`` = D(x, wrong label), which should be 0: its fake half becomes the mean of
    BCE(0, D(G(z))) and BCE(0, D(x, wrong label)).

    Args: probabilities (N, 1) in [0, 1]. Returns: a scalar.
    """
    fake_loss = keras.losses.binary_crossentropy(ops.zeros_like(p_fake), p_fake)
    if p_mismatched is not None:
        fake_loss = 0.5 * (
            fake_loss + keras.losses.binary_crossentropy(ops.zeros_like(p_mismatched), p_mismatched)
        )
    real_loss = keras.losses.binary_crossentropy(ops.full_like(p_real, real_label), p_real)
    return ops.mean(0.5 * (real_loss + fake_loss))


def generator_loss(p_fake):
    """G's loss, the "non-saturating" one of Goodfellow et al. (2014): make D call the fakes real.

        L_G = BCE(1, D(G(z))) = -mean log D(G(z))

    This is what the assignment's stacked "GAN" model minimises when it trains G on fakes labelled 1.

    Args: D's probabilities (N, 1) in [0, 1] for generated images. Returns: a scalar.
    """
    return ops.mean(keras.losses.binary_crossentropy(ops.ones_like(p_fake), p_fake))


def share_real(probabilities):
    """The share of images that D calls real (probability > 0.5), in [0, 1]."""
    return ops.mean(ops.cast(probabilities > 0.5, "float32"))


class GAN(keras.Model):
    """A generator and a discriminator trained adversarially.

    Args:
        generator: maps noise (N, latent_dim) to images (N, H, W, C) in [-1, 1]; a conditional one maps
            [noise, labels (N,) int] to images of those classes.
        discriminator: maps images to the probability (N, 1) in [0, 1] that they are real; a conditional
            one maps [images, labels (N,) int].
        settings: the learning rates, real label and D:G ratio (``settings.LITERAL`` by default, the
            assignment's); keyword arguments named like its fields override single values
            (``GAN(g, d, real_label=0.9)``).
        seed: seeds everything drawn while training: the noise (and the conditional G step's labels), the
            dropout masks and the order of the real images. (The networks' initial weights are fixed by
            whoever builds them: the recipes seed them with the same seed.)
        num_classes: for a conditional GAN (both networks take labels), the number of classes; else None.
        mismatched_real: conditional GANs only: D also learns to call real images paired with a wrong label
            fake (the "matching-aware" discriminator of Reed et al., 2016), so it must check that image and
            label agree, not just that the image looks real.
        augment: a differentiable augmentation ``augment(images, seed) -> images`` (images (N, H, W, C) in
            [-1, 1], seed a (2,) int32 tensor) that D sees every image through, real and generated, in both
            players' steps, as DiffAugment does (Zhao et al., 2020): G's gradient passes through it, and
            since both sides are augmented alike, G is not taught to draw the augmentation.

    ``fit`` takes batches of real images of size ``d_steps * batch_size`` (a conditional GAN: (images,
    labels) batches); each D update uses its own slice, and its fakes are made for the real slice's
    labels. The G update asks for uniformly drawn labels. The tracked metrics are d_loss, d_acc (share
    of real and fake images D classifies right, averaged over the step's D updates), g_loss and g_acc
    (share of fakes that D calls real, the stacked model's accuracy).
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        settings: Settings = LITERAL,
        *,
        seed: int = 0,
        num_classes: int | None = None,
        mismatched_real: bool = False,
        augment=None,
        **overrides,
    ):
        super().__init__()
        self.settings = settings.replace(**overrides)
        _check_networks(generator, discriminator, num_classes, mismatched_real)
        self.generator, self.discriminator = generator, discriminator
        self.ema_generator = None if self.settings.ema is None else _copy_of(generator)
        self.image_shape = tuple(discriminator.inputs[0].shape[1:])
        self.latent_dim = int(generator.inputs[0].shape[-1])
        self.num_classes = None if num_classes is None else int(num_classes)
        self.mismatched_real = bool(mismatched_real)
        self.augment = augment
        self.seed = int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        _reseed_dropout(generator, discriminator, self.seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}
        self.built = True  # both networks are built functional models; the GAN itself has no call()

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer | None = None,
        g_optimizer: keras.optimizers.Optimizer | None = None,
        **kwargs,
    ):
        """One Adam per network, from the settings, unless optimizers are given.

        ``jit_compile`` (XLA) defaults to True on one device. It is off under a multi-device strategy (XLA
        cannot span the replicas' devices) and in fast mode, whose short runs never earn back the compile.
        """
        kwargs.setdefault(
            "jit_compile", _distributed.replica_count() == 1 and not config.fast_mode()
        )
        super().compile(**kwargs)
        settings = self.settings
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(
            self._learning_rate(settings.d_learning_rate, updates_per_step=settings.d_steps),
            beta_1=settings.d_beta_1,
        )
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(
            self._learning_rate(settings.g_learning_rate, updates_per_step=settings.g_steps),
            beta_1=settings.g_beta_1,
        )
        if self.d_optimizer is self.g_optimizer:
            raise ValueError(
                "Use one optimizer per network: d_optimizer and g_optimizer are the same object."
            )
        # float16 gradients need scaling
        if keras.mixed_precision.global_policy().name == "mixed_float16":
            self.d_optimizer = keras.optimizers.LossScaleOptimizer(self.d_optimizer)
            self.g_optimizer = keras.optimizers.LossScaleOptimizer(self.g_optimizer)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def _learning_rate(self, rate: float, updates_per_step: int):
        """``rate``, or with ``settings.decay_steps`` a schedule falling linearly from it to 0 over that many
        steps (of this optimizer's ``updates_per_step`` updates each)."""
        if self.settings.decay_steps is None:
            return rate
        return keras.optimizers.schedules.PolynomialDecay(
            rate, self.settings.decay_steps * updates_per_step, 0.0
        )

    @property
    def metrics(self):
        return list(self.trackers.values())

    # --- The algorithm -------------------------------------------------------------------------------

    def discriminator_step(self, real_images, labels=None):
        """One D update on real images and as many fakes (of the same labels, if conditional).
        Returns (D loss, D accuracy on the real and fake images)."""
        fake_images = self.generate(
            self.sample_noise(ops.shape(real_images)[0]), labels, training=True
        )
        real_images = self.augmented(real_images)
        with tf.GradientTape() as tape:
            p_real = self.discriminate(real_images, labels)
            p_fake = self.discriminate(self.augmented(fake_images), labels)
            p_mismatched = (
                self.discriminate(real_images, self.wrong_labels(labels))
                if self.mismatched_real
                else None
            )
            loss = discriminator_loss(p_real, p_fake, self.settings.real_label, p_mismatched)
            replica_loss = _distributed.scaled_loss(loss, self.d_optimizer)
        self._update(self.discriminator, self.d_optimizer, tape, replica_loss)
        return loss, 0.5 * (share_real(p_real) + 1.0 - share_real(p_fake))

    def generator_step(self, batch_size):
        """One G update through a fixed D (for random labels, if conditional).
        Returns (G loss, share of the fakes that D calls real)."""
        noise = self.sample_noise(batch_size)
        labels = None if self.num_classes is None else self.sample_labels(batch_size)
        with tf.GradientTape() as tape:
            p_fake = self.discriminate(
                self.augmented(self.generate(noise, labels, training=True)), labels
            )
            loss = generator_loss(p_fake)
            replica_loss = _distributed.scaled_loss(loss, self.g_optimizer)
        self._update(self.generator, self.g_optimizer, tape, replica_loss)
        if self.ema_generator is not None:
            self._update_moving_average()
        return loss, share_real(p_fake)

    def train_step(self, data):
        """``d_steps`` D updates, each on its slice of the real batch, then ``g_steps`` G updates."""
        real_images, labels = data if self.num_classes is not None else (data, None)
        batch_size = ops.shape(real_images)[0] // self.settings.d_steps
        d_results = []
        for i in range(self.settings.d_steps):
            part = slice(i * batch_size, (i + 1) * batch_size)
            d_results.append(
                self.discriminator_step(real_images[part], None if labels is None else labels[part])
            )
        d_loss, d_acc = (ops.mean(ops.stack(values)) for values in zip(*d_results))
        g_results = [self.generator_step(batch_size) for _ in range(self.settings.g_steps)]
        g_loss, g_acc = (ops.mean(ops.stack(values)) for values in zip(*g_results))
        for name, value in zip(METRIC_NAMES, (d_loss, d_acc, g_loss, g_acc)):
            self.trackers[name].update_state(_distributed.global_mean(value))
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    @staticmethod
    def _update(network, optimizer, tape, replica_loss):
        """Apply the gradient of this replica's loss to ``network``'s weights, and only to them."""
        weights = network.trainable_variables
        optimizer.apply(tape.gradient(replica_loss, weights), weights)

    def _update_moving_average(self):
        """ema <- d ema + (1 - d) G for G's weights (its statistics are copied), with the decay d =
        min(ema, (1 + t) / (10 + t)) after t generator updates, so that the early average follows G."""
        updates = ops.cast(self.g_optimizer.iterations, "float32")
        decay = ops.minimum(self.settings.ema, (1.0 + updates) / (10.0 + updates))
        for average, live in zip(
            self.ema_generator.trainable_variables, self.generator.trainable_variables
        ):
            average.assign(decay * average + (1.0 - decay) * live)
        for average, live in zip(
            self.ema_generator.non_trainable_variables, self.generator.non_trainable_variables
        ):
            average.assign(live)

    @property
    def sampling_generator(self) -> keras.Model:
        """The generator to draw samples from: the moving average of G's weights when ``settings.ema`` is
        set, else G itself. The sample grids, generator.keras and the recipes use it."""
        return self.generator if self.ema_generator is None else self.ema_generator

    # --- Inputs and the two networks ---------------------------------------------------------------

    def generate(self, noise, labels=None, training=False, generator=None):
        """Images from noise (and, for a conditional GAN, labels), by G or by another ``generator``."""
        generator = generator or self.generator
        if labels is None:
            return generator(noise, training=training)
        return generator(
            [ops.convert_to_tensor(noise), ops.convert_to_tensor(labels, "int32")],
            training=training,
        )

    def discriminate(self, images, labels=None, training=True):
        """D's probability that images (of the given labels) are real."""
        if labels is None:
            return self.discriminator(images, training=training)
        return self.discriminator(
            [ops.convert_to_tensor(images), ops.convert_to_tensor(labels, "int32")],
            training=training,
        )

    def augmented(self, images):
        """``images`` as D sees them: through ``augment`` if the GAN has one (each replica with its own seed)."""
        if self.augment is None:
            return images
        return self.augment(images, _distributed.replica_seed(self._seed()))

    def _seed(self):
        return ops.cast(self.seed_generator.next(), "int32")

    def sample_noise(self, count):
        """Noise (count, latent_dim) of the settings' distribution for this replica."""
        if self.settings.noise == "uniform":
            draw = lambda total, seed: tf.random.stateless_uniform(
                (total, self.latent_dim), seed, -1.0, 1.0
            )  # noqa: E731
        else:
            draw = lambda total, seed: tf.random.stateless_normal((total, self.latent_dim), seed)  # noqa: E731
        return _distributed.replica_slice(draw, count, self._seed())

    def _uniform_integers(self, count, low, high):
        """Uniform integers (count,) int32 in [low, high) for this replica."""
        return _distributed.replica_slice(
            lambda total, seed: tf.random.stateless_uniform(
                (total,), seed=seed, minval=low, maxval=high, dtype="int32"
            ),
            count,
            self._seed(),
        )

    def sample_labels(self, count):
        """Uniform class labels (count,) int32 in [0, num_classes) for this replica (conditional GANs)."""
        return self._uniform_integers(count, 0, self.num_classes)

    def wrong_labels(self, labels):
        """For labels (N,) int, labels (N,) int32 each drawn uniformly from the other classes."""
        offsets = self._uniform_integers(ops.shape(labels)[0], 1, self.num_classes)
        return (ops.cast(labels, "int32") + offsets) % self.num_classes


def _copy_of(network: keras.Model) -> keras.Model:
    """A second network of the same architecture and weights (for the moving average)."""
    copy = keras.models.clone_model(network)
    copy.set_weights(network.get_weights())
    return copy


def _reseed_dropout(generator, discriminator, seed: int) -> None:
    """Set the random-number state of every dropout (or other random) layer in both networks from ``seed``,
    so the masks depend on the GAN's seed alone, not on what was drawn before the networks were built."""
    states = [
        v
        for network in (generator, discriminator)
        for v in network.non_trainable_variables
        if v.path.endswith("seed_generator_state")
    ]
    for state, layer_seed in zip(
        states, np.random.default_rng(seed).integers(0, 2**31, len(states))
    ):
        state.assign(np.array([layer_seed, 0], dtype=state.dtype))


def _check_networks(generator, discriminator, num_classes, mismatched_real) -> None:
    inputs = (len(generator.inputs), len(discriminator.inputs))
    if inputs != ((1, 1) if num_classes is None else (2, 2)):
        raise ValueError(
            f"Expected {'one input' if num_classes is None else 'two inputs (data, labels)'} "
            f"per network for num_classes={num_classes}, got {inputs[0]} (generator) and "
            f"{inputs[1]} (discriminator)."
        )
    if num_classes is not None and (int(num_classes) != num_classes or num_classes < 2):
        raise ValueError(f"num_classes must be an integer >= 2 or None, got {num_classes}.")
    if mismatched_real and num_classes is None:
        raise ValueError(
            "mismatched_real needs a conditional GAN (num_classes); this one has no labels."
        )
    if tuple(generator.output_shape[1:]) != tuple(discriminator.inputs[0].shape[1:]):
        raise ValueError(
            f"The generator makes images of shape {generator.output_shape[1:]} but the "
            f"discriminator expects {tuple(discriminator.inputs[0].shape[1:])}."
        )


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
