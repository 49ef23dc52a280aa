"""A search over training settings: each setting in ``SEARCH`` is trained by ``time_to_quality.py`` for the
same budget of steps and judged as it goes, then one table of classifier score and FCD by step.

Run: python benchmarks/time_to_quality_search.py [--log ttq.jsonl] [--only NAME ...] [--table-only]

The list holds the settings tried for the dense networks' time-to-quality target (classifier score >= 9.0 and
FCD <= 20 within 10 minutes of training on a 2-core CPU; docs/decisions/dense_mnist_settings.md records what
they gave), then those tried for cleaner digits on the spec's networks (CS >= 9.0 and FCD <= 10 at 15,000
steps; docs/decisions/cleaner_digits.md, whose log is docs/decisions/cleaner_digits_search.jsonl). A step
budget, not a wall-clock one, makes the settings comparable on a machine shared with other work: the budget is
what 10 minutes buy at the trainer's measured rate (26 steps/s at batch 128, 1.7x that at batch 64:
docs/performance.md). Confirm a winner's wall time with ``time_to_quality.py --minutes 10`` on a quiet
machine. Results append to ``--log`` (one JSON line per measurement), so an interrupted search resumes with
``--only`` and the table covers every run logged.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

STEPS_IN_TEN_MINUTES = {128: 15_000, 64: 26_000, 256: 8_000}

# name: (batch size, --set arguments[, other time_to_quality.py flags]); every setting starts from
# settings.BALANCED. With a moving average, a
# run also measures its live G, which trains exactly as it would without the average (same seed): the
# "live" columns of "balanced + EMA 0.999" are the balanced settings without EMA.
SEARCH = {
    "balanced + EMA 0.999": (128, []),
    "both lr 5e-4": (128, ["d_learning_rate=5e-4", "g_learning_rate=5e-4"]),
    "both lr 5e-4, decay to 0": (
        128,
        ["d_learning_rate=5e-4", "g_learning_rate=5e-4", "decay_steps=15000"],
    ),
    "both lr 1e-3": (128, ["d_learning_rate=1e-3", "g_learning_rate=1e-3"]),
    "both lr 1e-3, decay to 0": (
        128,
        ["d_learning_rate=1e-3", "g_learning_rate=1e-3", "decay_steps=15000"],
    ),
    "TTUR D 4e-4 G 1e-4": (128, ["d_learning_rate=4e-4", "g_learning_rate=1e-4"]),
    "batch 64": (64, []),
    "no label smoothing": (128, ["real_label=1.0"]),
    "uniform noise": (128, ["noise=uniform"]),
    "D:G 2:1": (128, ["d_steps=2"]),
}
# Issue 23's search for cleaner digits: settings.DENSE_MNIST (D 3e-4, G 6e-4) with one loss or regulariser
# changed, on the default (the spec's smaller) networks with D's dropout at 0.3 (time_to_quality.py's
# default and the bundle's). The losses without a target label train with
# real_label 1; WGAN-GP with its paper's Adam (beta_1 0, beta_2 0.9).
DENSE_MNIST = ["d_learning_rate=3e-4", "g_learning_rate=6e-4"]
SEARCH |= {
    "DENSE_MNIST": (128, DENSE_MNIST),
    "DENSE_MNIST + top-k 0.999/0.5": (128, [*DENSE_MNIST, "top_k_decay=0.999", "top_k_floor=0.5"]),
    "DENSE_MNIST + R1 1 every 4": (128, [*DENSE_MNIST, "r1_weight=1", "r1_interval=4"]),
    "DENSE_MNIST + EMA 0.9999": (128, [*DENSE_MNIST, "ema=0.9999"]),
    "DENSE_MNIST + R1 0.1 every 4": (128, [*DENSE_MNIST, "r1_weight=0.1", "r1_interval=4"]),
    "DENSE_MNIST + minibatch std": (128, DENSE_MNIST, ["--minibatch-std"]),
    "DENSE_MNIST, dropout 0.2": (128, DENSE_MNIST, ["--dropout", "0.2,0.2"]),
    "DENSE_MNIST, dropout 0.1": (128, DENSE_MNIST, ["--dropout", "0.1,0.1"]),
    "DENSE_MNIST, seed 1": (128, DENSE_MNIST, ["--seed", "1"]),
    "DENSE_MNIST, dropout 0.1, seed 1": (128, DENSE_MNIST, ["--dropout", "0.1,0.1", "--seed", "1"]),
    "DENSE_MNIST, hinge": (128, [*DENSE_MNIST, "loss=hinge", "real_label=1.0"]),
    "DENSE_MNIST, least squares": (128, [*DENSE_MNIST, "loss=least-squares", "real_label=1.0"]),
    "DENSE_MNIST, wgan-gp": (
        128,
        [
            *DENSE_MNIST,
            *("loss=wgan-gp", "real_label=1.0", "d_beta_1=0", "g_beta_1=0"),
            *("d_beta_2=0.9", "g_beta_2=0.9"),
        ],
    ),
}


def run(name: str, log: Path) -> None:
    batch_size, changes, *flags = SEARCH[name]
    command = [
        sys.executable,
        str(Path(__file__).with_name("time_to_quality.py")),
        "--steps",
        str(STEPS_IN_TEN_MINUTES[batch_size]),
        "--batch-size",
        str(batch_size),
        "--log",
        str(log),
        "--name",
        name,
        *[argument for change in changes for argument in ("--set", change)],
        *(flags[0] if flags else []),
    ]
    print(f"=== {name}: {' '.join(command[1:])}", flush=True)
    subprocess.run(command, check=True)


def table(log: Path) -> str:
    """Per setting and step: the classifier score of the generator the notebooks use with its two halves
    (balance / blur, where logged: CS = balance / blur), FCD, digits covered, the live G's CS and FCD, and
    where logged (``--keep``) those of the samples the final D keeps."""
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    width = max(24, *(len(row["name"]) + 1 for row in rows))
    lines = [
        (
            f"{'setting':<{width}}{'batch':>6}{'step':>8}{'train min':>11}{'CS':>7}{'balance':>9}"
            f"{'blur':>7}{'FCD':>8}{'classes':>9}{'live CS':>9}{'live FCD':>10}"
            f"{'kept CS':>9}{'kept FCD':>10}"
        )
    ]
    nan = float("nan")
    for name in dict.fromkeys(row["name"] for row in rows):
        for row in (r for r in rows if r["name"] == name):
            lines.append(
                f"{name:<{width}}{row['batch_size']:>6}{row['step']:>8}{row['minutes']:>11.2f}"
                f"{row['sampled_classifier_score']:>7.2f}{row.get('sampled_balance', nan):>9.2f}"
                f"{row.get('sampled_blur', nan):>7.3f}{row['sampled_frechet_distance']:>8.1f}"
                f"{row['sampled_covered']:>9.0f}{row.get('live_classifier_score', nan):>9.2f}"
                f"{row.get('live_frechet_distance', nan):>10.1f}"
                f"{row.get('kept_classifier_score', nan):>9.2f}"
                f"{row.get('kept_frechet_distance', nan):>10.1f}"
            )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--log", default="time_to_quality_search.jsonl")
    parser.add_argument("--only", nargs="*", choices=sorted(SEARCH), help="run only these settings")
    parser.add_argument(
        "--table-only", action="store_true", help="print the table of what the log holds"
    )
    args = parser.parse_args()
    log = Path(args.log)
    if not args.table_only:
        for name in args.only or SEARCH:
            run(name, log)
    print(table(log))


if __name__ == "__main__":
    main()
