"""The reliability contract (DESIGN.md): nothing written half, nothing non-finite kept, resume is the same
run, a seed seeds, never start over silently. With real processes, real signals and real files."""

import json
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest

from gan_helpers import data, models, runs, training
from gan_helpers.run_folder import RunFolder

CHILD = Path(__file__).resolve().parent / "train_child.py"


def _images(count=64, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, 8, 8, 1)).astype("float32")


def _train(gan, run_dir, steps, **options):
    options = {
        "batch_size": 8,
        "log_interval": 10,
        "sample_interval": 10,
        "show_samples": False,
        **options,
    }
    return runs.train(gan, _images(), steps=steps, run_dir=run_dir, **options)


def _child(run_dir, steps, out, *flags):
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(run_dir), str(steps), str(out), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process, timeout=300):
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return out


def _kill_when(process, marker: str, timeout=300) -> str:
    """Read the child's output until a line starts with ``marker``, then SIGKILL it. Returns that line."""
    for line in process.stdout:
        if line.startswith(marker):
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=timeout)
            return line.strip()
    raise AssertionError(
        f"the child ended without printing {marker!r}: {process.stderr.read()[-3000:]}"
    )


def _arrays(path):
    with np.load(path) as saved:
        return [saved[key] for key in sorted(saved.files, key=lambda k: int(k.split("_")[1]))]


def _losses(history):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


# --- Resume is the same run ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    """The final weights (.npz) and history (.json) of a 60-step child run that nothing stopped."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    _finish(_child(folder / "run", 60, folder / "final.npz"))
    return folder / "final.npz"


def _assert_same_run(resumed: Path, uninterrupted: Path) -> None:
    for a, b in zip(_arrays(uninterrupted), _arrays(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    histories = [
        json.loads(path.with_suffix(".json").read_text()) for path in (uninterrupted, resumed)
    ]
    assert _losses(histories[0]) == _losses(histories[1])


def test_a_run_killed_mid_training_resumes_bit_identical_with_dropout_on(tmp_path, uninterrupted):
    killed = _child(tmp_path / "run", 60, tmp_path / "ignored.npz", "--slow")
    # checkpoint 30 is written; the child is training towards 40
    _kill_when(killed, "step      30/")
    assert not (tmp_path / "ignored.npz").exists()
    _finish(_child(tmp_path / "run", 60, tmp_path / "resumed.npz"))
    _assert_same_run(tmp_path / "resumed.npz", uninterrupted)


def test_sigkill_while_writing_a_checkpoint_keeps_the_previous_one_and_resumes(
    tmp_path, uninterrupted
):
    killed = _child(
        tmp_path / "run", 60, tmp_path / "ignored.npz", "--pause-writing", "step_000030.npz"
    )
    line = _kill_when(killed, "PAUSED")
    assert line.endswith("checkpoints/step_000030.npz")
    run = RunFolder(tmp_path / "run")
    assert [p.name for p in run.checkpoint_files()] == ["step_000010.npz", "step_000020.npz"]
    assert list(run.checkpoints_dir.glob(".tmp-*"))  # the half-written temporary that the kill left
    out = _finish(_child(tmp_path / "run", 60, tmp_path / "resumed.npz"))
    assert "Removed 1 temporary file(s)" in out and "Resuming from step 20" in out
    _assert_same_run(tmp_path / "resumed.npz", uninterrupted)


def test_sigkill_during_the_final_save_leaves_no_half_model_and_a_rerun_saves_it(tmp_path):
    killed = _child(
        tmp_path / "run", 20, tmp_path / "ignored.npz", "--pause-writing", "generator.keras"
    )
    _kill_when(killed, "PAUSED")
    run = RunFolder(tmp_path / "run")
    # no 0-byte or half generator.keras for a notebook to "load"
    assert not run.generator_file.exists()
    with pytest.raises(FileNotFoundError, match="No saved generator"):
        run.generator()
    out = _finish(_child(tmp_path / "run", 20, tmp_path / "again.npz"))
    assert "already holds a finished run of 20 steps" in out
    assert run.generator().count_params() > 0 and not list(run.path.glob(".tmp-*"))


def test_a_full_disk_stops_with_a_clear_error_and_loses_nothing(tmp_path):
    _finish(_child(tmp_path / "run", 20, tmp_path / "first.npz"))
    run = RunFolder(tmp_path / "run")
    history_before = run.history_file.read_text()
    checkpoint_size = run.checkpoint_files()[-1].stat().st_size
    full = _child(
        tmp_path / "run", 40, tmp_path / "ignored.npz", "--file-limit", str(checkpoint_size // 2)
    )
    out, err = full.communicate(timeout=300)
    assert full.returncode != 0
    assert "Could not write" in err and "step_000030.npz" in err and "Free some disk space" in err
    assert [p.name for p in run.checkpoint_files()][-1] == "step_000020.npz"
    assert run.history_file.read_text() == history_before and not list(run.path.rglob(".tmp-*"))
    out = _finish(_child(tmp_path / "run", 40, tmp_path / "resumed.npz"))
    assert "Resuming from step 20" in out


# --- A seed seeds -------------------------------------------------------------------------------------


def test_two_processes_with_the_same_recipe_seed_give_identical_histories(tmp_path):
    first = _child(tmp_path / "a", 20, tmp_path / "a.npz", "--recipe")
    second = _child(tmp_path / "b", 20, tmp_path / "b.npz", "--recipe")
    _finish(first), _finish(second)
    histories = [json.loads((tmp_path / name).read_text()) for name in ("a.json", "b.json")]
    assert _losses(histories[0]) == _losses(histories[1])
    for a, b in zip(_arrays(tmp_path / "a.npz"), _arrays(tmp_path / "b.npz"), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_gan_seed_fixes_dropout_and_data_order_whatever_was_drawn_before(
    tmp_path, make_tiny_gan
):
    def history_after_unrelated_draws(draws, seed, run_dir):
        keras.utils.set_random_seed(0)
        gan = make_tiny_gan(seed=seed)
        for _ in range(draws):  # a student's other cells use the global random state in between
            keras.random.normal((3,))
            np.random.rand()
        return _losses(_train(gan, run_dir, 20))

    assert history_after_unrelated_draws(0, 5, tmp_path / "a") == history_after_unrelated_draws(
        7, 5, tmp_path / "b"
    )
    assert history_after_unrelated_draws(0, 5, tmp_path / "c") != history_after_unrelated_draws(
        0, 6, tmp_path / "d"
    )


# --- Nothing non-finite kept ----------------------------------------------------------------------------


def test_a_nan_pixel_is_refused_up_front_with_its_count_and_index(make_tiny_gan, tmp_path):
    images = _images()
    images[17, 3, 4, 0] = np.nan
    images[40, 0, 0, 0] = np.inf
    with pytest.raises(
        ValueError,
        match=r"2 of the 64 images hold NaN or infinite pixels \(the first is image 17\)",
    ):
        runs.train(make_tiny_gan(), images, steps=10, run_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_an_absurd_learning_rate_stops_at_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    def gan(learning_rate):
        keras.utils.set_random_seed(0)
        generator = models.dense_generator(latent_dim=8, units=(16,), image_shape=(8, 8, 1))
        discriminator = models.dense_discriminator(
            image_shape=(8, 8, 1), units=(16,), dropout_rates=(0.3,)
        )
        result = training.GAN(generator, discriminator)
        result.compile(
            d_optimizer=keras.optimizers.Adam(learning_rate),
            g_optimizer=keras.optimizers.Adam(learning_rate),
        )
        return result

    _train(gan(2e-4), tmp_path, 20)
    run = RunFolder(tmp_path)
    good_generator = run.generator_file.read_bytes()
    with pytest.raises(
        runs.TrainingDiverged,
        match=r"stopped at step 21: a loss became NaN .*step_000020.npz"
        r", is kept.*D 1e\+30, G 1e\+30",
    ):
        _train(gan(1e30), tmp_path, 60)
    assert [p.name for p in run.checkpoint_files()] == ["step_000010.npz", "step_000020.npz"]
    assert [row["step"] for row in run.history()] == [10, 20]
    assert all(np.isfinite(row[k]) for row in run.history() for k in training.METRIC_NAMES)
    assert list(run.grids()) == [10, 20] and run.generator_file.read_bytes() == good_generator
    resumed = gan(2e-4)
    assert [row["step"] for row in _train(resumed, tmp_path, 30)] == [
        10,
        20,
        30,
    ]  # the good run goes on


# --- Damaged run folders: repaired from what is there, or refused -----------------------------------------


def test_a_truncated_newest_checkpoint_is_skipped_with_a_warning_for_the_older_one(
    make_tiny_gan, tmp_path
):
    _train(make_tiny_gan(), tmp_path, 20)
    newest = RunFolder(tmp_path).checkpoint_file(20)
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    resumed = make_tiny_gan()
    with pytest.warns(UserWarning, match=r"Skipped the damaged checkpoint .*step_000020.npz"):
        history = _train(resumed, tmp_path, 30)
    assert [row["step"] for row in history] == [10, 20, 30]
    assert int(resumed.g_optimizer.iterations.numpy()) == 30


@pytest.mark.parametrize("damage", ["delete", "garble", "shorten"])
def test_a_damaged_history_file_is_rebuilt_from_the_checkpoint(
    make_tiny_gan, tmp_path, capsys, damage
):
    _train(make_tiny_gan(), tmp_path, 20)
    run = RunFolder(tmp_path)
    intact = run.history()
    if damage == "delete":
        run.history_file.unlink()
    elif damage == "garble":
        run.history_file.write_text("[{ not json")
    else:
        run.write_history(intact[:1])
    resumed = make_tiny_gan()
    history = _train(resumed, tmp_path, 20)
    assert history == intact and run.history() == intact
    assert int(resumed.g_optimizer.iterations.numpy()) == 20  # no extra steps trained


def test_a_run_whose_checkpoints_are_all_gone_is_refused_not_overwritten(make_tiny_gan, tmp_path):
    _train(make_tiny_gan(), tmp_path, 20)
    run = RunFolder(tmp_path)
    for path in run.checkpoint_files():
        path.write_bytes(b"garbage")
    history_before = run.history_file.read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(
            runs.RunFolderError, match=r"holds a run \(history.json up to step 20.*resume=False"
        ):
            _train(make_tiny_gan(), tmp_path, 40)
    assert run.history_file.read_text() == history_before and len(run.checkpoint_files()) == 2


def test_resuming_a_folder_of_other_networks_says_so(make_tiny_gan, tmp_path):
    _train(make_tiny_gan(), tmp_path, 20)
    wider = training.GAN(
        models.dense_generator(latent_dim=8, units=(32,), image_shape=(8, 8, 1)),
        models.dense_discriminator(image_shape=(8, 8, 1), units=(16,), dropout_rates=(0.3,)),
    )
    wider.compile()
    with pytest.raises(
        ValueError,
        match=r"was trained with other networks: it holds dense_generator \(1,?\d+ "
        r"parameters\).*Use another run_dir",
    ):
        _train(wider, tmp_path, 40)


def test_a_changed_setting_on_resume_is_reported(make_tiny_gan, tmp_path):
    _train(make_tiny_gan(), tmp_path, 20)
    with pytest.warns(UserWarning, match="was started with settings .* it continues with"):
        _train(make_tiny_gan(real_label=0.9), tmp_path, 30)


# --- Errors that speak the student's language -------------------------------------------------------------


def test_labels_for_an_unconditional_gan_are_refused(make_tiny_gan, tmp_path):
    with pytest.raises(ValueError, match="labels were given, but this GAN is unconditional"):
        _train(make_tiny_gan(), tmp_path, 10, labels=np.zeros(64, "int64"))


def test_no_images_is_a_clear_error(make_tiny_gan, tmp_path):
    with pytest.raises(ValueError, match=r"Expected at least one image of shape \(8, 8, 1\)"):
        runs.train(make_tiny_gan(), np.zeros((0, 8, 8, 1), "float32"), steps=10, run_dir=tmp_path)


def test_default_intervals_always_fit_the_step_count(make_tiny_gan, tmp_path):
    history = runs.train(
        make_tiny_gan(), _images(), steps=65, run_dir=tmp_path, batch_size=8, show_samples=False
    )
    assert history[-1]["step"] == 65 and list(RunFolder(tmp_path).grids())[-1] == 65


def test_images_in_zero_one_train_with_a_warning():
    with pytest.warns(UserWarning, match=r"All pixels lie in \[0, 1\].*x \* 2 - 1"):
        data.check_images(np.linspace(0, 1, 64 * 64).reshape(64, 8, 8, 1), (8, 8, 1))
