"""How fast does the dense MNIST GAN reach good digits? Classifier score and FCD against training time.

Run: python benchmarks/time_to_quality.py [--minutes 10 | --steps N] [--every 1000] [--samples 10000]
                                          [--batch-size 128] [--literal] [--set NAME=VALUE ...]
                                          [--units 200,500,1000] [--dropout 0.3,0.3]
                                          [--minibatch-std] [--keep 0.8] [--seed 0]
                                          [--mixed-precision] [--log results.jsonl]

Trains the assignment's dense networks with ``settings.BALANCED`` (``--literal``: ``settings.LITERAL``),
with single settings changed by ``--set`` (e.g. ``--set g_learning_rate=4e-4 --set ema=none``), and every
``--every`` steps judges the generator the notebooks use (the moving average of G's weights when the
settings have one, and then the live G as well; with ``--keep`` below 1, also the share of its samples the
final D scores most real) on ``--samples`` images with the shipped MNIST classifier. Training time excludes
the judging. It stops after ``--minutes`` of training, or after ``--steps`` steps (to compare settings at
the same number of steps on a machine shared with other work). ``--log`` appends one JSON line per
measurement. Needs MNIST (GAN_DATA_DIR or the keras download).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_helpers import assessment, config, data, recipes, runs, sampling, settings


def parse_setting(text: str) -> tuple[str, object]:
    """ "ema=0.999" -> ("ema", 0.999); "ema=none" -> ("ema", None); "noise=uniform" -> ("noise", "uniform")."""
    name, _, value = text.partition("=")
    if value.lower() == "none":
        return name, None
    try:
        number = float(value)
    except ValueError:
        return name, value
    return name, int(number) if name in ("d_steps", "decay_steps") else number


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="training time budget")
    parser.add_argument(
        "--steps", type=int, default=None, help="a step budget instead of --minutes"
    )
    parser.add_argument("--every", type=int, default=1000, help="steps between measurements")
    parser.add_argument("--samples", type=int, default=10_000, help="images judged per measurement")
    parser.add_argument(
        "--batch-size", type=int, default=128, help="real images per D update (notebook 01: 128)"
    )
    parser.add_argument(
        "--literal", action="store_true", help="start from settings.LITERAL, not BALANCED"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        type=parse_setting,
        metavar="NAME=VALUE",
        help="change one setting (a field of settings.Settings); repeatable",
    )
    parser.add_argument(
        "--units",
        default="200,500,1000",
        help="G's hidden layer sizes, comma-separated (D takes them reversed); "
        "the spec's two sets are 200,500,1000 and 300,600,1200",
    )
    parser.add_argument(
        "--dropout",
        default="0.3,0.3",
        help="D's two dropout rates, comma-separated (the spec gives none). The default 0.3 is the rate "
        "the search's logs were measured at and the bundle's (models.DENSE_DROPOUT_RATES)",
    )
    parser.add_argument(
        "--minibatch-std",
        action="store_true",
        help="give D the minibatch standard-deviation feature (models.MinibatchStdDev)",
    )
    parser.add_argument(
        "--keep",
        type=float,
        default=1.0,
        help="below 1, also judge the share of samples the final D scores most real "
        "(sampling.sample_kept_by_discriminator)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="the run's seed: initial weights, noise, dropout and data order (the judged noise stays 1)",
    )
    parser.add_argument("--run-dir", default=None, help="default: a temporary folder")
    parser.add_argument("--mixed-precision", action="store_true", help="bf16 on CPU, fp16 on GPU")
    parser.add_argument(
        "--log", default=None, help="append one JSON line per measurement to this file"
    )
    parser.add_argument("--name", default="", help="what to call this setting in the log")
    args = parser.parse_args()

    print(f"dtype policy: {config.use_mixed_precision(args.mixed_precision)}")
    chosen = (settings.LITERAL if args.literal else settings.BALANCED).replace(**dict(args.set))
    x_train = data.load_images("mnist")
    judge = assessment.Judge(
        assessment.load_classifier(),
        data.load_images("mnist", split="test")[: args.samples],
        x_train[: args.samples],
    )
    run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="time_to_quality_"))
    print(f"settings: {chosen}, batch size {args.batch_size}")
    units = tuple(int(n) for n in args.units.split(","))
    dropout_rates = tuple(float(rate) for rate in args.dropout.split(","))
    print(f"hidden units: G {units}, D {tuple(reversed(units))}; D's dropout rates {dropout_rates}")
    gan = recipes.dense_mnist_gan(
        settings=chosen,
        seed=args.seed,
        units=units,
        dropout_rates=dropout_rates,
        minibatch_std=args.minibatch_std,
    )
    reference = judge.reference
    print(
        f"real MNIST reference: CS {reference['classifier_score']:.2f}  FCD {reference['frechet_distance']:.2f}"
    )

    def sampled_by(generator):
        return lambda: sampling.sample(generator, args.samples, seed=1, distribution=chosen.noise)

    # what is judged at each measurement: name -> a function that draws the images
    judged = {"": sampled_by(gan.sampling_generator)}
    if gan.ema_generator:
        judged["live "] = sampled_by(gan.generator)
    if args.keep < 1.0:
        judged["kept "] = lambda: sampling.sample_kept_by_discriminator(
            gan.sampling_generator,
            gan.discriminator,
            args.samples,
            keep=args.keep,
            seed=1,
            distribution=chosen.noise,
        )
    print(
        f"{'step':>7}{'train min':>11}"
        + "".join(f"{name + 'CS':>9}{name + 'FCD':>10}" for name in judged)
        + f"{'classes>=5%':>13}"
    )
    step, seconds = 0, 0.0
    while (step < args.steps) if args.steps else (seconds < args.minutes * 60):
        step += args.every
        history = runs.train(
            gan,
            x_train,
            steps=step,
            run_dir=run_dir,
            batch_size=args.batch_size,
            sample_interval=args.every,
            print_interval=step,
            show_samples=False,
        )
        seconds = history[-1]["seconds"]
        metrics = {name: judge(draw()) for name, draw in judged.items()}
        print(
            f"{step:>7}{seconds / 60:>11.2f}"
            + "".join(
                f"{m['classifier_score']:>9.2f}{m['frechet_distance']:>10.2f}"
                for m in metrics.values()
            )
            + f"{metrics['']['covered']:>13}",
            flush=True,
        )
        if args.log:
            with open(args.log, "a") as log:
                log.write(
                    json.dumps(
                        {
                            "name": args.name,
                            "settings": str(chosen),
                            "batch_size": args.batch_size,
                            "units": list(units),
                            "dropout_rates": list(dropout_rates),
                            "minibatch_std": args.minibatch_std,
                            "keep": args.keep,
                            "seed": args.seed,
                            "step": step,
                            "minutes": seconds / 60,
                            **{
                                f"{name or 'sampled '}{key}".replace(" ", "_"): float(m[key])
                                for name, m in metrics.items()
                                for key in assessment.SCORE_COLUMNS
                            },
                        }
                    )
                    + "\n"
                )


if __name__ == "__main__":
    main()
