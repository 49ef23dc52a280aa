"""Drawing noise, generating images, and loading a saved generator."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def noise(count: int, latent_dim: int = 100, seed: int = 0) -> np.ndarray:
    """Standard-normal noise (count, latent_dim) float32, repeatable for a given seed."""
    if count <= 0 or latent_dim <= 0:
        raise ValueError(f"count and latent_dim must be positive, got {count} and {latent_dim}.")
    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype("float32")


def generate(generator, noise_vectors: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Images (N, H, W, C) in [-1, 1] from noise (N, latent_dim), in inference mode, batch by batch."""
    noise_vectors = np.asarray(noise_vectors, dtype="float32")
    expected = generator.input_shape[-1]
    if noise_vectors.ndim != 2 or noise_vectors.shape[1] != expected:
        raise ValueError(f"Expected noise of shape (N, {expected}), got {noise_vectors.shape}.")
    batches = [np.asarray(generator(noise_vectors[i:i + batch_size], training=False))
               for i in range(0, len(noise_vectors), batch_size)]
    return np.concatenate(batches)


def sample(generator, count: int, seed: int = 0) -> np.ndarray:
    """``count`` images (count, H, W, C) in [-1, 1] from seeded noise."""
    return generate(generator, noise(count, generator.input_shape[-1], seed))


def load_generator(path: str | Path):
    """Load a generator saved by ``training.train`` (run_dir/generator.keras).

    Raises:
        FileNotFoundError: no file at ``path`` (train it first, e.g. with notebook 01).
    """
    import keras

    path = Path(path)
    if path.is_dir():
        path = path / "generator.keras"
    if not path.is_file():
        raise FileNotFoundError(f"No saved generator at {path}; run the notebook that trains it first "
                                f"(its run folder holds generator.keras).")
    return keras.models.load_model(path, compile=False)
