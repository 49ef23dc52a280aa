"""How fast does the dense MNIST GAN reach good digits? Classifier score and FCD against wall time.

Run: python benchmarks/time_to_quality.py [--minutes 10] [--every 1000] [--samples 10000] [--batch-size 128]
                                          [--mixed-precision] [--literal]

Trains with notebook 01's balanced settings (settings.BALANCED; --literal for the assignment's settings.LITERAL)
and, every ``--every`` steps, judges the generator on ``--samples`` images with the shipped MNIST classifier. Training time excludes the
judging. Stops after ``--minutes`` of training. Needs MNIST (GAN_DATA_DIR or the keras download).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_helpers import assessment, config, data, recipes, sampling, settings, training  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="training time budget")
    parser.add_argument("--every", type=int, default=1000, help="steps between measurements")
    parser.add_argument("--samples", type=int, default=10_000, help="images judged per measurement")
    parser.add_argument("--batch-size", type=int, default=128, help="real images per D update (notebook 01: 128)")
    parser.add_argument("--run-dir", default=None, help="default: a temporary folder")
    parser.add_argument("--mixed-precision", action="store_true", help="bf16 on CPU, fp16 on GPU")
    parser.add_argument("--literal", action="store_true",
                        help="the assignment's literal settings (GAN Adam 1e-3, no label smoothing) instead")
    args = parser.parse_args()

    print(f"dtype policy: {config.use_mixed_precision(args.mixed_precision)}")
    config.seed_everything(0)
    x_train = data.load_images("mnist")
    judge = assessment.Judge(assessment.load_classifier(), data.load_images("mnist", split="test")[:args.samples],
                             x_train[:args.samples])
    run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="time_to_quality_"))
    chosen = settings.LITERAL if args.literal else settings.BALANCED
    print(f"settings: {chosen}, batch size {args.batch_size}")
    gan = recipes.dense_mnist_gan(settings=chosen)
    reference = judge.reference
    print(f"real MNIST reference: CS {reference['classifier_score']:.2f}  FCD {reference['frechet_distance']:.2f}")
    print(f"{'step':>7}{'train min':>11}{'CS':>8}{'FCD':>9}{'classes>=5%':>13}")
    first_good = None
    step, seconds = 0, 0.0
    while seconds < args.minutes * 60:
        step += args.every
        history = training.train(gan, x_train, steps=step, run_dir=run_dir, batch_size=args.batch_size,
                                 sample_interval=args.every, print_interval=step, show_samples=False)
        seconds = history[-1]["seconds"]
        metrics = judge(sampling.sample(gan.generator, args.samples, seed=1))
        print(f"{step:>7}{seconds / 60:>11.2f}{metrics['classifier_score']:>8.2f}"
              f"{metrics['frechet_distance']:>9.2f}{metrics['covered']:>13}", flush=True)
        if first_good is None and metrics["classifier_score"] >= 9.0:
            first_good = (step, seconds)
    if first_good:
        print(f"classifier score >= 9.0 first at step {first_good[0]}, after {first_good[1] / 60:.1f} min of training")
    else:
        print(f"classifier score stayed below 9.0 in {seconds / 60:.1f} min ({step} steps)")


if __name__ == "__main__":
    main()
