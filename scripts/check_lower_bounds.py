"""Check the declared dependency ranges: install their lower bounds in a fresh venv and run the unit tests.

    GAN_DATA_DIR=/path/to/data python scripts/check_lower_bounds.py   # 25 minutes on a busy 2-core box

Each ``name>=X.Y`` in pyproject.toml's ``[project] dependencies`` becomes ``name==X.Y.*``: the oldest
minor release the range allows, at its newest patch (a ``.0`` is often not on PyPI, tensorflow 2.16.0 for
one). Dependencies without a lower bound are left to pip, which picks the newest versions that fit beside
the bounds (numpy below 2 beside tensorflow 2.16, for one). The bounds are read from pyproject.toml, so
this check and the declared ranges cannot drift apart. The package itself is installed editable, as
requirements.txt does, in the same pip call as the bounds and the test tools (their lines are read from
requirements.txt), so nothing can pull a bound up. The venv is made by the Python that runs this script:
the check covers that Python version only.

The unit tests run as in the README but without the notebooks and the style checks: not the browser
tests, not the notebook checks, not the test that runs a notebook under nbval, not tests/test_style.py.
``GAN_DATA_DIR`` is passed through (the data tests need the local copy). It prints the versions
installed, the tests' outcome and the minutes each part took, and exits with pytest's exit status. The
venv lives in a temporary folder, removed at the end unless ``--keep`` is given (then its path is
printed, e.g. to try other versions in it by hand).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The test tools: their lines (with their ranges) are read from requirements.txt.
TEST_TOOLS = ("pytest", "pytest-xdist", "nbval")
NOT_UNIT_TESTS = (
    "--ignore=tests/test_browser.py",
    "--ignore=tests/test_notebooks.py",
    "--ignore=tests/test_style.py",  # ruff and pre-commit: the code's style, not the dependency ranges
    (
        "--deselect=tests/test_colab.py::"
        "test_pytest_nbval_as_typed_runs_fast_and_a_colab_notebook_keeps_its_runs_on_drive"
    ),
)
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\S.*)?$")


def lower_bound_pins(dependencies: list[str]) -> list[str]:
    """pyproject dependency strings -> pip requirements with each ``>=X[.Y...]`` turned into
    ``==X.Y.*`` (the oldest allowed minor release); other specifiers are kept, unbounded names stay bare.

    Raises ValueError for a string that is not ``name[specifiers]`` (extras and markers are not handled).
    """
    pins = []
    for dependency in dependencies:
        match = REQUIREMENT.match(dependency)
        if not match or any(mark in dependency for mark in "[;@"):
            raise ValueError(
                f"pyproject.toml dependency {dependency!r}: expected 'name' or 'name>=X.Y[,...]' "
                "(no extras, markers or URLs); extend lower_bound_pins in "
                "scripts/check_lower_bounds.py to handle it"
            )
        name, specifiers = match.group(1), match.group(2) or ""
        parts = [part.strip() for part in specifiers.split(",") if part.strip()]
        for i, part in enumerate(parts):
            if part.startswith(">="):
                major, minor = ([*part[2:].strip().split("."), "0"])[:2]
                parts[i] = f"=={major}.{minor}.*"
        pins.append(name + ",".join(parts))
    return pins


def tool_requirements(requirements: Path) -> list[str]:
    """The lines of ``requirements`` that name one of TEST_TOOLS, without their comments."""
    lines = [line.split("#")[0].strip() for line in requirements.read_text().splitlines()]
    found = [line for line in lines if (m := REQUIREMENT.match(line)) and m.group(1) in TEST_TOOLS]
    missing = set(TEST_TOOLS) - {REQUIREMENT.match(line).group(1) for line in found}
    if missing:
        raise ValueError(f"{requirements}: no line for the test tools {sorted(missing)}; add them")
    return found


def run(command: list[str], check: bool = False, **options) -> subprocess.CompletedProcess:
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, check=check, **options)


def installed_versions(python: Path, names: list[str]) -> str:
    """'name version' lines for the distributions ``names`` in the venv of ``python``."""
    script = (
        "import sys\nfrom importlib.metadata import version\n"
        "for name in sys.argv[1:]:\n    print(f'{name:16} {version(name)}')"
    )
    done = subprocess.run(
        [str(python), "-c", script, *names], capture_output=True, text=True, check=True
    )
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the venv and print its path")
    parser.add_argument("--workers", default="2", help="pytest-xdist workers (-n), default 2")
    args = parser.parse_args()

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = lower_bound_pins(project["dependencies"])
    tools = tool_requirements(ROOT / "requirements.txt")
    if not os.environ.get("GAN_DATA_DIR"):
        print("GAN_DATA_DIR is not set: the tests that need the local data copy will skip")

    venv = Path(tempfile.mkdtemp(prefix="lower_bounds_")) / "venv"
    python = venv / "bin" / "python"
    started = time.perf_counter()
    try:
        run([sys.executable, "-m", "venv", str(venv)], check=True)
        # The package itself (editable, as requirements.txt installs it), held to its lower bounds.
        installed = run(
            [str(python), "-m", "pip", "install", "--quiet", "-e", str(ROOT), *pins, *tools]
        )
        if installed.returncode:
            print(f"pip could not install the lower bounds {pins} with {tools}")
            return installed.returncode
        install_minutes = (time.perf_counter() - started) / 60
        names = [REQUIREMENT.match(p).group(1) for p in pins + tools]
        print(f"\nInstalled, in {install_minutes:.1f} min:\n" + installed_versions(python, names))

        env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONHOME"}}
        env.pop("PYTHONPATH", None)  # gan_helpers comes from the editable install, as in CI
        env.update(
            PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            TF_CPP_MIN_LOG_LEVEL=env.get("TF_CPP_MIN_LOG_LEVEL", "3"),
            GAN_FAST="1",
        )
        test_started = time.perf_counter()
        tests = run(
            [str(python), "-m", "pytest", "-q", "-n", args.workers, "tests", *NOT_UNIT_TESTS],
            cwd=ROOT,
            env=env,
        )
        print(
            f"\nLower bounds {' '.join(pins)}: unit tests "
            f"{'passed' if tests.returncode == 0 else f'FAILED (pytest exit {tests.returncode})'}; "
            f"install {install_minutes:.1f} min, tests "
            f"{(time.perf_counter() - test_started) / 60:.1f} min, "
            f"total {(time.perf_counter() - started) / 60:.1f} min"
        )
        return tests.returncode
    finally:
        if args.keep:
            print(f"venv kept: {venv}")
        else:
            shutil.rmtree(venv.parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
