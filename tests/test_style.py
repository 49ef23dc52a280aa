"""The code's style is checked, not hoped for: ruff's rules (pyproject.toml) and format on the Python code,
and the pre-commit hooks (.pre-commit-config.yaml) that keep both, and the notebooks stripped, at commit.

The tools run from this Python's environment (requirements.txt installs ruff, nbstripout and pre-commit).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ("gan_helpers", "tests", "benchmarks", "scripts", "conftest.py")
# Where this environment's ruff, nbstripout and pre-commit live: the hooks find them on the PATH.
TOOLS = str(Path(sys.executable).parent)


def _ruff(*arguments):
    """Runs this environment's ruff (requirements.txt installs it) on CODE, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "ruff", *arguments, *CODE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_ruff_check_finds_nothing():
    done = _ruff("check", "--output-format", "concise")
    assert done.returncode == 0, (
        f"ruff check found problems; 'ruff check --fix {' '.join(CODE)}' fixes most of them, "
        f"the rest need a hand:\n{done.stdout[-3000:]}{done.stderr[-1000:]}"
    )


def test_ruff_format_would_change_no_file():
    done = _ruff("format", "--check")
    assert done.returncode == 0, (
        f"'ruff format {' '.join(CODE)}' would reformat:\n{done.stdout[-3000:]}{done.stderr[-1000:]}"
    )


def _dirty_notebook(source: Path, target: Path) -> None:
    """A copy of ``source`` with an output and an execution count in every code cell, as a run leaves it."""
    notebook = json.loads(source.read_text())
    for number, cell in enumerate(notebook["cells"], start=1):
        if cell["cell_type"] == "code":
            cell["execution_count"] = number
            cell["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["ran\n"]}]
    target.write_text(json.dumps(notebook, indent=1))


def _pre_commit(repository: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files"],
        cwd=repository,
        env={
            **os.environ,
            "PATH": TOOLS + os.pathsep + os.environ.get("PATH", ""),
            "PRE_COMMIT_HOME": str(repository.parent / "pre_commit_home"),
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_pre_commit_hooks_strip_a_run_notebook_and_format_python_offline(tmp_path):
    repository = tmp_path / "repository"
    (repository / "notebooks").mkdir(parents=True)
    for name in (".pre-commit-config.yaml", "pyproject.toml"):
        shutil.copy(ROOT / name, repository / name)
    notebook = repository / "notebooks" / "03_generate_samples.ipynb"
    _dirty_notebook(ROOT / "notebooks" / notebook.name, notebook)
    (repository / "helper.py").write_text("import sys,os\nprint( os.sep,sys.argv )\n")
    subprocess.run(["git", "init", "-q"], cwd=repository, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repository, check=True)

    first = _pre_commit(repository)
    assert first.returncode == 1, first.stdout[-3000:]  # the hooks changed files: the commit stops
    cells = json.loads(notebook.read_text())["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert [c.get("id") for c in cells] == [
        c.get("id") for c in json.loads((ROOT / "notebooks" / notebook.name).read_text())["cells"]
    ]  # --keep-id: a stripped notebook differs from the committed one only where its cells do
    formatted = "import os\nimport sys\n\nprint(os.sep, sys.argv)\n"
    assert (repository / "helper.py").read_text() == formatted

    subprocess.run(["git", "add", "-A"], cwd=repository, check=True)
    second = _pre_commit(repository)
    assert second.returncode == 0, second.stdout[-3000:]  # clean files pass as they are
