"""What each loss and regulariser costs: the dense MNIST GAN's steps per second with one of them changed,
against the plain cross-entropy of ``settings.DENSE_MNIST``, in one run.

Run: python benchmarks/loss_speed.py [--steps 200] [--repeats 5]

For each setting it prints the trainer's steps per second on the spec's smaller networks at batch 128: the
median of ``--repeats`` timings of ``--steps`` steps, the settings interleaved repeat by repeat
(``train_speed.interleaved_rates``), and each median's ratio to plain BCE. Quote the ratios: on a shared
machine the rates move from run to run, the ratios much less. What they buy in quality comes from
``time_to_quality_search.py``.
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
from train_speed import interleaved_rates

from gan_helpers import recipes

# name: (keyword arguments of recipes.dense_mnist_gan: settings overrides, or minibatch_std)
SETTINGS = {
    "BCE (DENSE_MNIST)": {},
    "hinge": {"loss": "hinge", "real_label": 1.0},
    "least squares": {"loss": "least-squares", "real_label": 1.0},
    "WGAN-GP": {"loss": "wgan-gp", "real_label": 1.0},
    "R1 every D step": {"r1_weight": 1.0},
    "R1 every 4 D steps": {"r1_weight": 1.0, "r1_interval": 4},
    "top-k": {"top_k_decay": 0.999},
    "minibatch std": {"minibatch_std": True},
    "no EMA": {"ema": None},
}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=200, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    images = np.random.default_rng(0).uniform(-1, 1, (10_000, 28, 28, 1)).astype("float32")
    gans = {name: recipes.dense_mnist_gan(**options) for name, options in SETTINGS.items()}
    rates = interleaved_rates(gans, images, args.steps, args.repeats)
    reference = statistics.median(rates["BCE (DENSE_MNIST)"])
    print(f"{'setting':<22}{'steps/s':>9}{'ratio':>7}  all repeats")
    for name in gans:
        median = statistics.median(rates[name])
        spread = ", ".join(f"{rate:.1f}" for rate in rates[name])
        print(f"{name:<22}{median:>9.2f}{median / reference:>7.2f}  {spread}")


if __name__ == "__main__":
    main()
