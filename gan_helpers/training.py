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

import os

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from . import _distributed, config, data
from .callbacks import METRIC_NAMES, RunCallback
from .run_folder import RunFolder
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
        fake_loss = 0.5 * (fake_loss + keras.losses.binary_crossentropy(ops.zeros_like(p_mismatched), p_mismatched))
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
        seed: seeds the noise (and the conditional G step's labels) drawn inside ``train_step``.
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

    def __init__(self, generator: keras.Model, discriminator: keras.Model, settings: Settings = LITERAL, *,
                 seed: int = 0, num_classes: int | None = None, mismatched_real: bool = False, augment=None,
                 **overrides):
        super().__init__()
        self.settings = settings.replace(**overrides)
        _check_networks(generator, discriminator, num_classes, mismatched_real)
        self.generator, self.discriminator = generator, discriminator
        self.image_shape = tuple(discriminator.inputs[0].shape[1:])
        self.latent_dim = int(generator.inputs[0].shape[-1])
        self.num_classes = None if num_classes is None else int(num_classes)
        self.mismatched_real = bool(mismatched_real)
        self.augment = augment
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}
        self.built = True  # both networks are built functional models; the GAN itself has no call()

    def compile(self, d_optimizer: keras.optimizers.Optimizer | None = None,
                g_optimizer: keras.optimizers.Optimizer | None = None, **kwargs):
        """One Adam per network, from the settings, unless optimizers are given.

        ``jit_compile`` (XLA) defaults to True on one device. It is off under a multi-device strategy (XLA
        cannot span the replicas' devices) and in fast mode, whose short runs never earn back the compile.
        """
        kwargs.setdefault("jit_compile", _distributed.replica_count() == 1 and not config.fast_mode())
        super().compile(**kwargs)
        settings = self.settings
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(settings.d_learning_rate, beta_1=settings.d_beta_1)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(settings.g_learning_rate, beta_1=settings.g_beta_1)
        if self.d_optimizer is self.g_optimizer:
            raise ValueError("Use one optimizer per network: d_optimizer and g_optimizer are the same object.")
        if keras.mixed_precision.global_policy().name == "mixed_float16":  # float16 gradients need scaling
            self.d_optimizer = keras.optimizers.LossScaleOptimizer(self.d_optimizer)
            self.g_optimizer = keras.optimizers.LossScaleOptimizer(self.g_optimizer)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    # --- The algorithm -------------------------------------------------------------------------------

    def discriminator_step(self, real_images, labels=None):
        """One D update on real images and as many fakes (of the same labels, if conditional).
        Returns (D loss, D accuracy on the real and fake images)."""
        fake_images = self.generate(self.sample_noise(ops.shape(real_images)[0]), labels, training=True)
        real_images = self.augmented(real_images)
        with tf.GradientTape() as tape:
            p_real = self.discriminate(real_images, labels)
            p_fake = self.discriminate(self.augmented(fake_images), labels)
            p_mismatched = self.discriminate(real_images, self.wrong_labels(labels)) if self.mismatched_real else None
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
            p_fake = self.discriminate(self.augmented(self.generate(noise, labels, training=True)), labels)
            loss = generator_loss(p_fake)
            replica_loss = _distributed.scaled_loss(loss, self.g_optimizer)
        self._update(self.generator, self.g_optimizer, tape, replica_loss)
        return loss, share_real(p_fake)

    def train_step(self, data):
        """``d_steps`` D updates, each on its slice of the real batch, then one G update."""
        real_images, labels = data if self.num_classes is not None else (data, None)
        batch_size = ops.shape(real_images)[0] // self.settings.d_steps
        d_results = []
        for i in range(self.settings.d_steps):
            part = slice(i * batch_size, (i + 1) * batch_size)
            d_results.append(self.discriminator_step(real_images[part], None if labels is None else labels[part]))
        d_loss, d_acc = (ops.mean(ops.stack(values)) for values in zip(*d_results))
        g_loss, g_acc = self.generator_step(batch_size)
        for name, value in zip(METRIC_NAMES, (d_loss, d_acc, g_loss, g_acc)):
            self.trackers[name].update_state(_distributed.global_mean(value))
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    @staticmethod
    def _update(network, optimizer, tape, replica_loss):
        """Apply the gradient of this replica's loss to ``network``'s weights, and only to them."""
        weights = network.trainable_variables
        optimizer.apply(tape.gradient(replica_loss, weights), weights)

    # --- Inputs and the two networks ---------------------------------------------------------------

    def generate(self, noise, labels=None, training=False):
        """Images from noise (and, for a conditional GAN, labels)."""
        if labels is None:
            return self.generator(noise, training=training)
        return self.generator([ops.convert_to_tensor(noise), ops.convert_to_tensor(labels, "int32")],
                              training=training)

    def discriminate(self, images, labels=None, training=True):
        """D's probability that images (of the given labels) are real."""
        if labels is None:
            return self.discriminator(images, training=training)
        return self.discriminator([ops.convert_to_tensor(images), ops.convert_to_tensor(labels, "int32")],
                                  training=training)

    def augmented(self, images):
        """``images`` as D sees them: through ``augment`` if the GAN has one (each replica with its own seed)."""
        if self.augment is None:
            return images
        return self.augment(images, _distributed.replica_seed(self._seed()))

    def _seed(self):
        return ops.cast(self.seed_generator.next(), "int32")

    def sample_noise(self, count):
        """Standard-normal noise (count, latent_dim) for this replica."""
        return _distributed.replica_slice(
            lambda total, seed: tf.random.stateless_normal((total, self.latent_dim), seed=seed), count, self._seed())

    def _uniform_integers(self, count, low, high):
        """Uniform integers (count,) int32 in [low, high) for this replica."""
        return _distributed.replica_slice(lambda total, seed: tf.random.stateless_uniform(
            (total,), seed=seed, minval=low, maxval=high, dtype="int32"), count, self._seed())

    def sample_labels(self, count):
        """Uniform class labels (count,) int32 in [0, num_classes) for this replica (conditional GANs)."""
        return self._uniform_integers(count, 0, self.num_classes)

    def wrong_labels(self, labels):
        """For labels (N,) int, labels (N,) int32 each drawn uniformly from the other classes."""
        offsets = self._uniform_integers(ops.shape(labels)[0], 1, self.num_classes)
        return (ops.cast(labels, "int32") + offsets) % self.num_classes


def _check_networks(generator, discriminator, num_classes, mismatched_real) -> None:
    inputs = (len(generator.inputs), len(discriminator.inputs))
    if inputs != ((1, 1) if num_classes is None else (2, 2)):
        raise ValueError(f"Expected {'one input' if num_classes is None else 'two inputs (data, labels)'} "
                         f"per network for num_classes={num_classes}, got {inputs[0]} (generator) and "
                         f"{inputs[1]} (discriminator).")
    if num_classes is not None and (int(num_classes) != num_classes or num_classes < 2):
        raise ValueError(f"num_classes must be an integer >= 2 or None, got {num_classes}.")
    if mismatched_real and num_classes is None:
        raise ValueError("mismatched_real needs a conditional GAN (num_classes); this one has no labels.")
    if tuple(generator.output_shape[1:]) != tuple(discriminator.inputs[0].shape[1:]):
        raise ValueError(f"The generator makes images of shape {generator.output_shape[1:]} but the "
                         f"discriminator expects {tuple(discriminator.inputs[0].shape[1:])}.")


def fixed_grid_inputs(gan: GAN, grid_size: int | None = None,
                      seed: int = 1234) -> tuple[np.ndarray, np.ndarray | None]:
    """The inputs behind a run's sample grids: noise (grid_size**2, latent_dim) float32 and None; for a
    conditional GAN, noise (num_classes * grid_size, latent_dim), the same grid_size vectors for every
    class, and labels (num_classes * grid_size,) int32, row by row (class 0 first)."""
    if gan.num_classes is None:
        noise = np.random.default_rng(seed).standard_normal(((grid_size or 5) ** 2, gan.latent_dim))
        return noise.astype("float32"), None
    columns = grid_size or gan.num_classes
    noise = np.random.default_rng(seed).standard_normal((columns, gan.latent_dim)).astype("float32")
    return np.tile(noise, (gan.num_classes, 1)), np.repeat(np.arange(gan.num_classes, dtype="int32"), columns)


def train(gan: GAN, images: np.ndarray, *, steps: int, run_dir: str | os.PathLike, labels: np.ndarray | None = None,
          batch_size: int = 128, sample_interval: int | None = None, log_interval: int | None = None,
          print_interval: int | None = None, grid_size: int | None = None, resume: bool = True,
          show_samples: bool = True, noise_seed: int = 1234, augment: keras.layers.Layer | None = None) -> list[dict]:
    """Train a compiled ``gan`` for ``steps`` steps on ``images``, resuming from ``run_dir`` if it holds a run.

    Args:
        images: real images (N, H, W, C), float32 in [-1, 1].
        labels: their classes (N,) int in [0, num_classes); required by a conditional GAN, else unused.
        steps: total generator updates (the assignment's "epochs"), > 0.
        run_dir: folder for the history, sample grids, checkpoints and final models (see ``RunFolder``).
        batch_size: real images per discriminator update.
        sample_interval: save (and show) a grid from the fixed noise every this many steps; default steps // 10.
        log_interval: average the metrics over this many steps per history row; default
            min(100, sample_interval // 10). Steps and the intervals must be multiples of it.
        print_interval: print a progress line every this many steps; default sample_interval.
        grid_size: the sample grid is grid_size x grid_size (default 5); for a conditional GAN it has one
            row per class and grid_size columns (default num_classes), the same noise down each column.
        resume: continue from the last checkpoint in ``run_dir``; False starts over.
        show_samples: display each grid inline (notebooks) as well as saving it.
        noise_seed: seed of the fixed noise behind the sample grids.
        augment: a Keras preprocessing layer applied to each real batch (e.g. ``data.augmentation()``).

    Returns:
        The history: one dict per log interval with step, seconds, d_loss, d_acc, g_loss, g_acc.
        A checkpoint is written with every sample grid and at the end, with the history; the generator
        and discriminator are saved as generator.keras and discriminator.keras at the end.
    """
    steps, batch_size = int(steps), int(batch_size)
    if steps <= 0 or batch_size <= 0:
        raise ValueError(f"steps and batch_size must be positive, got steps={steps}, batch_size={batch_size}.")
    sample_interval = int(sample_interval or max(steps // 10, 1))
    log_interval = min(int(log_interval or max(min(100, sample_interval // 10), 1)), steps)
    print_interval = int(print_interval or sample_interval)
    for name, value in (("steps", steps), ("sample_interval", sample_interval), ("print_interval", print_interval)):
        if value <= 0 or value % log_interval:
            raise ValueError(f"{name} must be a positive multiple of log_interval={log_interval}, got {value}.")
    images = data.check_images(images, gan.image_shape)
    if gan.num_classes is not None:
        labels = _check_labels(labels, len(images), gan.num_classes)
    if getattr(gan, "d_optimizer", None) is None:
        raise ValueError("Compile the GAN before training: gan.compile().")

    run = RunFolder(run_dir)
    if run.path.exists() and not run.path.is_dir():
        raise ValueError(f"run_dir {run.path} is a file; expected a folder.")
    run.samples_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = tf.train.Checkpoint(generator=gan.generator, discriminator=gan.discriminator,
                                     d_optimizer=gan.d_optimizer, g_optimizer=gan.g_optimizer,
                                     noise_seed_state=gan.seed_generator.state.value)
    manager = tf.train.CheckpointManager(checkpoint, run.checkpoints_dir, max_to_keep=2)
    history = []
    if resume and manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        done = int(gan.g_optimizer.iterations.numpy())
        history = [row for row in run.history() if row["step"] <= done]
        print(f"Resuming from step {done} ({manager.latest_checkpoint}).")
    done = history[-1]["step"] if history else 0
    if done % log_interval:
        raise ValueError(f"The checkpoint is at step {done}, not a multiple of log_interval={log_interval}.")

    new_noise, fixed_labels = fixed_grid_inputs(gan, grid_size, noise_seed)
    if not (resume and run.fixed_noise_file.exists()):
        np.save(run.fixed_noise_file, new_noise)
    fixed_noise = np.load(run.fixed_noise_file)

    callback = RunCallback(run, steps, log_interval, sample_interval, manager, fixed_noise, fixed_labels,
                           history, show_samples, print_interval)
    if done < steps:
        batches = data.real_image_batches(images, batch_size * gan.settings.d_steps, seed=noise_seed,
                                          labels=labels, augment=augment)
        gan.fit(batches, initial_epoch=done // log_interval, epochs=steps // log_interval,
                steps_per_epoch=log_interval, callbacks=[callback], shuffle=False, verbose=0)
    else:
        print(f"{run.path} already holds a finished run of {done} steps; loaded it without training.")
    gan.generator.save(run.generator_file)
    gan.discriminator.save(run.discriminator_file)
    return history


def _check_labels(labels, count: int, num_classes: int) -> np.ndarray:
    if labels is None:
        raise ValueError("A conditional GAN trains on labelled images: pass labels=(N,) class indices.")
    labels = np.asarray(labels)
    if labels.shape != (count,) or not np.issubdtype(labels.dtype, np.integer) \
            or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"Expected labels of shape ({count},) with integers in [0, {num_classes}), got shape "
                         f"{labels.shape}, dtype {labels.dtype}.")
    return labels.astype("int32")
