"""Write the one notebook to hand in, lastname_firstname_gan.ipynb, from notebooks 01-04 as they were
run and saved (see gan_helpers/submission.py).

Usage: python scripts/make_submission.py "Lastname Firstname" [--from DIR] [--output-dir DIR]
       DIR defaults to artifacts/, where the README's command writes the executed notebooks.
"""

import argparse
import sys
from pathlib import Path

from gan_helpers import submission

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("student", help='your name as "Lastname Firstname"')
    parser.add_argument(
        "--from", dest="source", type=Path, default=ARTIFACTS, help=f"default: {ARTIFACTS}"
    )
    parser.add_argument("--output-dir", type=Path, default=Path("."), help="default: here")
    args = parser.parse_args()
    try:
        path, warnings = submission.write_submission(args.student, args.source, args.output_dir)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    for warning in warnings:
        print(f"warning: {warning}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
