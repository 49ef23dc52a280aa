"""Ready-made GAN set-ups that several notebooks share, so each notebook states only what it varies."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import keras

from . import assessment, config, data, models, plotting, runs, sampling, training
from .run_folder import RunFolder
from .settings import BALANCED, DENSE_MNIST, Settings

# The convolutional architectures, named for what they are: (generator builder, discriminator builder).
ARCHITECTURES = {
    "compact": (models.compact_generator, models.compact_discriminator),  # Fashion-MNIST lab
    "constant_width": (
        models.constant_width_generator,
        models.constant_width_discriminator,
    ),  # CIFAR-10 lab
    "halving_width": (
        models.halving_width_generator,
        models.halving_width_discriminator,
    ),  # DCGAN paper
}
# Which architecture each dataset's DCGAN uses (notebooks 05, 06 and 07).
DATASET_ARCHITECTURE = {"mnist": "compact", "fashion_mnist": "compact", "cifar10": "constant_width"}


def dcgan(
    architecture: str,
    image_shape: Sequence[int] | None = None,
    settings: Settings = BALANCED,
    seed: int = 0,
    **overrides,
) -> training.GAN:
    """A compiled convolutional GAN of one of ``ARCHITECTURES`` (at its default image shape, or
    ``image_shape``), trained with ``settings``; keyword ``overrides`` change single settings. ``seed``
    fixes everything: the initial weights, the noise, the dropout masks and the data order."""
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"Unknown DCGAN architecture {architecture!r}; expected one of {sorted(ARCHITECTURES)}."
        )
    build_generator, build_discriminator = ARCHITECTURES[architecture]
    config.seed_everything(seed)
    shape = {} if image_shape is None else {"image_shape": tuple(image_shape)}
    gan = training.GAN(
        build_generator(**shape), build_discriminator(**shape), settings, seed=seed, **overrides
    )
    gan.compile()
    return gan


def folder_source(
    folder: str | Path,
    image_size: int | None = None,
    grayscale: bool | None = None,
    holdout: float = 0.1,
    flip: bool = False,
) -> data.ImageFolder:
    """A folder of images as an image source (``data.ImageFolder``) at the square size the halving-width
    networks make nearest to ``image_size`` (default: the first image's larger side), e.g. 200 -> 256;
    prints what it found and the size it chose."""
    source = data.ImageFolder(folder, grayscale=grayscale, holdout=holdout, flip=flip)
    size = models.halving_width_size(image_size or max(source.stored_size))
    source = source.resized(size)
    asked = f"the asked-for {image_size}" if image_size else "that size"
    print(
        f"{source.path}: {len(source):,} training and {len(source.files['holdout']):,} held-out images "
        f"({'grayscale' if source.image_shape[2] == 1 else 'colour'}; the first is "
        f"{source.stored_size[0]}x{source.stored_size[1]}). The halving-width networks make square images "
        f"of 4 x 2^k pixels; the nearest to {asked} is {size}, so every image is resized to {size}x{size}."
    )
    return source


def dense_mnist_gan(
    dropout_rates: Sequence[float] = (0.3, 0.3),
    settings: Settings = DENSE_MNIST,
    seed: int = 0,
    num_classes: int | None = None,
    mismatched_real: bool = False,
    units: Sequence[int] = models.POWERS_OF_TWO_UNITS,
    minibatch_std: bool = False,
    **overrides,
) -> training.GAN:
    """The assignment's dense G and D on 28x28x1 MNIST, compiled with one Adam per network from ``settings``
    (keyword ``overrides`` change single settings); with ``num_classes`` (10 for digits), the conditional
    version: both networks also take the label, and ``mismatched_real`` makes D also reject real digits
    under wrong labels (see ``training.GAN``); ``minibatch_std`` gives D the minibatch
    standard-deviation feature (``models.MinibatchStdDev``). ``seed`` fixes everything: the initial
    weights, the noise, the dropout masks and the data order."""
    config.seed_everything(seed)
    gan = training.GAN(
        models.dense_generator(units=units, num_classes=num_classes),
        models.dense_discriminator(
            units=tuple(reversed(units)),
            dropout_rates=dropout_rates,
            num_classes=num_classes,
            minibatch_std=minibatch_std,
        ),
        settings,
        seed=seed,
        num_classes=num_classes,
        mismatched_real=mismatched_real,
        **overrides,
    )
    gan.compile()
    return gan


def dense_mnist_generator(
    run_dir: str | Path, fallback_dir: str | Path, fallback_steps: int, seed: int = 0
) -> keras.Model:
    """Notebook 01's generator from ``run_dir``; if absent, say so and train a short run in ``fallback_dir``
    (resumed or reloaded there on later calls)."""
    run = RunFolder(run_dir)
    if run.generator_file.is_file():
        print(f"Loaded notebook 01's generator from {run.path}.")
        return run.generator()
    print(
        f"No trained generator in {run.path} (notebook 01 makes it); training a short one of "
        f"{fallback_steps} steps in {fallback_dir} instead, so this notebook also runs alone."
    )
    gan = dense_mnist_gan(seed=seed)
    runs.train(
        gan,
        data.load_images("mnist"),
        steps=fallback_steps,
        run_dir=fallback_dir,
        sample_interval=fallback_steps,
        show_samples=False,
    )
    return gan.sampling_generator


def train_and_assess(
    gan: training.GAN,
    images,
    *,
    steps: int,
    run_dir: str | Path,
    judge: assessment.Judge,
    eval_samples: int,
    sample_interval: int,
    batch_size: int = 128,
    seed: int = 0,
    show_samples: bool = False,
) -> dict:
    """Train (or resume, or reload) one configuration and judge its final generator.

    Returns {"history": per-100-step rows, "grids": {step: (25, H, W, C) images in [-1, 1]},
    "final_grid": the last of them, "samples": the ``eval_samples`` judged images (N, H, W, C) in [-1, 1],
    "metrics": the judge's metrics on them, "seconds": training wall time, "run_dir": the run's folder}.
    """
    history = runs.train(
        gan,
        images,
        steps=steps,
        run_dir=run_dir,
        batch_size=batch_size,
        sample_interval=sample_interval,
        show_samples=show_samples,
    )
    run = RunFolder(run_dir)
    samples = sampling.sample(
        gan.sampling_generator, eval_samples, seed=seed, distribution=gan.settings.noise
    )
    return {
        "history": history,
        "grids": run.grids(),
        "final_grid": run.final_grid(),
        "samples": samples,
        "metrics": judge(samples),
        "seconds": history[-1]["seconds"],
        "run_dir": run.path,
    }


def dense_mnist_run(
    name: str,
    out_dir: str | Path,
    images,
    judge: assessment.Judge,
    *,
    steps: int,
    sample_interval: int,
    eval_samples: int,
    dropout_rates: Sequence[float] = (0.3, 0.3),
    batch_size: int = 128,
    seed: int = 0,
    settings: Settings = DENSE_MNIST,
    **overrides,
) -> dict:
    """One named configuration of the dense MNIST GAN, trained (or resumed, or reloaded) in
    out_dir/<name> and judged; prints its wall time and class coverage. Returns ``train_and_assess``'s dict."""
    gan = dense_mnist_gan(dropout_rates=dropout_rates, settings=settings, seed=seed, **overrides)
    result = train_and_assess(
        gan,
        images,
        steps=steps,
        run_dir=Path(out_dir) / name.replace(" ", "_"),
        judge=judge,
        eval_samples=eval_samples,
        batch_size=batch_size,
        sample_interval=min(sample_interval, steps),
        seed=seed,
    )
    print(
        f"{name}: {result['seconds'] / 60:.1f} min; {assessment.describe_coverage(result['metrics'])}"
    )
    return result


def class_judge(
    dataset: str, classes: Sequence[int | str], out_dir: str | Path, test_samples: int | None = None
) -> keras.Model:
    """Show 25 real training images of each class (saved as out_dir/real_images.png), then load the shipped
    classifier for ``dataset`` and print its accuracy on the real test set (its first ``test_samples``
    images; all by default), so a reader knows how far to trust its verdicts. Returns the classifier."""
    plotting.show_and_close(
        plotting.compare_grids(
            {name: data.load_images(dataset, classes=name)[:25] for name in classes},
            title="Real training images, one class per GAN",
        ),
        save_to=Path(out_dir) / "real_images.png",
    )
    classifier = assessment.load_classifier(assessment.classifier_path(dataset))
    x_test, y_test = data.load_images(dataset, split="test", return_labels=True)
    x_test, y_test = x_test[:test_samples], y_test[:test_samples]
    accuracy = assessment.accuracy(assessment.classify(classifier, x_test)[0], y_test)
    print(f"classifier accuracy on {len(x_test):,} real {dataset} test images: {accuracy:.2%}")
    return classifier


def class_dcgan_run(
    dataset: str,
    cls: int | str,
    out_dir: str | Path,
    classifier,
    *,
    steps: int,
    sample_interval: int,
    eval_samples: int,
    d_steps: int = 1,
    batch_size: int = 128,
    seed: int = 0,
    show_samples: bool = True,
) -> dict:
    """One GAN for one class of ``dataset`` (the DCGAN of ``DATASET_ARCHITECTURE``), in out_dir/<class>_dg<d_steps>.

    Trains (or resumes, or reloads), saves the loss plot as losses.png in the run folder and shows it, and
    judges ``eval_samples`` generated images against that class's real test images, with up to
    ``eval_samples`` real training images of the class as the reference.
    Returns ``train_and_assess``'s dict plus "reference" (the real images' metrics).
    """
    index = data.class_index(dataset, cls)
    name = data.CLASS_NAMES[dataset][index]
    images = data.load_images(dataset, classes=index)
    judge = assessment.Judge(
        classifier,
        data.load_images(dataset, classes=index, split="test"),
        images[:eval_samples],
        intended_class=index,
    )
    gan = dcgan(DATASET_ARCHITECTURE[dataset], d_steps=d_steps, seed=seed)
    run_dir = Path(out_dir) / f"{name.replace(' ', '_')}_dg{d_steps}"
    result = train_and_assess(
        gan,
        images,
        steps=steps,
        run_dir=run_dir,
        judge=judge,
        eval_samples=eval_samples,
        sample_interval=min(sample_interval, steps),
        batch_size=batch_size,
        seed=seed,
        show_samples=show_samples,
    )
    plotting.show_and_close(
        plotting.plot_losses(result["history"], title=f"{name}: losses, D:G {d_steps}:1"),
        save_to=run_dir / "losses.png",
    )
    print(
        f"{name} (D:G {d_steps}:1): {result['history'][-1]['step']} steps in {result['seconds'] / 60:.1f} min; "
        f"class accuracy {result['metrics']['class_accuracy']:.1%} "
        f"(real images: {judge.reference['class_accuracy']:.1%}); run folder {run_dir}"
    )
    return {**result, "reference": judge.reference, "dataset": dataset}


def ratio_study(
    dataset: str,
    cls: int | str,
    out_dir: str | Path,
    classifier,
    *,
    ratios: Sequence[int],
    steps: int,
    eval_samples: int,
    batch_size: int = 128,
    seed: int = 0,
) -> dict[str, dict]:
    """The same class trained once per D:G ratio in ``ratios`` (same steps and seed; a run that already
    exists is reloaded). Shows and saves (in out_dir) the losses and accuracies by ratio and the final
    grids side by side, and prints the per-ratio table and wall times.
    Returns {"D:G k:1": ``class_dcgan_run``'s dict}."""
    name = data.CLASS_NAMES[dataset][data.class_index(dataset, cls)]
    runs = {
        f"D:G {k}:1": class_dcgan_run(
            dataset,
            cls,
            out_dir,
            classifier,
            steps=steps,
            d_steps=k,
            sample_interval=steps,
            eval_samples=eval_samples,
            batch_size=batch_size,
            seed=seed,
            show_samples=False,
        )
        for k in ratios
    }
    histories = {label: run["history"] for label, run in runs.items()}
    for kind, plot in (("losses", plotting.plot_losses), ("accuracies", plotting.plot_accuracies)):
        plotting.show_and_close(
            plot(histories, title=f"{name}: {kind} by D:G ratio"),
            save_to=Path(out_dir) / f"ratio_{kind}.png",
        )
    plotting.show_and_close(
        plotting.compare_grids(
            {label: run["final_grid"] for label, run in runs.items()},
            title=f"{name} after {steps} steps",
        ),
        save_to=Path(out_dir) / "ratio_samples.png",
    )
    reference = next(iter(runs.values()))["reference"]
    print(
        assessment.format_table(
            {**{label: run["metrics"] for label, run in runs.items()}, "real": reference},
            CLASS_COLUMNS,
        )
    )
    for label, run in runs.items():
        print(f"{label}: {run['seconds'] / 60:.1f} min of training")
    return runs


def show_class_samples(results: dict[str, dict], out_dir: str | Path, count: int = 25) -> None:
    """The final fixed-noise grids of the classes' runs (``class_dcgan_run`` results) side by side (saved as
    out_dir/final_samples.png); then for each class, ``count`` of its judged samples at random beside the
    ``count`` that the classifier is surest belong to the class (chosen, as labs show them), saved as
    out_dir/<class>_random_and_chosen.png."""
    steps = {result["history"][-1]["step"] for result in results.values()}
    plotting.show_and_close(
        plotting.compare_grids(
            {name: r["final_grid"] for name, r in results.items()},
            title=f"fixed-noise grids after {max(steps):,} steps",
        ),
        save_to=Path(out_dir) / "final_samples.png",
    )
    for name, result in results.items():
        index = data.CLASS_NAMES[result["dataset"]].index(name)
        chosen = assessment.most_confident(
            result["metrics"]["probabilities"], count, intended_class=index
        )
        grids = {
            "random samples": result["samples"][:count],
            f"chosen: the {count} the classifier is surest are {name}": result["samples"][chosen],
        }
        plotting.show_and_close(
            plotting.compare_grids(grids, title=name),
            save_to=Path(out_dir) / f"{name.replace(' ', '_')}_random_and_chosen.png",
        )


# For one-class generators; class coverage says nothing there (every image should be the one class).
CLASS_COLUMNS = ("class_accuracy", "classifier_score", "frechet_distance", "confidence")


def per_class_table(results: dict[str, dict]) -> str:
    """The per-class table: for each class, its generator's metrics and its real images' reference."""
    rows = {}
    for name, result in results.items():
        rows[f"{name} generated"] = result["metrics"]
        rows[f"{name} real"] = result["reference"]
    return assessment.format_table(rows, CLASS_COLUMNS)
