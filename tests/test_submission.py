"""The hand-in file, built from notebooks 01-04 executed here in fast mode, as a student's would be.

The module's fixture runs the four notebooks once, in order, in this Python (as nbval's
--nbval-current-env does) with a private artifacts folder; a cell that fails fails the fixture, so these
runs also stand in for nbval's on notebooks 01-04 (the root conftest.py deselects those).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from gan_helpers import config, submission

REPO = Path(__file__).resolve().parent.parent
CELL_TIMEOUT = 1800  # seconds for one cell in fast mode


def _execute(path: Path, output: Path) -> None:
    """Run the notebook at ``path`` top to bottom in this Python, in its own folder; save it to
    ``output`` with its outputs."""
    import ipykernel.kernelspec
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from nbclient import NotebookClient

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(
                resource_dir=ipykernel.kernelspec.RESOURCES,
                **ipykernel.kernelspec.get_kernel_dict(),
            )

    notebook = nbformat.read(path, as_version=4)
    manager = KernelManager(kernel_name="this-python", kernel_spec_manager=ThisPython())
    NotebookClient(
        notebook,
        km=manager,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    nbformat.write(notebook, output)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Notebooks 01-04 executed in fast mode with no hand labels, as a folder of .ipynb files."""
    folder = tmp_path_factory.mktemp("executed")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GAN_FAST", "1")
        env.setenv("GAN_ARTIFACTS_DIR", str(tmp_path_factory.mktemp("artifacts")))
        env.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
        for name in submission.NOTEBOOKS:
            _execute(REPO / "notebooks" / f"{name}.ipynb", folder / f"{name}.ipynb")
    return folder


def _headings(notebook) -> list[str]:
    """The hand-in's own part and deliverable headings (after its title cell)."""
    return [cell.source for cell in notebook.cells[1:] if cell.source.startswith(("# ", "## "))]


def _section_cells(notebook, section) -> list:
    """The cells under ``section``'s heading, up to the next heading of the hand-in."""
    start = [cell.source for cell in notebook.cells].index(f"## {section.part} · {section.title}")
    cells = []
    for cell in notebook.cells[start + 1 :]:
        if cell.cell_type == "markdown" and cell.source.startswith(("# ", "## ")):
            break
        cells.append(cell)
    return cells


def _figures(cells) -> list[str]:
    return [
        output["data"]["image/png"]
        for cell in cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]


def test_hand_in_from_fast_mode_notebooks_is_valid_and_has_every_heading(executed, tmp_path):
    path, _ = submission.write_submission("Doe Jane", executed, tmp_path)
    assert path == tmp_path / "doe_jane_gan.ipynb"
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    assert "How to re-run it" in notebook.cells[0].source and "Doe Jane" in notebook.cells[0].source
    expected = []
    for section in submission.SECTIONS:
        part = f"# {submission.PARTS[section.part]}"
        expected += [part] if part not in expected else []
        expected.append(f"## {section.part} · {section.title}")
    assert _headings(notebook) == expected
    # Deliverables 2 and 3 come from one cell of notebook 01: each heading shows its own plot.
    losses, accuracies = (_figures(_section_cells(notebook, s)) for s in submission.SECTIONS[1:3])
    assert len(losses) == len(accuracies) == 1 and losses != accuracies
    # Every grid notebook 01's run B showed (fast mode: one per 100 of its 300 steps) is there.
    assert len(_figures(_section_cells(notebook, submission.SECTIONS[0]))) == 3
    printed = [
        output.get("text", "")
        for cell in _section_cells(notebook, submission.SECTIONS[10])
        for output in cell.get("outputs", [])
    ]
    assert any("classifier accuracy on the real MNIST test set" in text for text in printed)
    assert any("image #9: classifier says" in text for text in printed)


def test_fast_mode_empty_labels_and_templates_are_each_warned_about_by_part(executed, tmp_path):
    _, warnings = submission.write_submission("Doe Jane", executed, tmp_path)
    fast = [w for w in warnings if "ran in fast mode" in w]
    assert len(fast) == 11  # every section with code: all but 5(a) and 6, which hold answers only
    assert any(
        w.startswith("Part 2 · (1)") and "03_generate_samples ran in fast mode" in w for w in fast
    )
    assert [w.split(":")[0] for w in warnings if "HAND_LABELS is empty" in w] == [
        "Part 2 · Your labels for the ten images",
        "Part 3 · 2. Its accuracy against your hand labels",
    ]
    assert [
        w.split(" ·")[1].split(".")[0].strip() for w in warnings if "YOUR ANSWER HERE" in w
    ] == [
        "4",
        "5(a)",
        "5(b)",
        "3",
    ]
    assert not [w for w in warnings if "no output" in w or "no cell is tagged" in w]


def _as_a_student_finished_them(folder: Path, into: Path) -> Path:
    """Copies of the executed notebooks as after a full run with labels and answers: answer cells
    written, the fast-mode line and the empty-labels message gone from the outputs."""
    into.mkdir()
    for path in folder.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if submission.ANSWER_TAG in cell.metadata.get("tags", []):
                cell.source = cell.source.replace(submission.ANSWER_TEMPLATE, "My answer.")
            for output in cell.get("outputs", []):
                if "text" in output:
                    output["text"] = "".join(
                        line
                        for line in "".join(output["text"]).splitlines(keepends=True)
                        if config.FAST_MODE_LINE not in line
                        and submission.EMPTY_LABELS_LINE not in line
                    )
        nbformat.write(notebook, into / path.name)
    return into


def test_a_finished_set_of_notebooks_gives_no_warnings(executed, tmp_path):
    finished = _as_a_student_finished_them(executed, tmp_path / "finished")
    path, warnings = submission.write_submission("Doe Jane", finished, tmp_path)
    assert warnings == []
    assert "My answer." in "".join(cell.source for cell in nbformat.read(path, 4).cells)


def test_unexecuted_notebooks_warn_of_missing_output_by_part(tmp_path):
    source = tmp_path / "saved"
    source.mkdir()
    for name in submission.NOTEBOOKS:
        shutil.copy(REPO / "notebooks" / f"{name}.ipynb", source)
    _, warnings = submission.write_submission("Doe Jane", source, tmp_path)
    assert any(
        w.startswith("Part 1 · 1.") and "no output: run 01_dense_mnist_gan" in w for w in warnings
    )
    assert any(
        w.startswith("Part 3 · 2.") and "no output: run 04_classifier_assessment" in w
        for w in warnings
    )
    assert not [w for w in warnings if "fast mode" in w]


def test_script_writes_the_named_file_and_prints_the_warnings(executed, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "make_submission.py"),
            "Doe Jane",
            "--from",
            str(executed),
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "doe_jane_gan.ipynb").is_file()
    assert done.stdout.startswith(f"wrote {tmp_path / 'doe_jane_gan.ipynb'}")
    assert "warning: Part 1 · 1. Ten sets of 25 generated images" in done.stdout


@pytest.mark.parametrize(
    "student, expected",
    [
        ("Doe Jane", "doe_jane_gan.ipynb"),
        ("  García-López   María ", "garcía-lópez_maría_gan.ipynb"),
        ("O'Neil Seán", "oneil_seán_gan.ipynb"),
    ],
)
def test_file_name_is_lastname_firstname_gan(student, expected):
    assert submission.file_name(student) == expected


def test_a_single_name_is_refused():
    with pytest.raises(ValueError, match='Expected the student\'s name as "Lastname Firstname"'):
        submission.file_name("Jane")


def test_colab_copies_are_found_and_the_newest_of_two_is_taken(tmp_path):
    for name in submission.NOTEBOOKS:
        shutil.copy(REPO / "notebooks" / f"{name}.ipynb", tmp_path / f"Copy of {name}.ipynb")
    older = tmp_path / "01_dense_mnist_gan.ipynb"
    shutil.copy(REPO / "notebooks" / "01_dense_mnist_gan.ipynb", older)
    os.utime(older, (1, 1))
    found, notes = submission.find_notebooks(tmp_path)
    assert found["01_dense_mnist_gan"].name == "Copy of 01_dense_mnist_gan.ipynb"
    assert found["04_classifier_assessment"].name == "Copy of 04_classifier_assessment.ipynb"
    newest = "Copy of 01_dense_mnist_gan.ipynb"
    assert notes == [f"2 copies of 01_dense_mnist_gan in {tmp_path}; using the newest, {newest}."]


def test_a_missing_folder_or_notebook_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"No folder {tmp_path / 'absent'}"):
        submission.find_notebooks(tmp_path / "absent")
    shutil.copy(REPO / "notebooks" / "01_dense_mnist_gan.ipynb", tmp_path)
    with pytest.raises(
        FileNotFoundError, match=r"No executed copy of 02_dropout_ablation\.ipynb, "
    ):
        submission.find_notebooks(tmp_path)


def test_a_damaged_notebook_file_is_named(tmp_path):
    for name in submission.NOTEBOOKS:
        shutil.copy(REPO / "notebooks" / f"{name}.ipynb", tmp_path)
    (tmp_path / "03_generate_samples.ipynb").write_text("{ not json")
    with pytest.raises(ValueError, match=r"03_generate_samples\.ipynb is not a readable notebook"):
        submission.write_submission("Doe Jane", tmp_path, tmp_path / "out")


def test_headings_are_demoted_outside_code_fences_only():
    text = "## Title\ntext\n```bash\n# a comment\n```\n###### deep"
    assert submission._demote_headings(text) == (
        "#### Title\ntext\n```bash\n# a comment\n```\n###### deep"
    )


def test_every_section_is_tagged_in_the_committed_notebooks():
    tags = {
        tag
        for name in submission.NOTEBOOKS
        for cell in nbformat.read(REPO / "notebooks" / f"{name}.ipynb", 4).cells
        for tag in cell.metadata.get("tags", [])
    }
    assert {section.tag for section in submission.SECTIONS} <= tags
