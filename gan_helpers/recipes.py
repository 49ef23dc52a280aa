"""Ready-made GAN set-ups that several notebooks share, so each notebook states only what it varies."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import keras
import numpy as np

from . import assessment, config, data, models, plotting, sampling, training

# The settings notebook 01 found to train legible, varied digits (run B): one-sided label smoothing and
# the generator's Adam matched to D's. The assignment's literal settings are real_label=1.0,
# g_learning_rate=1e-3, g_beta_1=0.9.
BALANCED = {"real_label": 0.9, "g_learning_rate": 2e-4, "g_beta_1": 0.5}


def dense_mnist_gan(dropout_rates: Sequence[float] = (0.3, 0.3), real_label: float = BALANCED["real_label"],
                    g_learning_rate: float = BALANCED["g_learning_rate"], g_beta_1: float = BALANCED["g_beta_1"],
                    d_learning_rate: float = 2e-4, d_beta_1: float = 0.5, d_steps: int = 1,
                    seed: int = 0) -> training.GAN:
    """The assignment's dense G and D on 28x28x1 MNIST, compiled with one Adam per network."""
    gan = training.GAN(models.dense_generator(), models.dense_discriminator(dropout_rates=dropout_rates),
                       d_steps=d_steps, real_label=real_label, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_learning_rate, beta_1=d_beta_1),
                g_optimizer=keras.optimizers.Adam(g_learning_rate, beta_1=g_beta_1))
    return gan


def dense_mnist_generator(run_dir: str | Path, fallback_dir: str | Path, fallback_steps: int,
                          seed: int = 0) -> keras.Model:
    """Notebook 01's generator from ``run_dir``; if absent, say so and train a short run in ``fallback_dir``
    (resumed or reloaded there on later calls)."""
    run_dir = Path(run_dir)
    if (run_dir / "generator.keras").is_file():
        print(f"Loaded notebook 01's generator from {run_dir}.")
        return sampling.load_generator(run_dir)
    print(f"No trained generator in {run_dir} (notebook 01 makes it); training a short one of "
          f"{fallback_steps} steps in {fallback_dir} instead, so this notebook also runs alone.")
    gan = dense_mnist_gan(seed=seed)
    training.train(gan, data.load_images("mnist"), steps=fallback_steps, run_dir=fallback_dir,
                   sample_interval=fallback_steps, show_samples=False)
    return gan.generator


def train_and_assess(gan: training.GAN, images, *, steps: int, run_dir: str | Path, judge: assessment.Judge,
                     eval_samples: int, sample_interval: int, batch_size: int = 128, seed: int = 0,
                     show_samples: bool = False) -> dict:
    """Train (or resume, or reload) one configuration and judge its final generator.

    Returns {"history": per-100-step rows, "grids": {step: (25, H, W, C) images in [-1, 1]},
    "metrics": the judge's metrics on ``eval_samples`` images, "seconds": training wall time}.
    """
    history = training.train(gan, images, steps=steps, run_dir=run_dir, batch_size=batch_size,
                             sample_interval=sample_interval, show_samples=show_samples)
    grids = {int(path.stem.split("_")[1]): np.load(path) for path in plotting.sample_grid_files(run_dir)}
    metrics = judge(sampling.sample(gan.generator, eval_samples, seed=seed))
    return {"history": history, "grids": grids, "metrics": metrics, "seconds": history[-1]["seconds"]}


def dense_mnist_run(name: str, out_dir: str | Path, images, judge: assessment.Judge, *, steps: int,
                    sample_interval: int, eval_samples: int, dropout_rates: Sequence[float] = (0.3, 0.3),
                    batch_size: int = 128, seed: int = 0, **gan_options) -> dict:
    """One named configuration of the dense MNIST GAN, trained (or resumed, or reloaded) in
    out_dir/<name> and judged; prints its wall time and class coverage. Returns ``train_and_assess``'s dict."""
    config.seed_everything(seed)
    gan = dense_mnist_gan(dropout_rates=dropout_rates, seed=seed, **gan_options)
    result = train_and_assess(gan, images, steps=steps, run_dir=Path(out_dir) / name.replace(" ", "_"),
                              judge=judge, eval_samples=eval_samples, batch_size=batch_size,
                              sample_interval=min(sample_interval, steps), seed=seed)
    print(f"{name}: {result['seconds'] / 60:.1f} min; {assessment.describe_coverage(result['metrics'])}")
    return result
