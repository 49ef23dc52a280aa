"""pytest settings for the whole repository, so that ``pytest --nbval-lax notebooks/`` works as typed.

Under pytest the notebooks run in fast mode (a few hundred steps) unless ``GAN_FAST`` says otherwise:
``GAN_FAST=0 pytest --nbval-lax notebooks/`` runs them at full length (hours). pyproject.toml adds
``--nbval-current-env``, so the notebooks' kernel is pytest's own Python, whatever kernelspec a venv has.
"""

import os

os.environ.setdefault("GAN_FAST", "1")

# Notebooks that the browser tests (tests/test_browser.py) run top to bottom in JupyterLab, where every
# cell's error and every assert shows: when those tests are collected and a browser is present, nbval does
# not run them a second time.
RUN_IN_THE_BROWSER = ("notebooks/01_dense_mnist_gan.ipynb", "notebooks/03_generate_samples.ipynb")


# Notebooks that tests/test_submission.py executes (in fast mode, failing on any error, as nbval-lax does)
# to build the hand-in from: when that file is collected, nbval does not run them a second time.
RUN_FOR_THE_HAND_IN = (
    "notebooks/01_dense_mnist_gan.ipynb",
    "notebooks/02_dropout_ablation.ipynb",
    "notebooks/03_generate_samples.ipynb",
    "notebooks/04_classifier_assessment.ipynb",
)


# The longest files first, so that the two test workers (pytest-xdist, see pyproject.toml) finish together:
# the hand-in (notebooks 01-04), the browser tests and the process-killing reliability tests, then the
# notebooks, then the rest.
LONGEST_FIRST = (
    "tests/test_submission.py",
    "tests/test_browser.py",
    "tests/test_reliability.py",
    "notebooks/",
)


def _start_rank(item) -> int:
    return next(
        (rank for rank, start in enumerate(LONGEST_FIRST) if item.nodeid.startswith(start)),
        len(LONGEST_FIRST),
    )


def _deselect(config, items, prefixes) -> None:
    twice = [item for item in items if item.nodeid.startswith(prefixes)]
    if twice:
        config.hook.pytest_deselected(items=twice)
        items[:] = [item for item in items if item not in twice]


def pytest_collection_modifyitems(config, items):
    items.sort(key=_start_rank)  # stable: a file's tests and a notebook's cells keep their order
    if any(item.nodeid.startswith("tests/test_submission.py") for item in items):
        _deselect(config, items, RUN_FOR_THE_HAND_IN)
    if not any(item.nodeid.startswith("tests/test_browser.py") for item in items):
        return
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "jupyter_browser", Path(__file__).parent / "tests" / "jupyter_browser.py"
    )
    browser = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(browser)
    if browser.missing_browser():
        return
    _deselect(config, items, RUN_IN_THE_BROWSER)
