"""The dense MNIST GAN's speed at each hidden-layer size set: the spec's two and the old powers of two.

Run: python benchmarks/dense_sizes.py [--steps 200] [--repeats 5]

For each set (G's sizes; D takes them reversed) it prints the FLOPs of one training step (batch 128,
``flops.gan_step_flops``) and the trainer's steps per second: the median of ``--repeats`` timings of
``--steps`` steps, the sets interleaved repeat by repeat so that a machine's drift hits them alike, and each
median's ratio to the spec's smaller set. Their quality at 15,000 steps comes from
``time_to_quality.py --units ...``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from flops import gan_step_flops
from train_speed import BATCH, interleaved_rates

from gan_helpers import models, recipes

SIZE_SETS = {
    "spec, smaller": models.SPEC_UNITS_SMALL,
    "spec, larger": models.SPEC_UNITS_LARGE,
    "powers of two (neither)": models.POWERS_OF_TWO_UNITS,
}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=200, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    images = np.random.default_rng(0).uniform(-1, 1, (10_000, 28, 28, 1)).astype("float32")
    gans = {name: recipes.dense_mnist_gan(units=units) for name, units in SIZE_SETS.items()}
    rates = interleaved_rates(gans, images, args.steps, args.repeats)
    reference = statistics.median(rates["spec, smaller"])
    print(f"{'sizes (G; D reversed)':<42}{'GFLOP/step':>11}{'steps/s':>9}{'ratio':>7}  all repeats")
    for name, gan in gans.items():
        median = statistics.median(rates[name])
        gflop = gan_step_flops(gan.generator, gan.discriminator, BATCH) / 1e9
        label = f"{name} {SIZE_SETS[name]}"
        spread = ", ".join(f"{rate:.1f}" for rate in rates[name])
        print(f"{label:<42}{gflop:>11.2f}{median:>9.2f}{median / reference:>7.2f}  {spread}")


if __name__ == "__main__":
    main()
