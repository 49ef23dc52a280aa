"""Running the notebooks in Google Colab: where the bundle comes from, and runs that outlive the runtime.

``REPOSITORY`` and ``BRANCH`` are the one home of the bundle's address. Every notebook's Open-in-Colab badge
and setup cell, and the README's links, are made from them; after a fork,
``python scripts/set_repository.py OWNER/NAME [--branch B]`` rewrites them all.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import config

REPOSITORY = "gan-coursework/gan-coursework"
BRANCH = "main"

# Where Colab mounts Google Drive, and the folder there that holds the runs. GAN_DRIVE_MOUNT moves the mount
# point (the tests use it with a stand-in for google.colab).
DRIVE_MOUNT = Path(os.environ.get("GAN_DRIVE_MOUNT", "/content/drive"))
DRIVE_RUNS = Path("MyDrive") / "gan-coursework-runs"

SETUP_CELL = """\
# Setup. In Colab: fetch the bundle, install gan_helpers, keep runs on Google Drive. Locally: nothing.
# After a fork, python scripts/set_repository.py OWNER/NAME rewrites the next line in every notebook.
REPOSITORY, BRANCH = "{repository}", "{branch}"
KEEP_RUNS_ON_DRIVE = True  # False: runs stay on the runtime's disk, and Colab deletes them with it
import sys
if "google.colab" in sys.modules:
    import importlib.util, os, subprocess
    if importlib.util.find_spec("gan_helpers") is None:
        url = os.environ.get("GAN_REPOSITORY_URL", f"https://github.com/{{REPOSITORY}}")
        folder = "/content/gan-coursework"
        clone = ["git", "clone", "-q", "--depth", "1", "-b", BRANCH, url, folder]
        install = [sys.executable, "-m", "pip", "install", "-q", "-e", folder]
        for step in [install] if os.path.isdir(folder) else [clone, install]:
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"Setup failed at: {{' '.join(step)}}\\n{{done.stderr.strip()}}\\n"
                                   f"The bundle comes from {{url}}, branch {{BRANCH}}: check REPOSITORY "
                                   f"and BRANCH, and that the runtime is online.")
        sys.path.insert(0, folder)
    from gan_helpers import colab
    colab.keep_runs_on_drive(KEEP_RUNS_ON_DRIVE)"""


def setup_cell() -> str:
    """The first code cell of every notebook, for ``REPOSITORY`` and ``BRANCH``."""
    return SETUP_CELL.format(repository=REPOSITORY, branch=BRANCH)


def badge(notebook: str) -> str:
    """The Open-in-Colab badge (markdown) for ``notebook`` (a file name in notebooks/)."""
    url = (
        f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/notebooks/{notebook}"
    )
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def in_colab() -> bool:
    return "google.colab" in sys.modules


def keep_runs_on_drive(enabled: bool = True) -> Path | None:
    """In Colab, mount Google Drive and send every run there (``GAN_ARTIFACTS_DIR``, unless it is set already),
    so checkpoints, grids and histories outlive the runtime; prints where runs go. Outside Colab, does nothing.

    Returns the Drive folder that now holds the runs, or None.
    """
    if not in_colab():
        return None
    if not enabled:
        print(
            f"Runs go to {config.artifacts_dir()} on this runtime's own disk: Colab deletes them when it "
            f"recycles the runtime. Set KEEP_RUNS_ON_DRIVE = True to keep them on Google Drive."
        )
        return None
    from google.colab import drive

    drive.mount(str(DRIVE_MOUNT))
    folder = Path(os.environ.setdefault(config.ARTIFACTS_ENV, str(DRIVE_MOUNT / DRIVE_RUNS)))
    print(
        f"Runs go to {folder} on your Google Drive: checkpoints, grids and histories survive a disconnect. "
        f"Re-run the notebook after one and training resumes from its last checkpoint."
    )
    return folder
