"""Point every Open-in-Colab badge, notebook setup cell and README link at a repository (after a fork).

Usage: python scripts/set_repository.py OWNER/NAME [--branch BRANCH]

Rewrites REPOSITORY and BRANCH in gan_helpers/colab.py (their one home), then makes every notebook's badge
(first cell) and setup cell (second cell) from them, and replaces the old address in README.md.
"""

import argparse
import importlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLAB_MODULE = ROOT / "gan_helpers" / "colab.py"
BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def set_constants(repository: str, branch: str) -> tuple[str, str]:
    """Rewrite REPOSITORY and BRANCH in colab.py; returns the old (repository, branch)."""
    text = COLAB_MODULE.read_text()
    old = (
        re.search(r'^REPOSITORY = "([^"]*)"', text, re.M).group(1),
        re.search(r'^BRANCH = "([^"]*)"', text, re.M).group(1),
    )
    text = re.sub(r'^REPOSITORY = "[^"]*"', f'REPOSITORY = "{repository}"', text, flags=re.M)
    COLAB_MODULE.write_text(re.sub(r'^BRANCH = "[^"]*"', f'BRANCH = "{branch}"', text, flags=re.M))
    return old


def rewrite_notebook(path: Path, colab) -> None:
    notebook = json.loads(path.read_text())
    title, setup = notebook["cells"][0], notebook["cells"][1]
    title["source"] = _lines(BADGE.sub(lambda _: colab.badge(path.name), "".join(title["source"])))
    setup["source"] = _lines(colab.setup_cell())
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("repository", help="OWNER/NAME on GitHub")
    parser.add_argument("--branch", default="main")
    args = parser.parse_args()
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", args.repository):
        parser.error(f"expected OWNER/NAME, e.g. my-course/gan-coursework; got {args.repository!r}")
    old_repository, old_branch = set_constants(args.repository, args.branch)
    sys.path.insert(0, str(ROOT))
    colab = importlib.import_module("gan_helpers.colab")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        rewrite_notebook(path, colab)
    readme = ROOT / "README.md"
    text = readme.read_text().replace(
        f"/{old_repository}/blob/{old_branch}/", f"/{args.repository}/blob/{args.branch}/"
    )
    readme.write_text(text.replace(f"github.com/{old_repository}", f"github.com/{args.repository}"))
    print(
        f"Badges, setup cells and README links now point at {args.repository}, branch {args.branch}."
    )


if __name__ == "__main__":
    main()
