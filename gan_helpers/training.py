"""How a GAN learns: the two losses and one step of each player.

Read this file top to bottom:

1. ``discriminator_loss`` and ``generator_loss``: what each player minimises.
2. ``GAN``: a ``keras.Model`` whose ``train_step`` makes ``d_steps`` discriminator updates and then one
   generator update, each player with its own ``GradientTape`` and its own optimizer.

Running a run (``train()``: the run folder, sample grids, history, checkpoints and resume) lives in
``runs.py``.

Why not the classic listing (``discriminator.trainable = False`` and a stacked model trained with
``train_on_batch``)? In Keras 3 ``trainable`` is read when the train function is traced, not at compile,
so that recipe silently trains the wrong weights. Here each update touches only its own player's weights
(``tests/test_training.py`` proves it).

One *step* is one generator update preceded by ``d_steps`` discriminator updates. The assignment's
"epochs" are such steps: one batch each, not passes over the dataset.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from . import _distributed, config
from .callbacks import METRIC_NAMES
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
        self.augment = _checked_augment(augment)
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
            self._learning_rate(settings.g_learning_rate, updates_per_step=1),
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
        """``d_steps`` D updates, each on its slice of the real batch, then one G update."""
        real_images, labels = data if self.num_classes is not None else (data, None)
        batch_size = ops.shape(real_images)[0] // self.settings.d_steps
        d_results = []
        for i in range(self.settings.d_steps):
            part = slice(i * batch_size, (i + 1) * batch_size)
            d_results.append(
                self.discriminator_step(real_images[part], None if labels is None else labels[part])
            )
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


def _checked_augment(augment):
    if augment is not None and not callable(augment):
        raise TypeError(
            f"augment must be a function augment(images, seed) -> images, or None; got {augment!r}. "
            f"For DiffAugment's transforms by name, pass augment.diff_augment(['translation'])."
        )
    return augment


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
