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


# The labs' DCGANs (notebooks 05, 06 and 09): (generator builder, discriminator builder) per architecture.
LAB_DCGANS = {"fashion_mnist": (models.fashion_generator, models.fashion_discriminator),
              "cifar10": (models.cifar_generator, models.cifar_discriminator)}


def _compiled(generator: keras.Model, discriminator: keras.Model, *, real_label: float, d_steps: int, seed: int,
              d_learning_rate: float, d_beta_1: float, g_learning_rate: float, g_beta_1: float,
              num_classes: int | None = None, mismatched_real: bool = False) -> training.GAN:
    gan = training.GAN(generator, discriminator, d_steps=d_steps, real_label=real_label, seed=seed,
                       num_classes=num_classes, mismatched_real=mismatched_real)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_learning_rate, beta_1=d_beta_1),
                g_optimizer=keras.optimizers.Adam(g_learning_rate, beta_1=g_beta_1))
    return gan


def dcgan(architecture: str, image_shape: Sequence[int] | None = None, d_steps: int = 1, seed: int = 0,
          **settings) -> training.GAN:
    """A lab DCGAN ("fashion_mnist": 28x28x1, "cifar10": 32x32x3 or any size divisible by 16), compiled
    with BALANCED settings for both players (Adam 2e-4, beta_1 0.5, real label 0.9); ``settings``
    overrides them (real_label, d_learning_rate, d_beta_1, g_learning_rate, g_beta_1)."""
    if architecture not in LAB_DCGANS:
        raise ValueError(f"Unknown DCGAN architecture {architecture!r}; expected one of {sorted(LAB_DCGANS)}.")
    build_generator, build_discriminator = LAB_DCGANS[architecture]
    shape = {} if image_shape is None else {"image_shape": tuple(image_shape)}
    options = {**BALANCED, "d_learning_rate": 2e-4, "d_beta_1": 0.5, **settings}
    return _compiled(build_generator(**shape), build_discriminator(**shape), d_steps=d_steps, seed=seed, **options)


def dense_mnist_gan(dropout_rates: Sequence[float] = (0.3, 0.3), real_label: float = BALANCED["real_label"],
                    g_learning_rate: float = BALANCED["g_learning_rate"], g_beta_1: float = BALANCED["g_beta_1"],
                    d_learning_rate: float = 2e-4, d_beta_1: float = 0.5, d_steps: int = 1,
                    seed: int = 0, num_classes: int | None = None, mismatched_real: bool = False) -> training.GAN:
    """The assignment's dense G and D on 28x28x1 MNIST, compiled with one Adam per network; with
    ``num_classes`` (10 for digits), the conditional version: both networks also take the label, and
    ``mismatched_real`` makes D also reject real digits under wrong labels (see ``training.GAN``)."""
    return _compiled(models.dense_generator(num_classes=num_classes),
                     models.dense_discriminator(dropout_rates=dropout_rates, num_classes=num_classes),
                     real_label=real_label, d_steps=d_steps, seed=seed, d_learning_rate=d_learning_rate,
                     d_beta_1=d_beta_1, g_learning_rate=g_learning_rate, g_beta_1=g_beta_1,
                     num_classes=num_classes, mismatched_real=mismatched_real)


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


def class_dcgan_run(dataset: str, cls: int | str, out_dir: str | Path, classifier, *, steps: int,
                    sample_interval: int, eval_samples: int, d_steps: int = 1, batch_size: int = 128,
                    seed: int = 0, show_samples: bool = True) -> dict:
    """One GAN for one class of ``dataset`` (the lab DCGAN of that dataset), in out_dir/<class>_dg<d_steps>.

    Trains (or resumes, or reloads), saves the loss plot as losses.png in the run folder and shows it, and
    judges ``eval_samples`` generated images against that class's real test images, with up to
    ``eval_samples`` real training images of the class as the reference.
    Returns ``train_and_assess``'s dict plus "reference" (the real images' metrics) and "run_dir".
    """
    index = data.class_index(dataset, cls)
    name = data.CLASS_NAMES[dataset][index]
    images = data.load_images(dataset, classes=index)
    judge = assessment.Judge(classifier, data.load_images(dataset, classes=index, split="test"),
                             images[:eval_samples], intended_class=index)
    config.seed_everything(seed)
    gan = dcgan(dataset, d_steps=d_steps, seed=seed)
    run_dir = Path(out_dir) / f"{name.replace(' ', '_')}_dg{d_steps}"
    result = train_and_assess(gan, images, steps=steps, run_dir=run_dir, judge=judge, eval_samples=eval_samples,
                              sample_interval=min(sample_interval, steps), batch_size=batch_size, seed=seed,
                              show_samples=show_samples)
    plotting.show_and_close(plotting.plot_losses(result["history"], title=f"{name}: losses, D:G {d_steps}:1"),
                            save_to=run_dir / "losses.png")
    print(f"{name} (D:G {d_steps}:1): {result['history'][-1]['step']} steps in {result['seconds'] / 60:.1f} min; "
          f"class accuracy {result['metrics']['class_accuracy']:.1%} "
          f"(real images: {judge.reference['class_accuracy']:.1%})")
    return {**result, "reference": judge.reference, "run_dir": run_dir}


# For one-class generators; class coverage says nothing there (every image should be the one class).
CLASS_COLUMNS = ("class_accuracy", "classifier_score", "frechet_distance", "confidence")


def per_class_table(results: dict[str, dict]) -> str:
    """The per-class table: for each class, its generator's metrics and its real images' reference."""
    rows = {}
    for name, result in results.items():
        rows[f"{name} generated"] = result["metrics"]
        rows[f"{name} real"] = result["reference"]
    return assessment.format_table(rows, CLASS_COLUMNS)
