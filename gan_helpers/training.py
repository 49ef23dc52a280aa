"""How a GAN learns: what each player minimises, and one step of each player.

Read this file top to bottom:

1. ``GAN``: a ``keras.Model`` whose ``train_step`` makes ``d_steps`` discriminator updates and then one
   generator update, each player with its own ``GradientTape`` and its own optimizer.
2. ``discriminator_step`` and ``generator_step``: D's loss, G's loss and D's penalty, on D's logits. The
   losses themselves (the assignment's cross-entropy, hinge, WGAN-GP, least squares) are objects in
   ``losses.py``; ``Settings.loss`` picks one by name.

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
import tensorflow as tf
from keras import ops

from . import _distributed, config, losses, models
from . import augment as augment_module
from .callbacks import METRIC_NAMES
from .settings import LITERAL, Settings


def share_real(logits):
    """The share of images that D calls real (logit > 0, i.e. probability > 0.5), in [0, 1]."""
    return ops.mean(ops.cast(logits > 0.0, "float32"))


class GAN(keras.Model):
    """A generator and a discriminator trained adversarially.

    Args:
        generator: maps noise (N, latent_dim) to images (N, H, W, C) in [-1, 1]; a conditional one maps
            [noise, labels (N,) int] to images of those classes.
        discriminator: maps images to the probability (N, 1) in [0, 1] that they are real, ending in a
            sigmoid layer of its own (the trainer reads the logit before it, ``models.logit_model``); a
            conditional one maps [images, labels (N,) int].
        settings: the loss, learning rates, real label, D:G ratio and regularisers (``settings.LITERAL``
            by default, the assignment's); keyword arguments named like its fields override single values
            (``GAN(g, d, real_label=0.9)``, ``GAN(g, d, loss="hinge", real_label=1.0)``).
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
    labels. The G update asks for uniformly drawn labels. The tracked metrics are d_loss (the loss's D
    objective, without penalties), d_acc (share of real and fake images D classifies right by the sign of
    its logit, averaged over the step's D updates), g_loss and g_acc (share of fakes that D calls real,
    the stacked model's accuracy). ``objective`` is the loss (``losses.get``), whose
    ``divergence_bound`` says which |loss| is absurd for it.
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
        models.check_pair(generator, discriminator, num_classes, mismatched_real)
        self.generator, self.discriminator = generator, discriminator
        self.logit_discriminator = models.logit_model(discriminator)  # same layers, no sigmoid
        self.objective = losses.get(self.settings.loss, self.settings.real_label)
        self.ema_generator = None if self.settings.ema is None else models.copy_of(generator)
        self.image_shape = tuple(discriminator.inputs[0].shape[1:])
        self.latent_dim = int(generator.inputs[0].shape[-1])
        self.num_classes = None if num_classes is None else int(num_classes)
        self.mismatched_real = bool(mismatched_real)
        self.augment = augment_module.checked(augment)
        self.seed = int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        models.reseed_random_layers(generator, discriminator, self.seed)
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
            beta_2=settings.d_beta_2,
        )
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(
            self._learning_rate(settings.g_learning_rate, updates_per_step=settings.g_steps),
            beta_1=settings.g_beta_1,
            beta_2=settings.g_beta_2,
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
        """One D update on real images and as many fakes (of the same labels, if conditional): the
        loss's D objective plus D's penalties. Returns (D's objective, D's accuracy on both)."""
        fake_images = self.generate(
            self.sample_noise(ops.shape(real_images)[0]), labels, training=True
        )
        real_images, fake_images = self.augmented(real_images), self.augmented(fake_images)
        wrong_labels = self.wrong_labels(labels) if self.mismatched_real else None
        with tf.GradientTape() as tape:
            real = self.logits(real_images, labels)
            fake = self.logits(fake_images, labels)
            mismatched = None if wrong_labels is None else self.logits(real_images, wrong_labels)
            loss = ops.mean(self.objective.discriminator(real, fake, mismatched))
            penalty = self.discriminator_penalty(real_images, fake_images, labels)
            replica_loss = _distributed.scaled_loss(loss + penalty, self.d_optimizer)
        self._update(self.discriminator, self.d_optimizer, tape, replica_loss)
        return loss, 0.5 * (share_real(real) + 1.0 - share_real(fake))

    def generator_step(self, batch_size):
        """One G update through a fixed D (for random labels, if conditional), from the fakes that
        top-k keeps (all without it). Returns (G's objective, share of the fakes that D calls real)."""
        noise = self.sample_noise(batch_size)
        labels = None if self.num_classes is None else self.sample_labels(batch_size)
        with tf.GradientTape() as tape:
            fake = self.logits(self.augmented(self.generate(noise, labels, training=True)), labels)
            loss = ops.mean(self.top_k_weights(fake) * self.objective.generator(fake))
            replica_loss = _distributed.scaled_loss(loss, self.g_optimizer)
        self._update(self.generator, self.g_optimizer, tape, replica_loss)
        if self.ema_generator is not None:
            self._update_moving_average()
        return loss, share_real(fake)

    def discriminator_penalty(self, real_images, fake_images, labels=None):
        """D's regularisers, each a mean over the images D just saw: the loss's own penalty (WGAN-GP's,
        on mixes of real and fake images) and R1 on the real ones, on every ``r1_interval``-th D update
        with its weight times the interval. 0 when there are none."""
        critic = lambda images: self.logits(images, labels)  # noqa: E731
        penalty = 0.0
        if self.objective.penalty is not None:
            mixing = self.sample_uniform(ops.shape(real_images)[0])
            penalty += ops.mean(self.objective.penalty(critic, real_images, fake_images, mixing))
        if self.settings.r1_weight is not None:
            weight, interval = self.settings.r1_weight, self.settings.r1_interval
            r1 = lambda: weight * interval * ops.mean(losses.r1_penalty(critic, real_images))  # noqa: E731
            penalty += (
                r1()
                if interval == 1
                else tf.cond(self.d_optimizer.iterations % interval == 0, r1, lambda: 0.0)
            )
        return penalty

    def top_k_weights(self, fake):
        """Top-k training of G (Sinha et al., 2020): weights (N,) that keep the share of fakes that
        D scores highest, max(top_k_decay^t, top_k_floor) after t G updates, out of all replicas'
        fakes; 1 (every fake) without ``top_k_decay``."""
        if self.settings.top_k_decay is None:
            return 1.0
        updates = ops.cast(self.g_optimizer.iterations, "float32")
        share = ops.maximum(self.settings.top_k_decay**updates, self.settings.top_k_floor)
        return _distributed.top_share_weights(ops.stop_gradient(fake), share)

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
        return _call(generator or self.generator, noise, labels, training)

    def discriminate(self, images, labels=None, training=True):
        """D's probability (N, 1) that images (of the given labels) are real."""
        return _call(self.discriminator, images, labels, training)

    def logits(self, images, labels=None, training=True):
        """D's logits (N, 1), float32, unbounded: what it gives before its sigmoid, and what the
        losses are written on."""
        return _call(self.logit_discriminator, images, labels, training)

    def augmented(self, images):
        """``images`` as D sees them: through ``augment`` if the GAN has one (each replica with its own seed)."""
        if self.augment is None:
            return images
        return self.augment(images, _distributed.replica_seed(self._seed()))

    def _seed(self):
        return ops.cast(self.seed_generator.next(), "int32")

    def sample_noise(self, count):
        """Noise (count, latent_dim) of the settings' distribution for this replica."""

        def draw(total, seed):
            shape = (total, self.latent_dim)
            if self.settings.noise == "uniform":
                return tf.random.stateless_uniform(shape, seed, -1.0, 1.0)
            return tf.random.stateless_normal(shape, seed)

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

    def sample_uniform(self, count):
        """Uniform floats (count,) in [0, 1) for this replica, from the trainer's seed."""
        return _distributed.replica_slice(
            lambda total, seed: tf.random.stateless_uniform((total,), seed), count, self._seed()
        )

    def sample_labels(self, count):
        """Uniform class labels (count,) int32 in [0, num_classes) for this replica (conditional GANs)."""
        return self._uniform_integers(count, 0, self.num_classes)

    def wrong_labels(self, labels):
        """For labels (N,) int, labels (N,) int32 each drawn uniformly from the other classes."""
        offsets = self._uniform_integers(ops.shape(labels)[0], 1, self.num_classes)
        return (ops.cast(labels, "int32") + offsets) % self.num_classes


def _call(network, data, labels, training):
    """``network`` on ``data``, or on [data, labels (N,) int32] when labels are given."""
    if labels is None:
        return network(data, training=training)
    return network(
        [ops.convert_to_tensor(data), ops.convert_to_tensor(labels, "int32")], training=training
    )
