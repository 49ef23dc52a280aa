"""Training speed of the dense MNIST GAN: the classic Keras loop against the gan_helpers trainer.

Run: python benchmarks/train_speed.py [--steps 200] [--repeats 3]

(a) classic: the assignment's listing made correct for Keras 3 -- a stacked GAN model, two
    train_on_batch calls and one generator.predict per step, D.trainable switched before every call.
(b) trainer: gan_helpers.training.GAN with fit(), as the notebooks use it; also with mixed precision
    (config.use_mixed_precision: bf16 on CPU, fp16 on GPU).
Both use the assignment's dense G and D, batch 128, after a warm-up. Prints steps/s (median of the
repeats), the ratio (b)/(a), FLOPs per step (benchmarks/flops.py) and the share of this machine's fp32
matmul throughput (the best of TensorFlow, XLA and NumPy), measured in the same run, and the "matmul
floor": the steps/s of a step that did only its matrix products, which bounds what any fp32 trainer of
these networks can reach here. Also the lab DCGANs of notebooks 05 and 06 (trainer only).
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras
import numpy as np
import tensorflow as tf
from flops import dense_step_matmuls, gan_step_flops

from gan_helpers import config, data, models, training

BATCH = 128


def median_seconds(call, calls: int, repeats: int = 3) -> float:
    """Median over ``repeats`` of the wall time of ``calls`` calls of ``call()`` (after one warm-up call),
    waiting for the last result."""
    call()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            result = call()
        np.asarray(result)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def matmul_gflops(sizes=(1024, 2048)) -> dict[str, float]:
    """This machine's fp32 matmul throughput (GFLOP/s) by three routes -- TensorFlow, TensorFlow with XLA,
    and NumPy's BLAS -- each the best over square ``sizes`` (median of 3 timings of ~20 GFLOP each)."""

    def best(bind_product):
        rates = []
        for size in sizes:
            a, b = np.random.default_rng(0).standard_normal((2, size, size), dtype=np.float32)
            calls = max(2, int(2e10 / size**3))
            rates.append(2 * size**3 * calls / median_seconds(bind_product(a, b), calls) / 1e9)
        return max(rates)

    def tensorflow_product(jit_compile):
        return lambda a, b: functools.partial(
            tf.function(tf.matmul, jit_compile=jit_compile), tf.constant(a), tf.constant(b)
        )

    return {
        "TensorFlow": best(tensorflow_product(False)),
        "TensorFlow + XLA": best(tensorflow_product(True)),
        "NumPy": best(lambda a, b: functools.partial(np.matmul, a, b)),
    }


def matmul_floor_steps_per_second(products, calls: int = 20) -> float:
    """Steps/s if a step did nothing but its matrix products ``{(m, k, n): count}``: all of them, each with
    its own random operands, in one XLA-compiled call (median of 3 timings of ``calls`` calls)."""
    rng = np.random.default_rng(0)
    operands = [
        (
            tf.constant(rng.standard_normal((m, k), dtype=np.float32)),
            tf.constant(rng.standard_normal((k, n), dtype=np.float32)),
        )
        for (m, k, n), count in products.items()
        for _ in range(count)
    ]
    all_products = tf.function(lambda pairs: [tf.matmul(a, b) for a, b in pairs], jit_compile=True)
    return calls / median_seconds(lambda: all_products(operands)[-1], calls)


def classic_steps_per_second(images: np.ndarray, steps: int, repeats: int) -> list[float]:
    """The assignment's loop: D.train_on_batch on real and fake, combined.train_on_batch, G.predict."""
    generator, discriminator = models.dense_generator(), models.dense_discriminator()
    discriminator.compile(
        optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    discriminator.trainable = False
    noise_in = keras.Input((100,))
    combined = keras.Model(noise_in, discriminator(generator(noise_in)))
    combined.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"]
    )
    rng = np.random.default_rng(0)
    real_labels, fake_labels = np.ones((BATCH, 1)), np.zeros((BATCH, 1))

    def step():
        real = images[rng.integers(0, len(images), BATCH)]
        fake = generator.predict(rng.standard_normal((BATCH, 100)), verbose=0)
        discriminator.trainable = True
        discriminator.train_on_batch(real, real_labels)
        discriminator.train_on_batch(fake, fake_labels)
        discriminator.trainable = False
        combined.train_on_batch(rng.standard_normal((BATCH, 100)), real_labels)

    for _ in range(20):
        step()
    d_before = [w.copy() for w in discriminator.get_weights()]
    combined.train_on_batch(rng.standard_normal((BATCH, 100)), real_labels)
    assert all(np.array_equal(a, b) for a, b in zip(d_before, discriminator.get_weights())), (
        "the classic loop's GAN update changed D: it is not a fair (correct) baseline"
    )
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(steps):
            step()
        rates.append(steps / (time.perf_counter() - started))
    return rates


def trainer_steps_per_second(
    gan: training.GAN,
    images: np.ndarray,
    steps: int,
    repeats: int,
    warmup: int = 50,
    batches: tf.data.Dataset | None = None,
) -> list[float]:
    """Steps/s of ``repeats`` fit() calls of ``steps`` steps each, after a warm-up call; ``batches`` defaults
    to the trainer's own pipeline over ``images``."""
    batches = batches or data.real_image_batches(images, BATCH * gan.settings.d_steps)
    gan.fit(batches, steps_per_epoch=warmup, shuffle=False, verbose=0)
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        gan.fit(batches, steps_per_epoch=steps, shuffle=False, verbose=0)
        rates.append(steps / (time.perf_counter() - started))
    return rates


def interleaved_rates(
    gans: dict[str, training.GAN], images: np.ndarray, steps: int, repeats: int
) -> dict[str, list[float]]:
    """Each GAN's steps/s over ``repeats`` timings of ``steps`` steps, the GANs interleaved repeat by repeat so
    that a shared machine's drift hits them alike: {name: [rate per repeat]}."""
    rates = {name: [] for name in gans}
    for _ in range(repeats):
        for name, gan in gans.items():
            rates[name] += trainer_steps_per_second(gan, images, steps, repeats=1)
    return rates


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=200, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dcgan-only", action="store_true", help="skip the dense comparison")
    args = parser.parse_args()
    config.seed_everything(0)
    rng = np.random.default_rng(0)
    mnist_like = rng.uniform(-1, 1, (10_000, 28, 28, 1)).astype("float32")

    throughputs = matmul_gflops()
    peak = max(throughputs.values())
    print(
        "fp32 matmul throughput, best of 1024x1024 and 2048x2048: "
        + ", ".join(f"{route} {rate:.0f}" for route, rate in throughputs.items())
        + f" GFLOP/s; the peak below is the best, {peak:.0f}"
    )
    if not args.dcgan_only:
        compare_dense(mnist_like, peak, args)
    report_dcgans(rng, peak, args)


def compare_dense(mnist_like: np.ndarray, peak: float, args) -> None:
    """(a) the classic loop against (b) the trainer, in float32 and mixed precision."""
    classic = classic_steps_per_second(mnist_like, args.steps, args.repeats)
    dense = training.GAN(models.dense_generator(), models.dense_discriminator())
    dense.compile()
    fused = trainer_steps_per_second(dense, mnist_like, args.steps, args.repeats)
    flops = gan_step_flops(dense.generator, dense.discriminator, BATCH)
    policy = config.use_mixed_precision(True)
    mixed_gan = training.GAN(models.dense_generator(), models.dense_discriminator())
    mixed_gan.compile()
    mixed = trainer_steps_per_second(mixed_gan, mnist_like, args.steps, args.repeats)
    config.use_mixed_precision(False)
    a, b = statistics.median(classic), statistics.median(fused)
    print(f"\ndense MNIST GAN, batch {BATCH}, {flops / 1e9:.2f} GFLOP per step")
    print(f"{'':<26}{'steps/s (median)':>18}{'runs':>26}{'GFLOP/s':>10}{'of peak':>9}")
    for name, rates in (
        ("(a) classic loop", classic),
        ("(b) gan_helpers trainer", fused),
        (f"(b) with {policy}", mixed),
    ):
        median = statistics.median(rates)
        print(
            f"{name:<26}{median:>18.2f}{' '.join(f'{r:.2f}' for r in rates):>26}"
            f"{median * flops / 1e9:>10.1f}{median * flops / 1e9 / peak:>9.0%}"
        )
    print(
        f"ratio (b)/(a): {b / a:.2f}; {policy} against float32: {statistics.median(mixed) / b:.2f}"
    )
    products = dense_step_matmuls(dense.generator, dense.discriminator, BATCH)
    assert sum(2 * m * k * n * count for (m, k, n), count in products.items()) == flops, (
        "flops.py disagrees"
    )
    floor = matmul_floor_steps_per_second(products)
    print(
        f"matmul floor: {floor:.2f} steps/s if a step were only its {sum(products.values())} matrix products "
        f"(one XLA call); the trainer reaches {b / floor:.0%} of it, so (b)/(a) is at most {floor / a:.2f} "
        f"in float32 here"
    )


def report_dcgans(rng, peak: float, args) -> None:
    """The lab DCGANs of notebooks 05 and 06, trainer only."""
    print("\nlab DCGANs, gan_helpers trainer")
    for name, build_g, build_d, shape in (
        ("Fashion-MNIST (05)", models.compact_generator, models.compact_discriminator, (28, 28, 1)),
        (
            "CIFAR-10 (06)",
            models.constant_width_generator,
            models.constant_width_discriminator,
            (32, 32, 3),
        ),
    ):
        gan = training.GAN(build_g(), build_d())
        gan.compile()
        images = rng.uniform(-1, 1, (5_000, *shape)).astype("float32")
        # A CIFAR step is ~120 GFLOP (over 2 s here): a short warm-up and fewer steps keep this to minutes.
        rates = trainer_steps_per_second(
            gan, images, max(args.steps // 10, 10), args.repeats, warmup=5
        )
        flops = gan_step_flops(gan.generator, gan.discriminator, BATCH)
        median = statistics.median(rates)
        print(
            f"{name:<26}{median:>8.2f} steps/s  {flops / 1e9:.2f} GFLOP/step  "
            f"{median * flops / 1e9:.1f} GFLOP/s = {median * flops / 1e9 / peak:.0%} of peak"
        )


if __name__ == "__main__":
    main()
