"""The adversarial settings of a GAN run, in one place: what the two players learn with and how they take turns.

Two named sets, used by the recipes, the notebooks, the benchmarks and the tests:

- ``LITERAL``: the assignment's listing, as written.
- ``BALANCED``: what the DCGAN recipes train with by default;
- ``DENSE_MNIST``: ``BALANCED`` with faster learning rates, for the assignment's dense networks (notebook 01's
  run B and ``recipes.dense_mnist_gan``).

Change one field with ``dataclasses.replace(BALANCED, g_learning_rate=4e-4)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from . import losses

# G's input: "normal" is the standard normal, "uniform" is uniform in [-1, 1] (as some labs draw it). The
# trainer and the sampling helpers both read ``Settings.noise``, so a generator is sampled as it was trained.
NOISE_DISTRIBUTIONS = ("normal", "uniform")


@dataclass(frozen=True)
class Settings:
    """How a GAN trains.

    Attributes:
        real_label: D's target for real images, in (0.5, 1]; below 1 is one-sided label smoothing (0.9).
        d_learning_rate, d_beta_1: the discriminator's Adam.
        g_learning_rate, g_beta_1: the generator's Adam (the assignment's "GAN" optimizer).
        d_steps: discriminator updates per generator update (the D:G ratio), an integer >= 1.
        ema: decay of the exponential moving average of G's weights, or None for none. With it, the
            average draws the sample grids and is saved as generator.keras (the live G beside it as
            generator_live.keras): it smooths out the step-to-step jitter of the adversarial game.
        noise: the distribution of G's input, one of ``NOISE_DISTRIBUTIONS``.
        decay_steps: both learning rates fall linearly to zero over this many steps (set it to the run's
            length), or None to keep them constant. Small late steps let the players settle.
        loss: what the players minimise, one of ``losses.LOSSES``: "bce" (the assignment's cross-entropy),
            "hinge", "wgan-gp" or "least-squares". Only "bce" has a target label, so the others need
            real_label 1.
        d_beta_2, g_beta_2: the two Adams' beta_2 (Keras' 0.999; WGAN-GP's paper uses 0.9).
        r1_weight: the weight gamma of the R1 penalty, gamma/2 ||grad D(x)||^2 on real images, added to D's
            objective (``losses.r1_penalty``), or None for none.
        r1_interval: apply R1 on every this many D updates only, with its weight times the interval, so
            that on average it weighs the same ("lazy" R1, Karras et al., 2020); an integer >= 1.
        top_k_decay: top-k training of G (Sinha et al., 2020): G learns only from the share of its fakes
            that D scores most real, a share that starts at 1 and is multiplied by this factor at every G
            update, down to ``top_k_floor``; None to learn from all fakes. 0.999 reaches 0.5 after
            about 700 updates.
        top_k_floor: the smallest share of fakes G learns from, in (0, 1].
    """

    real_label: float
    d_learning_rate: float
    d_beta_1: float
    g_learning_rate: float
    g_beta_1: float
    d_steps: int = 1
    ema: float | None = None
    noise: str = "normal"
    decay_steps: int | None = None
    loss: str = "bce"
    d_beta_2: float = 0.999
    g_beta_2: float = 0.999
    r1_weight: float | None = None
    r1_interval: int = 1
    top_k_decay: float | None = None
    top_k_floor: float = 0.5

    def __post_init__(self):
        if not 0.5 < self.real_label <= 1.0:
            raise ValueError(f"real_label must be in (0.5, 1], got {self.real_label}.")
        for name in ("d_learning_rate", "g_learning_rate"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in (0, 1), got {getattr(self, name)}.")
        for name in ("d_beta_1", "g_beta_1"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}.")
        if isinstance(self.d_steps, bool) or int(self.d_steps) != self.d_steps or self.d_steps < 1:
            raise ValueError(
                f"d_steps (the D:G ratio) must be an integer >= 1, got {self.d_steps}."
            )
        if self.ema is not None and not 0.0 < self.ema < 1.0:
            raise ValueError(
                f"ema must be a decay in (0, 1), e.g. 0.999, or None for no average; got {self.ema}."
            )
        if self.decay_steps is not None and (
            isinstance(self.decay_steps, bool)
            or int(self.decay_steps) != self.decay_steps
            or self.decay_steps < 1
        ):
            raise ValueError(
                f"decay_steps must be a whole number >= 1 (the run's length), or None; "
                f"got {self.decay_steps}."
            )
        if self.noise not in NOISE_DISTRIBUTIONS:
            raise ValueError(f"noise must be one of {NOISE_DISTRIBUTIONS}, got {self.noise!r}.")
        losses.get(self.loss, self.real_label)  # an unknown loss, or smoothing one without a label
        for name in ("d_beta_2", "g_beta_2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}.")
        if self.r1_weight is not None and not self.r1_weight > 0.0:
            raise ValueError(
                f"r1_weight must be a weight > 0, e.g. 10, or None for no R1; got {self.r1_weight}."
            )
        if (
            isinstance(self.r1_interval, bool)
            or int(self.r1_interval) != self.r1_interval
            or self.r1_interval < 1
        ):
            raise ValueError(
                f"r1_interval (D updates between R1 penalties) must be an integer >= 1, "
                f"got {self.r1_interval}."
            )
        if self.top_k_decay is not None and not 0.0 < self.top_k_decay < 1.0:
            raise ValueError(
                f"top_k_decay must be a factor in (0, 1), e.g. 0.999, or None for no top-k; "
                f"got {self.top_k_decay}."
            )
        if not 0.0 < self.top_k_floor <= 1.0:
            raise ValueError(
                f"top_k_floor must be a share of the batch in (0, 1], got {self.top_k_floor}."
            )

    def replace(self, **changes) -> "Settings":
        """A copy with ``changes`` (field names), e.g. ``BALANCED.replace(d_steps=2)``."""
        unknown = sorted(set(changes) - {field.name for field in dataclasses.fields(self)})
        if unknown:
            raise ValueError(
                f"Unknown setting(s) {unknown}; expected some of "
                f"{[field.name for field in dataclasses.fields(self)]}."
            )
        return dataclasses.replace(self, **changes)

    def table(self, other: "Settings", names: tuple[str, str]) -> str:
        """This set and ``other`` side by side, one field per line, with ``names`` as column titles."""
        width = max(len(field.name) for field in dataclasses.fields(self))
        lines = [f"{'':<{width}}  {names[0]:>10}  {names[1]:>10}"]
        for field in dataclasses.fields(self):
            mine, theirs = getattr(self, field.name), getattr(other, field.name)
            mark = "" if mine == theirs else "  <- differs"
            lines.append(f"{field.name:<{width}}  {mine!s:>10}  {theirs!s:>10}{mark}")
        return "\n".join(lines)


# The assignment's listing: D Adam(2e-4, beta_1=0.5), the stacked "GAN" Adam(1e-3) with Keras' default
# beta_1 0.9, real images labelled exactly 1, one D update per G update.
LITERAL = Settings(
    real_label=1.0, d_learning_rate=2e-4, d_beta_1=0.5, g_learning_rate=1e-3, g_beta_1=0.9
)

# Notebook 01's run B: one-sided label smoothing (Salimans et al., 2016), G's Adam matched to D's (the
# DCGAN paper's 2e-4, beta_1 0.5), and a moving average of G's weights (Yazici et al., 2019). With the
# literal set the dense GAN collapses onto one pattern at once.
BALANCED = LITERAL.replace(real_label=0.9, g_learning_rate=2e-4, g_beta_1=0.5, ema=0.999)

# The dense MNIST GAN's default: both learning rates 5e-4. In benchmarks/time_to_quality_search.py it reached
# classifier score 8.65 and FCD 10.7 after 15,000 steps of batch 128, against BALANCED's 8.27 and 23.0.
DENSE_MNIST = BALANCED.replace(d_learning_rate=5e-4, g_learning_rate=5e-4)
