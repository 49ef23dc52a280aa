"""A search over training settings: each setting in ``SEARCH`` is trained by ``time_to_quality.py`` for the
same budget of steps and judged as it goes, then one table of classifier score and FCD by step.

Run: python benchmarks/time_to_quality_search.py [--log ttq.jsonl] [--only NAME ...] [--table-only]

The list holds the settings tried for the dense networks' time-to-quality target (classifier score >= 9.0
and FCD <= 20 within 10 minutes of training on a 2-core CPU); docs/decisions/dense_mnist_settings.md
records what they gave. A step budget, not a wall-clock one, makes the settings comparable on a machine
shared with other work: the budget is what 10 minutes buy at the trainer's measured rate (26 steps/s at
batch 128, 1.7x that at batch 64: docs/performance.md). Confirm a winner's wall time with
``time_to_quality.py --minutes 10`` on a quiet machine. Results append to ``--log`` (one JSON line per
measurement), so an interrupted search resumes with ``--only`` and the table covers every run logged.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

STEPS_IN_TEN_MINUTES = {128: 15_000, 64: 26_000, 256: 8_000}

# name: (batch size, --set arguments); every setting starts from settings.BALANCED. With a moving average, a
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


def run(name: str, log: Path) -> None:
    batch_size, changes = SEARCH[name]
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
    ]
    print(f"=== {name}: {' '.join(command[1:])}", flush=True)
    subprocess.run(command, check=True)


def table(log: Path) -> str:
    """Per setting: classifier score and FCD of the generator the notebooks use, at a few steps."""
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    lines = [
        (
            f"{'setting':<24}{'batch':>6}{'step':>8}{'train min':>11}{'CS':>7}{'FCD':>8}{'classes':>9}"
            f"{'live CS':>9}{'live FCD':>10}"
        )
    ]
    for name in dict.fromkeys(row["name"] for row in rows):
        for row in (r for r in rows if r["name"] == name):
            lines.append(
                f"{name:<24}{row['batch_size']:>6}{row['step']:>8}{row['minutes']:>11.2f}"
                f"{row['sampled_classifier_score']:>7.2f}{row['sampled_frechet_distance']:>8.1f}"
                f"{row['sampled_covered']:>9.0f}{row.get('live_classifier_score', float('nan')):>9.2f}"
                f"{row.get('live_frechet_distance', float('nan')):>10.1f}"
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
