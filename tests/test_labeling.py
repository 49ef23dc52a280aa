import numpy as np
import pytest

from gan_helpers import labeling


def _images(count=4):
    return np.linspace(-1, 1, count * 28 * 28).reshape(count, 28, 28, 1).astype("float32")


def test_sheet_collects_selected_digits_and_prints_code():
    sheet = labeling.LabelSheet(_images())
    assert sheet.labels() == [None] * 4
    assert sheet.as_code() == "# still unlabelled: images [0, 1, 2, 3]"
    for selector, digit in zip(sheet.selectors, "7104"):
        selector.value = digit
    assert sheet.labels() == [7, 1, 0, 4]
    assert sheet.as_code() == "HAND_LABELS = [7, 1, 0, 4]"


def test_sheet_starts_from_existing_labels_and_shows_png_images():
    sheet = labeling.LabelSheet(_images(), initial=[3, 3, 2, 9])
    assert sheet.labels() == [3, 3, 2, 9]
    assert labeling.image_png(_images(1)[0]).startswith(b"\x89PNG")


def test_sheet_layout_leaves_room_for_the_digit_and_the_button_label():
    # The default 80 px description left no room in the 110 px dropdown for the chosen digit, and the default
    # button width cut its label to "Show HAND_LA..."; tests/test_browser.py measures both in Chromium.
    sheet = labeling.LabelSheet(_images())
    assert {selector.style.description_width for selector in sheet.selectors} == {"initial"}
    assert sheet.button.layout.width == "max-content"


def test_no_labels_means_skip_not_invent(capsys):
    assert labeling.resolve_hand_labels([], 10) is None
    assert "skipped" in capsys.readouterr().out


@pytest.mark.parametrize(
    "labels, message",
    [
        ([1, 2, 3], "Expected 10 hand labels"),
        ([1] * 9 + [10], "digits 0-9"),
        (["7"] * 10, "digits 0-9"),
    ],
)
def test_bad_hand_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        labeling.resolve_hand_labels(labels, 10)


def test_no_labels_as_none_means_skip_not_invent(capsys):
    assert labeling.resolve_hand_labels(None, 10) is None
    assert "skipped" in capsys.readouterr().out


@pytest.mark.parametrize("labels", [7, 0, "7104", {3: 7, 4: 1}, {7, 1}, np.zeros((2, 5), int)])
def test_hand_labels_that_are_not_a_list_are_a_type_error(labels):
    """One number (7 for one image), a string, a dict (whose keys would pass as labels), a set (no order)
    or a table."""
    with pytest.raises(TypeError, match=r"HAND_LABELS must be a list of digits, one per image"):
        labeling.resolve_hand_labels(labels, 1 if np.ndim(labels) == 0 else 4)


def test_sheet_starts_from_a_numpy_array_of_labels():
    sheet = labeling.LabelSheet(_images(10), initial=np.arange(10))
    assert sheet.labels() == list(range(10))
    with pytest.raises(TypeError, match="initial must be a list of digits"):
        labeling.LabelSheet(_images(1), initial=7)


def test_one_image_without_its_batch_axis_is_refused():
    with pytest.raises(
        ValueError, match=r"got shape \(28, 28, 1\); for one image .* images\[None\]"
    ):
        labeling.LabelSheet(_images(1)[0])
    assert len(labeling.LabelSheet(_images(1)[0][None]).selectors) == 1


def test_0_to_255_images_are_refused_not_drawn_washed_out():
    with pytest.raises(ValueError, match=r"Expected pixel values in \[-1, 1\], got \[0, 255\]"):
        labeling.LabelSheet(np.round((_images() + 1) * 127.5))
