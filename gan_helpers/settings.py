"""The adversarial settings of a GAN run, in one place: what the two players learn with and how they take turns.

Three named sets, used by the recipes, the notebooks, the benchmarks and the tests:

- ``LITERAL``: the assignment's listing, as written.
- ``BALANCED``: what the DCGAN recipes train with by default;
- ``DENSE_MNIST``: ``BALANCED`` with faster learning rates, G's above D's as the assignment's rule asks, for
  the assignment's dense networks (notebook 01's run B and ``recipes.dense_mnist_gan``).

Change one field with ``dataclasses.replace(BALANCED, g_learning_rate=4e-4)``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

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
        d_steps: discriminator updates per step (D's side of the D:G ratio), an integer >= 1.
        g_steps: generator updates per step (G's side of the D:G ratio), an integer >= 1. A step is
            ``d_steps`` D updates then ``g_steps`` G updates; one side is 1 (3:1, or the lab's 1:10).
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
    g_steps: int = 1
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
        # Numbers as Python int/float (numpy scalars too: they must save as JSON and compile in Keras).
        for name, rule in RULES.items():
            object.__setattr__(self, name, rule.checked(name, getattr(self, name)))
        if self.d_steps > 1 and self.g_steps > 1:
            raise ValueError(
                f"Got d_steps={self.d_steps} and g_steps={self.g_steps}: give the D:G ratio with one "
                f"side 1, e.g. d_steps=3 (3:1, D trains more) or g_steps=10 (1:10, G trains more)."
            )
        losses.get(self.loss, self.real_label)  # an unknown loss, or smoothing one without a label

    def replace(self, **changes) -> Settings:
        """A copy with ``changes`` (field names), e.g. ``BALANCED.replace(d_steps=2)``."""
        unknown = sorted(set(changes) - {field.name for field in dataclasses.fields(self)})
        if unknown:
            raise ValueError(
                f"Unknown setting(s) {unknown}; expected some of "
                f"{[field.name for field in dataclasses.fields(self)]}."
            )
        return dataclasses.replace(self, **changes)

    def table(self, other: Settings, names: tuple[str, str]) -> str:
        """This set and ``other`` side by side, one field per line, with ``names`` as column titles."""
        width = max(len(field.name) for field in dataclasses.fields(self))
        lines = [f"{'':<{width}}  {names[0]:>10}  {names[1]:>10}"]
        for field in dataclasses.fields(self):
            mine, theirs = getattr(self, field.name), getattr(other, field.name)
            mark = "" if mine == theirs else "  <- differs"
            lines.append(f"{field.name:<{width}}  {mine!s:>10}  {theirs!s:>10}{mark}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Rule:
    """What one field of ``Settings`` takes: a value of ``kind`` (float, int or str) for which ``valid`` holds,
    described as ``expected``; or None when ``optional``."""

    kind: type
    valid: Callable[[Any], bool]
    expected: str
    optional: bool = False

    def checked(self, name: str, value):
        """``value`` as a Python ``kind`` (numpy scalars included), or None when optional.

        Raises:
            TypeError: a value of another kind (a string for a number, a number for a string).
            ValueError: a value of the right kind that is not ``expected`` (out of range, 1.5 for an int).
        """
        if value is None and self.optional:
            return None
        if self.kind is str:
            if not isinstance(value, str):
                raise TypeError(f"{name} must be {self.expected}, got {value!r}.")
            if not self.valid(value):
                raise ValueError(f"{name} must be {self.expected}, got {value!r}.")
            return value
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            hint = " Write it without quotes." if isinstance(value, str) else ""
            raise TypeError(
                f"{name} must be a number, {self.expected}; got {value!r} "
                f"(a {type(value).__name__}).{hint}"
            )
        if self.kind is int and not (math.isfinite(value) and value == int(value)):
            raise ValueError(f"{name} must be {self.expected}, got {value!r}.")
        value = self.kind(value)
        if not self.valid(value):
            raise ValueError(f"{name} must be {self.expected}, got {value!r}.")
        return value


# One rule per field of Settings, checked in __post_init__.
RULES = {
    "real_label": Rule(float, lambda v: 0.5 < v <= 1.0, "in (0.5, 1]"),
    "d_learning_rate": Rule(float, lambda v: 0.0 < v < 1.0, "in (0, 1)"),
    "d_beta_1": Rule(float, lambda v: 0.0 <= v < 1.0, "in [0, 1)"),
    "g_learning_rate": Rule(float, lambda v: 0.0 < v < 1.0, "in (0, 1)"),
    "g_beta_1": Rule(float, lambda v: 0.0 <= v < 1.0, "in [0, 1)"),
    "d_steps": Rule(int, lambda v: v >= 1, "an integer >= 1 (the D:G ratio)"),
    "g_steps": Rule(int, lambda v: v >= 1, "an integer >= 1 (G updates per step)"),
    "ema": Rule(
        float,
        lambda v: 0.0 < v < 1.0,
        "a decay in (0, 1), e.g. 0.999, or None for no average",
        optional=True,
    ),
    "noise": Rule(str, lambda v: v in NOISE_DISTRIBUTIONS, f"one of {NOISE_DISTRIBUTIONS}"),
    "decay_steps": Rule(
        int, lambda v: v >= 1, "a whole number >= 1 (the run's length), or None", optional=True
    ),
    "loss": Rule(str, lambda v: v in losses.LOSSES, f"one of {sorted(losses.LOSSES)}"),
    "d_beta_2": Rule(float, lambda v: 0.0 <= v < 1.0, "in [0, 1)"),
    "g_beta_2": Rule(float, lambda v: 0.0 <= v < 1.0, "in [0, 1)"),
    "r1_weight": Rule(
        float, lambda v: v > 0.0, "a weight > 0, e.g. 10, or None for no R1", optional=True
    ),
    "r1_interval": Rule(int, lambda v: v >= 1, "an integer >= 1 (D updates between R1 penalties)"),
    "top_k_decay": Rule(
        float,
        lambda v: 0.0 < v < 1.0,
        "a factor in (0, 1), e.g. 0.999, or None for no top-k",
        optional=True,
    ),
    "top_k_floor": Rule(float, lambda v: 0.0 < v <= 1.0, "a share of the batch in (0, 1]"),
}


# The assignment's listing: D Adam(2e-4, beta_1=0.5), the stacked "GAN" Adam(1e-3) with Keras' default
# beta_1 0.9, real images labelled exactly 1, one D update per G update.
LITERAL = Settings(
    real_label=1.0, d_learning_rate=2e-4, d_beta_1=0.5, g_learning_rate=1e-3, g_beta_1=0.9
)

# The DCGAN recipes' default (notebooks 05, 06, 07, 09) and the base of DENSE_MNIST: one-sided label
# smoothing (Salimans et al., 2016), G's Adam matched to D's (the DCGAN paper's 2e-4, beta_1 0.5), and a
# moving average of G's weights (Yazici et al., 2019). With the literal set the dense GAN collapses onto
# one pattern at once.
BALANCED = LITERAL.replace(real_label=0.9, g_learning_rate=2e-4, g_beta_1=0.5, ema=0.999)

# The dense MNIST GAN's default (notebook 01's run B): D 3e-4, G 6e-4, so that G's rate is above D's, as the
# assignment's rule asks ("the learning rate of the GAN ... should be higher than the learning rate of the
# discriminator"). On the spec's smaller networks, 15,000 steps of batch 128 (benchmarks/time_to_quality.py)
# scored classifier score 8.66 and FCD 11.6, where both rates at 5e-4 scored 8.67 and 11.2: within one run's
# noise, so the rule costs nothing measurable here. BALANCED (2e-4) scored 8.27 and 23.0 on 256/512/1024.
DENSE_MNIST = BALANCED.replace(d_learning_rate=3e-4, g_learning_rate=6e-4)
