"""What each speed choice of the gan_helpers trainer buys: the dense MNIST GAN, batch 128, one change at a time.

Run: python benchmarks/trainer_ablation.py [--steps 200] [--repeats 3]

Variants (each measured after a warm-up; steps/s is the median of the repeats; the ratio is against the
trainer as the notebooks use it, "fit, XLA"):
- eager: ``run_eagerly=True``, every op dispatched from Python;
- fit, no XLA: the traced train_step without ``jit_compile``;
- fit, XLA: the default (one traced, XLA-compiled step that does the D and the G update, tf.data input
  with a fixed prefetch of two batches);
- tf.data autotuner on: the default trainer fed by the pipeline as it was before, prefetch chosen by
  tf.data's autotuner;
- unfused D and G: the same two updates as two separately compiled functions, called from Python;
- numpy batches from Python: the compiled step called with a batch drawn in numpy every step (no tf.data);
- moving average of G: the default trainer with ``ema=0.999`` (as ``BALANCED`` and ``DENSE_MNIST``), which
  updates the average after every G step;
- steps_per_execution 10 / 50: several steps per call into the traced function (fewer metric syncs);
- 1 thread / oneDNN off: the default trainer in a child process with ``intra_op`` threads = 1, or with
  ``TF_ENABLE_ONEDNN_OPTS=0`` (both must be set before TensorFlow starts).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from gan_helpers import config, data, models, training  # noqa: E402
from train_speed import BATCH, trainer_steps_per_second  # noqa: E402


def dense_gan(gan_options: dict | None = None, **compile_options) -> training.GAN:
    """The assignment's dense G and D in the trainer (fresh weights, seed 0), with ``gan_options`` (e.g.
    a setting) passed to ``training.GAN`` and ``compile_options`` to its ``compile``."""
    config.seed_everything(0)
    gan = training.GAN(
        models.dense_generator(), models.dense_discriminator(), **(gan_options or {})
    )
    gan.compile(**compile_options)
    return gan


def timed(step, steps: int, repeats: int, warmup: int) -> list[float]:
    """Steps/s of ``repeats`` runs of ``steps`` calls of ``step()``, after ``warmup`` calls."""
    for _ in range(warmup):
        step()
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(steps):
            result = step()
        np.asarray(result)  # wait for the last step
        rates.append(steps / (time.perf_counter() - started))
    return rates


def unfused_rates(images, steps, repeats, warmup) -> list[float]:
    """D and G updates as two XLA-compiled functions, one Python call each per step."""
    gan = dense_gan()
    batches = iter(data.real_image_batches(images, BATCH))
    d_step = tf.function(gan.discriminator_step, jit_compile=True)
    g_step = tf.function(lambda: gan.generator_step(BATCH), jit_compile=True)

    def step():
        d_step(next(batches))
        return g_step()[0]

    return timed(step, steps, repeats, warmup)


def numpy_feed_rates(images, steps, repeats, warmup) -> list[float]:
    """The trainer's XLA-compiled train_step fed a numpy batch drawn in Python every step."""
    gan = dense_gan()
    train_step = tf.function(gan.train_step, jit_compile=True)
    rng = np.random.default_rng(0)
    return timed(
        lambda: train_step(images[rng.integers(0, len(images), BATCH)])["g_loss"],
        steps,
        repeats,
        warmup,
    )


def autotuned_batches(images) -> tf.data.Dataset:
    """The trainer's real-image pipeline as it was before, with tf.data's autotuner choosing the prefetch."""
    return (
        tf.data.Dataset.from_tensor_slices(images)
        .repeat()
        .shuffle(min(len(images), 20_000), seed=0)
        .batch(BATCH, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def in_process_variants(images, steps: int, repeats: int) -> dict[str, list[float]]:
    warmup = 50  # a multiple of every steps_per_execution below

    def fit(gan, timed_steps=steps, batches=None):
        return trainer_steps_per_second(
            gan, images, timed_steps, repeats, warmup=warmup, batches=batches
        )

    return {
        "eager": fit(dense_gan(run_eagerly=True, jit_compile=False), max(steps // 10, 10)),
        "fit, no XLA": fit(dense_gan(jit_compile=False)),
        "fit, XLA (the default)": fit(dense_gan()),
        "tf.data autotuner on": fit(dense_gan(), batches=autotuned_batches(images)),
        "moving average of G (ema 0.999)": fit(dense_gan({"ema": 0.999})),
        "unfused D and G": unfused_rates(images, steps, repeats, warmup),
        "numpy batches from Python": numpy_feed_rates(images, steps, repeats, warmup),
        "steps_per_execution 10": fit(dense_gan(steps_per_execution=10)),
        "steps_per_execution 50": fit(dense_gan(steps_per_execution=50)),
    }


def child_rates(name: str, env: dict, args) -> list[float]:
    """The default trainer's steps/s in a fresh Python with ``env`` added (TensorFlow settings that must
    precede its start)."""
    command = [
        sys.executable,
        __file__,
        "--steps",
        str(args.steps),
        "--repeats",
        str(args.repeats),
        "--child",
    ]
    output = subprocess.run(
        command, env={**os.environ, **env}, check=True, capture_output=True, text=True
    ).stdout
    print(f"  ({name}: done)", flush=True)
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=200,
        help="timed steps per repeat, a multiple of 50 (eager runs a tenth)",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps <= 0 or args.steps % 50:
        parser.error(
            f"--steps must be a positive multiple of 50 (the largest steps_per_execution), got {args.steps}"
        )
    images = np.random.default_rng(0).uniform(-1, 1, (10_000, 28, 28, 1)).astype("float32")
    if args.child:
        threads = int(os.environ.get("ABLATION_INTRA_OP_THREADS", "0"))
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        print(
            json.dumps(
                trainer_steps_per_second(dense_gan(), images, args.steps, args.repeats, warmup=50)
            )
        )
        return
    rates = in_process_variants(images, args.steps, args.repeats)
    rates["1 intra-op thread"] = child_rates("1 thread", {"ABLATION_INTRA_OP_THREADS": "1"}, args)
    rates["oneDNN off"] = child_rates("oneDNN off", {"TF_ENABLE_ONEDNN_OPTS": "0"}, args)
    baseline = statistics.median(rates["fit, XLA (the default)"])
    print(f"\ndense MNIST GAN, batch {BATCH}; ratio = steps/s against the default trainer")
    print(f"{'variant':<28}{'steps/s (median)':>18}{'ratio':>8}   runs")
    for name, values in rates.items():
        median = statistics.median(values)
        print(
            f"{name:<28}{median:>18.2f}{median / baseline:>8.2f}   {' '.join(f'{v:.2f}' for v in values)}"
        )


if __name__ == "__main__":
    main()
