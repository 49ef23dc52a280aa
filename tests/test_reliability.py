"""What a run may rely on (README, "Run folders, and what a run may rely on"): nothing written half, nothing
non-finite or blown up kept, resume is the same run, a checkpoint is checked before it is trusted, an early
stop leaves a resumable run, a seed seeds, never start over silently. With real processes, real signals
and real files."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest

from gan_helpers import checkpoints, data, models, runs, training
from gan_helpers.run_folder import RunFolder

CHILD = Path(__file__).resolve().parent / "train_child.py"
DATA = Path(__file__).resolve().parent / "data"


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
            np.random.rand()  # noqa: NPY002 (the global state on purpose: what a student's cell uses)
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


def _gan(learning_rate):
    """The tiny GAN with Adam(learning_rate) for both players."""
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


def test_an_absurd_learning_rate_stops_at_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    _train(_gan(2e-4), tmp_path, 20)
    run = RunFolder(tmp_path)
    good_generator = run.generator_file.read_bytes()
    with pytest.raises(
        runs.TrainingDiverged,
        match=r"stopped at step 21: a loss became NaN .*step_000020.npz"
        r", is kept.*D 1e\+30, G 1e\+30",
    ):
        _train(_gan(1e30), tmp_path, 60)
    assert [p.name for p in run.checkpoint_files()] == ["step_000010.npz", "step_000020.npz"]
    assert [row["step"] for row in run.history()] == [10, 20]
    assert all(np.isfinite(row[k]) for row in run.history() for k in training.METRIC_NAMES)
    assert list(run.grids()) == [10, 20] and run.generator_file.read_bytes() == good_generator
    resumed = _gan(2e-4)
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


# --- Checkpoints by name: the same names in every process --------------------------------------------


def test_a_run_resumes_bit_identical_in_this_process_after_other_models_were_built(
    tmp_path, uninterrupted
):
    import train_child

    _finish(_child(tmp_path / "run", 20, tmp_path / "first.npz"))  # a fresh process checkpoints 20
    for _ in range(3):  # Keras numbers the next layers' names on from these: dense_12, not dense
        models.dense_discriminator(image_shape=(8, 8, 1), units=(16,), dropout_rates=(0.3,))
    resumed = train_child.tiny_gan()
    assert not any(re.search(r"dense_\d", name) for name in checkpoints.state_variables(resumed))
    history = _train(resumed, tmp_path / "run", 60, print_interval=10, progress=False)
    final = [*resumed.generator.get_weights(), *resumed.discriminator.get_weights()]
    for a, b in zip(_arrays(uninterrupted), final, strict=True):
        np.testing.assert_array_equal(a, b)
    assert _losses(json.loads(uninterrupted.with_suffix(".json").read_text())) == _losses(history)


def test_a_checkpoint_maps_arrays_to_variables_by_name_not_by_order(make_tiny_gan, tmp_path):
    _train(make_tiny_gan(), tmp_path, 20)
    newest = RunFolder(tmp_path).checkpoint_file(20)
    saved = _checkpoint_arrays(newest)
    _rewrite(newest, lambda arrays, meta: None, reverse=True)  # the same entries, stored backwards
    resumed = make_tiny_gan()
    assert _checkpoints(resumed, tmp_path).restore()[0] == 20
    for name, variable in checkpoints.state_variables(resumed).items():
        np.testing.assert_array_equal(np.asarray(variable), saved[name])


def test_a_state_variable_added_to_the_gan_is_checkpointed_without_being_listed(
    make_tiny_gan, tmp_path
):
    def gan_with_a_counter():
        gan = make_tiny_gan()
        gan.schedule_counter = keras.Variable(0.0, trainable=False)  # e.g. a top-k schedule
        return gan

    counted = gan_with_a_counter()
    count = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: counted.schedule_counter.assign_add(1.0)
    )
    _train(counted, tmp_path, 20, callbacks=[count])
    resumed = gan_with_a_counter()
    assert "schedule_counter" in checkpoints.state_variables(resumed)
    _checkpoints(resumed, tmp_path).restore()
    assert float(resumed.schedule_counter.numpy()) == 20.0


def test_a_checkpoint_written_before_arrays_had_names_resumes_the_same_run(tmp_path, capsys):
    """tests/data/unnamed_checkpoint_step_000020.npz is step 20 of tests/train_child.py's tiny run, written
    by the trainer of commit fd9ed0f, whose checkpoints held array_0000, ... by position."""
    import train_child

    run = RunFolder(tmp_path / "old")
    run.checkpoints_dir.mkdir(parents=True)
    shutil.copy(DATA / "unnamed_checkpoint_step_000020.npz", run.checkpoint_file(20))
    resumed = train_child.tiny_gan()
    history = _train(resumed, run.path, 30, progress=False)
    assert "Resuming from step 20" in capsys.readouterr().out
    # The same run as today's trainer from scratch, to rounding: that checkpoint's 20 steps computed the
    # cross-entropy from D's probabilities, today's from its logits (the same function, other rounding). An
    # array mapped to the wrong variable would differ by far more.
    straight = train_child.tiny_gan()
    rows = _losses(_train(straight, tmp_path / "new", 30, progress=False))
    assert [row["step"] for row in rows] == [row["step"] for row in history]
    np.testing.assert_allclose(
        [[row[k] for k in sorted(row)] for row in rows],
        [[row[k] for k in sorted(row)] for row in _losses(history)],
        rtol=1e-4,
    )
    for network in ("generator", "discriminator"):
        for a, b in zip(
            getattr(straight, network).get_weights(),
            getattr(resumed, network).get_weights(),
            strict=True,
        ):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


# --- A checkpoint is checked before it is trusted ----------------------------------------------------------


def _checkpoints(gan, run_dir):
    return checkpoints.Checkpoints(gan, RunFolder(run_dir), batch_size=8)


def _checkpoint_arrays(path) -> dict:
    with np.load(path) as saved:
        return {name: saved[name] for name in saved.files if name != "meta"}


def _rewrite(path, change, reverse=False):
    """Rewrite a checkpoint file with ``change(arrays, meta)`` applied to its entries, as a damaged or
    hand-edited copy would be."""
    with np.load(path) as saved:
        arrays = {name: saved[name] for name in saved.files if name != "meta"}
        meta = json.loads(str(saved["meta"]))
    change(arrays, meta)
    entries = dict(reversed(arrays.items())) if reverse else arrays
    np.savez(path, meta=np.array(json.dumps(meta)), **entries)


def _damage_the_newest_and_resume(make_tiny_gan, run_dir, change, warning: str) -> RunFolder:
    """Train 20 steps (checkpoints 10 and 20), damage checkpoint 20 with ``change``, train to 20 again:
    it must warn with ``warning``, resume from 10, and retrain 20 to the state it had before."""
    _train(make_tiny_gan(), run_dir, 20)
    run = RunFolder(run_dir)
    intact = _checkpoint_arrays(run.checkpoint_file(20))
    _rewrite(run.checkpoint_file(20), change)
    resumed = make_tiny_gan()
    with pytest.warns(UserWarning, match=warning):
        history = _train(resumed, run_dir, 20)
    assert [row["step"] for row in history] == [10, 20]
    assert int(resumed.g_optimizer.iterations.numpy()) == 20
    retrained = _checkpoint_arrays(run.checkpoint_file(20))
    assert retrained.keys() == intact.keys()
    for name, array in intact.items():
        np.testing.assert_array_equal(retrained[name], array)
    return run


def test_a_checkpoint_with_nan_weights_is_skipped_for_the_older_good_one(make_tiny_gan, tmp_path):
    def poison(arrays, meta):
        arrays["generator/01_Dense/kernel"][0, 0] = np.nan

    _damage_the_newest_and_resume(
        make_tiny_gan,
        tmp_path,
        poison,
        r"Skipped the damaged checkpoint .*step_000020.npz: its generator/01_Dense/kernel holds NaN",
    )


def test_a_checkpoint_missing_an_array_is_skipped_naming_the_variable(make_tiny_gan, tmp_path):
    name = "d_optimizer/discriminator/05_Dense/kernel/velocity"
    _damage_the_newest_and_resume(
        make_tiny_gan,
        tmp_path,
        lambda arrays, meta: arrays.pop(name),
        rf"Skipped the damaged checkpoint .*step_000020.npz: it lacks the array of {name}",
    )


def test_an_array_of_the_wrong_shape_is_skipped_naming_the_file_and_the_variable(
    make_tiny_gan, tmp_path
):
    def reshape(arrays, meta):
        arrays["discriminator/02_Dense/bias"] = np.zeros(3, "float32")

    _damage_the_newest_and_resume(
        make_tiny_gan,
        tmp_path,
        reshape,
        r"Skipped the damaged checkpoint .*step_000020.npz: its discriminator/02_Dense/bias is "
        r"float32 \(3,\), but the variable is float32 \(16,\)",
    )


def test_a_checkpoint_whose_optimizer_count_disagrees_with_its_step_is_skipped(
    make_tiny_gan, tmp_path
):
    def miscount(arrays, meta):
        arrays["g_optimizer/iteration"] = np.array(19, arrays["g_optimizer/iteration"].dtype)

    _damage_the_newest_and_resume(
        make_tiny_gan,
        tmp_path,
        miscount,
        r"step_000020.npz: its generator optimizer made 19 updates in 20 steps",
    )


def test_a_checkpoint_whose_history_ends_before_its_step_is_set_aside(make_tiny_gan, tmp_path):
    def shorten(arrays, meta):
        meta["history"] = meta["history"][:1]

    run = _damage_the_newest_and_resume(
        make_tiny_gan,
        tmp_path,
        shorten,
        r"Set aside the checkpoint .*step_000020.npz \(moved to .*set_aside/step_000020.npz\): "
        r"it holds step 20 but a history up to step 10",
    )
    assert [p.name for p in run.set_aside_dir.iterdir()] == ["step_000020.npz"]


def test_a_stray_copy_under_a_later_step_is_set_aside_and_rotation_keeps_the_real_ones(
    make_tiny_gan, tmp_path, capsys
):
    _train(make_tiny_gan(), tmp_path, 20)
    run = RunFolder(tmp_path)
    shutil.copy(run.checkpoint_file(20), run.checkpoints_dir / "step_000999.npz")
    with pytest.warns(UserWarning, match=r"Set aside .*step_000999.npz.*holds step 20"):
        history = _train(make_tiny_gan(), tmp_path, 40)
    assert "Resuming from step 20" in capsys.readouterr().out
    assert [row["step"] for row in history] == [10, 20, 30, 40]
    assert [p.name for p in run.checkpoint_files()] == ["step_000030.npz", "step_000040.npz"]
    assert [p.name for p in run.set_aside_dir.iterdir()] == ["step_000999.npz"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # set aside once: no warning on the next load
        _train(make_tiny_gan(), tmp_path, 40)


def test_a_checkpoint_from_another_run_is_set_aside_not_trusted(make_tiny_gan, tmp_path):
    _train(make_tiny_gan(), tmp_path / "a", 20)
    _train(make_tiny_gan(seed=1), tmp_path / "b", 30)
    shutil.copy(
        RunFolder(tmp_path / "b").checkpoint_file(30), RunFolder(tmp_path / "a").checkpoints_dir
    )
    resumed = make_tiny_gan()
    with pytest.warns(UserWarning, match=r"Set aside .*step_000030.npz.*not from this run"):
        history = _train(resumed, tmp_path / "a", 30)
    assert history[:2] == RunFolder(tmp_path / "a").history()[:2]
    assert int(resumed.g_optimizer.iterations.numpy()) == 30


def test_after_a_divergence_the_message_names_a_checkpoint_that_passed_its_checks(tmp_path):
    _train(_gan(2e-4), tmp_path, 20)

    def poison(arrays, meta):
        arrays["generator/01_Dense/kernel"][:] = np.inf

    _rewrite(RunFolder(tmp_path).checkpoint_file(20), poison)
    with (
        pytest.warns(UserWarning, match="Skipped the damaged checkpoint .*step_000020.npz"),
        pytest.raises(runs.TrainingDiverged, match=r"checkpoint, .*step_000010.npz, is kept"),
    ):
        _train(_gan(1e30), tmp_path, 40)


# --- A blow-up is a divergence, NaN or not -------------------------------------------------------------


def test_a_finite_blow_up_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path):
    _train(_gan(2e-4), tmp_path, 20)
    with pytest.raises(
        runs.TrainingDiverged,
        match=r"stopped at step 2\d: a loss passed 100, .*blew up.*step_000020.npz, is kept",
    ):
        _train(_gan(1e3), tmp_path, 60)
    run = RunFolder(tmp_path)
    assert [p.name for p in run.checkpoint_files()] == ["step_000010.npz", "step_000020.npz"]
    assert [row["step"] for row in run.history()] == [10, 20]


# --- An early stop leaves a resumable run ----------------------------------------------------------------


def test_a_run_stopped_by_early_stopping_is_checkpointed_there_and_resumes(
    make_tiny_gan, tmp_path, capsys
):
    stop = keras.callbacks.EarlyStopping(monitor="d_loss", mode="min", patience=0, min_delta=100)
    history = _train(make_tiny_gan(), tmp_path, 40, sample_interval=40, callbacks=[stop])
    assert [row["step"] for row in history] == [10, 20]
    out = capsys.readouterr().out
    assert "A callback stopped training" in out and "resumes from step 20" in out
    run = RunFolder(tmp_path)
    assert [p.name for p in run.checkpoint_files()] == ["step_000020.npz"]
    assert run.history() == history
    resumed = make_tiny_gan()
    history = _train(resumed, tmp_path, 40, sample_interval=40)
    assert "Resuming from step 20" in capsys.readouterr().out
    assert [row["step"] for row in history] == [10, 20, 30, 40]


def test_an_error_in_a_callback_after_a_history_row_checkpoints_that_step(make_tiny_gan, tmp_path):
    def cut_at_step_30(epoch, logs):
        if epoch == 2:
            raise RuntimeError("power cut")

    cut = keras.callbacks.LambdaCallback(on_epoch_end=cut_at_step_30)
    with pytest.raises(RuntimeError, match="power cut") as failure:
        _train(make_tiny_gan(), tmp_path, 40, sample_interval=20, callbacks=[cut])
    assert "resumes from step 30" in "".join(failure.value.__notes__)
    run = RunFolder(tmp_path)
    assert [p.name for p in run.checkpoint_files()] == ["step_000020.npz", "step_000030.npz"]
    assert [row["step"] for row in run.history()] == [10, 20, 30]


def test_an_interrupt_between_history_rows_says_where_a_rerun_resumes(make_tiny_gan, tmp_path):
    def interrupt_at_step_25(batch, logs):
        if len(RunFolder(tmp_path).history()) == 2 and batch == 4:
            raise KeyboardInterrupt

    cut = keras.callbacks.LambdaCallback(on_train_batch_end=interrupt_at_step_25)
    with pytest.raises(KeyboardInterrupt) as failure:
        _train(make_tiny_gan(), tmp_path, 40, sample_interval=20, callbacks=[cut])
    where = RunFolder(tmp_path).checkpoint_file(20)
    assert failure.value.__notes__ == [
        f"Training stopped at step 25; training again (same run_dir) resumes from step 20 ({where})."
    ]


def test_a_run_that_fails_before_its_first_checkpoint_starts_over_when_run_again(
    make_tiny_gan, tmp_path, capsys
):
    # 20 kB: room for the noise and the first grid, not for the first checkpoint (about 45 kB)
    failed = _child(tmp_path / "run", 20, tmp_path / "ignored.npz", "--file-limit", "20000")
    _, err = failed.communicate(timeout=300)
    assert failed.returncode != 0 and "step_000010.npz" in err
    assert "before its first checkpoint: training again starts over" in err
    history = _train(make_tiny_gan(), tmp_path / "run", 20)
    assert "it was removed and the run starts over" in capsys.readouterr().out
    assert [row["step"] for row in history] == [10, 20]


# --- Loading a finished run writes nothing ------------------------------------------------------------------


def _files(folder: Path) -> dict:
    return {
        str(path): (path.stat().st_mtime_ns, path.stat().st_size)
        for path in [folder, *folder.rglob("*")]
    }


def test_loading_a_finished_run_writes_nothing(make_tiny_gan, tmp_path, capsys):
    _train(make_tiny_gan(), tmp_path, 20)
    before = _files(tmp_path)
    if os.geteuid() != 0:  # root writes through permissions; the file times check it everywhere
        for path in [tmp_path, *tmp_path.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
    loaded = make_tiny_gan()
    _train(loaded, tmp_path, 20)
    assert "already holds a finished run of 20 steps" in capsys.readouterr().out
    assert _files(tmp_path) == before
    assert int(loaded.g_optimizer.iterations.numpy()) == 20


def test_a_damaged_generator_file_of_a_finished_run_is_written_again_on_loading(
    make_tiny_gan, tmp_path
):
    _train(make_tiny_gan(), tmp_path, 20)
    run = RunFolder(tmp_path)
    run.generator_file.write_bytes(run.generator_file.read_bytes()[:1000])
    with pytest.raises(ValueError, match="is not a readable Keras model file"):
        run.generator()
    loaded = make_tiny_gan()
    _train(loaded, tmp_path, 20)
    noise = np.zeros((2, 8), "float32")
    np.testing.assert_array_equal(run.generator()(noise).numpy(), loaded.generator(noise).numpy())


# --- Resume: what differs is named ---------------------------------------------------------------------


def test_resuming_with_a_d_without_dropout_names_the_variables_that_differ(make_tiny_gan, tmp_path):
    _train(make_tiny_gan(), tmp_path, 20)
    with pytest.raises(ValueError, match="trained with other networks") as refusal:
        _train(make_tiny_gan(dropout_rates=()), tmp_path, 30)
    message = str(refusal.value)
    assert "only in the checkpoint: discriminator/04_Dropout/seed_generator_state" in message
    assert message.count("dense_discriminator (") == 1  # the same description is not printed twice


def test_a_truncated_fixed_noise_file_is_rewritten_from_the_noise_seed(
    make_tiny_gan, tmp_path, capsys
):
    _train(make_tiny_gan(), tmp_path, 20)
    run = RunFolder(tmp_path)
    run.fixed_noise_file.write_bytes(run.fixed_noise_file.read_bytes()[:100])
    gan = make_tiny_gan()
    _train(gan, tmp_path, 30)
    assert f"{run.fixed_noise_file} was damaged" in capsys.readouterr().out
    np.testing.assert_array_equal(np.load(run.fixed_noise_file), runs.fixed_grid_inputs(gan)[0])


def test_a_new_grid_size_on_resume_keeps_the_run_noise_and_says_so(make_tiny_gan, tmp_path):
    _train(make_tiny_gan(), tmp_path, 20)
    with pytest.warns(UserWarning, match=r"keeps the fixed noise it started with .*25 images"):
        _train(make_tiny_gan(), tmp_path, 30, grid_size=3)
    assert RunFolder(tmp_path).grids()[30].shape == (25, 8, 8, 1)
