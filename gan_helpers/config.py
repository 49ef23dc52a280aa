"""Run configuration shared by every notebook: fast mode, seeding and the artifacts folder.

Environment variables:
    GAN_FAST=1          small step counts (CI and quick checks); anything else or unset is full mode.
    GAN_ARTIFACTS_DIR   where runs write their outputs (default: ``artifacts/`` at the repository root,
                        or ``./artifacts`` when the package is installed elsewhere). Point it at Google
                        Drive in Colab to keep results across sessions.
    GAN_DATA_DIR        a folder of local dataset copies (see ``gan_helpers.data``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

FAST_ENV = "GAN_FAST"
ARTIFACTS_ENV = "GAN_ARTIFACTS_DIR"

T = TypeVar("T")


def fast_mode() -> bool:
    """True when ``GAN_FAST`` is set to 1/true/yes (case-insensitive)."""
    return os.environ.get(FAST_ENV, "").strip().lower() in {"1", "true", "yes"}


def pick(full: T, fast: T) -> T:
    """Return ``fast`` in fast mode and ``full`` otherwise.

    The one way a notebook chooses its parameters, e.g. ``STEPS = pick(full=100_000, fast=300)``.
    """
    return fast if fast_mode() else full


FAST_MODE_LINE = "Fast mode (GAN_FAST=1)"


def describe_mode() -> str:
    """The line a notebook prints in its parameter cell. In fast mode it starts with ``FAST_MODE_LINE``, as
    ``machine.report``'s does, so that a saved notebook's outputs say how it ran (``submission`` reads it)."""
    if fast_mode():
        return f"{FAST_MODE_LINE}: every config.pick takes its fast value; the results show the mechanics only."
    return "Full mode: every config.pick takes its full value."


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the backend at once with ``keras.utils.set_random_seed``."""
    import keras

    keras.utils.set_random_seed(int(seed))


def _default_artifacts_root() -> Path:
    repo_root = Path(__file__).resolve().parent.parent
    if (repo_root / "notebooks").is_dir():
        return repo_root / "artifacts"
    return Path.cwd() / "artifacts"


def artifacts_dir(*parts: str) -> Path:
    """Return (and create) a folder under the artifacts root, e.g. ``artifacts_dir("01_dense_mnist_gan")``.

    Raises:
        ValueError: a part is an absolute path or climbs out of the root (".."), or the root or the
            requested folder exists and is not a directory.
    """
    root = Path(os.environ.get(ARTIFACTS_ENV) or _default_artifacts_root()).expanduser()
    for part in parts:
        if Path(part).is_absolute() or ".." in Path(part).parts:
            raise ValueError(
                f"artifacts_dir takes folder names inside the artifacts root ({root}), got {part!r}. "
                f"To put the artifacts elsewhere, set {ARTIFACTS_ENV} to that folder."
            )
    path = root.joinpath(*parts)
    for candidate in [root, *reversed(path.parents), path]:
        if candidate.exists() and not candidate.is_dir():
            raise ValueError(
                f"Artifacts path {candidate} is a file; expected a folder. "
                f"Remove it or set {ARTIFACTS_ENV} to another folder."
            )
    path.mkdir(parents=True, exist_ok=True)
    return path


def has_gpu() -> bool:
    """True when TensorFlow sees a GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def use_mixed_precision(enabled: bool = True) -> str:
    """Switch Keras' global dtype policy; call it before building the networks.

    Enabled: "mixed_float16" with a GPU, else "mixed_bfloat16" (CPU). Disabled: "float32" (the default).
    Returns the policy name. ``training.GAN`` adds loss scaling for float16 by itself.
    """
    import keras

    policy = "float32"
    if enabled:
        policy = "mixed_float16" if has_gpu() else "mixed_bfloat16"
    keras.mixed_precision.set_global_policy(policy)
    return policy
