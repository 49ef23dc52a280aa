"""The losses (gan_helpers.losses) on known logits, their penalties on a critic whose gradient is known, and
the minibatch standard-deviation feature."""

import numpy as np
import pytest
import tensorflow as tf

from gan_helpers import losses, models


def _logits(*values):
    return tf.constant(np.asarray(values, "float32").reshape(-1, 1))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, "float64")))


def test_bce_matches_cross_entropy_on_probabilities():
    real, fake = [2.0, -0.5, 0.3], [-1.0, 0.7, 0.0]
    loss = losses.get("bce")
    p_real, p_fake = _sigmoid(real), _sigmoid(fake)
    expected_d = 0.5 * (-np.log(p_real) - np.log(1 - p_fake))
    np.testing.assert_allclose(
        loss.discriminator(_logits(*real), _logits(*fake)), expected_d, rtol=1e-5
    )
    np.testing.assert_allclose(loss.generator(_logits(*fake)), -np.log(p_fake), rtol=1e-5)


def test_bce_stays_exact_where_d_is_sure():
    """From probabilities, a loss must clip p (Keras at 1e-7, a loss of 16.1) and loses the gradient there;
    from the logit it is exact: z = -200 costs 200 and still has gradient -1."""
    fake = tf.Variable([[-200.0]])
    with tf.GradientTape() as tape:
        loss = losses.get("bce").generator(fake)
    assert float(loss[0]) == pytest.approx(200.0)
    assert float(tape.gradient(loss, fake)[0, 0]) == pytest.approx(-1.0)


def test_label_smoothing_moves_the_real_target():
    """BCE(t, p) - BCE(1, p) = (1 - t) z: with t = 0.9, D's loss (half real, half fake) grows by 0.05 z."""
    real, fake = _logits(2.0, -1.0), _logits(0.0, 0.0)
    hard = losses.get("bce").discriminator(real, fake)
    smooth = losses.get("bce", real_label=0.9).discriminator(real, fake)
    np.testing.assert_allclose(np.asarray(smooth) - np.asarray(hard), [0.1, -0.05], atol=1e-6)


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_mismatched_real_images_count_as_fake_half_and_half(name):
    loss = losses.get(name)
    real, fake, mismatched = _logits(0.5, -0.2), _logits(-0.3, 1.1), _logits(0.9, -2.0)
    both = loss.discriminator(real, fake, mismatched)
    as_fake = 0.5 * (
        np.asarray(loss.discriminator(real, fake))
        + np.asarray(loss.discriminator(real, mismatched))
    )
    np.testing.assert_allclose(both, as_fake, rtol=1e-6)


def test_hinge_ignores_images_past_the_margin():
    loss = losses.get("hinge")
    np.testing.assert_allclose(
        loss.discriminator(_logits(3.0, 0.5), _logits(-2.0, 0.0)), [0.0, 0.5 + 1.0]
    )
    np.testing.assert_allclose(loss.generator(_logits(-2.0, 0.5)), [2.0, -0.5])


def test_least_squares_is_zero_at_its_targets_and_signs_decide():
    loss = losses.get("least-squares")
    np.testing.assert_allclose(loss.discriminator(_logits(1.0), _logits(-1.0)), [0.0])
    np.testing.assert_allclose(loss.discriminator(_logits(0.0), _logits(0.0)), [1.0])
    np.testing.assert_allclose(loss.generator(_logits(1.0, -1.0)), [0.0, 2.0])


def test_wasserstein_scores_the_gap_with_a_small_drift():
    loss = losses.get("wgan-gp")
    np.testing.assert_allclose(
        loss.discriminator(_logits(2.0), _logits(-1.0)), [-1.0 - 2.0 + 1e-3 * 4.0], rtol=1e-6
    )
    np.testing.assert_allclose(loss.generator(_logits(-1.0)), [1.0])


def _linear_critic(norm):
    """A critic z(x) = w . x with ||w|| = norm: its gradient is w at every image."""
    direction = np.random.default_rng(0).standard_normal((4, 4, 1)).astype("float32")
    w = tf.Variable(direction / np.linalg.norm(direction) * norm)
    return w, lambda images: tf.reduce_sum(images * w, axis=(1, 2, 3))[:, None]


@pytest.mark.parametrize("norm", [1.0, 3.0])
def test_gradient_penalty_asks_for_a_unit_gradient_and_is_differentiable_twice(norm):
    w, critic = _linear_critic(norm)
    rng = np.random.default_rng(1)
    real, fake = (tf.constant(rng.uniform(-1, 1, (5, 4, 4, 1)), "float32") for _ in range(2))
    mixing = tf.constant(rng.uniform(0, 1, 5), "float32")
    with tf.GradientTape() as tape:
        penalty = losses.get("wgan-gp").penalty(critic, real, fake, mixing)
        mean = tf.reduce_mean(penalty)
    np.testing.assert_allclose(penalty, np.full(5, 10.0 * (norm - 1.0) ** 2), atol=1e-4)
    # d/dw 10 (||w|| - 1)^2 = 20 (||w|| - 1) w / ||w||
    np.testing.assert_allclose(
        tape.gradient(mean, w), 20.0 * (norm - 1.0) * w.numpy() / norm, atol=1e-4
    )


def test_r1_penalty_is_half_the_squared_gradient_at_the_real_images():
    w, critic = _linear_critic(3.0)
    real = tf.constant(np.random.default_rng(2).uniform(-1, 1, (5, 4, 4, 1)), "float32")
    with tf.GradientTape() as tape:
        penalty = losses.r1_penalty(critic, real)
        mean = tf.reduce_mean(penalty)
    np.testing.assert_allclose(penalty, np.full(5, 4.5), rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(mean, w), w.numpy(), rtol=1e-5)


def test_only_the_wasserstein_loss_has_a_penalty_and_every_loss_a_bound():
    assert sorted(losses.LOSSES) == ["bce", "hinge", "least-squares", "wgan-gp"]
    for name in losses.LOSSES:
        loss = losses.get(name)
        assert (loss.penalty is not None) == (name == "wgan-gp")
        assert isinstance(loss.divergence_bound, float) and loss.divergence_bound > 1.0


def test_unknown_loss_and_smoothing_a_loss_without_labels_are_refused():
    with pytest.raises(ValueError, match=r"Unknown loss 'wgan'; expected one of \['bce'"):
        losses.get("wgan")
    with pytest.raises(ValueError, match=r"'hinge' loss has no target label. Pass real_label=1.0"):
        losses.get("hinge", real_label=0.9)


# --- The minibatch standard-deviation feature --------------------------------------------------------


def test_minibatch_std_feature_is_each_groups_mean_deviation():
    x = np.random.default_rng(3).standard_normal((8, 5)).astype("float32")
    x[4:] = x[4]  # the second group of 4 has collapsed onto one image
    out = np.asarray(models.MinibatchStdDev(group_size=4)(x))
    assert out.shape == (8, 6)
    np.testing.assert_array_equal(out[:, :5], x)
    np.testing.assert_allclose(out[:4, 5], x[:4].std(axis=0).mean(), rtol=1e-4)
    np.testing.assert_allclose(out[4:, 5], 1e-4, rtol=1e-3)  # sqrt of the 1e-8 that keeps it smooth


def test_minibatch_std_uses_the_whole_batch_when_groups_do_not_fit_and_maps_images():
    images = np.random.default_rng(4).standard_normal((6, 2, 2, 3)).astype("float32")
    out = np.asarray(models.MinibatchStdDev(group_size=4)(images))
    assert out.shape == (6, 2, 2, 4)
    np.testing.assert_allclose(out[..., 3], images.reshape(6, -1).std(axis=0).mean(), rtol=1e-4)


def test_logit_model_reads_the_logit_before_the_sigmoid():
    discriminator = models.dense_discriminator(image_shape=(8, 8, 1), units=(16,), dropout_rates=())
    assert [layer.name for layer in discriminator.layers[-2:]] == ["logit", "sigmoid"]
    images = np.random.default_rng(5).uniform(-1, 1, (4, 8, 8, 1)).astype("float32")
    logits = np.asarray(models.logit_model(discriminator)(images))
    np.testing.assert_allclose(_sigmoid(logits), discriminator(images), rtol=1e-5)


def test_logit_model_refuses_a_discriminator_without_its_own_sigmoid_layer():
    import keras

    images = keras.Input((8, 8, 1))
    fused = keras.Model(
        images, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(images))
    )
    with pytest.raises(ValueError, match="last layer is a sigmoid of its own"):
        models.logit_model(fused)
