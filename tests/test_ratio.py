"""The D:G training ratio in both directions: ``d_steps`` D updates or ``g_steps`` G updates per step."""

import numpy as np
import pytest
from keras import ops

from gan_helpers import config, runs, settings


def _images(count=64, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, 8, 8, 1)).astype("float32")


def _train(gan, run_dir, steps):
    return runs.train(
        gan,
        _images(),
        steps=steps,
        run_dir=run_dir,
        batch_size=8,
        sample_interval=5,
        log_interval=5,
        show_samples=False,
        progress=False,
    )


@pytest.mark.parametrize(
    ("ratio", "d_updates", "g_updates"),
    [({"g_steps": 3}, 2, 6), ({"d_steps": 3}, 6, 2), ({}, 2, 2)],
    ids=["1:3", "3:1", "1:1"],
)
def test_each_step_makes_d_steps_d_updates_and_g_steps_g_updates(
    make_tiny_gan, ratio, d_updates, g_updates
):
    gan = make_tiny_gan(**ratio)
    for _ in range(2):  # fit() hands train_step batches of d_steps * batch_size real images
        gan.train_step(ops.convert_to_tensor(_images(8 * gan.settings.d_steps)))
    assert int(gan.d_optimizer.iterations) == d_updates
    assert int(gan.g_optimizer.iterations) == g_updates


def _without_times(history):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


def _rate(optimizer):
    return float(np.asarray(optimizer.learning_rate))


def _seeded_tiny_gan(make_tiny_gan, weights_seed):
    config.seed_everything(weights_seed)
    return make_tiny_gan(g_steps=3, seed=4)


def test_a_resumed_g_steps_run_matches_an_uninterrupted_one(make_tiny_gan, tmp_path):
    uninterrupted = _seeded_tiny_gan(make_tiny_gan, 0)
    history = _train(uninterrupted, tmp_path / "whole", 10)

    _train(_seeded_tiny_gan(make_tiny_gan, 0), tmp_path / "cut", 5)
    resumed = _seeded_tiny_gan(
        make_tiny_gan, 1
    )  # other weights: only the checkpoint can make it match
    resumed_history = _train(resumed, tmp_path / "cut", 10)

    assert int(resumed.g_optimizer.iterations) == 30 and int(resumed.d_optimizer.iterations) == 10
    for a, b in zip(uninterrupted.variables, resumed.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert _without_times(history) == _without_times(resumed_history)


def test_g_learning_rate_decays_to_zero_over_the_steps_not_the_updates(make_tiny_gan):
    gan = make_tiny_gan(g_steps=2, decay_steps=10)
    for _ in range(5):
        gan.train_step(ops.convert_to_tensor(_images(8)))
    # halfway through the decay, both players' rates are at half, whatever their updates per step
    assert _rate(gan.g_optimizer) == pytest.approx(settings.LITERAL.g_learning_rate / 2)
    assert _rate(gan.d_optimizer) == pytest.approx(settings.LITERAL.d_learning_rate / 2)


@pytest.mark.parametrize(
    "value, error", [(0, ValueError), (1.5, ValueError), (-2, ValueError), (True, TypeError)]
)
def test_g_steps_must_be_a_whole_number_of_at_least_one(value, error):
    with pytest.raises(error, match=r"g_steps must be .*an integer >= 1 \(G updates per step\)"):
        settings.BALANCED.replace(g_steps=value)


def test_more_than_one_update_on_both_sides_is_refused_with_the_two_ways_to_say_it():
    with pytest.raises(ValueError, match=r"d_steps=2 and g_steps=3.*d_steps=3 \(3:1.*g_steps=10"):
        settings.BALANCED.replace(d_steps=2, g_steps=3)
    assert settings.BALANCED.replace(g_steps=10).g_steps == 10
