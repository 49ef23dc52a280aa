"""Hand-label generated images inline, with core ipywidgets only (so it works in Jupyter and Colab).

The widget shows each image with a digit selector. Its "Show HAND_LABELS" button prints a line such as
``HAND_LABELS = [7, 1, 4, ...]`` to paste into the notebook's editable list, so the labels survive in
the saved notebook and runs without a person (CI) never invent labels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from . import assessment, data, plotting

UNLABELLED = "?"


def image_png(image: np.ndarray, scale: int = 3) -> bytes:
    """PNG bytes of one image (H, W, C) in [-1, 1], enlarged ``scale`` times."""
    from PIL import Image

    pixels = (plotting.to_display_range(image[None])[0] * 255).round().astype("uint8")
    picture = Image.fromarray(pixels)
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


class LabelSheet:
    """A grid of images (N, H, W, C) in [-1, 1], each with a 0-9 selector; ``.widget`` displays it.

    ``labels()`` returns the chosen digits (None where unset); ``as_code()`` the HAND_LABELS line.
    ``initial``: the digits to start from, a list of N (e.g. the notebook's HAND_LABELS), or None / [].

    Raises:
        ValueError: images not (N, H, W, C) in [-1, 1] (0-255 pixels would show washed out), or
            ``initial`` not N digits 0-9.
        TypeError: ``initial`` is not a list of digits.
    """

    def __init__(self, images: np.ndarray, initial: Sequence[int] | None = None, columns: int = 5):
        import ipywidgets as widgets

        images = np.asarray(images)
        if images.ndim != 4:
            raise ValueError(
                f"Expected a batch of images (N, H, W, C), got shape {images.shape}; for one image "
                f"(H, W, C), pass images[None]."
            )
        images = data.check_images(images, images.shape[1:])
        initial = (
            list(assessment.check_hand_labels(initial, len(images)))
            if _given(initial, "initial")
            else None
        )
        options = [UNLABELLED] + [str(d) for d in range(10)]
        # The "#i" label only as wide as its text: ipywidgets reserves 80 px for a description by default,
        # which left the selector too narrow to show the digit chosen in it.
        self.selectors = [
            widgets.Dropdown(
                options=options,
                value=UNLABELLED if initial is None else str(initial[i]),
                description=f"#{i}",
                style={"description_width": "initial"},
                layout=widgets.Layout(width="110px"),
            )
            for i in range(len(images))
        ]
        cells = [
            widgets.VBox([widgets.Image(value=image_png(image), format="png"), selector])
            for image, selector in zip(images, self.selectors)
        ]
        self.output = widgets.Output()
        # As wide as its label: the default button width cut it to "Show HAND_LA...".
        self.button = widgets.Button(
            description="Show HAND_LABELS",
            icon="clipboard",
            layout=widgets.Layout(width="max-content"),
        )
        self.button.on_click(self._print_code)
        grid = widgets.GridBox(
            cells, layout=widgets.Layout(grid_template_columns=f"repeat({columns}, 120px)")
        )
        self.widget = widgets.VBox([grid, self.button, self.output])

    def labels(self) -> list[int | None]:
        return [None if s.value == UNLABELLED else int(s.value) for s in self.selectors]

    def as_code(self) -> str:
        labels = self.labels()
        if None in labels:
            missing = [i for i, label in enumerate(labels) if label is None]
            return f"# still unlabelled: images {missing}"
        return f"HAND_LABELS = {labels}"

    def _print_code(self, _button=None):
        self.output.clear_output()
        with self.output:
            print(self.as_code())


def resolve_hand_labels(hand_labels: Sequence[int] | None, count: int) -> np.ndarray | None:
    """The validated labels (count,) int, or None (with a message) when none were given (None or []).

    Raises:
        TypeError: not a list of digits (one number, a dict, a set, a string).
        ValueError: labels given, but not exactly ``count`` digits 0-9.
    """
    if not _given(hand_labels, "HAND_LABELS"):
        print(
            "No hand labels were given (HAND_LABELS is empty), so the hand-label accuracy is skipped. "
            "Label the images with the widget above and paste its HAND_LABELS line to include it."
        )
        return None
    return assessment.check_hand_labels(hand_labels, count)


def _given(labels, name: str) -> bool:
    """Whether ``labels`` holds any labels: False for None or an empty list, tuple or array.

    Raises:
        TypeError: ``labels`` is not a list, tuple or 1-d array (so its order would be a guess, or it is
            one number).
    """
    if labels is None:
        return False
    if not isinstance(labels, (list, tuple, np.ndarray)) or np.ndim(labels) != 1:
        raise TypeError(
            f"{name} must be a list of digits, one per image in order, e.g. [7, 1, 4]; got "
            f"{labels!r} (a {type(labels).__name__} of shape {np.shape(labels)})."
        )
    return len(labels) > 0
