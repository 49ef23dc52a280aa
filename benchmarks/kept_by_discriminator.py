"""What keeping the samples the final discriminator trusts does to a trained dense MNIST GAN's digits.

Run: python benchmarks/kept_by_discriminator.py RUN_DIR [--keeps 1,0.9,0.8,0.7] [--samples 10000]

RUN_DIR is a finished run folder (``time_to_quality.py --run-dir``, or a notebook's run). For each share
``keep`` it draws ``--samples`` / keep images from the saved generator (generator.keras: the moving average
when the run had one) with the noise seed ``time_to_quality.py`` judges with (1), keeps the ``--samples``
that the saved discriminator scores most real (``sampling.sample_kept_by_discriminator``), and prints the
shipped MNIST classifier's verdict on them: classifier score with its two halves, FCD and digits covered.
keep 1 is the run's own sample. Needs MNIST (GAN_DATA_DIR or the keras download).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_helpers import assessment, data, sampling
from gan_helpers.run_folder import RunFolder


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run_dir", help="a finished run folder")
    parser.add_argument(
        "--keeps", default="1,0.9,0.8,0.7", help="shares of samples kept, comma-separated"
    )
    parser.add_argument("--samples", type=int, default=10_000, help="images judged per share")
    args = parser.parse_args()
    run = RunFolder(args.run_dir)
    generator, discriminator = run.generator(), run.discriminator()
    judge = assessment.Judge(
        assessment.load_classifier(),
        data.load_images("mnist", split="test")[: args.samples],
        data.load_images("mnist")[: args.samples],
    )
    table = {
        f"keep {keep:.0%}": judge(
            sampling.sample_kept_by_discriminator(
                generator, discriminator, args.samples, keep=keep, seed=1
            )
        )
        for keep in (float(share) for share in args.keeps.split(","))
    }
    print(f"{run.path}, {run.history()[-1]['step']:,} steps:")
    print(
        assessment.format_table(
            {**table, "real (reference)": judge.reference}, assessment.SCORE_COLUMNS
        )
    )


if __name__ == "__main__":
    main()
