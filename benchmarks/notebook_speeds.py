"""Training steps per second of each notebook's workload, as the notebooks build it (the recipes' default
networks and settings), on random images: the rates behind ``gan_helpers.machine.report``.

Run: python benchmarks/notebook_speeds.py [--steps 100] [--repeats 3] [--conditions "..."] [--out FILE]

Prints each workload's median rate and writes it to ``gan_helpers/machine_speeds.json`` (``--out``), with
the time, this machine's CPU, ``--conditions`` (say whether the machine was quiet) and the command, so
every notebook's full-mode estimate says what it rests on. The convolutional workloads time a tenth of
``--steps`` (a CIFAR step takes seconds on a CPU).
"""

import argparse
import datetime
import json
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from train_speed import BATCH, trainer_steps_per_second

from gan_helpers import data, machine, recipes

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
    parser.add_argument(
        "--conditions",
        default="nothing else running",
        help="how busy the machine was, written with the rates",
    )
    parser.add_argument("--out", type=Path, default=machine.SPEEDS_FILE)
    args = parser.parse_args()
    started = datetime.datetime.now(datetime.UTC)
    print(f"{'workload':<20}{'steps/s (median)':>18}   runs (batch {BATCH})")
    medians = {}
    for name, (build, with_labels, share) in WORKLOADS.items():
        rates = steps_per_second(
            build(), max(int(args.steps * share), 5), args.repeats, with_labels
        )
        medians[name] = round(statistics.median(rates), 2)
        print(
            f"{name:<20}{medians[name]:>18.2f}   {' '.join(f'{r:.2f}' for r in rates)}", flush=True
        )
    record = {
        "measured": f"{started:%Y-%m-%d %H:%M} UTC",
        "cpu": machine.cpu_description(),
        "conditions": args.conditions,
        "command": f"python benchmarks/notebook_speeds.py --steps {args.steps} "
        f"--repeats {args.repeats}",
        "steps_per_second": medians,
    }
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
