"""Augmentation on a small folder: none, the old reals-only flip + rotation, and DiffAugment on both sides.

Run: GAN_DATA_DIR=/work/data python benchmarks/folder_augmentation.py [--steps 2000] [--batch 64]
     [--size 32] [--folder /tmp/horses500] [--out /tmp/folder_augmentation] [--only none DiffAugment]

The folder: the first 500 CIFAR-10 training horses (``data.example_folder``), read by ``data.ImageFolder``
at --size x --size with 10 % held out (450 to train on, 50 held out). Every configuration trains the same
halving-width GAN (base width 32, settings.BALANCED) from the same initial weights, seed and batches for
--steps steps with ``GAN.fit``:
- none: no augmentation;
- reals-only flip + rotation: notebook 09's old augmentation, ``data.augmentation(rotation_degrees=10)``
  (Keras layers: random flip, rotation up to 10 degrees with reflected borders) on the real batches only;
- DiffAugment: colour, translation and cutout on real and generated images inside both players' steps;
- DiffAugment + flips: the same, and real images flipped left-right at random (notebook 09's default).
Each generator is judged as notebook 09 judges (``assessment.FolderJudge``, the CIFAR-10 classifier's
features) with as many generated images as training images: FCD to the 50 held-out horses, the mean
distance to the nearest training image and its ratio to the held-out horses' (below 1: closer to the
training images than new real horses are). Also FCD to the 1,000 CIFAR-10 test horses (a steadier
estimate than 50 images give), and D's accuracy over the last 100 steps (near 1: D has memorised the
folder). Writes the final 25-image grids side by side to <out>/augmentation_grids_<steps>.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_helpers import assessment, augment, data, plotting, recipes, sampling  # noqa: E402

LOG_STEPS = 100
CONFIGURATIONS = {  # name: (real-only augmentation layers, DiffAugment on both sides, flip real images)
    "none": (None, False, False),
    "reals-only flip + rotation": (
        lambda: data.augmentation(flip=True, rotation_degrees=10),
        False,
        False,
    ),
    "DiffAugment": (None, True, False),
    "DiffAugment + flips": (None, True, True),
}


def train(
    source: data.ImageFolder, reals_only, diff_augment: bool, steps: int, batch: int, seed: int
):
    """A halving-width GAN trained ``steps`` steps on ``source``; returns (gan, D accuracy over the last
    LOG_STEPS steps)."""
    gan = recipes.dcgan(
        "halving_width",
        image_shape=source.image_shape,
        seed=seed,
        augment=augment.diff_augment() if diff_augment else None,
    )
    batches = source.batches(batch, seed)
    if reals_only is not None:
        layers = reals_only()
        batches = batches.map(lambda images: layers(images, training=True))
    history = gan.fit(
        batches, epochs=steps // LOG_STEPS, steps_per_epoch=LOG_STEPS, shuffle=False, verbose=0
    )
    return gan, history.history["d_acc"][-1]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=2000, help=f"a multiple of {LOG_STEPS}")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/horses500"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/folder_augmentation"))
    parser.add_argument(
        "--only",
        nargs="+",
        choices=CONFIGURATIONS,
        default=list(CONFIGURATIONS),
        metavar="NAME",
        help=f"configurations to run, of {list(CONFIGURATIONS)}",
    )
    args = parser.parse_args()
    folder = data.example_folder(args.folder, "cifar10", ["horse"], 500)
    judge = assessment.FolderJudge(
        data.ImageFolder(folder, image_size=args.size), reference_count=450
    )
    test_features = assessment.image_features(
        judge.classifier, data.load_images("cifar10", "horse", "test")
    )
    training_features = judge.training_features
    print(
        f"{folder}: 450 training and 50 held-out horses at {args.size}x{args.size}; {args.steps} steps of "
        f"batch {args.batch}, seed {args.seed}; load average before: {os.getloadavg()[0]:.2f}"
    )
    rows, grids = {}, {}
    for name in args.only:
        reals_only, diff_augment, flip = CONFIGURATIONS[name]
        source = data.ImageFolder(folder, image_size=args.size, flip=flip)
        started = time.perf_counter()
        gan, d_accuracy = train(source, reals_only, diff_augment, args.steps, args.batch, args.seed)
        generated = sampling.sample(
            gan.sampling_generator, len(source), seed=args.seed, distribution=gan.settings.noise
        )
        metrics = judge(generated)
        generated_features = assessment.image_features(judge.classifier, generated)
        test_fcd = assessment.frechet_distance(generated_features, test_features)
        rows[name] = {
            **metrics,
            "test_fcd": test_fcd,
            "d_acc": d_accuracy,
            "minutes": (time.perf_counter() - started) / 60,
        }
        grids[name] = generated[:25]
        print(f"  {name}: {rows[name]['minutes']:.1f} min", flush=True)
    rows["real horses (reference)"] = {
        **judge.reference,
        "test_fcd": assessment.frechet_distance(training_features, test_features),
    }
    print(
        f"{'':<28}{'FCD held-out':>13}{'FCD test':>10}{'NN distance':>12}{'NN ratio':>9}{'D acc':>7}"
        f"{'min':>6}"
    )
    for name, row in rows.items():
        extra = f"{row['d_acc']:>7.2f}{row['minutes']:>6.1f}" if "d_acc" in row else ""
        print(
            f"{name:<28}{row['frechet_distance']:>13.1f}{row['test_fcd']:>10.1f}"
            f"{row['nearest_distance']:>12.2f}{row['nearest_ratio']:>9.2f}{extra}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    figure = plotting.compare_grids(grids, title=f"Horses after {args.steps} steps (same seed)")
    plotting.show_and_close(
        figure, show=False, save_to=args.out / f"augmentation_grids_{args.steps}.png"
    )
    print(
        f"grids: {args.out / f'augmentation_grids_{args.steps}.png'}; load average after: {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
