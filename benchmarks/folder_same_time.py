"""The old and the new network of notebook 09 after the same training time, on the example horses.

Run: GAN_DATA_DIR=/work/data python benchmarks/folder_same_time.py [--minutes 10] [--size 64] [--batch 64]
     [--folder /tmp/horses5000] [--out /tmp/folder_same_time]

The folder: the 5,000 CIFAR-10 training horses (``data.example_folder``), read by ``data.ImageFolder`` at
--size x --size (upsampled from 32x32), 10 % held out. Each network pair trains from the same seed on the
same batches, without augmentation, for --minutes of wall time each (the XLA compile included). The two
take turns, a --slice of seconds each, so that both meet the same load on a shared machine:
- constant width: ``models.constant_width_generator`` / ``_discriminator`` (notebook 09 before issue 14);
- halving width: ``models.halving_width_generator`` / ``_discriminator`` at the default base width 32.
Prints the steps each made and judges 1,000 generated images of each: FCD to the 1,000 CIFAR-10 test horses
and, as notebook 09 does (``assessment.FolderJudge``), FCD to the 500 held-out horses and the nearest-
neighbour ratio. Saves each final 25-image grid, from the same fixed noise, as <out>/<network>.png and
both side by side as <out>/same_time_grids.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402

from gan_helpers import assessment, data, plotting, recipes, sampling  # noqa: E402

ARCHITECTURES = {"constant width": "constant_width", "halving width": "halving_width"}
EVAL_IMAGES = 1000


class StopAfter(keras.callbacks.Callback):
    """Stops ``fit`` at the end of the first batch that ends ``seconds`` or more after it began."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() - self.started >= self.seconds:
            self.model.stop_training = True


def train_for(gan, source: data.ImageFolder, seconds: float, batch: int, seed: int) -> float:
    """Train ``gan`` on from the batch where it stopped, for about ``seconds``; returns the seconds taken."""
    started = time.perf_counter()
    first_batch = int(gan.g_optimizer.iterations.numpy())
    gan.fit(
        source.batches(batch, seed, first_batch),
        epochs=10**6,
        steps_per_epoch=1,
        shuffle=False,
        callbacks=[StopAfter(seconds)],
        verbose=0,
    )
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--slice", type=float, default=60, help="seconds per turn")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/horses5000"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/folder_same_time"))
    args = parser.parse_args()
    folder = data.example_folder(args.folder, "cifar10", ["horse"], 5000)
    source = data.ImageFolder(folder, image_size=args.size)
    judge = assessment.FolderJudge(source, reference_count=EVAL_IMAGES)
    test_features = assessment.image_features(
        judge.classifier, data.load_images("cifar10", "horse", "test")
    )
    print(
        f"{source}; {args.minutes:g} min each, batch {args.batch}, seed {args.seed}; "
        f"load average before: {os.getloadavg()[0]:.2f}"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    gans = {
        name: recipes.dcgan(architecture, image_shape=source.image_shape, seed=args.seed)
        for name, architecture in ARCHITECTURES.items()
    }
    seconds = dict.fromkeys(gans, 0.0)
    while min(seconds.values()) < args.minutes * 60:
        for name, gan in gans.items():
            left = args.minutes * 60 - seconds[name]
            if left > 0:
                seconds[name] += train_for(
                    gan, source, min(args.slice, left), args.batch, args.seed
                )
    grids = {}
    print(
        f"{'networks':<16}{'steps':>7}{'s/step':>8}{'FCD test':>10}{'FCD held-out':>14}{'NN ratio':>10}"
    )
    for name, gan in gans.items():
        steps = int(gan.g_optimizer.iterations.numpy())
        generated = sampling.sample(
            gan.sampling_generator, EVAL_IMAGES, seed=args.seed, distribution=gan.settings.noise
        )
        metrics = judge(generated)
        generated_features = assessment.image_features(judge.classifier, generated)
        test_fcd = assessment.frechet_distance(generated_features, test_features)
        print(
            f"{name:<16}{steps:>7,}{seconds[name] / steps:>8.2f}{test_fcd:>10.1f}"
            f"{metrics['frechet_distance']:>14.1f}{metrics['nearest_ratio']:>10.2f}",
            flush=True,
        )
        grids[f"{name}: {steps:,} steps"] = generated[:25]
        plotting.show_and_close(
            plotting.image_grid(
                generated[:25], title=f"{name}, {steps:,} steps in {seconds[name] / 60:.1f} min"
            ),
            show=False,
            save_to=args.out / f"{ARCHITECTURES[name]}.png",
        )
    reference_fcd = assessment.frechet_distance(
        judge.training_features[:EVAL_IMAGES], test_features
    )
    print(
        f"{'real horses':<16}{'':>15}{reference_fcd:>10.1f}{judge.reference['frechet_distance']:>14.1f}"
        f"{1.0:>10.2f}"
    )
    plotting.show_and_close(
        plotting.compare_grids(
            grids,
            title=f"After {args.minutes:g} minutes of training "
            f"each ({args.size}x{args.size}, batch {args.batch})",
        ),
        show=False,
        save_to=args.out / "same_time_grids.png",
    )
    print(f"grids in {args.out}; load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
