import numpy as np
import pytest

from gan_helpers import assessment


def test_even_one_hot_predictions_score_ten():
    probabilities = np.eye(10)[np.arange(1000) % 10]
    assert assessment.classifier_score(probabilities) == pytest.approx(10.0, rel=1e-6)


def test_constant_prediction_scores_one():
    probabilities = np.tile(np.eye(10)[3], (500, 1))
    assert assessment.classifier_score(probabilities) == pytest.approx(1.0, abs=1e-6)
    uncertain = np.full((500, 10), 0.1)
    assert assessment.classifier_score(uncertain) == pytest.approx(1.0, abs=1e-6)


def test_frechet_distance_of_a_set_with_itself_is_zero_and_grows_with_shift():
    features = np.random.default_rng(0).standard_normal((2000, 16))
    assert assessment.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)
    # Same covariance, means 2 apart in every one of 16 dimensions: distance = 16 * 2^2 = 64.
    assert assessment.frechet_distance(features, features + 2.0) == pytest.approx(64.0, rel=1e-6)


def test_frechet_distance_matches_closed_form_for_scaled_gaussians():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((50_000, 4)), 3 * rng.standard_normal((50_000, 4))
    # Isotropic covariances I and 9I: tr(I + 9I - 2*3I) = 4 * 4 = 16.
    assert assessment.frechet_distance(a, b) == pytest.approx(16.0, rel=0.03)


def test_class_coverage_flags_collapse():
    collapsed = assessment.class_coverage(np.array([1] * 90 + [7] * 8 + list(range(2))))
    assert collapsed["covered"] == 2 and collapsed["smallest_share"] == 0.0
    assert collapsed["shares"][1] == pytest.approx(0.91)
    assert "MODE COLLAPSE" in assessment.describe_coverage(collapsed)
    even = assessment.class_coverage(np.arange(100) % 10)
    assert even["covered"] == 10 and even["smallest_share"] == pytest.approx(0.1)
    assert assessment.describe_coverage(even).startswith("varied")


def test_accuracy_and_confidence():
    assert assessment.accuracy([1, 2, 3, 4], [1, 2, 0, 4]) == 0.75
    assert assessment.mean_confidence(np.array([[0.9, 0.1], [0.4, 0.6]])) == pytest.approx(0.75)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((5, 32, 32, 3)), r"Expected images of shape \(N, 28, 28, 1\)"),
        (np.full((5, 28, 28, 1), 255.0), r"Expected pixel values in \[-1, 1\]"),
    ],
)
def test_classify_rejects_wrong_shape_or_range(images, message):
    with pytest.raises(ValueError, match=message):
        assessment.classify(assessment.load_classifier(), images)


def test_classify_accepts_flat_batches():
    predicted, probabilities = assessment.classify(assessment.load_classifier(), np.zeros((3, 784)))
    assert predicted.shape == (3,) and probabilities.shape == (3, 10)


def test_missing_and_corrupt_classifier_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="No classifier at"):
        assessment.load_classifier(tmp_path / "absent.h5")
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(b"this is not an HDF5 file")
    with pytest.raises(ValueError, match="is not a readable Keras model file"):
        assessment.load_classifier(corrupt)


SHIPPED = [
    ("mnist", 0.99, (28, 28, 1), 128),
    ("fashion_mnist", 0.91, (28, 28, 1), 128),
    ("cifar10", 0.80, (32, 32, 3), 256),
]


@pytest.mark.parametrize("dataset, target, shape, feature_count", SHIPPED)
def test_shipped_classifier_is_accurate_on_real_test_set(
    needs_local_data, dataset, target, shape, feature_count
):
    from gan_helpers import data

    classifier = assessment.load_classifier(assessment.classifier_path(dataset))
    x_test, y_test = data.load_images(dataset, split="test", return_labels=True)
    predicted, probabilities = assessment.classify(classifier, x_test)
    assert assessment.accuracy(predicted, y_test) >= target
    assert assessment.features(classifier, x_test[:5]).shape == (5, feature_count)
    if dataset == "mnist":
        assert assessment.classifier_score(probabilities) >= 9.5


@pytest.mark.parametrize("dataset, target, shape, feature_count", SHIPPED)
def test_shipped_classifier_loads_without_custom_objects(dataset, target, shape, feature_count):
    import keras

    model = keras.models.load_model(assessment.classifier_path(dataset), compile=False)
    assert model.input_shape == (None, *shape) and model.output_shape == (None, 10)
    assert assessment.classifier_path(dataset).stat().st_size < 12 * 2**20


def test_per_class_accuracy_counts_each_requested_class():
    labels = np.array([0, 0, 1, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 0, 0])
    np.testing.assert_allclose(
        assessment.per_class_accuracy(predicted, labels, 4), [0.5, 2 / 3, 0.0, np.nan]
    )
    with pytest.raises(ValueError, match="as many predictions as labels"):
        assessment.per_class_accuracy(predicted[:3], labels)


def test_most_confident_ranks_by_top_or_intended_class_probability():
    probabilities = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    np.testing.assert_array_equal(assessment.most_confident(probabilities, 2), [1, 2])
    np.testing.assert_array_equal(
        assessment.most_confident(probabilities, 3, intended_class=1), [2, 0, 3]
    )


def test_classifier_input_resizes_and_repeats_a_gray_channel():
    gray = np.linspace(-1, 1, 2 * 64 * 64).reshape(2, 64, 64, 1).astype("float32")
    fitted = assessment.classifier_input(gray, (32, 32, 3))
    assert fitted.shape == (2, 32, 32, 3) and fitted.dtype == np.float32
    np.testing.assert_array_equal(fitted[..., 0], fitted[..., 2])
    np.testing.assert_allclose(fitted.mean(axis=(1, 2, 3)), gray.mean(axis=(1, 2, 3)), atol=0.01)
    with pytest.raises(ValueError, match=r"Expected images \(N, H, W, 1 or 3\)"):
        assessment.classifier_input(np.zeros((2, 32, 32, 2)), (32, 32, 3))


def test_nearest_neighbours_match_a_brute_force_search():
    rng = np.random.default_rng(0)
    queries, references = rng.standard_normal((300, 5)), rng.standard_normal((40, 5))
    indices, distances = assessment.nearest_neighbours(queries, references, chunk=64)
    all_distances = np.linalg.norm(queries[:, None] - references[None], axis=2)
    np.testing.assert_array_equal(indices, all_distances.argmin(axis=1))
    np.testing.assert_allclose(distances, all_distances.min(axis=1), rtol=1e-6)
    with pytest.raises(ValueError, match=r"Expected features \(N, F\) and \(M, F\)"):
        assessment.nearest_neighbours(queries, references[:, :4])


def _random_colour_folder(folder, count):
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype="uint8")).save(
            folder / f"{i:03d}.png"
        )
    return folder


def test_folder_judge_spots_copies_and_scores_held_out_images_as_real(tmp_path):
    from gan_helpers import data

    source = data.ImageFolder(_random_colour_folder(tmp_path / "images", 60), holdout=0.25)
    judge = assessment.FolderJudge(source, reference_count=15)
    assert judge.reference["nearest_ratio"] == 1.0 and judge.reference["frechet_distance"] > 0
    held_out = judge(source.images("holdout"))
    assert held_out["nearest_ratio"] == pytest.approx(1.0, rel=1e-6)
    assert held_out["frechet_distance"] == pytest.approx(0.0, abs=1e-3)
    copies = judge(source.images(indices=[4, 9, 30]))
    np.testing.assert_array_equal(copies["nearest"], [4, 9, 30])
    assert copies["nearest_ratio"] < 1e-3 and copies["distances"].shape == (3,)


def _course_classifier(path, input_shape, pixel_range, logits=False):
    """Save an MNIST classifier taking (N, *input_shape) in ``pixel_range``, as a course file might:
    a small dense network trained briefly on real MNIST (about 95 % test accuracy)."""
    import keras

    from gan_helpers import data

    images, labels = data.load_images("mnist", return_labels=True)
    scale, offset = assessment.PIXEL_RANGES[pixel_range]
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Flatten(),
            # a [0, 255] classifier that scales its own input, as some course files do
            keras.layers.Rescaling(1 / 255 if pixel_range == "[0, 255]" else 1.0),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(10, activation=None if logits else "softmax"),
        ]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=logits))
    course_images = (images * scale + offset).reshape((-1, *input_shape))
    model.fit(course_images, labels, epochs=2, batch_size=128, verbose=0)
    model.save(path)
    return model


CONVENTIONS = [
    ((784,), "[0, 1]", False),
    ((28, 28), "[0, 255]", False),
    ((28, 28, 1), "[-1, 1]", True),
]


@pytest.mark.parametrize(
    "input_shape, pixel_range, logits", CONVENTIONS, ids=["flat-0-1", "2d-0-255", "nhwc-logits"]
)
def test_course_classifier_of_each_convention_is_found_and_judges_generated_images(
    needs_local_data, tmp_path, capsys, input_shape, pixel_range, logits
):
    from gan_helpers import data

    path = tmp_path / "mnist_classifier.h5"
    model = _course_classifier(path, input_shape, pixel_range, logits)
    classifier = assessment.load_classifier(path)
    convention = classifier.input_convention
    assert (convention.input_shape, convention.pixel_range) == (input_shape, pixel_range)
    assert convention.softmax_added == logits
    assert convention.accuracy[pixel_range] >= 0.9
    assert convention.log_loss[pixel_range] == min(convention.log_loss.values())
    printed = capsys.readouterr().out
    assert f"mnist_classifier.h5: takes (N, {', '.join(map(str, input_shape))})" in printed
    assert (
        f"pixels in {pixel_range}, accuracy " in printed
        and "on 500 real MNIST test images" in printed
    )

    x_test, y_test = data.load_images("mnist", split="test", return_labels=True)
    predicted, probabilities = assessment.classify(classifier, x_test[:2000])
    scale, offset = assessment.PIXEL_RANGES[pixel_range]
    raw = np.asarray(model((x_test[:2000] * scale + offset).reshape((-1, *input_shape))))
    np.testing.assert_array_equal(predicted, raw.argmax(axis=1))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert assessment.accuracy(predicted, y_test[:2000]) >= 0.9
    assert assessment.classifier_score(probabilities) > 6.0
    real = assessment.features(classifier, x_test[:1000])
    assert real.shape == (1000, 64)  # the input of the last Dense layer: the 64 hidden units
    assert assessment.frechet_distance(real, real) == pytest.approx(0.0, abs=1e-6)
    noise = np.random.default_rng(0).uniform(-1, 1, (1000, 28, 28, 1))
    assert assessment.frechet_distance(assessment.features(classifier, noise), real) > 10.0


def test_course_classifier_that_fails_every_convention_names_the_file_and_accuracies(
    needs_local_data, tmp_path
):
    import keras

    keras.utils.set_random_seed(0)
    untrained = keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(10, activation="softmax")]
    )
    path = tmp_path / "untrained_classifier.h5"
    untrained.save(path)
    with pytest.raises(ValueError) as raised:
        assessment.load_classifier(path)
    message = str(raised.value)
    assert str(path) in message and "does not classify real MNIST digits" in message
    for pixel_range in assessment.PIXEL_RANGES:
        assert f"% with pixels in {pixel_range}" in message


def test_classifier_of_other_images_is_refused_with_the_shapes_expected(tmp_path):
    import keras

    colour = keras.Sequential(
        [keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    path = tmp_path / "cifar_classifier.h5"
    colour.save(path)
    with pytest.raises(
        ValueError, match=r"takes inputs \(N, 32, 32, 3\).*expected an MNIST classifier"
    ):
        assessment.load_classifier(path)


def test_shipped_classifier_loads_as_it_is():
    classifier = assessment.load_classifier()
    assert not hasattr(classifier, "input_convention")
    assert classifier.get_layer(assessment.FEATURE_LAYER).output.shape == (None, 128)
