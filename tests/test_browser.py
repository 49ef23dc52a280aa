"""The notebooks where students use them: JupyterLab in headless Chromium, the labelling sheet clicked as a
student clicks it.

One JupyterLab server and one browser serve the module, on a copy of the notebooks (nothing is saved into
the repository) with fast mode and a private artifacts folder. Notebook 01 runs first, so notebook 03
then loads its generator from that folder, as it does for a student who works through them in order.
Full-page screenshots go to ``$GAN_ARTIFACTS_DIR/browser_tests`` (default ``artifacts/browser_tests``).

Without Chromium the tests skip, saying why; under ``CI=true`` they fail instead.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
from jupyter_browser import (
    NotebookPage,
    chromium,
    jupyterlab_server,
    missing_browser,
    open_lab,
    selects_too_narrow,
    truncated_buttons,
)

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(os.environ.get("GAN_ARTIFACTS_DIR") or REPO / "artifacts") / "browser_tests"
RUN_TIMEOUT = 900  # seconds for one "Run All Cells" in fast mode
LABELS = [
    7,
    2,
    1,
    0,
    4,
    9,
    5,
    6,
    3,
    8,
]  # every digit once, so a label that lands on the wrong image shows


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of the notebooks, and a Chromium showing it: (driver, artifacts folder)."""
    reason = missing_browser()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI runs the browser tests, but {reason}")
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("jupyterlab")
    shutil.copytree(REPO / "notebooks", work / "notebooks")
    artifacts = work / "artifacts"
    # A student's environment plus fast mode: without the log threshold that conftest and .ci/run set, and
    # without PYTEST_CURRENT_TEST, under which ipykernel stops showing what libraries write to the process's
    # stderr (the red lines a student sees).
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTEST_CURRENT_TEST", "TF_CPP_MIN_LOG_LEVEL"}
    }
    env.update(GAN_FAST="1", GAN_ARTIFACTS_DIR=str(artifacts))
    with (
        jupyterlab_server(work / "notebooks", work / "server", env) as url,
        chromium(work / "chromium") as driver,
    ):
        open_lab(driver, url)
        yield driver, artifacts


def test_notebook_01_runs_and_shows_its_figures(lab):
    driver, _ = lab
    page = NotebookPage(driver, "01_dense_mnist_gan.ipynb")
    state = page.run_all(RUN_TIMEOUT)
    page.screenshot(SCREENSHOTS / "01_dense_mnist_gan.png")

    assert page.errors(state) == []
    assert page.stderr(state) == [], "red stderr output, such as TensorFlow's start-up log"
    run_a, run_b = (
        page.cell_index(state, "runs.train(literal"),
        page.cell_index(state, "runs.train(gan"),
    )
    assert len(page.rendered_images(run_a)) == 2, (
        "run A: a 5x5 grid every 100 of its 200 fast steps"
    )
    assert len(page.rendered_images(run_b)) == 3, (
        "run B: a 5x5 grid every 100 of its 300 fast steps"
    )
    assert len(page.rendered_images(page.cell_index(state, "plotting.plot_losses"))) == 2, (
        "loss and accuracy plots"
    )
    assert [
        image["mime"] for image in page.rendered_images(page.cell_index(state, "progress_gif"))
    ] == ["image/gif"]
    page.shutdown_kernel()


def test_notebook_03_label_sheet_prints_and_saves_the_chosen_digits(lab):
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver, artifacts = lab
    hand_labels_file = artifacts / "03_generate_samples" / "hand_labels.json"
    page = NotebookPage(driver, "03_generate_samples.ipynb")
    state = page.run_all(RUN_TIMEOUT)
    page.screenshot(SCREENSHOTS / "03_generate_samples-before-labelling.png")
    assert page.errors(state) == []
    assert page.stderr(state) == [], "red stderr output, such as TensorFlow's start-up log"
    assert len(page.rendered_images(page.cell_index(state, '"generated.png"'))) == 1
    assert len(page.rendered_images(page.cell_index(state, '"noise.png"'))) == 1
    distributions = page.cell_index(state, "settings.NOISE_DISTRIBUTIONS")
    assert len(page.rendered_images(distributions)) == 2, "normal and uniform noise side by side"
    assert json.loads(hand_labels_file.read_text()) is None, "no labels given yet, so none saved"

    sheet = page.cell(page.cell_index(state, "LabelSheet("))
    selects = sheet.find_elements("css selector", ".widget-dropdown select")
    assert len(selects) == 10
    for select, digit in zip(selects, LABELS):
        Select(select).select_by_visible_text(str(digit))
    assert [Select(select).first_selected_option.text for select in selects] == [
        str(d) for d in LABELS
    ]
    assert selects_too_narrow(sheet) == [], "each dropdown must show the digit chosen in it"
    assert truncated_buttons(sheet) == [], "the button's label must show in full"

    sheet.find_element("xpath", ".//button[contains(., 'Show HAND_LABELS')]").click()
    printed = f"HAND_LABELS = {LABELS}"
    WebDriverWait(driver, 30).until(
        lambda _: sheet.find_element("css selector", ".widget-output").text.strip()
    )
    assert sheet.find_element("css selector", ".widget-output").text.strip() == printed

    labels_cell = page.cell_index(state, "HAND_LABELS = []")
    page.type_into_cell(labels_cell, printed)
    state = page.run_from(labels_cell, RUN_TIMEOUT)
    page.screenshot(SCREENSHOTS / "03_generate_samples-after-labelling.png")
    assert state["cells"][labels_cell]["source"] == printed
    assert page.errors(state) == []
    assert json.loads(hand_labels_file.read_text()) == LABELS
    assert len(page.rendered_images(page.cell_index(state, "resolve_hand_labels"))) == 1, (
        "the grid of your labels"
    )
    page.shutdown_kernel()
