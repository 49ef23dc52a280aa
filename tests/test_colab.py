"""Colab: one home for the repository's address, a setup cell that says what failed, and runs kept on Drive.

The Drive test runs a notebook under pytest exactly as the README says (``pytest --nbval-lax``, without
GAN_FAST), in a kernel where a stand-in ``google.colab`` package is imported at start-up, as in Colab.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from gan_helpers import colab

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

FAKE_COLAB = {  # google stays a namespace package: TensorFlow needs google.protobuf from site-packages
    "google/colab/__init__.py": "",
    "google/colab/drive.py": (
        "import os\n\ndef mount(mountpoint):\n"
        "    os.makedirs(os.path.join(mountpoint, 'MyDrive'), exist_ok=True)\n"
        "    print('Mounted at ' + mountpoint)\n"
    ),
    "sitecustomize.py": "import google.colab\n",  # Colab's Python has it imported before any cell runs
}


def _cells(path):
    return ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]]


def test_every_notebook_and_the_readme_name_one_repository():
    for path in NOTEBOOKS:
        title, setup = _cells(path)[:2]
        assert colab.badge(path.name) in title, path.name
        assert setup == colab.setup_cell(), f"{path.name}: run python scripts/set_repository.py"
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"github(?:\.com|/)/?([\w.-]+/[\w.-]+?)(?:/|\)|\.git|\s)", readme))
    assert named == {colab.REPOSITORY}


def test_set_repository_rewrites_badges_setup_cells_and_readme(tmp_path):
    for part in ("gan_helpers", "notebooks", "scripts"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    done = subprocess.run(
        [
            sys.executable,
            str(tmp_path / "scripts" / "set_repository.py"),
            "my-course/gans",
            "--branch",
            "spring",
        ],
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for path in sorted((tmp_path / "notebooks").glob("*.ipynb")):
        title, setup = _cells(path)[:2]
        assert f"github/my-course/gans/blob/spring/notebooks/{path.name}" in title
        assert 'REPOSITORY, BRANCH = "my-course/gans", "spring"' in setup
    readme = (tmp_path / "README.md").read_text()
    assert "github.com/my-course/gans" in readme and colab.REPOSITORY not in readme


def test_a_failed_clone_stops_the_setup_cell_with_the_url_it_tried(tmp_path):
    pretend_colab = (
        "import sys, types; sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
    )
    url = f"file://{tmp_path}/no-such-repository"
    done = subprocess.run(
        [sys.executable, "-S", "-c", pretend_colab + colab.setup_cell()],
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "GAN_REPOSITORY_URL": url},
    )
    assert done.returncode != 0
    assert "RuntimeError: Setup failed at: git clone" in done.stderr
    assert f"The bundle comes from {url}, branch {colab.BRANCH}: check REPOSITORY" in done.stderr


def test_pytest_nbval_as_typed_runs_fast_and_a_colab_notebook_keeps_its_runs_on_drive(tmp_path):
    for name, text in FAKE_COLAB.items():
        (tmp_path / "fake_colab" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fake_colab" / name).write_text(text)
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"GAN_FAST", "GAN_ARTIFACTS_DIR", "PYTEST_CURRENT_TEST"}
    }
    env.update(PYTHONPATH=str(tmp_path / "fake_colab"), GAN_DRIVE_MOUNT=str(tmp_path / "drive"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "notebooks/03_generate_samples.ipynb"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    runs = tmp_path / "drive" / "MyDrive" / "gan-coursework-runs"
    assert (runs / "03_generate_samples" / "samples.npz").is_file()
    fallback = json.loads(
        (runs / "03_generate_samples" / "fallback_run" / "history.json").read_text()
    )
    assert fallback[-1]["step"] == 200  # notebook 03's fast value (full: 5,000)
