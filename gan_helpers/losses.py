"""What each player of a GAN minimises: one object per loss, on D's logits.

Every discriminator here ends in the spec's sigmoid, D(x) = sigmoid(z(x)), and the trainer reads the logit
z before it (``models.logit_model``). Each loss is written on logits, for two reasons: binary cross-entropy
computed from z is exact where D is sure (from probabilities it must clip them, and the clipped part has no
gradient), and the hinge and Wasserstein losses need D's unbounded score, not a probability.

A loss gives, per image (the trainer averages them over the batch):

- ``discriminator(real, fake, mismatched=None)``: D's objective from the logits (N, 1) of real images, of
  generated ones, and, for a matching-aware conditional D, of real images under wrong labels (they count as
  fake: the fake part becomes the mean of the two).
- ``generator(fake)``: G's objective from the logits (N, 1) of its images.
- ``penalty(critic, real_images, fake_images, mixing)``: an extra term of D's objective on D's gradient
  (WGAN-GP's), or None for losses without one.
- ``divergence_bound``: the largest |loss| (a step's mean, D's or G's) a healthy run of this loss reaches;
  a run beyond it has diverged, however finite its numbers.

``LOSSES`` names them; ``Settings.loss`` picks one by name. ``r1_penalty`` is the loss-independent R1
regulariser that ``Settings.r1_weight`` adds to any of them.
"""

from __future__ import annotations

import tensorflow as tf
from keras import ops


def _gradient_square_norms(critic, images):
    """||d critic(x_i) / d x_i||^2 for each image x_i: (N,) float32. ``critic`` maps images (N, H, W, C) to
    logits (N, 1). The inner tape is recorded by any outer one, so the result can be differentiated again
    (a second-order gradient) for D's update."""
    with tf.GradientTape() as tape:
        tape.watch(images)
        total = ops.sum(critic(images))  # each image's score depends on that image alone
    gradients = tape.gradient(total, images)
    return ops.sum(ops.square(gradients), axis=tuple(range(1, len(images.shape))))


def r1_penalty(critic, real_images):
    """R1 (Mescheder et al., 2018): 1/2 ||grad_x D(x)||^2 on real images, per image (N,). Pushing D's gradient
    at the data to zero keeps D from growing steep walls around the real images that G cannot climb."""
    return 0.5 * _gradient_square_norms(critic, real_images)


class Loss:
    """A GAN loss on D's logits. Subclasses give ``real_part``, ``fake_part`` and ``generator``, each per
    image: D's objective is ``real_part(real) + fake_part(fake)``."""

    name: str
    axis_label: str  # what a plot of the losses calls their values
    divergence_bound: float
    penalty = None

    def discriminator(self, real, fake, mismatched=None):
        """D's objective per image (N,) from logits (N, 1); real images under wrong labels (``mismatched``)
        count as fake, half and half with the generated ones."""
        fake_part = self.fake_part(fake)
        if mismatched is not None:
            fake_part = 0.5 * (fake_part + self.fake_part(mismatched))
        return self.real_part(real) + fake_part

    def __repr__(self):
        return f"{type(self).__name__}()"


class NonSaturating(Loss):
    """Binary cross-entropy, G's "non-saturating" form (Goodfellow et al., 2014), with one-sided label
    smoothing; the assignment's loss. With p = sigmoid(z):

        D: 1/2 [BCE(t, p_real) + BCE(0, p_fake)],   G: BCE(1, p_fake) = -log p_fake

    where BCE(y, p) = -(y log p + (1 - y) log(1 - p)) and t is ``real_label`` (1; 0.9 smooths). G's loss is
    what the assignment's stacked "GAN" model minimises when it trains G on fakes labelled 1. Bound: a mean
    loss of 100 means D gives the losing side a probability of e^-100.
    """

    name = "bce"
    axis_label = "binary cross-entropy"
    divergence_bound = 100.0

    def __init__(self, real_label: float = 1.0):
        self.real_label = float(real_label)

    def real_part(self, real):
        # BCE(t, sigmoid(z)) = t softplus(-z) + (1 - t) softplus(z), exact for any z
        t = self.real_label
        return 0.5 * ops.squeeze(t * ops.softplus(-real) + (1.0 - t) * ops.softplus(real), -1)

    def fake_part(self, fake):
        return 0.5 * ops.squeeze(ops.softplus(fake), -1)

    def generator(self, fake):
        return ops.squeeze(ops.softplus(-fake), -1)

    def __repr__(self):
        return f"NonSaturating(real_label={self.real_label})"


class Hinge(Loss):
    """The hinge loss (Lim and Ye, 2017; Miyato et al., 2018):

        D: max(0, 1 - z_real) + max(0, 1 + z_fake),   G: -z_fake

    D stops pushing an image once it is past the margin (z > 1 real, z < -1 fake), so it spends its capacity
    on the images it still gets wrong. Bound: a mean of 100 is a score 100 past the margin.
    """

    name = "hinge"
    axis_label = "hinge loss"
    divergence_bound = 100.0

    def real_part(self, real):
        return ops.squeeze(ops.relu(1.0 - real), -1)

    def fake_part(self, fake):
        return ops.squeeze(ops.relu(1.0 + fake), -1)

    def generator(self, fake):
        return ops.squeeze(-fake, -1)


class LeastSquares(Loss):
    """Least squares (Mao et al., 2017), with targets -1 for fakes and +1 for real images, so the sign of
    the score is D's verdict as in the other losses:

        D: 1/2 (z_real - 1)^2 + 1/2 (z_fake + 1)^2,   G: 1/2 (z_fake - 1)^2

    Unlike the cross-entropy, the square keeps pulling fakes that D already calls real towards the real
    ones. Bound: a mean of 100 is a score about 14 away from its target.
    """

    name = "least-squares"
    axis_label = "squared error"
    divergence_bound = 100.0

    def real_part(self, real):
        return 0.5 * ops.squeeze(ops.square(real - 1.0), -1)

    def fake_part(self, fake):
        return 0.5 * ops.squeeze(ops.square(fake + 1.0), -1)

    def generator(self, fake):
        return 0.5 * ops.squeeze(ops.square(fake - 1.0), -1)


class WassersteinGP(Loss):
    """Wasserstein loss with gradient penalty (Gulrajani et al., 2017). D (the "critic") scores; the gap
    between its mean scores of real and fake images estimates the Wasserstein distance when D is
    1-Lipschitz, which the penalty asks for on lines between real and fake images:

        D: z_fake - z_real + drift z_real^2,   G: -z_fake,
        penalty: weight (||grad D(x_mix)|| - 1)^2,  x_mix = a x_real + (1 - a) x_fake,  a ~ U[0, 1) per image

    The small drift term (Karras et al., 2018) keeps the scores near 0; without it they wander freely, since
    only their differences matter, and no bound could tell a healthy run from a diverged one. The paper
    trains with Adam beta_1 0, beta_2 0.9 and 5 D updates per G update (``Settings`` has all three). Bound: a
    mean loss of 10,000. A critic of gradient norm 1 scores two images at most their distance apart, and
    images in [-1, 1] are at most 2 sqrt(H W C) apart (56 for MNIST, 887 at 256x256x3), while the drift
    term keeps the scores themselves near 0. A critic with batch normalization (the
    halving-width D) mixes the images of a batch, which the per-image penalty assumes it does not: it still
    trains, but the paper advises against it.
    """

    name = "wgan-gp"
    axis_label = "critic score gap + penalty"
    divergence_bound = 10_000.0

    def __init__(self, weight: float = 10.0, drift: float = 1e-3):
        self.weight, self.drift = float(weight), float(drift)

    def real_part(self, real):
        return ops.squeeze(self.drift * ops.square(real) - real, -1)

    def fake_part(self, fake):
        return ops.squeeze(fake, -1)

    def generator(self, fake):
        return ops.squeeze(-fake, -1)

    def penalty(self, critic, real_images, fake_images, mixing):
        """weight (||grad critic(x_mix)|| - 1)^2 per image (N,), with ``mixing`` (N,) in [0, 1] the share of
        the real image in each mix."""
        a = ops.reshape(mixing, (-1,) + (1,) * (len(real_images.shape) - 1))
        mixed = a * real_images + (1.0 - a) * fake_images
        norms = ops.sqrt(_gradient_square_norms(critic, mixed) + 1e-12)
        return self.weight * ops.square(norms - 1.0)

    def __repr__(self):
        return f"WassersteinGP(weight={self.weight}, drift={self.drift})"


LOSSES = {loss.name: loss for loss in (NonSaturating, Hinge, WassersteinGP, LeastSquares)}


def get(name: str, real_label: float = 1.0) -> Loss:
    """The loss called ``name`` (one of ``LOSSES``); ``real_label`` below 1 smooths the real target, which
    only the cross-entropy ("bce") has.

    Raises:
        ValueError: an unknown name, or label smoothing asked of a loss without a target label.
    """
    if name not in LOSSES:
        raise ValueError(f"Unknown loss {name!r}; expected one of {sorted(LOSSES)}.")
    if name == NonSaturating.name:
        return NonSaturating(real_label)
    if real_label != 1.0:
        raise ValueError(
            f"real_label={real_label} smooths the real target of the cross-entropy, but the {name!r} loss "
            f"has no target label. Pass real_label=1.0 with loss={name!r}, or use loss='bce'."
        )
    return LOSSES[name]()
