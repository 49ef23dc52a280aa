"""The GAN trainer: a ``keras.Model`` with its own ``train_step``, plus ``train()`` for resumable runs.

Why a custom ``train_step``: the classic recipe (``D.trainable = False`` and a stacked model trained
with ``train_on_batch``) silently trains the wrong weights in Keras 3, because ``trainable`` is read
when the train function is traced, not at compile. Here each player has its own ``GradientTape`` and
optimizer, and each update touches only that player's weights (``tests/test_training.py`` proves it).

One *step* is one generator update preceded by ``d_steps`` discriminator updates. The assignment's
"epochs" are such steps: one batch each, not passes over the dataset.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from . import config, data, plotting

METRIC_NAMES = ("d_loss", "d_acc", "g_loss", "g_acc")


class GAN(keras.Model):
    """A generator and a discriminator trained adversarially.

    Args:
        generator: maps noise (N, latent_dim) to images (N, H, W, C) in [-1, 1]; a conditional one maps
            [noise, labels (N,) int] to images of those classes.
        discriminator: maps images to the probability (N, 1) in [0, 1] that they are real; a conditional
            one maps [images, labels (N,) int].
        d_steps: discriminator updates per generator update (the D:G ratio), >= 1.
        real_label: the target for real images in D's loss; below 1 is one-sided label smoothing
            (e.g. 0.9). Fakes always get 0 and the generator always aims for 1.
        seed: seeds the noise (and the conditional G step's labels) drawn inside ``train_step``.
        num_classes: for a conditional GAN (both networks take labels), the number of classes; else None.
        mismatched_real: conditional GANs only: D also learns to call real images paired with a wrong label
            fake (the "matching-aware" discriminator of Reed et al., 2016), so it must check that image and
            label agree, not just that the image looks real. Its fake half of the loss is then the mean of
            the fakes' and the mismatched reals' terms.

    ``fit`` takes batches of real images of size ``d_steps * batch_size`` (a conditional GAN: (images,
    labels) batches); each D update uses its own slice, and its fakes are made for the real slice's
    labels. The G update asks for uniformly drawn labels. The tracked metrics are d_loss, d_acc (share
    of real and fake images D classifies right, averaged over the step's D updates), g_loss and g_acc
    (share of fakes that D calls real, the stacked model's accuracy).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, d_steps: int = 1,
                 real_label: float = 1.0, seed: int = 0, num_classes: int | None = None,
                 mismatched_real: bool = False, **kwargs):
        super().__init__(**kwargs)
        if int(d_steps) != d_steps or d_steps < 1:
            raise ValueError(f"d_steps (the D:G ratio) must be an integer >= 1, got {d_steps}.")
        if not 0.5 < real_label <= 1.0:
            raise ValueError(f"real_label must be in (0.5, 1], got {real_label}.")
        inputs = (len(generator.inputs), len(discriminator.inputs))
        if inputs != ((1, 1) if num_classes is None else (2, 2)):
            raise ValueError(f"Expected {'one input' if num_classes is None else 'two inputs (data, labels)'} "
                             f"per network for num_classes={num_classes}, got {inputs[0]} (generator) and "
                             f"{inputs[1]} (discriminator).")
        if num_classes is not None and (int(num_classes) != num_classes or num_classes < 2):
            raise ValueError(f"num_classes must be an integer >= 2 or None, got {num_classes}.")
        if mismatched_real and num_classes is None:
            raise ValueError("mismatched_real needs a conditional GAN (num_classes); this one has no labels.")
        self.image_shape = tuple(discriminator.inputs[0].shape[1:])
        if tuple(generator.output_shape[1:]) != self.image_shape:
            raise ValueError(f"The generator makes images of shape {generator.output_shape[1:]} but the "
                             f"discriminator expects {self.image_shape}.")
        self.generator = generator
        self.discriminator = discriminator
        self.num_classes = None if num_classes is None else int(num_classes)
        self.latent_dim = int(generator.inputs[0].shape[-1])
        self.d_steps = int(d_steps)
        self.real_label = float(real_label)
        self.mismatched_real = bool(mismatched_real)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}
        self.built = True  # both networks are built functional models; the GAN itself has no call()

    def compile(self, d_optimizer: keras.optimizers.Optimizer | None = None,
                g_optimizer: keras.optimizers.Optimizer | None = None, **kwargs):
        """Defaults are the assignment's: D Adam(2e-4, beta_1=0.5) and GAN Adam(1e-3).

        ``jit_compile`` defaults to True on one device: XLA makes the dense GAN's step about 1.6x faster and
        the CIFAR DCGAN's about 1.8x on CPU. It is off under a multi-device tf.distribute strategy (XLA
        cannot span the replicas' devices) and in fast mode, whose short runs never earn back the
        compile (about 20 s for a DCGAN on CPU).
        """
        single_device = tf.distribute.get_strategy().num_replicas_in_sync == 1
        kwargs.setdefault("jit_compile", single_device and not config.fast_mode())
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(1e-3)
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

    def _replica_slice(self, global_draw):
        """This replica's slice of one global draw, so a run on several devices (tf.distribute) sees the
        same random numbers as a run on one. ``global_draw(count, seed)`` draws for all replicas."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        values = global_draw(replicas, ops.cast(self.seed_generator.next(), "int32"))
        count = ops.shape(values)[0] // replicas
        return values[replica * count:(replica + 1) * count]

    def sample_noise(self, count):
        """Standard-normal noise (count, latent_dim) for this replica."""
        return self._replica_slice(
            lambda replicas, seed: tf.random.stateless_normal((count * replicas, self.latent_dim), seed=seed))

    def _uniform_integers(self, count, low, high):
        """Uniform integers (count,) int32 in [low, high) for this replica."""
        return self._replica_slice(lambda replicas, seed: tf.random.stateless_uniform(
            (count * replicas,), seed=seed, minval=low, maxval=high, dtype="int32"))

    def sample_labels(self, count):
        """Uniform class labels (count,) int32 in [0, num_classes) for this replica (conditional GANs)."""
        return self._uniform_integers(count, 0, self.num_classes)

    def wrong_labels(self, labels):
        """For labels (N,) int, labels (N,) int32 each drawn uniformly from the other classes."""
        offsets = self._uniform_integers(ops.shape(labels)[0], 1, self.num_classes)
        return (ops.cast(labels, "int32") + offsets) % self.num_classes

    def generate(self, noise, labels=None, training=False):
        """Images from noise (and, for a conditional GAN, labels)."""
        if labels is None:
            return self.generator(noise, training=training)
        return self.generator([ops.convert_to_tensor(noise), ops.convert_to_tensor(labels, "int32")], training=training)

    def discriminate(self, images, labels=None, training=True):
        """D's probability that images (of the given labels) are real."""
        if labels is None:
            return self.discriminator(images, training=training)
        return self.discriminator([ops.convert_to_tensor(images), ops.convert_to_tensor(labels, "int32")],
                                  training=training)

    @staticmethod
    def _per_replica(loss):
        """Gradients are summed over replicas, so each replica's loss is divided by their number."""
        return loss / tf.distribute.get_strategy().num_replicas_in_sync

    def discriminator_step(self, real_images, labels=None):
        """One D update on a batch of real images and as many fakes (of the same labels, if conditional;
        with ``mismatched_real``, also the real images under wrong labels); returns (loss, accuracy on
        the real and fake images)."""
        batch = ops.shape(real_images)[0]
        fake_images = self.generate(self.sample_noise(batch), labels, training=True)
        with tf.GradientTape() as tape:
            p_real = self.discriminate(real_images, labels)
            p_fake = self.discriminate(fake_images, labels)
            fake_loss = keras.losses.binary_crossentropy(ops.zeros_like(p_fake), p_fake)
            if self.mismatched_real:
                p_mismatched = self.discriminate(real_images, self.wrong_labels(labels))
                fake_loss = 0.5 * (fake_loss + keras.losses.binary_crossentropy(ops.zeros_like(p_mismatched),
                                                                                p_mismatched))
            loss = ops.mean(0.5 * (keras.losses.binary_crossentropy(ops.full_like(p_real, self.real_label), p_real)
                                   + fake_loss))
            replica_loss = self.d_optimizer.scale_loss(self._per_replica(loss))
        weights = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(replica_loss, weights), weights)
        accuracy = 0.5 * (ops.mean(ops.cast(p_real > 0.5, "float32"))
                          + ops.mean(ops.cast(p_fake < 0.5, "float32")))
        return loss, accuracy

    def generator_step(self, batch):
        """One G update through a fixed D (for random labels, if conditional); returns (loss, share of
        fakes D calls real)."""
        noise = self.sample_noise(batch)
        labels = None if self.num_classes is None else self.sample_labels(batch)
        with tf.GradientTape() as tape:
            p_fake = self.discriminate(self.generate(noise, labels, training=True), labels)
            loss = ops.mean(keras.losses.binary_crossentropy(ops.ones_like(p_fake), p_fake))
            replica_loss = self.g_optimizer.scale_loss(self._per_replica(loss))
        weights = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(replica_loss, weights), weights)
        return loss, ops.mean(ops.cast(p_fake > 0.5, "float32"))

    def train_step(self, data):
        real_images, labels = data if self.num_classes is not None else (data, None)
        batch = ops.shape(real_images)[0] // self.d_steps
        d_results = [self.discriminator_step(real_images[i * batch:(i + 1) * batch],
                                             None if labels is None else labels[i * batch:(i + 1) * batch])
                     for i in range(self.d_steps)]
        d_loss, d_acc = (ops.mean(ops.stack(values)) for values in zip(*d_results))
        g_loss, g_acc = self.generator_step(batch)
        replicas = tf.distribute.get_replica_context()  # on several devices, report the global means
        for name, value in zip(METRIC_NAMES, (d_loss, d_acc, g_loss, g_acc)):
            self.trackers[name].update_state(replicas.all_reduce("MEAN", value))
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def real_image_batches(images: np.ndarray, batch_size: int, seed: int = 0, labels: np.ndarray | None = None,
                       augment: keras.layers.Layer | None = None) -> tf.data.Dataset:
    """An endless, shuffled ``tf.data`` stream of real image batches (batch_size, H, W, C), or of (images,
    labels (batch_size,) int32) pairs when ``labels`` (N,) are given. ``augment`` (e.g.
    ``data.augmentation()``) is applied to each batch of images in training mode."""
    buffer = min(len(images), 20_000)
    elements = images if labels is None else (images, np.asarray(labels, dtype="int32"))
    batches = (tf.data.Dataset.from_tensor_slices(elements).repeat().shuffle(buffer, seed=seed)
               .batch(batch_size, drop_remainder=True))
    if augment is not None:
        transform = lambda x: augment(x, training=True)  # noqa: E731
        batches = batches.map(transform if labels is None else lambda x, y: (transform(x), y),
                              num_parallel_calls=tf.data.AUTOTUNE)
    # tf.data's autotuner, left on, ran 3 of 5 (and, in another run, 7 of 10) of the dense GAN's fit() calls at
    # 19.6 instead of 26 steps/s on a 2-core CPU (benchmarks/trainer_ablation.py); a fixed prefetch of two
    # batches keeps up without it.
    options = tf.data.Options()
    options.autotune.enabled = False
    return batches.prefetch(2).with_options(options)


def _write_json_atomically(path: Path, payload) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(payload, indent=1))
    os.replace(temporary, path)


class RunCallback(keras.callbacks.Callback):
    """Logs, samples, checkpoints and reports progress of a run in ``run_dir``, every ``log_interval`` steps.

    Each Keras "epoch" of the run is ``log_interval`` steps, so the tracked metrics are means over that
    interval. Files in ``run_dir``: history.json, fixed_noise.npy, samples/step_NNNNNN.png (and .npy),
    checkpoints/ (for resume).
    """

    def __init__(self, run_dir: Path, total_steps: int, log_interval: int, sample_interval: int,
                 checkpoint: tf.train.CheckpointManager, fixed_noise: np.ndarray, fixed_labels: np.ndarray | None,
                 history: list[dict], show_samples: bool, print_interval: int):
        super().__init__()
        self.run_dir, self.total_steps, self.log_interval = run_dir, total_steps, log_interval
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
            _write_json_atomically(self.run_dir / "history.json", self.history)
            self.checkpoint.save(checkpoint_number=step)
        if step % self.print_interval == 0 or step == self.total_steps:
            rate = (step - self.start_step) / max(elapsed, 1e-9)
            eta = (self.total_steps - step) / max(rate, 1e-9)
            print(f"step {step:>7}/{self.total_steps}  " + "  ".join(f"{k} {logs[k]:.3f}" for k in METRIC_NAMES)
                  + f"  {rate:.1f} steps/s  eta {eta / 60:.1f} min", flush=True)

    def save_samples(self, step):
        images = ops.convert_to_numpy(self.model.generate(self.fixed_noise, self.fixed_labels))
        path = self.run_dir / "samples" / f"step_{step:06d}"
        np.save(path.with_suffix(".npy"), images)
        rows = None if self.fixed_labels is None else self.model.num_classes
        figure = plotting.image_grid(images, title=f"step {step}", columns=len(images) // rows if rows else None)
        figure.savefig(path.with_suffix(".png"), dpi=80, bbox_inches="tight")
        plotting.show_and_close(figure, show=self.show_samples)


def _check_labels(labels, count: int, num_classes: int) -> np.ndarray:
    if labels is None:
        raise ValueError("A conditional GAN trains on labelled images: pass labels=(N,) class indices.")
    labels = np.asarray(labels)
    if labels.shape != (count,) or not np.issubdtype(labels.dtype, np.integer) \
            or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"Expected labels of shape ({count},) with integers in [0, {num_classes}), got shape "
                         f"{labels.shape}, dtype {labels.dtype}.")
    return labels.astype("int32")


def fixed_grid_inputs(gan: GAN, grid_size: int | None = None, seed: int = 1234) -> tuple[np.ndarray, np.ndarray | None]:
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
        run_dir: folder for the history, sample grids, checkpoints and final models.
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

    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"run_dir {run_dir} is a file; expected a folder.")
    (run_dir / "samples").mkdir(parents=True, exist_ok=True)
    checkpoint = tf.train.Checkpoint(generator=gan.generator, discriminator=gan.discriminator,
                                     d_optimizer=gan.d_optimizer, g_optimizer=gan.g_optimizer,
                                     noise_seed_state=gan.seed_generator.state.value)
    manager = tf.train.CheckpointManager(checkpoint, run_dir / "checkpoints", max_to_keep=2)
    history = []
    if resume and manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        done = int(gan.g_optimizer.iterations.numpy())
        history = [row for row in json.loads((run_dir / "history.json").read_text()) if row["step"] <= done]
        print(f"Resuming from step {done} ({manager.latest_checkpoint}).")
    done = history[-1]["step"] if history else 0
    if done % log_interval:
        raise ValueError(f"The checkpoint is at step {done}, not a multiple of log_interval={log_interval}.")

    noise_file = run_dir / "fixed_noise.npy"
    new_noise, fixed_labels = fixed_grid_inputs(gan, grid_size, noise_seed)
    if not (resume and noise_file.exists()):
        np.save(noise_file, new_noise)
    fixed_noise = np.load(noise_file)

    callback = RunCallback(run_dir, steps, log_interval, sample_interval, manager, fixed_noise, fixed_labels,
                           history, show_samples, print_interval)
    if done < steps:
        batches = real_image_batches(images, batch_size * gan.d_steps, seed=noise_seed, labels=labels, augment=augment)
        gan.fit(batches,
                initial_epoch=done // log_interval, epochs=steps // log_interval,
                steps_per_epoch=log_interval, callbacks=[callback], shuffle=False, verbose=0)
    else:
        print(f"{run_dir} already holds a finished run of {done} steps; loaded it without training.")
    gan.generator.save(run_dir / "generator.keras")
    gan.discriminator.save(run_dir / "discriminator.keras")
    return history
