import dataclasses
import json

import numpy as np
import pytest

from gan_helpers import runs, settings
from gan_helpers.settings import BALANCED, DENSE_MNIST, LITERAL


def test_literal_is_the_assignment_listing_and_balanced_changes_three_values():
    assert (LITERAL.real_label, LITERAL.d_learning_rate, LITERAL.d_beta_1) == (1.0, 2e-4, 0.5)
    assert (LITERAL.g_learning_rate, LITERAL.g_beta_1, LITERAL.d_steps) == (1e-3, 0.9, 1)
    changed = {
        f.name
        for f in dataclasses.fields(LITERAL)
        if getattr(LITERAL, f.name) != getattr(BALANCED, f.name)
    }
    assert changed == {"real_label", "g_learning_rate", "g_beta_1", "ema"}
    assert (BALANCED.real_label, BALANCED.g_learning_rate, BALANCED.g_beta_1) == (0.9, 2e-4, 0.5)


def test_the_dense_default_is_balanced_with_g_s_learning_rate_above_d_s():
    assert BALANCED.replace(d_learning_rate=3e-4, g_learning_rate=6e-4) == DENSE_MNIST
    # the assignment's rule: the stacked model's (G's) learning rate is higher than D's
    assert DENSE_MNIST.g_learning_rate > DENSE_MNIST.d_learning_rate


def test_settings_are_frozen_and_replace_makes_a_copy():
    with pytest.raises(dataclasses.FrozenInstanceError):
        BALANCED.d_steps = 3
    two_to_one = BALANCED.replace(d_steps=2)
    assert two_to_one.d_steps == 2 and BALANCED.d_steps == 1


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"real_label": 0.4}, r"real_label must be in \(0.5, 1\]"),
        ({"g_learning_rate": 0.0}, r"g_learning_rate must be in \(0, 1\)"),
        ({"d_beta_1": 1.5}, r"d_beta_1 must be in \[0, 1\)"),
        ({"d_steps": 1.5}, r"d_steps must be an integer >= 1 \(the D:G ratio\), got 1.5"),
        ({"d_steps": 0}, "d_steps must be an integer >= 1"),
        ({"ema": float("nan")}, r"ema must be a decay in \(0, 1\)"),
        ({"lr": 1e-3}, r"Unknown setting\(s\) \['lr'\]; expected some of"),
        ({"ema": 1.0}, r"ema must be a decay in \(0, 1\)"),
        ({"noise": "gaussian"}, r"noise must be one of \('normal', 'uniform'\)"),
    ],
)
def test_impossible_settings_say_what_is_expected(changes, message):
    with pytest.raises(ValueError, match=message):
        BALANCED.replace(**changes)


def test_gan_takes_a_settings_set_and_single_overrides(make_tiny_gan):
    gan = make_tiny_gan()  # the conftest factory builds training.GAN with the default settings
    assert gan.settings == LITERAL
    tuned = make_tiny_gan(real_label=0.9, d_steps=2)
    assert tuned.settings == LITERAL.replace(real_label=0.9, d_steps=2)
    assert float(tuned.d_optimizer.learning_rate) == pytest.approx(LITERAL.d_learning_rate)


def test_table_prints_both_sets_and_marks_the_differences():
    lines = LITERAL.table(BALANCED, ("A", "B")).splitlines()
    assert lines[0].split() == ["A", "B"]
    differing = [line.split()[0] for line in lines[1:] if line.endswith("<- differs")]
    assert differing == ["real_label", "g_learning_rate", "g_beta_1", "ema"]
    assert len(lines) == 1 + len(dataclasses.fields(settings.Settings))


def test_decay_steps_lower_both_learning_rates_linearly_to_zero(make_tiny_gan):
    import numpy as np

    gan = make_tiny_gan(decay_steps=10, d_steps=2)
    images = np.random.default_rng(0).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    for _ in range(4):
        gan.train_step(images)
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(LITERAL.g_learning_rate * 0.6)
    # 8 of 20 updates
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(LITERAL.d_learning_rate * 0.6)
    with pytest.raises(ValueError, match="decay_steps must be a whole number >= 1"):
        LITERAL.replace(decay_steps=0)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"real_label": "0.9"}, r"real_label must be a number, in \(0.5, 1\]; got '0.9' \(a str\)"),
        (
            {"d_learning_rate": "2e-4"},
            r"d_learning_rate must be a number, .* Write it without quotes",
        ),
        ({"d_steps": "2"}, r"d_steps must be a number, an integer >= 1 .*; got '2' \(a str\)"),
        ({"d_steps": True}, r"d_steps must be a number, .* got True \(a bool\)"),
        ({"ema": "0.999"}, r"ema must be a number, a decay in \(0, 1\)"),
        ({"noise": 1}, r"noise must be one of \('normal', 'uniform'\), got 1"),
    ],
)
def test_a_value_of_the_wrong_kind_is_a_type_error_naming_the_field(changes, message):
    with pytest.raises(TypeError, match=message):
        BALANCED.replace(**changes)


def test_numpy_scalars_are_stored_as_python_numbers():
    tuned = BALANCED.replace(
        d_steps=np.int64(2), g_learning_rate=np.float32(1e-3), real_label=1, decay_steps=np.int32(9)
    )
    assert (type(tuned.d_steps), type(tuned.decay_steps)) == (int, int)
    assert (type(tuned.g_learning_rate), type(tuned.real_label)) == (float, float)
    assert json.loads(json.dumps(dataclasses.asdict(tuned)))["d_steps"] == 2


def test_numpy_scalar_settings_train_and_checkpoint(make_tiny_gan, tmp_path):
    """np.int64 d_steps once broke the first checkpoint (JSON), np.float32 rates Keras' compile."""
    gan = make_tiny_gan(d_steps=np.int64(2), g_learning_rate=np.float32(1e-3))
    images = np.random.default_rng(0).uniform(-1, 1, (32, 8, 8, 1)).astype("float32")
    history = runs.train(
        gan, images, steps=2, run_dir=tmp_path, batch_size=4, sample_interval=2, show_samples=False
    )
    assert history[-1]["step"] == 2 and list((tmp_path / "checkpoints").glob("step_*.npz"))


def test_every_setting_has_a_rule():
    assert set(settings.RULES) == {field.name for field in dataclasses.fields(settings.Settings)}
