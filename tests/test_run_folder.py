import numpy as np
import pytest

from gan_helpers.run_folder import RunFolder, write_atomically


def test_grids_are_read_in_step_order_and_the_final_grid_is_the_last(tmp_path):
    run = RunFolder(tmp_path)
    run.samples_dir.mkdir()
    for step in (300, 100, 200):
        np.save(run.grid_file(step), np.full((4, 8, 8, 1), step / 300))
    assert list(run.grids()) == [100, 200, 300]
    assert run.final_grid()[0, 0, 0, 0] == pytest.approx(1.0)
    assert run.grid_file(7, ".png").name == "step_000007.png"


def test_an_empty_run_has_no_history_and_says_what_is_missing(tmp_path):
    run = RunFolder(tmp_path / "new")
    assert run.history() == [] and run.grids() == {}
    with pytest.raises(FileNotFoundError, match="No saved grids"):
        run.final_grid()
    with pytest.raises(FileNotFoundError, match=r"No saved generator at .*generator.keras"):
        run.generator()


def test_history_round_trips(tmp_path):
    run = RunFolder(tmp_path)
    rows = [{"step": 100, "seconds": 1.5, "d_loss": 0.6, "d_acc": 0.5, "g_loss": 0.9, "g_acc": 0.4}]
    run.write_history(rows)
    assert run.history() == rows


def test_atomic_write_leaves_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "history.json"
    target.write_text("old")

    def failing_writer(temporary):
        temporary.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomically(target, failing_writer)
    assert target.read_text() == "old"


def test_atomic_write_makes_a_missing_folder_and_names_the_cause_of_other_failures(tmp_path):
    write_atomically(
        tmp_path / "new" / "folder" / "grid.png", lambda temporary: temporary.write_text("png")
    )
    assert (tmp_path / "new" / "folder" / "grid.png").read_text() == "png"
    (tmp_path / "a file").write_text("")
    with pytest.raises(
        OSError, match=r"Could not write .*grid.png .*Fix the cause and run again"
    ) as failure:
        write_atomically(
            tmp_path / "a file" / "grid.png", lambda temporary: temporary.write_text("png")
        )
    assert "disk space" not in str(failure.value)


def test_a_folder_with_grids_but_no_checkpoint_holds_no_run_only_leftovers(tmp_path):
    run = RunFolder(tmp_path)
    np.save(run.fixed_noise_file, np.zeros((25, 8), "float32"))
    write_atomically(
        run.grid_file(10), lambda temporary: np.save(temporary, np.zeros((25, 8, 8, 1)))
    )
    assert run.evidence_of_a_run() == []
    assert run.leftovers() == ["fixed_noise.npy", "1 sample grid(s)"]
    run.checkpoints_dir.mkdir()
    run.checkpoint_file(10).write_bytes(b"any")
    assert run.evidence_of_a_run() == ["1 checkpoint file(s)"]
