"""Ready-made GAN set-ups that several notebooks share, so each notebook states only what it varies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import keras

from . import assessment, config, data, datasets, models, runs, sampling, training
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


# A network argument of a recipe: a built keras.Model, a builder function (the recipe calls it with
# ``image_shape=``, after seeding), or None for the recipe's default.
Network = keras.Model | Callable[..., keras.Model] | None


def dcgan(
    architecture: str,
    image_shape: Sequence[int] | None = None,
    settings: Settings = BALANCED,
    seed: int = 0,
    *,
    generator: Network = None,
    discriminator: Network = None,
    **overrides,
) -> training.GAN:
    """A compiled convolutional GAN, trained with ``settings``; keyword ``overrides`` change single settings.

    The networks are ``generator`` and ``discriminator`` when given, else those of ``architecture`` (one of
    ``ARCHITECTURES``). Each may be a built model or a builder function, which the recipe calls with
    ``image_shape=`` (H, W, C) if that is known: given, or taken from a given model; else with no
    arguments, for the builder's own default. E.g. the DCGAN paper's widths:
    ``dcgan("halving_width", generator=models.halving_width_generator(base_width=64),
    discriminator=models.halving_width_discriminator(base_width=64))``, or, at any image shape,
    ``generator=functools.partial(models.halving_width_generator, base_width=64)``.

    ``seed`` fixes the noise, the dropout masks, the data order and the initial weights of every network
    the recipe builds; a network passed in built keeps the weights it was built with.
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"Unknown DCGAN architecture {architecture!r}; expected one of {sorted(ARCHITECTURES)}."
        )
    gan = training.GAN(
        *_networks(generator, discriminator, ARCHITECTURES[architecture], image_shape, seed),
        settings,
        seed=seed,
        **overrides,
    )
    gan.compile()
    return gan


def _networks(
    generator: Network,
    discriminator: Network,
    defaults: tuple[Callable[..., keras.Model], Callable[..., keras.Model]],
    image_shape: Sequence[int] | None,
    seed: int,
) -> tuple[keras.Model, keras.Model]:
    """(G, D): each the given model, or built (after seeding with ``seed``) by the given builder or by its
    default in ``defaults``, at ``image_shape``, which defaults to a given model's image shape."""
    given = {"generator": generator, "discriminator": discriminator}
    if image_shape is None:
        shapes = [_image_shape(n, role) for role, n in given.items() if isinstance(n, keras.Model)]
        image_shape = shapes[0] if shapes else None
    image_shape = None if image_shape is None else tuple(int(d) for d in image_shape)
    config.seed_everything(seed)
    built = [
        _network(role, network if network is not None else default, image_shape)
        for (role, network), default in zip(given.items(), defaults)
    ]
    return built[0], built[1]


def _network(role: str, network: Network, image_shape: tuple[int, ...] | None) -> keras.Model:
    """``network`` if it is a model, else what the builder ``network`` makes at ``image_shape``; checked
    to work on images of ``image_shape``."""
    if not isinstance(network, keras.Model):
        if not callable(network):
            raise TypeError(
                f"{role} must be a keras.Model, a function that builds one (called with "
                f"image_shape=...), or None for the default; got {type(network).__name__}."
            )
        network = network() if image_shape is None else network(image_shape=image_shape)
        if not isinstance(network, keras.Model):
            raise TypeError(
                f"The {role} builder returned {type(network).__name__}, not a keras.Model."
            )
    if image_shape is not None and _image_shape(network, role) != image_shape:
        raise ValueError(
            f"The {role} works on images of shape {_image_shape(network, role)}, but this GAN's "
            f"images are {image_shape}. Build it with image_shape={image_shape}, or pass its "
            f"builder function instead (the recipe calls it with the right image_shape)."
        )
    return network


def _image_shape(network: keras.Model, role: str) -> tuple[int, ...]:
    """The (H, W, C) of the images a generator makes or a discriminator judges."""
    tensor = network.outputs[0] if role == "generator" else network.inputs[0]
    return tuple(tensor.shape[1:])


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
    classes = source.class_names
    pooled = f", pooled from the class subfolders {', '.join(classes)}" if len(classes) > 1 else ""
    print(
        f"{source.path}: {len(source):,} training and {len(source.files['holdout']):,} held-out images "
        f"({'grayscale' if source.image_shape[2] == 1 else 'colour'}; the first is "
        f"{source.stored_size[0]}x{source.stored_size[1]}){pooled}. The halving-width networks make square images "
        f"of 4 x 2^k pixels; the nearest to {asked} is {size}, so every image is resized to {size}x{size}."
    )
    return source


def dense_mnist_gan(
    dropout_rates: Sequence[float] = models.DENSE_DROPOUT_RATES,
    settings: Settings = DENSE_MNIST,
    seed: int = 0,
    num_classes: int | None = None,
    mismatched_real: bool = False,
    units: Sequence[int] = models.SPEC_UNITS_SMALL,
    minibatch_std: bool = False,
    *,
    generator: Network = None,
    discriminator: Network = None,
    **overrides,
) -> training.GAN:
    """The assignment's dense G and D on 28x28x1 MNIST, compiled with one Adam per network from ``settings``
    (keyword ``overrides`` change single settings); with ``num_classes`` (10 for digits), the conditional
    version: both networks also take the label, and ``mismatched_real`` makes D also reject real digits
    under wrong labels (see ``training.GAN``); ``minibatch_std`` gives D the minibatch
    standard-deviation feature (``models.MinibatchStdDev``). ``generator`` and ``discriminator`` replace
    the dense networks (``units``, ``dropout_rates`` and ``minibatch_std`` shape only those), as in
    ``dcgan``. ``seed`` fixes everything: the initial weights of the networks it builds, the noise, the
    dropout masks and the data order."""
    defaults = (
        partial(models.dense_generator, units=units, num_classes=num_classes),
        partial(
            models.dense_discriminator,
            units=tuple(reversed(units)),
            dropout_rates=dropout_rates,
            num_classes=num_classes,
            minibatch_std=minibatch_std,
        ),
    )
    gan = training.GAN(
        *_networks(generator, discriminator, defaults, None, seed),
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
    tensorboard: bool = False,
) -> dict:
    """Train (or resume, or reload) one configuration and judge its final generator; with ``tensorboard``,
    the run also logs for TensorBoard in run_dir/tensorboard.

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
        tensorboard=tensorboard,
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
    dropout_rates: Sequence[float] = models.DENSE_DROPOUT_RATES,
    batch_size: int = 128,
    seed: int = 0,
    settings: Settings = DENSE_MNIST,
    generator: Network = None,
    discriminator: Network = None,
    run_dir: str | Path | None = None,
    **overrides,
) -> dict:
    """One named configuration of the dense MNIST GAN (or of the networks given, as in ``dcgan``), trained
    (or resumed, or reloaded) in ``run_dir`` (default out_dir/<name>) and judged. Returns
    ``train_and_assess``'s dict plus "name"; ``describe_run`` sums it up."""
    gan = dense_mnist_gan(
        dropout_rates=dropout_rates,
        settings=settings,
        seed=seed,
        generator=generator,
        discriminator=discriminator,
        **overrides,
    )
    result = train_and_assess(
        gan,
        images,
        steps=steps,
        run_dir=run_dir or Path(out_dir) / name.replace(" ", "_"),
        judge=judge,
        eval_samples=eval_samples,
        batch_size=batch_size,
        sample_interval=min(sample_interval, steps),
        seed=seed,
    )
    return {**result, "name": name}


def class_classifier(dataset: str, test_samples: int | None = None) -> tuple[keras.Model, float]:
    """The shipped classifier for ``dataset`` and its accuracy in [0, 1] on the real test set (its first
    ``test_samples`` images; all by default), so a reader knows how far to trust its verdicts."""
    classifier = assessment.load_classifier(assessment.classifier_path(dataset))
    x_test, y_test = data.load_images(dataset, split="test", return_labels=True)
    x_test, y_test = x_test[:test_samples], y_test[:test_samples]
    return classifier, assessment.accuracy(assessment.classify(classifier, x_test)[0], y_test)


def ratio_label(d_steps: int = 1, g_steps: int = 1) -> str:
    """How the runs name a D:G training ratio: "D:G 3:1" for 3 D updates per G update, "D:G 1:10" for 10
    G updates per D update."""
    return f"D:G {d_steps}:{g_steps}"


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
    g_steps: int = 1,
    batch_size: int = 128,
    seed: int = 0,
    show_samples: bool = True,
    generator: Callable[..., keras.Model] | None = None,
    discriminator: Callable[..., keras.Model] | None = None,
    tensorboard: bool = True,
) -> dict:
    """One GAN for one class of ``dataset``, in out_dir/<class>_dg<d_steps> (out_dir/<class>_dg1-<g_steps>
    when G takes ``g_steps`` > 1 updates per step).

    The networks come from ``generator`` and ``discriminator``, builder functions that the recipe calls
    with the class's ``image_shape=`` (e.g. ``models.compact_generator``, or
    ``functools.partial(models.halving_width_generator, base_width=64)``), so that each class starts from
    fresh weights; None takes the dataset's DCGAN (``DATASET_ARCHITECTURE``).

    Trains (or resumes, or reloads; with ``tensorboard``, logging to the run's tensorboard/ folder) and
    judges ``eval_samples`` generated images against that class's real test images, with up to
    ``eval_samples`` real training images of the class as the reference.
    Returns ``train_and_assess``'s dict plus "name" (class and ratio), "reference" (the real images'
    metrics), "dataset", "class_name", "class_index" and "ratio" (``ratio_label``); ``describe_run`` sums
    it up.
    """
    for role, builder in (("generator", generator), ("discriminator", discriminator)):
        if isinstance(builder, keras.Model):
            raise TypeError(
                f"class_dcgan_run trains a new GAN for each class, so it takes a function that builds the "
                f"{role} (e.g. models.compact_{role}, or functools.partial(models.compact_{role}, ...)), "
                f"not a built network: one network passed to every class would train on all of them."
            )
    index = datasets.get(dataset).class_index(cls)
    name = datasets.get(dataset).class_names[index]
    images = data.load_images(dataset, classes=index)
    judge = assessment.Judge(
        classifier,
        data.load_images(dataset, classes=index, split="test"),
        images[:eval_samples],
        intended_class=index,
    )
    gan = dcgan(
        DATASET_ARCHITECTURE[dataset],
        image_shape=images.shape[1:],
        seed=seed,
        generator=generator,
        discriminator=discriminator,
        d_steps=d_steps,
        g_steps=g_steps,
    )
    ratio = ratio_label(d_steps, g_steps)
    suffix = f"dg{d_steps}" if g_steps == 1 else f"dg{d_steps}-{g_steps}"
    run_dir = Path(out_dir) / f"{name.replace(' ', '_')}_{suffix}"
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
        tensorboard=tensorboard,
    )
    return {
        **result,
        "name": f"{name} ({ratio})",
        "reference": judge.reference,
        "dataset": dataset,
        "class_name": name,
        "class_index": index,
        "ratio": ratio,
    }


def describe_run(result: dict) -> str:
    """One line on a ``dense_mnist_run`` or ``class_dcgan_run`` result: its steps and minutes of training,
    then the class coverage (a run over all classes) or the class accuracy against the real images' (a
    one-class run), and the run's folder."""
    metrics = result["metrics"]
    verdict = (
        f"class accuracy {metrics['class_accuracy']:.1%} "
        f"(real images: {result['reference']['class_accuracy']:.1%})"
        if "class_index" in result
        else assessment.describe_coverage(metrics)
    )
    return (
        f"{result['name']}: {result['history'][-1]['step']:,} steps in {result['seconds'] / 60:.1f} min; "
        f"{verdict}; run folder {result['run_dir']}"
    )


# For one-class generators; class coverage says nothing there (every image should be the one class).
CLASS_COLUMNS = ("class_accuracy", "classifier_score", "frechet_distance", "confidence")


def _class_table(rows: dict[str, dict], save_to: str | Path | None) -> str:
    if save_to is not None:
        assessment.save_table(rows, save_to)
    return assessment.format_table(rows, CLASS_COLUMNS)


def per_class_table(results: dict[str, dict], save_to: str | Path | None = None) -> str:
    """The per-class table: for each class, its generator's metrics and its real images' reference.
    With ``save_to``, its numbers are also written there (``assessment.save_table``), for the gallery."""
    rows = {}
    for name, result in results.items():
        rows[f"{name} generated"] = result["metrics"]
        rows[f"{name} real"] = result["reference"]
    return _class_table(rows, save_to)


def runs_table(class_runs: dict[str, dict], save_to: str | Path | None = None) -> str:
    """One class's runs side by side (e.g. one per D:G ratio, ``class_dcgan_run`` results by name): each
    run's metrics, then the class's real images' reference as "real". With ``save_to``, its numbers are
    also written there (``assessment.save_table``)."""
    reference = next(iter(class_runs.values()))["reference"]
    rows = {**{label: run["metrics"] for label, run in class_runs.items()}, "real": reference}
    return _class_table(rows, save_to)
