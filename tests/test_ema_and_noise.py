"""The moving average of G's weights (settings.ema) and the noise distribution (settings.noise)."""

import numpy as np
import pytest

from gan_helpers import runs, sampling
from gan_helpers.run_folder import RunFolder


def _images(count=64):
    return np.random.default_rng(0).uniform(-1, 1, (count, 8, 8, 1)).astype("float32")


def test_ema_weights_equal_the_closed_form_average_after_k_steps(make_tiny_gan):
    gan = make_tiny_gan(ema=0.9)
    start = [w.copy() for w in gan.ema_generator.get_weights()]
    # it starts as a copy of G
    np.testing.assert_array_equal(start[0], gan.generator.get_weights()[0])
    live_after_step = []
    for _ in range(12):
        gan.generator_step(16)
        live_after_step.append([w.copy() for w in gan.generator.get_weights()])
    # ema_k = prod(d_1..d_k) w_0 + sum_t (1 - d_t) prod(d_{t+1}..d_k) w_t, with d_t = min(0.9, (1 + t) / (10 + t)).
    decays = [min(0.9, (1 + t) / (10 + t)) for t in range(1, 13)]
    for index, initial in enumerate(start):
        expected = np.prod(decays) * initial
        for t, live in enumerate(live_after_step):
            expected = expected + (1 - decays[t]) * np.prod(decays[t + 1 :]) * live[index]
        np.testing.assert_allclose(
            gan.ema_generator.get_weights()[index], expected, rtol=1e-5, atol=1e-6
        )


def test_without_ema_there_is_no_average_and_the_sampling_generator_is_g(make_tiny_gan):
    gan = make_tiny_gan()
    assert gan.ema_generator is None and gan.sampling_generator is gan.generator


def test_ema_draws_the_grids_and_is_saved_as_generator_with_the_live_g_beside_it(
    make_tiny_gan, tmp_path
):
    gan = make_tiny_gan(ema=0.99)
    runs.train(
        gan,
        _images(),
        steps=20,
        run_dir=tmp_path,
        batch_size=8,
        log_interval=10,
        sample_interval=10,
        show_samples=False,
    )
    run = RunFolder(tmp_path)
    noise, _ = runs.fixed_grid_inputs(gan)
    np.testing.assert_allclose(run.final_grid(), gan.ema_generator(noise).numpy(), atol=1e-6)
    assert not np.allclose(run.final_grid(), gan.generator(noise).numpy(), atol=1e-3)
    np.testing.assert_allclose(
        run.generator()(noise).numpy(), gan.ema_generator(noise).numpy(), atol=1e-6
    )
    live = sampling.load_generator(run.live_generator_file)
    np.testing.assert_allclose(live(noise).numpy(), gan.generator(noise).numpy(), atol=1e-6)


def test_resume_gives_the_same_ema_as_an_uninterrupted_run(make_tiny_gan, tmp_path):
    import keras

    def fresh():
        keras.utils.set_random_seed(0)
        return make_tiny_gan(ema=0.95)

    options = {"batch_size": 8, "log_interval": 10, "sample_interval": 10, "show_samples": False}
    straight = fresh()
    runs.train(straight, _images(), steps=40, run_dir=tmp_path / "straight", **options)
    runs.train(fresh(), _images(), steps=20, run_dir=tmp_path / "stopped", **options)
    resumed = fresh()  # a new process would build this from scratch too
    runs.train(resumed, _images(), steps=40, run_dir=tmp_path / "stopped", **options)
    for a, b in zip(
        straight.ema_generator.get_weights(), resumed.ema_generator.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_uniform_noise_in_the_trainer_and_in_sampling(make_tiny_gan):
    gan = make_tiny_gan(noise="uniform")
    drawn = gan.sample_noise(4000).numpy()
    assert -1.0 <= drawn.min() < -0.99 and 0.99 < drawn.max() <= 1.0 and abs(drawn.mean()) < 0.02
    grid_noise, _ = runs.fixed_grid_inputs(gan)
    assert grid_noise.min() >= -1.0 and grid_noise.max() <= 1.0
    numpy_drawn = sampling.noise(4000, 8, seed=1, distribution="uniform")
    assert abs(numpy_drawn.std() - drawn.std()) < 0.02  # both uniform on [-1, 1]: std 1/sqrt(3)
    normal = make_tiny_gan().sample_noise(4000).numpy()
    assert normal.std() == pytest.approx(1.0, abs=0.03) and np.abs(normal).max() > 2.5
    with pytest.raises(ValueError, match="distribution must be one of"):
        sampling.noise(3, 8, distribution="gaussian")
