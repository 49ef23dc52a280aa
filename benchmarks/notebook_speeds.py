"""Training steps per second of each notebook's workload, as the notebooks build it (recipes, BALANCED
settings with the moving average of G), on random images: the rates behind ``gan_helpers.machine``.

Run: python benchmarks/notebook_speeds.py [--steps 100] [--repeats 3]

The convolutional workloads time a tenth of ``--steps`` (a CIFAR step takes seconds on a CPU).
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from gan_helpers import data, recipes  # noqa: E402
from train_speed import BATCH, trainer_steps_per_second  # noqa: E402

# workload name (as in gan_helpers.machine): (builder, labels?, share of --steps timed)
WORKLOADS = {
    "dense": (lambda: recipes.dense_mnist_gan(), False, 1.0),
    "conditional dense": (
        lambda: recipes.dense_mnist_gan(num_classes=10, mismatched_real=True),
        True,
        1.0,
    ),
    "compact": (lambda: recipes.dcgan("compact"), False, 0.1),
    "constant width": (lambda: recipes.dcgan("constant_width"), False, 0.1),
}


def steps_per_second(gan, steps: int, repeats: int, with_labels: bool) -> list[float]:
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (2_000, *gan.image_shape)).astype("float32")
    labels = rng.integers(0, 10, len(images)) if with_labels else None
    batches = data.real_image_batches(images, BATCH, labels=labels)
    return trainer_steps_per_second(
        gan, images, steps, repeats, warmup=max(steps // 10, 2), batches=batches
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'workload':<20}{'steps/s (median)':>18}   runs (batch {BATCH})")
    for name, (build, with_labels, share) in WORKLOADS.items():
        rates = steps_per_second(
            build(), max(int(args.steps * share), 5), args.repeats, with_labels
        )
        print(
            f"{name:<20}{statistics.median(rates):>18.2f}   {' '.join(f'{r:.2f}' for r in rates)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
