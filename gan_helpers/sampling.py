"""Drawing noise, generating images, and loading a saved generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import models
from .run_folder import RunFolder
from .settings import NOISE_DISTRIBUTIONS


def noise(
    count: int, latent_dim: int = 100, seed: int = 0, distribution: str = "normal"
) -> np.ndarray:
    """Noise (count, latent_dim) float32, repeatable for a given seed: standard normal, or uniform in
    [-1, 1] (``distribution``, one of ``settings.NOISE_DISTRIBUTIONS``; use the one G trained with,
    ``gan.settings.noise``)."""
    if count <= 0 or latent_dim <= 0:
        raise ValueError(f"count and latent_dim must be positive, got {count} and {latent_dim}.")
    rng = np.random.default_rng(seed)
    if distribution == "normal":
        return rng.standard_normal((count, latent_dim)).astype("float32")
    if distribution == "uniform":
        return rng.uniform(-1.0, 1.0, (count, latent_dim)).astype("float32")
    raise ValueError(f"distribution must be one of {NOISE_DISTRIBUTIONS}, got {distribution!r}.")


def _latent_dim(generator) -> int:
    return int(generator.inputs[0].shape[-1])


def is_conditional(generator) -> bool:
    """True for a generator that takes [noise, labels]."""
    return len(generator.inputs) == 2


def generate(
    generator, noise_vectors: np.ndarray, labels: np.ndarray | None = None, batch_size: int = 1000
) -> np.ndarray:
    """Images (N, H, W, C) in [-1, 1] from noise (N, latent_dim), in inference mode, batch by batch.

    A conditional generator also needs ``labels`` (N,) int, the class asked for each image.
    """
    noise_vectors = np.asarray(noise_vectors, dtype="float32")
    expected = _latent_dim(generator)
    if noise_vectors.ndim != 2 or noise_vectors.shape[1] != expected:
        raise ValueError(f"Expected noise of shape (N, {expected}), got {noise_vectors.shape}.")
    if is_conditional(generator) != (labels is not None):
        raise ValueError(
            "A conditional generator needs labels (one class per noise vector); "
            "an unconditional one takes none."
        )
    if labels is not None:
        labels = np.asarray(labels, dtype="int32")
        classes = models.class_count(generator)
        if labels.shape != (len(noise_vectors),) or labels.min() < 0 or labels.max() >= classes:
            raise ValueError(
                f"Expected labels of shape ({len(noise_vectors)},) in [0, {classes}), got shape "
                f"{labels.shape} with values {labels.min()}..{labels.max()}."
            )
    batches = [
        np.asarray(
            generator(
                noise_vectors[i : i + batch_size]
                if labels is None
                else [noise_vectors[i : i + batch_size], labels[i : i + batch_size]],
                training=False,
            )
        )
        for i in range(0, len(noise_vectors), batch_size)
    ]
    return np.concatenate(batches)


def balanced_labels(count: int, num_classes: int = 10) -> np.ndarray:
    """Class labels (count,) int32 cycling 0, 1, ..., num_classes - 1: equal numbers of each class."""
    return (np.arange(count) % num_classes).astype("int32")


def sample(
    generator,
    count: int,
    seed: int = 0,
    labels: np.ndarray | None = None,
    distribution: str = "normal",
) -> np.ndarray:
    """``count`` images (count, H, W, C) in [-1, 1] from seeded noise of ``distribution``; a conditional
    generator makes the classes in ``labels`` (default: ``balanced_labels``)."""
    if labels is None and is_conditional(generator):
        labels = balanced_labels(count, models.class_count(generator))
    return generate(generator, noise(count, _latent_dim(generator), seed, distribution), labels)


def sample_kept_by_discriminator(
    generator,
    discriminator,
    count: int,
    keep: float = 0.8,
    seed: int = 0,
    distribution: str = "normal",
) -> np.ndarray:
    """``count`` images (count, H, W, C) in [-1, 1]: of round(count / keep) seeded samples, the ``count``
    that ``discriminator`` scores most real (highest logit), in the order they were drawn.

    A filter at sampling time, the simplest form of discriminator rejection sampling (Azadi et al., 2019):
    D has learned what fakes look like, and the ones it doubts most are often blends of two digits. It
    trades variety for sharpness, since a digit that D doubts more than the others is kept less often, and
    it costs 1 / ``keep`` times the generator's work. ``keep`` 1 is ``sample``. Unconditional generators
    only.

    Raises:
        ValueError: ``keep`` outside (0, 1], or a conditional generator.
    """
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep is the share of samples kept, in (0, 1]; got {keep}.")
    if is_conditional(generator):
        raise ValueError(
            "sample_kept_by_discriminator takes an unconditional generator: filtering a conditional "
            "one would change how often each class is drawn."
        )
    drawn = sample(generator, round(count / keep), seed=seed, distribution=distribution)
    logit = models.logit_model(discriminator)
    scores = np.concatenate(
        [
            np.asarray(logit(drawn[i : i + 1000], training=False)).reshape(-1)
            for i in range(0, len(drawn), 1000)
        ]
    )
    kept = np.sort(np.argsort(-scores, kind="stable")[:count])
    return drawn[kept]


def interpolate(start: np.ndarray, end: np.ndarray, count: int = 10) -> np.ndarray:
    """``count`` noise vectors (count, latent_dim) from ``start`` to ``end`` (both (latent_dim,)) along
    the great circle (spherical interpolation), which keeps the norm typical of Gaussian noise where a
    straight line would pass through improbably short vectors."""
    start, end = np.asarray(start, dtype="float64"), np.asarray(end, dtype="float64")
    if start.shape != end.shape or start.ndim != 1 or count < 2:
        raise ValueError(
            f"Expected two vectors of the same shape (latent_dim,) and count >= 2, got "
            f"{start.shape}, {end.shape}, count={count}."
        )
    angle = np.arccos(
        np.clip(start @ end / (np.linalg.norm(start) * np.linalg.norm(end)), -1.0, 1.0)
    )
    fractions = np.linspace(0.0, 1.0, count)[:, None]
    if angle < 1e-6:
        return ((1 - fractions) * start + fractions * end).astype("float32")
    path = (np.sin((1 - fractions) * angle) * start + np.sin(fractions * angle) * end) / np.sin(
        angle
    )
    return path.astype("float32")


def load_generator(path: str | Path):
    """Load a generator saved by ``runs.train``: a run folder (its generator.keras) or a .keras file.

    Raises:
        FileNotFoundError: no file at ``path`` (train it first, e.g. with notebook 01).
    """
    import keras

    path = Path(path)
    if path.is_dir() or path.suffix != ".keras":
        return RunFolder(path).generator()
    if not path.is_file():
        raise FileNotFoundError(
            f"No saved generator at {path}; run the notebook that trains it first."
        )
    return keras.models.load_model(path, compile=False)
