"""The one notebook a student hands in, ``lastname_firstname_gan.ipynb``, built from notebooks 01-04 as
they were run and saved.

The assignment wants "a single .ipynb file" with every deliverable shown, Parts 1-3 in its order. The
bundle spreads them over four notebooks, so each cell that belongs to a deliverable carries a tag in its
metadata (``SECTIONS``: e.g. "part1-deliverable-2"), and a student's answer cells also the tag "answer".
``build`` gathers the tagged cells, outputs and all, under one heading per deliverable, and lists what a
grader would miss:

- a deliverable with no cell tagged for it, or whose code cells have no output, or show an error;
- a deliverable from a notebook that ran in fast mode (its outputs hold ``config.FAST_MODE_LINE``, which
  ``config.describe_mode`` and ``machine.report`` print);
- an empty ``HAND_LABELS`` (its cells print ``EMPTY_LABELS_LINE``, from ``labeling.resolve_hand_labels``);
- an answer cell that still holds ``ANSWER_TEMPLATE``.

A cell tagged for several deliverables that shows one figure for each (notebook 01's loss and accuracy
plots) is shown under each heading with that deliverable's figure only: the k-th figure for the k-th
of its deliverables, in the assignment's order.
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import colab, config

NOTEBOOKS = (
    "01_dense_mnist_gan",
    "02_dropout_ablation",
    "03_generate_samples",
    "04_classifier_assessment",
)
ANSWER_TAG = "answer"
ANSWER_TEMPLATE = "YOUR ANSWER HERE"
EMPTY_LABELS_LINE = "HAND_LABELS is empty"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")
WIDGET_TYPE = "application/vnd.jupyter.widget-view+json"


@dataclass(frozen=True)
class Section:
    """One heading of the hand-in: the cells tagged ``tag``, under "``part`` · ``title``"."""

    tag: str
    part: str
    title: str


PARTS = {
    "Part 1": "Part 1: implementing the GAN",
    "Part 2": "Part 2: generating samples",
    "Part 3": "Part 3: assessing the generator",
}
SECTIONS = (
    Section(
        "part1-deliverable-1",
        "Part 1",
        "1. Ten sets of 25 generated images, one every 10,000 steps",
    ),
    Section(
        "part1-deliverable-2",
        "Part 1",
        "2. The losses of D and of the stacked model against the step",
    ),
    Section("part1-deliverable-3", "Part 1", "3. Their accuracies against the step"),
    Section("part1-deliverable-4", "Part 1", "4. Dropout's importance: D without dropout"),
    Section("part1-deliverable-5a", "Part 1", "5(a). Every dropout rate raised or lowered by 0.1"),
    Section("part1-deliverable-5b", "Part 1", "5(b). Bonus: other settings at the new rate"),
    Section(
        "part1-deliverable-6",
        "Part 1",
        "6. Questions: (a) why D's accuracy stays around 50 %; (b) cleaner, less noisy images",
    ),
    Section("part2-deliverable-1", "Part 2", "(1) The ten noise vectors, shown as images"),
    Section("part2-deliverable-2", "Part 2", "(2) The ten generated images"),
    Section("part2-labels", "Part 2", "Your labels for the ten images"),
    Section(
        "part3-deliverable-1", "Part 3", "1. The classifier's label for each of the ten images"
    ),
    Section("part3-deliverable-2", "Part 3", "2. Its accuracy against your hand labels"),
    Section(
        "part3-deliverable-3",
        "Part 3",
        "3. Questions: (a) that accuracy, and are the images comparable to MNIST? (b) a better "
        "assessment",
    ),
)


def file_name(student: str) -> str:
    """The hand-in's name for "Lastname Firstname": "lastname_firstname_gan.ipynb" (letters, digits and
    hyphens kept).

    Raises:
        ValueError: fewer than two names.
    """
    names = [re.sub(r"[^\w-]", "", name).lower() for name in student.split()]
    names = [name for name in names if name]
    if len(names) < 2:
        raise ValueError(
            f'Expected the student\'s name as "Lastname Firstname", got {student!r}; the file is '
            f"named lastname_firstname_gan.ipynb."
        )
    return "_".join(names) + "_gan.ipynb"


def find_notebooks(folder: str | Path) -> tuple[dict[str, Path], list[str]]:
    """The saved copy of each of NOTEBOOKS in ``folder`` ({name: path}), and notes on any choice made.

    A copy is any .ipynb file whose name contains the notebook's name, so Colab's "Copy of
    01_dense_mnist_gan.ipynb" counts; of several, the newest is taken, and a note says so.

    Raises:
        FileNotFoundError: the folder does not exist, or lacks a copy of one of the notebooks.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"No folder {folder}; expected the folder that holds the executed notebooks 01-04 (the "
            f"README's command writes them to artifacts/). Pass it with --from."
        )
    found, notes, missing = {}, [], []
    for name in NOTEBOOKS:
        copies = sorted(
            (path for path in folder.glob("*.ipynb") if name in path.name),
            key=lambda path: path.stat().st_mtime,
        )
        if not copies:
            missing.append(name)
            continue
        found[name] = copies[-1]
        if len(copies) > 1:
            notes.append(
                f"{len(copies)} copies of {name} in {folder}; using the newest, {copies[-1].name}."
            )
    if missing:
        raise FileNotFoundError(
            f"No executed copy of {', '.join(f'{m}.ipynb' for m in missing)} in {folder}. Run them "
            f"and save them there, e.g. jupyter nbconvert --to notebook --execute "
            f"--ExecutePreprocessor.timeout=-1 --output-dir {folder} notebooks/{missing[0]}.ipynb"
        )
    return found, notes


def ran_in_fast_mode(notebook) -> bool:
    """True when a cell of the executed ``notebook`` printed ``config.FAST_MODE_LINE``."""
    return any(config.FAST_MODE_LINE in _text(output) for output in _outputs(notebook.cells))


def build(notebooks: Mapping[str, object], student: str) -> tuple[object, list[str]]:
    """The hand-in notebook and its warnings, from executed notebooks ({name in NOTEBOOKS: nbformat
    notebook}): a title cell that says how it was made and how to re-run it, then per part and
    deliverable of SECTIONS a heading and the cells tagged for it, with their outputs."""
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    fast = {name for name, notebook in notebooks.items() if ran_in_fast_mode(notebook)}
    cells, warnings, part = [new_markdown_cell(_title(student, notebooks))], [], None
    for section in SECTIONS:
        if section.part != part:
            part = section.part
            cells.append(new_markdown_cell(f"# {PARTS[part]}"))
        cells.append(new_markdown_cell(f"## {section.part} · {section.title}"))
        tagged = [
            (name, cell)
            for name, notebook in notebooks.items()
            for cell in notebook.cells
            if section.tag in cell.metadata.get("tags", [])
        ]
        cells += [_copy(cell, section) for _, cell in tagged]
        warnings += [
            f"{section.part} · {section.title}: {problem}"
            for problem in _problems(section, tagged, fast)
        ]
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"
    first = next(iter(notebooks.values())).metadata  # kernelspec, language, Colab's settings
    metadata = {key: copy.deepcopy(value) for key, value in first.items() if key != "widgets"}
    notebook = new_notebook(cells=cells, metadata=metadata)
    nbformat.validate(notebook)
    return notebook, warnings


def write_submission(
    student: str, source: str | Path, output_dir: str | Path = "."
) -> tuple[Path, list[str]]:
    """Build the hand-in from the executed notebooks in ``source`` and write it to ``output_dir`` as
    ``file_name(student)``. Returns its path and the warnings (``find_notebooks``' notes first)."""
    import nbformat

    paths, notes = find_notebooks(source)
    notebooks = {}
    for name, path in paths.items():
        try:
            notebooks[name] = nbformat.read(path, as_version=4)
        except Exception as error:  # nbformat raises several kinds for a damaged file
            raise ValueError(
                f"{path} is not a readable notebook ({error.__class__.__name__}: {error}). Save "
                f"{name} again from Jupyter or Colab."
            ) from error
    notebook, warnings = build(notebooks, student)
    path = Path(output_dir) / file_name(student)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path, notes + warnings


def _problems(section: Section, tagged: list, fast: set[str]) -> list[str]:
    if not tagged:
        missing = f"no cell is tagged {section.tag!r} in notebooks 01-04: were they run from this "
        return [missing + "bundle's notebooks?"]
    code = [(name, cell) for name, cell in tagged if cell.cell_type == "code"]
    outputs = list(_outputs(cell for _, cell in code))
    problems = []
    if code and not outputs:
        names = sorted({name for name, _ in code})
        problems.append(
            f"no output: run {', '.join(names)} to the end and save it with its outputs"
        )
    errors = [output for output in outputs if output.get("output_type") == "error"]
    if errors:
        problems.append(
            f"a cell shows an error ({errors[0].get('ename')}: {errors[0].get('evalue')})"
        )
    ran_fast = sorted({name for name, _ in code} & fast)
    if ran_fast:
        problems.append(
            f"{', '.join(ran_fast)} ran in fast mode (GAN_FAST=1): a few hundred steps, not the "
            f"assignment's; run it again with GAN_FAST unset"
        )
    if any(EMPTY_LABELS_LINE in _text(output) for output in outputs):
        problems.append("HAND_LABELS is empty: label the ten images in notebook 03")
    templates = [
        cell
        for _, cell in tagged
        if ANSWER_TAG in cell.metadata.get("tags", []) and ANSWER_TEMPLATE in cell.source
    ]
    if templates:
        problems.append(
            f"{len(templates)} answer cell(s) still read {ANSWER_TEMPLATE}: write your answer there"
        )
    return problems


def _copy(cell, section: Section):
    """A copy of ``cell`` for ``section``: no tags; markdown headings two levels lower, under the
    hand-in's own; no widget outputs; a cell of several deliverables with one figure each keeps that
    deliverable's figure."""
    cell = copy.deepcopy(cell)
    tags = cell.metadata.pop("tags", [])
    if cell.cell_type == "markdown":
        cell.source = _demote_headings(cell.source)
        return cell
    # Widgets (progress bars) need state that the hand-in does not carry: they would show as errors.
    cell.outputs = [output for output in cell.outputs if WIDGET_TYPE not in output.get("data", {})]
    own = [s.tag for s in SECTIONS if s.tag in tags]
    figures = [output for output in cell.outputs if _is_figure(output)]
    if len(own) > 1 and len(figures) == len(own):
        cell.outputs = [figures[own.index(section.tag)]]
    return cell


def _demote_headings(markdown: str) -> str:
    """Every heading two levels lower (at most level 6), outside fenced code."""
    lines, fenced = [], False
    for line in markdown.split("\n"):
        fenced ^= line.lstrip().startswith("```")
        heading = re.match(r"#{1,6} ", line)
        if heading and not fenced:
            line = "#" * min(6, len(heading.group()) + 1) + " " + line[len(heading.group()) :]
        lines.append(line)
    return "\n".join(lines)


def _is_figure(output) -> bool:
    return any(kind in output.get("data", {}) for kind in IMAGE_TYPES)


def _outputs(cells):
    for cell in cells:
        yield from cell.get("outputs", [])


def _text(output) -> str:
    """The printed text of one output: a stream's text, an error's message, or a display's text/plain."""
    text = output.get("text") or output.get("data", {}).get("text/plain", "")
    if output.get("output_type") == "error":
        text = f"{output.get('ename')}: {output.get('evalue')}"
    return "".join(text) if isinstance(text, list) else text


def _title(student: str, notebooks: Mapping[str, object]) -> str:
    links = ", ".join(f"{name} {colab.badge(f'{name}.ipynb')}" for name in notebooks)
    return f"""# GAN coursework: {student}

Built on {datetime.date.today().isoformat()} by `scripts/make_submission.py` from the notebooks of the
GAN coursework bundle as they were run and saved: {", ".join(f"{name}.ipynb" for name in notebooks)}.
Every figure, table and printed line below is their output, under the assignment's headings: Part 1
(deliverables 1–6), Part 2 and Part 3 (items 1–3).

**How to re-run it.** Each code cell below ran in its own notebook after cells that are not repeated
here, so re-run the notebooks, not this file, then build this file again:
1. Run notebooks 01, 02, 03 and 04 in that order (03 uses 01's generator; 04 uses 03's images and
   labels), at full length, and save them with their outputs in one folder.
   - Jupyter, from the bundle's root: `jupyter nbconvert --to notebook --execute
     --ExecutePreprocessor.timeout=-1 --output-dir artifacts notebooks/01_dense_mnist_gan.ipynb`, then
     the same for the other three (to label the digits of 03 by hand, run it in Jupyter instead and save).
   - Colab: open each ({links}), run it, and save it (*File > Save a copy in Drive*).
2. `python scripts/make_submission.py "{student}"` (add `--from FOLDER` when they are not in
   `artifacts/`) writes `{file_name(student)}` again.
"""
