"""Work and time per training step of notebook 09's DCGANs, old and new, in one run.

Run: python benchmarks/folder_dcgan_speed.py [--size 64] [--batch 64] [--steps 3] [--repeats 3]

Networks, all at size x size x 3 with the same batch, trained by ``training.GAN.fit`` (XLA) on random
in-memory images:
- constant width: the CIFAR lab's G and D scaled to the size (notebook 09 before issue 14);
- halving width at the DCGAN paper's base width 64, and at the bundle's default 32;
- halving width 32 with DiffAugment (colour, translation, cutout) on both sides, as notebook 09 trains.
For each: GFLOP per image of one forward pass of G and of D, GFLOP per training step (``flops.py``), and
seconds per step: the median of ``--repeats`` timings of ``--steps`` steps each, after a two-step warm-up
that includes the XLA compile. The last column is the old network's seconds per step over this one's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from flops import forward_macs_per_layer, gan_step_flops  # noqa: E402
from gan_helpers import augment, data, models, training  # noqa: E402
from gan_helpers.settings import BALANCED  # noqa: E402


def constant_width(shape):
    """The old networks: (generator, discriminator, no augmentation)."""
    return (
        models.constant_width_generator(image_shape=shape),
        models.constant_width_discriminator(image_shape=shape),
        None,
    )


def halving_width(base_width: int, diff_augment: bool = False):
    """A function shape -> (generator, discriminator, augmentation) for the new networks."""

    def build(shape):
        return (
            models.halving_width_generator(image_shape=shape, base_width=base_width),
            models.halving_width_discriminator(image_shape=shape, base_width=base_width),
            augment.diff_augment() if diff_augment else None,
        )

    return build


CONFIGURATIONS = {
    "constant width": constant_width,
    "halving width 64": halving_width(64),
    "halving width 32": halving_width(32),
    "halving width 32 + DiffAugment": halving_width(32, diff_augment=True),
}


def seconds_per_step(gan: training.GAN, batches, steps: int, repeats: int) -> float:
    """Median over ``repeats`` of the wall time per step of ``steps`` steps of ``gan.fit``."""
    # warm-up, including the XLA compile
    gan.fit(batches, steps_per_epoch=2, shuffle=False, verbose=0)
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        gan.fit(batches, steps_per_epoch=steps, shuffle=False, verbose=0)
        timings.append((time.perf_counter() - started) / steps)
    return statistics.median(timings)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size", type=int, default=64, help="image height and width (a multiple of 16)"
    )
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    shape = (args.size, args.size, 3)
    images = np.random.default_rng(0).uniform(-1, 1, (512, *shape)).astype("float32")
    print(
        f"{shape[0]}x{shape[1]}x3, batch {args.batch}; seconds per step: median of {args.repeats} timings "
        f"of {args.steps} steps; {os.cpu_count()} CPU cores, load average before: {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'networks':<32}{'G GFLOP/img':>12}{'D GFLOP/img':>12}{'GFLOP/step':>12}{'s/step':>9}"
        f"{'speed-up':>10}"
    )
    old_seconds = None
    for name, build in CONFIGURATIONS.items():
        generator, discriminator, augmentation = build(shape)
        gan = training.GAN(generator, discriminator, BALANCED, augment=augmentation)
        gan.compile(jit_compile=True)
        batches = data.real_image_batches(images, args.batch)
        seconds = seconds_per_step(gan, batches, args.steps, args.repeats)
        old_seconds = old_seconds or seconds
        g_gflop, d_gflop = (
            2 * sum(forward_macs_per_layer(net)) / 1e9 for net in (generator, discriminator)
        )
        step_gflop = gan_step_flops(generator, discriminator, args.batch) / 1e9
        print(
            f"{name:<32}{g_gflop:>12.3f}{d_gflop:>12.3f}{step_gflop:>12.1f}{seconds:>9.2f}"
            f"{old_seconds / seconds:>9.1f}x",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
