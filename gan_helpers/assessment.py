"""Judge generated images with a pre-trained classifier: predictions, metrics, and the classifiers themselves.

The shipped classifiers (``assets/<dataset>_classifier.h5``) take images (N, H, W, C) float32 in
[-1, 1] -- the generators' output range -- and return softmax probabilities (N, 10). Their layer named
"features" is the penultimate representation used for the Frechet distance.

Any other MNIST classifier file, such as the course's ``mnist_classifier.h5``, may take flat (N, 784) or
image-shaped (N, 28, 28[, 1]) batches with pixels in [0, 1], [0, 255] or [-1, 1]: ``load_classifier``
finds which on real MNIST test digits and wraps it to take [-1, 1] images like the shipped ones, so that
``classify``, the classifier score and the Frechet distance (in the layer before its output) work with it.

Metrics (arrays in, numbers out), with what real data scores:
- ``classifier_score``: exp(E_x KL(p(y|x) || p(y))), Inception Score with our classifier; 1 to 10,
  10,000 real MNIST training images score 9.81 with the shipped classifier.
- ``frechet_distance``: between Gaussians fitted to two sets of features; 0 for identical sets. 10,000
  real MNIST training images against the 10,000 test images score 0.67 with the shipped classifier's
  128 features (1,000 against 1,000: 6.9, since the estimate is biased upward for small N).
- ``class_coverage``: predicted-class histogram, classes with >= 5 % of samples, smallest share.
- ``mean_confidence``: mean max-probability.

For a folder of any images (``FolderJudge``), in the shipped CIFAR-10 classifier's 256 features, images
resized to its 32x32 input (grayscale repeated over its three channels):
- ``frechet_distance`` of generated images against the folder's held-out images: a proxy for FID, which
  uses Inception-v3 features; the numbers are not comparable with published FIDs.
- the mean distance from each generated image to its nearest training image, next to the same for the
  held-out real images: a generator that copies its training images lands much closer than new real
  images do (ratio well below 1).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import data
from .run_folder import load_model_file

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
FEATURE_LAYER = "features"


def classifier_path(dataset: str = "mnist") -> Path:
    """The shipped classifier for ``dataset``: assets/<dataset>_classifier.h5."""
    return ASSETS_DIR / f"{dataset}_classifier.h5"


def load_classifier(path: str | Path | None = None):
    """Load a classifier that takes images (N, H, W, C) in [-1, 1]; default: the shipped MNIST one.

    A shipped classifier (a file in ``assets/``) loads as it is. Any other file is taken to be an MNIST
    classifier of unknown input convention, such as the course's ``mnist_classifier.h5``, and is adapted
    by ``adapt_mnist_classifier`` (which prints the convention it found and the accuracy it measured).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a readable Keras model, or (another file) not an MNIST classifier that
            classifies real digits under any convention.
    """
    path = Path(path) if path is not None else classifier_path("mnist")
    model = load_model_file(
        path,
        "classifier",
        "expected a Keras .h5 or .keras file (train one with: python scripts/train_classifier.py "
        "mnist).",
        "Replace it with a shipped classifier or train one (scripts/train_classifier.py).",
    )
    if path.resolve().parent == ASSETS_DIR:
        return model
    return adapt_mnist_classifier(model, path)


# An MNIST classifier from elsewhere may take any of these inputs: a flat or an image-shaped batch, with
# pixels in one of three ranges. Each range maps the bundle's [-1, 1] pixels x to x * scale + offset.
MNIST_INPUT_SHAPES = ((784,), (28, 28), (28, 28, 1))
PIXEL_RANGES = {"[-1, 1]": (1.0, 0.0), "[0, 1]": (0.5, 0.5), "[0, 255]": (127.5, 127.5)}
CHECK_IMAGES = 500  # real MNIST test images that decide the convention
MIN_ACCURACY = (
    0.9  # on them, under the best convention; a working MNIST classifier scores above 0.97
)


@dataclass(frozen=True)
class InputConvention:
    """How an MNIST classifier file takes its images: ``input_shape`` per image ((784,), (28, 28) or
    (28, 28, 1)) and ``pixel_range`` (a key of PIXEL_RANGES); for each range tried, the ``accuracy`` and
    the ``log_loss`` (mean -log p(true digit)) on CHECK_IMAGES real test digits; and whether its outputs
    were logits that needed a softmax."""

    input_shape: tuple[int, ...]
    pixel_range: str
    accuracy: dict[str, float]
    log_loss: dict[str, float]
    softmax_added: bool

    def describe(self, name: str) -> str:
        tried = "; ".join(
            f"{r}: accuracy {self.accuracy[r]:.1%}, log loss {self.log_loss[r]:.2f}"
            for r in PIXEL_RANGES
        )
        return (
            f"Classifier {name}: takes (N, {', '.join(map(str, self.input_shape))}) with pixels in "
            f"{self.pixel_range}, accuracy {self.accuracy[self.pixel_range]:.1%} on {CHECK_IMAGES} real "
            f"MNIST test images (the lowest log loss of the ranges reaching {MIN_ACCURACY:.0%}; "
            f"tried {tried})."
            + (" Its outputs are logits, so a softmax was added." if self.softmax_added else "")
            + " Images in [-1, 1] are converted to that form before it sees them."
        )


def adapt_mnist_classifier(model, name: str | Path = "the classifier"):
    """Wrap an MNIST classifier of unknown input convention so that it takes images (N, 28, 28, 1) in
    [-1, 1] and returns probabilities (N, 10), like the shipped one.

    The input shape comes from the model. The pixel range is, of those of PIXEL_RANGES under which it
    reaches MIN_ACCURACY on the first CHECK_IMAGES real MNIST test digits, the one with the lowest log
    loss on them: accuracy alone cannot tell [0, 1] from [0, 255] (a ReLU network's argmax hardly
    changes when its input is scaled), but the wrong scale makes it far over- or under-confident.
    Logit outputs get a softmax. The wrapper's layer "features" is the model's own "features" layer,
    else the input of its last Dense layer (the layer before the output), for the Frechet distance.
    Prints the convention and the measurements; the wrapper keeps them as ``input_convention``.

    Raises:
        ValueError: the model does not take MNIST-shaped inputs or give 10 outputs, or it stays below
            MIN_ACCURACY under every range; the message names ``name`` and the accuracies measured.
    """
    import keras

    shape = tuple(model.input_shape[1:])
    if shape not in MNIST_INPUT_SHAPES or tuple(model.output_shape[1:]) != (10,):
        raise ValueError(
            f"{name} takes inputs (N, {', '.join(map(str, shape))}) and gives outputs "
            f"{tuple(model.output_shape)}; expected an MNIST classifier taking (N, 784), (N, 28, 28) "
            f"or (N, 28, 28, 1) and giving (N, 10). Check the file, or leave the path empty to use "
            f"the shipped classifier."
        )
    images, labels = data.load_images("mnist", split="test", return_labels=True)
    images, labels = images[:CHECK_IMAGES], labels[:CHECK_IMAGES]
    outputs = {
        pixel_range: np.asarray(
            model((images * scale + offset).reshape((-1, *shape)), training=False), "float64"
        )
        for pixel_range, (scale, offset) in PIXEL_RANGES.items()
    }
    softmax_added = not all(
        np.all(o >= 0) and np.allclose(o.sum(axis=1), 1, atol=1e-3) for o in outputs.values()
    )
    if softmax_added:
        outputs = {r: _softmax(o) for r, o in outputs.items()}
    accuracies = {r: accuracy(o.argmax(axis=1), labels) for r, o in outputs.items()}
    log_losses = {
        r: float(-np.mean(np.log(o[np.arange(len(labels)), labels] + 1e-12)))
        for r, o in outputs.items()
    }
    passing = [r for r in PIXEL_RANGES if accuracies[r] >= MIN_ACCURACY]
    if not passing:
        tried = ", ".join(f"{a:.1%} with pixels in {r}" for r, a in accuracies.items())
        raise ValueError(
            f"{name} does not classify real MNIST digits under any input convention: on "
            f"{CHECK_IMAGES} test images it scored {tried}, where a working MNIST classifier scores "
            f"above {MIN_ACCURACY:.0%}. Check that it is the course's MNIST classifier, or leave the "
            f"path empty to use the shipped classifier."
        )
    best = min(passing, key=log_losses.get)
    convention = InputConvention(shape, best, accuracies, log_losses, softmax_added)
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Reshape(shape)(keras.layers.Rescaling(*PIXEL_RANGES[best])(inputs))
    cut = _feature_tensor(model)
    if cut is None:
        x = model(x)
    else:
        trunk = keras.Model(model.inputs, cut, name="classifier_trunk")
        head = keras.Model(cut, model.outputs[0], name="classifier_head")
        x = head(keras.layers.Identity(name=FEATURE_LAYER)(trunk(x)))
    if softmax_added:
        x = keras.layers.Softmax()(x)
    wrapper = keras.Model(inputs, x, name="adapted_classifier")
    wrapper.input_convention = convention
    print(convention.describe(Path(name).name))
    return wrapper


def classify(
    classifier, images: np.ndarray, batch_size: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted labels (N,) int and probabilities (N, classes) for images in [-1, 1]."""
    probabilities = _in_batches(
        classifier, data.check_images(images, classifier.input_shape[1:]), batch_size
    )
    return probabilities.argmax(axis=1), probabilities


def features(classifier, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """The classifier's penultimate activations (N, F) for images in [-1, 1]: its layer "features", else
    the input of its last Dense layer."""
    images = data.check_images(images, classifier.input_shape[1:])
    return _in_batches(_feature_extractor(classifier), images, batch_size)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _feature_tensor(model):
    """The penultimate representation of ``model``: its layer "features", else the input of its last Dense
    layer (the layer before the output); None when it has neither."""
    import keras

    if any(layer.name == FEATURE_LAYER for layer in model.layers):
        return model.get_layer(FEATURE_LAYER).output
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    return dense[-1].input if dense else None


def _feature_extractor(classifier):
    import keras

    cut = _feature_tensor(classifier)
    if cut is None:
        raise ValueError(
            f"Classifier {classifier.name!r} has no layer named {FEATURE_LAYER!r} and no Dense layer, so "
            f"it gives no features for the Frechet distance; load it with assessment.load_classifier."
        )
    return keras.Model(classifier.input, cut)


def _in_batches(model, images: np.ndarray, batch_size: int) -> np.ndarray:
    """``model(x, training=False)`` batch by batch: no per-call tracing, unlike ``predict`` on new sizes."""
    return np.concatenate(
        [
            np.asarray(model(images[i : i + batch_size], training=False))
            for i in range(0, len(images), batch_size)
        ]
    )


def accuracy(predicted: Sequence[int], labels: Sequence[int]) -> float:
    """Share of predictions equal to the labels, in [0, 1]."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    if predicted.shape != labels.shape or predicted.ndim != 1:
        raise ValueError(
            f"Expected two equal-length 1-D label arrays, got {predicted.shape} and {labels.shape}."
        )
    return float(np.mean(predicted == labels))


def per_class_accuracy(
    predicted: Sequence[int], labels: Sequence[int], num_classes: int = 10
) -> np.ndarray:
    """For each class c (0..num_classes-1), the share of images labelled c that were predicted c
    (NaN for a class with no images); e.g. a conditional generator's accuracy per requested class."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    if predicted.shape != labels.shape:
        raise ValueError(
            f"Expected as many predictions as labels, got {predicted.shape} and {labels.shape}."
        )
    return np.array(
        [
            np.mean(predicted[labels == c] == c) if np.any(labels == c) else np.nan
            for c in range(num_classes)
        ]
    )


def classifier_score(probabilities: np.ndarray, eps: float = 1e-12) -> float:
    """exp(E_x KL(p(y|x) || p(y))) for probabilities (N, K): 1 (one class or no confidence) to K."""
    p = np.asarray(probabilities, dtype="float64")
    if p.ndim != 2 or np.any(p < 0) or not np.allclose(p.sum(axis=1), 1, atol=1e-3):
        raise ValueError(
            f"Expected class probabilities (N, K) with rows summing to 1, got shape {p.shape}."
        )
    marginal = p.mean(axis=0, keepdims=True)
    kl = np.sum(p * (np.log(p + eps) - np.log(marginal + eps)), axis=1)
    return float(np.exp(kl.mean()))


def classifier_score_halves(probabilities: np.ndarray, eps: float = 1e-12) -> tuple[float, float]:
    """The classifier score's two halves, (balance, blur), with CS = balance / blur.

    balance = exp(H(mean p)): 1 to K, K when every class is drawn equally often (diversity).
    blur = exp(mean H(p)): 1 to K, 1 when every sample is classified with certainty (sharpness).
    """
    p = np.asarray(probabilities, dtype="float64")
    classifier_score(p)  # the same shape and sum checks
    marginal = p.mean(axis=0)
    balance = np.exp(-np.sum(marginal * np.log(marginal + eps)))
    blur = np.exp(np.mean(-np.sum(p * np.log(p + eps), axis=1)))
    return float(balance), float(blur)


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (N, F) and (M, F); 0 when equal.

    d = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)), with the trace of the root taken from the
    eigenvalues of the symmetric S_a^(1/2) S_b S_a^(1/2).
    """
    a, b = np.asarray(features_a, dtype="float64"), np.asarray(features_b, dtype="float64")
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(
            f"Expected two feature arrays (N, F) with the same F and N >= 2, got {a.shape}, {b.shape}."
        )
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_a = _psd_sqrt(cov_a)
    cross_trace = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(
        np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * cross_trace
    )


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def class_coverage(
    predicted: Sequence[int], num_classes: int = 10, threshold: float = 0.05
) -> dict:
    """Histogram of predicted classes: {"shares": (K,) in [0, 1], "covered": classes with >= threshold,
    "smallest_share": the rarest class's share}. Few covered classes means mode collapse."""
    predicted = np.asarray(predicted)
    if (
        predicted.ndim != 1
        or not len(predicted)
        or predicted.min() < 0
        or predicted.max() >= num_classes
    ):
        raise ValueError(f"Expected a non-empty 1-D array of class indices 0-{num_classes - 1}.")
    shares = np.bincount(predicted, minlength=num_classes) / len(predicted)
    return {
        "shares": shares,
        "covered": int(np.sum(shares >= threshold)),
        "smallest_share": float(shares.min()),
    }


def mean_confidence(probabilities: np.ndarray) -> float:
    """Mean of each image's highest class probability, in [1/K, 1]."""
    return float(np.asarray(probabilities).max(axis=1).mean())


def most_confident(
    probabilities: np.ndarray, count: int, intended_class: int | None = None
) -> np.ndarray:
    """Indices (count,) of the images the classifier is surest of, surest first: by their top probability,
    or by their probability of ``intended_class``. Labs show such hand-picked grids; show them labelled as
    chosen, beside a random grid."""
    p = np.asarray(probabilities)
    sureness = p.max(axis=1) if intended_class is None else p[:, intended_class]
    return np.argsort(-sureness, kind="stable")[:count]


def check_hand_labels(labels: Sequence[int], count: int, num_classes: int = 10) -> np.ndarray:
    """Validate hand labels: exactly ``count`` integers in 0..num_classes-1."""
    values = list(labels)
    if len(values) != count:
        raise ValueError(f"Expected {count} hand labels, one per image, got {len(values)}.")
    if not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 <= v < num_classes
        for v in values
    ):
        raise ValueError(f"Hand labels must be digits 0-{num_classes - 1}, got {values}.")
    return np.asarray(values, dtype="int64")


def evaluate(
    classifier,
    images: np.ndarray,
    reference_features: np.ndarray,
    intended_class: int | None = None,
) -> dict:
    """All metrics for one image set (N, H, W, C) in [-1, 1] against real test features (M, F).

    Returns a dict with classifier_score, frechet_distance, covered, smallest_share, confidence, shares,
    predicted, probabilities, and class_accuracy when ``intended_class`` is given.
    """
    predicted, probabilities = classify(classifier, images)
    coverage = class_coverage(predicted, probabilities.shape[1])
    result = {
        "classifier_score": classifier_score(probabilities),
        **dict(zip(("balance", "blur"), classifier_score_halves(probabilities))),
        "frechet_distance": frechet_distance(features(classifier, images), reference_features),
        "covered": coverage["covered"],
        "smallest_share": coverage["smallest_share"],
        "confidence": mean_confidence(probabilities),
        "shares": coverage["shares"],
        "predicted": predicted,
        "probabilities": probabilities,
    }
    if intended_class is not None:
        result["class_accuracy"] = float(np.mean(predicted == intended_class))
    return result


def _cell(value) -> str:
    if value is None:
        return f"{'':>13}"
    return f"{value:>13d}" if isinstance(value, (int, np.integer)) else f"{value:>13.3f}"


TABLE_COLUMNS = {
    "class_accuracy": "class acc",
    "classifier_score": "CS",
    "balance": "balance",
    "blur": "blur",
    "frechet_distance": "FCD",
    "covered": "classes>=5%",
    "smallest_share": "min share",
    "confidence": "confidence",
    "nearest_distance": "NN distance",
    "nearest_ratio": "NN ratio",
}


# The columns that judge a sample of every digit: the classifier score with its two halves, FCD and coverage
SCORE_COLUMNS = (
    "classifier_score",
    "balance",
    "blur",
    "frechet_distance",
    "covered",
    "smallest_share",
)


def format_table(
    rows: Mapping[str, Mapping[str, float]], columns: Sequence[str] | None = None
) -> str:
    """A plain-text table of metrics, one row per named image set (e.g. generated vs real reference);
    ``columns`` (keys of TABLE_COLUMNS) default to every metric some row has."""
    columns = [c for c in (columns or TABLE_COLUMNS) if any(c in r for r in rows.values())]
    width = max(12, *(len(n) for n in rows))
    lines = [f"{'':<{width}}" + "".join(f"{TABLE_COLUMNS[c]:>13}" for c in columns)]
    for name, row in rows.items():
        cells = "".join(_cell(row.get(c)) for c in columns)
        lines.append(f"{name:<{width}}{cells}")
    return "\n".join(lines)


def save_table(rows: Mapping[str, Mapping[str, float]], path: str | Path) -> None:
    """Write the table's numbers ({name: {metric: value}} for the metrics of TABLE_COLUMNS) as JSON, for
    later readers (``scripts/make_gallery.py``)."""
    from .run_folder import write_atomically

    numbers = {
        name: {key: float(row[key]) for key in TABLE_COLUMNS if key in row}
        for name, row in rows.items()
    }
    write_atomically(
        Path(path), lambda temporary: temporary.write_text(json.dumps(numbers, indent=1))
    )


def load_table(path: str | Path) -> dict[str, dict[str, float]]:
    """The numbers that ``save_table`` wrote."""
    return json.loads(Path(path).read_text())


class Judge:
    """Scores image sets against one real test set, whose classifier features are computed once.

    ``judge(images)`` returns ``evaluate``'s metrics; ``judge.reference`` holds the same metrics for the
    real reference images (e.g. a training sample), the ceiling a perfect generator would reach.
    """

    def __init__(
        self,
        classifier,
        real_test: np.ndarray,
        real_reference: np.ndarray,
        intended_class: int | None = None,
    ):
        self.classifier, self.intended_class = classifier, intended_class
        self.test_features = features(classifier, real_test)
        self.reference = self(real_reference)

    def __call__(self, images: np.ndarray) -> dict:
        return evaluate(self.classifier, images, self.test_features, self.intended_class)


def compare_with_real(
    classifier,
    generated: Mapping[str, np.ndarray],
    real_test: np.ndarray,
    real_reference: np.ndarray,
    intended_class: int | None = None,
) -> dict[str, dict]:
    """Evaluate named generated sets and the real reference images, each against ``real_test``.
    All images (N, H, W, C) in [-1, 1]. Returns {name: metrics}, the reference last as "real (reference)"."""
    judge = Judge(classifier, real_test, real_reference, intended_class)
    return {
        **{name: judge(images) for name, images in generated.items()},
        "real (reference)": judge.reference,
    }


def describe_coverage(metrics: Mapping[str, float], threshold: float = 0.05) -> str:
    """One sentence on mode collapse from ``evaluate``'s result."""
    classes = len(metrics["shares"])
    top = np.argsort(metrics["shares"])[::-1][:3]
    shares = ", ".join(f"{c}: {metrics['shares'][c]:.0%}" for c in top)
    verdict = (
        "varied"
        if metrics["covered"] == classes
        else "MODE COLLAPSE"
        if metrics["covered"] <= classes // 2
        else "partly collapsed"
    )
    return (
        f"{verdict}: {metrics['covered']} of {classes} classes have >= {threshold:.0%} of the samples "
        f"(largest: {shares}; smallest share {metrics['smallest_share']:.1%})"
    )


def classifier_input(images: np.ndarray, input_shape: Sequence[int]) -> np.ndarray:
    """Images (N, H, W, C) in [-1, 1] as a classifier of ``input_shape`` (h, w, c) takes them: resized
    (anti-aliased) to h x w, and a single channel repeated when it expects three. float32 in [-1, 1]."""
    import tensorflow as tf

    images = np.asarray(images, dtype="float32")
    height, width, channels = (int(d) for d in input_shape)
    if images.ndim != 4 or images.shape[-1] not in (1, channels):
        raise ValueError(
            f"Expected images (N, H, W, 1 or {channels}) for a classifier of input "
            f"{tuple(input_shape)}, got shape {images.shape}."
        )
    if images.shape[1:3] != (height, width):
        images = np.clip(
            tf.image.resize(images, (height, width), antialias=True).numpy(), -1.0, 1.0
        )
    return np.repeat(images, channels // images.shape[-1], axis=-1)


def image_features(classifier, batches) -> np.ndarray:
    """The classifier's "features" (N, F) for images of any size in [-1, 1]: one array (N, H, W, C) or an
    iterable of such batches (e.g. ``ImageFolder.image_batches()``), each resized by ``classifier_input``."""
    if isinstance(batches, np.ndarray):
        batches = [batches]
    extractor, shape = _feature_extractor(classifier), classifier.input_shape[1:]
    return np.concatenate(
        [
            _in_batches(extractor, classifier_input(np.asarray(batch), shape), 1000)
            for batch in batches
        ]
    )


def nearest_neighbours(
    queries: np.ndarray, references: np.ndarray, chunk: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """For each query (N, F), the index (N,) int of its nearest reference (M, F) and the Euclidean
    distance (N,) float to it."""
    queries, references = np.asarray(queries, "float64"), np.asarray(references, "float64")
    if (
        queries.ndim != 2
        or references.ndim != 2
        or queries.shape[1] != references.shape[1]
        or not len(references)
    ):
        raise ValueError(
            f"Expected features (N, F) and (M, F) with the same F and M >= 1, got "
            f"{queries.shape} and {references.shape}."
        )
    squared_norms = np.sum(references**2, axis=1)
    indices, distances = [], []
    for start in range(0, len(queries), chunk):
        part = queries[start : start + chunk]
        squared = np.sum(part**2, axis=1, keepdims=True) - 2 * part @ references.T + squared_norms
        nearest = squared.argmin(axis=1)
        indices.append(nearest)
        distances.append(np.sqrt(np.clip(squared[np.arange(len(part)), nearest], 0, None)))
    return np.concatenate(indices), np.concatenate(distances)


class FolderJudge:
    """Scores generated images against a folder's held-out images, and checks them for copies of its
    training images, in a classifier's features (default: the shipped CIFAR-10 one).

    ``judge(images)`` returns {"frechet_distance": to the held-out images' features, "nearest_distance":
    the mean distance from each image to its nearest training image, "nearest_ratio": that over the same
    mean for the held-out real images (about 1 for a generator that makes new images like the folder's;
    well below 1 for one that hands back its training images), "nearest": (N,) index of each image's
    nearest training image (``source.images(indices=...)`` reads them), "distances": (N,) those
    distances}.

    ``judge.reference`` holds what real images score: the Frechet distance of ``reference_count``
    training images (drawn at random) to the held-out ones, and the held-out images' own mean
    nearest-neighbour distance (ratio 1). Frechet distances grow as sets shrink, so compare a generator's
    with the reference for as many images (``reference_count``).

    Args:
        source: a ``data.ImageFolder`` opened with a held-out share.
        reference_count: training images in the reference Frechet distance; use as many as you generate.
        classifier: a classifier with a "features" layer; default: the shipped CIFAR-10 classifier.
    """

    def __init__(self, source: data.ImageFolder, reference_count: int, classifier=None):
        self.classifier = classifier or load_classifier(classifier_path("cifar10"))
        self.training_features = image_features(self.classifier, source.image_batches("training"))
        self.holdout_features = image_features(self.classifier, source.image_batches("holdout"))
        self.holdout_distance = float(
            nearest_neighbours(self.holdout_features, self.training_features)[1].mean()
        )
        picked = np.random.default_rng(0).permutation(len(self.training_features))[:reference_count]
        self.reference = {
            "frechet_distance": frechet_distance(
                self.training_features[picked], self.holdout_features
            ),
            "nearest_distance": self.holdout_distance,
            "nearest_ratio": 1.0,
        }

    def __call__(self, images: np.ndarray) -> dict:
        generated = image_features(self.classifier, images)
        nearest, distances = nearest_neighbours(generated, self.training_features)
        return {
            "frechet_distance": frechet_distance(generated, self.holdout_features),
            "nearest_distance": float(distances.mean()),
            "nearest_ratio": float(distances.mean() / self.holdout_distance),
            "nearest": nearest,
            "distances": distances,
        }
