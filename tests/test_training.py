import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_helpers import data, runs, training


def _images(count=64, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, 8, 8, 1)).astype("float32")


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def _unchanged(before, model):
    return all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_discriminator_step_changes_only_d(make_tiny_gan):
    gan = make_tiny_gan()
    g_before, d_before = _weights(gan.generator), _weights(gan.discriminator)
    gan.discriminator_step(_images(16))
    assert _unchanged(g_before, gan.generator)
    assert not _unchanged(d_before, gan.discriminator)


def test_generator_step_changes_only_g(make_tiny_gan):
    gan = make_tiny_gan()
    g_before, d_before = _weights(gan.generator), _weights(gan.discriminator)
    gan.generator_step(16)
    assert _unchanged(d_before, gan.discriminator)
    assert not _unchanged(g_before, gan.generator)


@pytest.mark.parametrize("ratio", [1, 3])
def test_d_to_g_ratio_holds(make_tiny_gan, ratio):
    gan = make_tiny_gan(d_steps=ratio)
    gan.fit(
        data.real_image_batches(_images(), 8 * ratio), steps_per_epoch=5, shuffle=False, verbose=0
    )
    assert int(gan.g_optimizer.iterations.numpy()) == 5
    assert int(gan.d_optimizer.iterations.numpy()) == 5 * ratio


def test_label_smoothing_sets_the_real_target(make_tiny_gan):
    """D loss = 0.5 (BCE(t, p_real) + BCE(0, p_fake)); moving t from 1 to 0.9 adds 0.05 * mean(logit p_real)."""
    hard, smooth = (
        make_tiny_gan(dropout_rates=(), real_label=1.0),
        make_tiny_gan(dropout_rates=(), real_label=0.9),
    )
    for source, target in (
        (hard.generator, smooth.generator),
        (hard.discriminator, smooth.discriminator),
    ):
        target.set_weights(source.get_weights())
    real = _images(16)
    p_real = hard.discriminator(real).numpy()
    hard_loss, _ = hard.discriminator_step(real)
    smooth_loss, _ = smooth.discriminator_step(real)
    expected = 0.05 * np.mean(np.log(p_real / (1 - p_real)))
    assert float(smooth_loss) - float(hard_loss) == pytest.approx(expected, abs=1e-4)


def test_train_writes_history_samples_models_and_finite_losses(make_tiny_gan, tmp_path):
    gan = make_tiny_gan()
    history = _train(gan, tmp_path, steps=40)
    assert [row["step"] for row in history] == [10, 20, 30, 40]
    for row in history:
        assert set(training.METRIC_NAMES) <= row.keys()
        assert all(np.isfinite(row[k]) for k in training.METRIC_NAMES)
        assert 0 <= row["d_acc"] <= 1 and 0 <= row["g_acc"] <= 1
    assert json.loads((tmp_path / "history.json").read_text()) == history
    assert sorted(p.name for p in (tmp_path / "samples").glob("*.png")) == [
        "step_000020.png",
        "step_000040.png",
    ]
    assert np.load(tmp_path / "samples" / "step_000040.npy").shape == (25, 8, 8, 1)
    reloaded = keras.models.load_model(tmp_path / "generator.keras")
    noise = np.zeros((2, 8), "float32")
    np.testing.assert_allclose(reloaded(noise).numpy(), gan.generator(noise).numpy(), atol=1e-6)


def test_resumed_run_continues_from_checkpointed_step(make_tiny_gan, tmp_path, capsys):
    first = make_tiny_gan()
    _train(first, tmp_path, steps=20)
    saved_generator = _weights(first.generator)

    fresh = make_tiny_gan()  # as after a kernel restart: new networks, same run folder
    _train(fresh, tmp_path, steps=20)
    assert "already holds a finished run of 20 steps" in capsys.readouterr().out
    assert _unchanged(saved_generator, fresh.generator)

    history = _train(fresh, tmp_path, steps=40)
    assert "Resuming from step 20" in capsys.readouterr().out
    assert [row["step"] for row in history] == [10, 20, 30, 40]
    assert int(fresh.g_optimizer.iterations.numpy()) == 40
    assert history[-1]["seconds"] >= history[1]["seconds"]


def test_interrupted_writes_leave_previous_files_and_their_temporaries_are_removed(
    make_tiny_gan, tmp_path, capsys
):
    _train(make_tiny_gan(), tmp_path, steps=20)
    # A write killed mid-way leaves only its temporary file; the files it would have replaced are whole.
    (tmp_path / "checkpoints" / ".tmp-999-step_000030.npz").write_bytes(b"partial")
    (tmp_path / ".tmp-999-history.json").write_text("[{")
    resumed = make_tiny_gan()
    _train(resumed, tmp_path, steps=20)
    out = capsys.readouterr().out
    assert (
        "Removed 2 temporary file(s)" in out and "already holds a finished run of 20 steps" in out
    )
    assert int(resumed.g_optimizer.iterations.numpy()) == 20
    assert not list(tmp_path.rglob(".tmp-*"))


def test_resume_false_deletes_the_earlier_run_and_says_so(make_tiny_gan, tmp_path, capsys):
    _train(make_tiny_gan(), tmp_path, steps=40)
    again = make_tiny_gan()
    history = _train(again, tmp_path, steps=10, resume=False)
    assert "resume=False: deleted the earlier run" in capsys.readouterr().out
    assert [row["step"] for row in history] == [10]
    assert int(again.g_optimizer.iterations.numpy()) == 10
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == [
        "step_000010.npz"
    ]  # none of the old run


@pytest.mark.parametrize(
    "options, message",
    [
        ({"steps": 0}, r"steps must be a whole number > 0, got 0"),
        ({"steps": 20.9}, r"steps must be a whole number > 0, got 20.9"),
        ({"steps": 25}, r"steps=25 is not a multiple of log_interval=10"),
        (
            {"steps": 20, "sample_interval": 15},
            r"sample_interval=15 is not a multiple of log_interval=10",
        ),
        ({"steps": 20, "log_interval": -5}, r"log_interval must be a whole number > 0, got -5"),
        ({"steps": 20, "batch_size": 0}, r"batch_size must be a whole number > 0"),
    ],
)
def test_bad_training_arguments(make_tiny_gan, tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        _train(make_tiny_gan(), tmp_path / "run", **options)
    assert not (tmp_path / "run").exists()


def test_bad_gan_options_and_images(make_tiny_gan, tmp_path):
    with pytest.raises(ValueError, match=r"d_steps must be an integer >= 1 \(the D:G ratio\)"):
        make_tiny_gan(d_steps=0)
    with pytest.raises(ValueError, match=r"real_label must be in \(0.5, 1\]"):
        make_tiny_gan(real_label=1.2)
    with pytest.raises(ValueError, match=r"Expected images of shape \(N, 8, 8, 1\)"):
        runs.train(
            make_tiny_gan(), np.zeros((10, 28, 28, 1), "float32"), steps=10, run_dir=tmp_path
        )
    with pytest.raises(ValueError, match=r"Expected pixel values in \[-1, 1\]"):
        runs.train(
            make_tiny_gan(), np.full((10, 8, 8, 1), 255.0, "float32"), steps=10, run_dir=tmp_path
        )


def test_gan_augment_given_a_name_is_refused_with_what_to_pass(make_tiny_gan):
    with pytest.raises(
        TypeError, match=r"augment must be a function .*got 'translation'.*diff_augment"
    ):
        make_tiny_gan(augment="translation")


def test_tensorboard_where_a_file_is_named_tensorboard_is_refused_naming_it(
    make_tiny_gan, tmp_path
):
    (tmp_path / "tensorboard").write_text("notes")
    with pytest.raises(ValueError, match=r"tensorboard is a file, but tensorboard=True writes"):
        _train(make_tiny_gan(), tmp_path, steps=10, tensorboard=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tensorboard"]


@pytest.mark.parametrize(
    "callbacks, message",
    [
        (
            [print],
            r"callbacks\[0\] is <built-in function print>, not a Keras callback.*LambdaCallback",
        ),
        ([None], r"callbacks\[0\] is None, not a Keras callback"),
        (None, r"callbacks must be a list of Keras callbacks.*got None"),
    ],
)
def test_callbacks_that_are_not_keras_callbacks_are_refused(
    make_tiny_gan, tmp_path, callbacks, message
):
    with pytest.raises(TypeError, match=message):
        _train(make_tiny_gan(), tmp_path / "run", steps=10, callbacks=callbacks)
    assert not (tmp_path / "run").exists()


def test_a_single_callback_not_in_a_list_is_used(make_tiny_gan, tmp_path):
    epochs = []
    _train(
        make_tiny_gan(),
        tmp_path,
        steps=20,
        callbacks=keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: epochs.append(epoch)
        ),
    )
    assert epochs == [0, 1]


@pytest.mark.parametrize("grid_size", [0, -3, 2.5])
def test_a_grid_size_that_is_not_a_whole_number_is_refused(make_tiny_gan, tmp_path, grid_size):
    with pytest.raises(ValueError, match=rf"grid_size must be a whole number > 0, got {grid_size}"):
        _train(make_tiny_gan(), tmp_path / "run", steps=10, grid_size=grid_size)
    assert not (tmp_path / "run").exists()


def test_train_warns_about_images_in_zero_one(make_tiny_gan, tmp_path):
    with pytest.warns(UserWarning, match=r"All pixels lie in \[0, 1\].*x \* 2 - 1"):
        _train(make_tiny_gan(), tmp_path, steps=10, images=(_images() + 1) / 2)


def test_run_dir_that_is_a_file_is_refused(make_tiny_gan, tmp_path):
    target = tmp_path / "taken"
    target.write_text("keep me")
    with pytest.raises(ValueError, match="is a file; expected a folder"):
        _train(make_tiny_gan(), target, steps=10)
    assert target.read_text() == "keep me"


def test_conditional_steps_update_only_their_player_and_d_sees_the_labels(make_tiny_gan):
    gan = make_tiny_gan(num_classes=3)
    labels = np.arange(16) % 3
    real = _images(16)
    p_given = gan.discriminate(real, labels, training=False).numpy()
    p_other = gan.discriminate(real, (labels + 1) % 3, training=False).numpy()
    assert not np.allclose(p_given, p_other)  # D's verdict depends on the claimed class
    g_before, d_before = _weights(gan.generator), _weights(gan.discriminator)
    gan.discriminator_step(real, labels)
    assert _unchanged(g_before, gan.generator) and not _unchanged(d_before, gan.discriminator)
    d_before = _weights(gan.discriminator)
    gan.generator_step(16)
    assert _unchanged(d_before, gan.discriminator) and not _unchanged(g_before, gan.generator)


def test_conditional_run_draws_one_row_per_class(make_tiny_gan, tmp_path):
    gan = make_tiny_gan(num_classes=3)
    labels = np.arange(64) % 3
    history = _train(gan, tmp_path, steps=20, labels=labels, grid_size=4)
    assert history[-1]["step"] == 20 and np.isfinite(history[-1]["g_loss"])
    grid = np.load(tmp_path / "samples" / "step_000020.npy")
    noise, grid_labels = runs.fixed_grid_inputs(gan, grid_size=4)
    assert grid.shape == (12, 8, 8, 1)
    np.testing.assert_array_equal(grid_labels, np.repeat([0, 1, 2], 4))
    # each column keeps its noise across the rows
    np.testing.assert_array_equal(noise[:4], noise[4:8])
    np.testing.assert_allclose(grid, gan.generate(noise, grid_labels).numpy(), atol=1e-5)


@pytest.mark.parametrize(
    "labels, message",
    [
        (None, "conditional GAN trains on labelled images"),
        (np.arange(64) % 5, r"integers in \[0, 3\)"),
        (np.zeros(10, "int64"), r"labels of shape \(64,\)"),
    ],
)
def test_conditional_run_refuses_missing_or_bad_labels(make_tiny_gan, tmp_path, labels, message):
    with pytest.raises(ValueError, match=message):
        _train(make_tiny_gan(num_classes=3), tmp_path, steps=10, labels=labels)


def test_networks_must_match_the_conditioning():
    from gan_helpers import models

    plain = models.dense_generator(latent_dim=8, units=(16,), image_shape=(8, 8, 1))
    conditional_d = models.dense_discriminator(
        image_shape=(8, 8, 1), units=(16,), dropout_rates=(0.3,), num_classes=3
    )
    with pytest.raises(ValueError, match="Expected two inputs"):
        training.GAN(plain, conditional_d, num_classes=3)
    with pytest.raises(ValueError, match="Expected one input"):
        training.GAN(plain, conditional_d)


def test_wrong_labels_are_always_another_class(make_tiny_gan):
    gan = make_tiny_gan(num_classes=3, mismatched_real=True)
    labels = np.arange(3000) % 3
    wrong = gan.wrong_labels(labels).numpy()
    assert not np.any(wrong == labels) and set(wrong) == {0, 1, 2}
    for label in range(3):  # the other two classes, equally often
        counts = np.bincount(wrong[labels == label], minlength=3)
        assert counts[label] == 0 and abs(counts[(label + 1) % 3] - counts[(label + 2) % 3]) < 100


def _label_match_gap(make_tiny_gan, mismatched_real, steps=150):
    """Train only D on images whose class is visible (class k lights row k) and return mean p(real | its own
    label) - mean p(real | a wrong label) on those images."""
    labels = np.arange(48) % 3
    images = np.full((48, 8, 8, 1), -1.0, "float32")
    images[np.arange(48), labels * 3, :, 0] = 1.0
    keras.utils.set_random_seed(1)
    gan = make_tiny_gan(num_classes=3, dropout_rates=(), mismatched_real=mismatched_real, seed=1)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-3))
    discriminator_step = tf.function(gan.discriminator_step)
    for _ in range(steps):
        discriminator_step(images, labels)
    p_right = gan.discriminate(images, labels, training=False).numpy().mean()
    p_wrong = gan.discriminate(images, (labels + 1) % 3, training=False).numpy().mean()
    return p_right - p_wrong


def test_mismatched_real_teaches_d_to_check_the_label(make_tiny_gan):
    with_mismatch = _label_match_gap(make_tiny_gan, mismatched_real=True)
    without = _label_match_gap(make_tiny_gan, mismatched_real=False)
    assert with_mismatch > 0.5, with_mismatch
    assert with_mismatch > without + 0.5, (with_mismatch, without)


def test_mismatched_real_needs_labels(make_tiny_gan):
    with pytest.raises(ValueError, match="mismatched_real needs a conditional GAN"):
        make_tiny_gan(mismatched_real=True)


def test_real_batches_are_shuffled_draws_of_the_images_without_the_autotuner():
    images = np.arange(64, dtype="float32").reshape(64, 1, 1, 1) / 64
    batches = data.real_image_batches(images, 16)
    drawn = np.concatenate([b.numpy().ravel() for b in batches.take(8)])
    assert drawn.shape == (128,) and set(drawn) <= set(images.ravel())
    assert not np.array_equal(drawn[:64], images.ravel())  # shuffled, not in stored order
    assert batches.options().autotune.enabled is False  # it slowed fit() by ~25 % on 2 cores


def _train(gan, run_dir, steps, images=None, **options):
    options = {
        "batch_size": 8,
        "log_interval": 10,
        "sample_interval": 10 if steps % 20 else 20,
        "show_samples": False,
        **options,
    }
    images = _images() if images is None else images
    return runs.train(gan, images, steps=steps, run_dir=run_dir, **options)
