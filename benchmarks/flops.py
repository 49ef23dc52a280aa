"""Count the floating-point operations of a GAN training step from the networks' layer shapes.

A layer's forward pass costs 2 * MACs per sample (one multiply and one add per weight use):
Dense in*out, Conv2D H_out*W_out*k*k*C_in*C_out, Conv2DTranspose H_in*W_in*k*k*C_in*C_out.
A backward pass costs 2x the forward (gradients for the inputs and for the weights); a backward pass
that only needs input gradients (D during the G update) costs 1x. Biases, activations, batch-norm and
the optimizer are ignored: they are a few percent of these matrix products.
"""
from __future__ import annotations

import numpy as np
from keras import layers


def forward_macs_per_sample(model) -> int:
    """Multiply-accumulates of one forward pass of ``model`` for one sample."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Dense):
            total += int(layer.kernel.shape[0] * layer.kernel.shape[1])
        elif isinstance(layer, layers.Conv2DTranspose):
            h, w = layer.input.shape[1:3]
            total += int(h * w * np.prod(layer.kernel.shape))
        elif isinstance(layer, layers.Conv2D):
            h, w = layer.output.shape[1:3]
            total += int(h * w * np.prod(layer.kernel.shape))
    return total


def gan_step_flops(generator, discriminator, batch_size: int, d_steps: int = 1) -> float:
    """FLOPs of one trainer step: ``d_steps`` D updates (G forward on B, D forward+backward on 2B)
    and one G update (G forward+backward on B, D forward + input-gradient backward on B)."""
    g, d = 2 * forward_macs_per_sample(generator), 2 * forward_macs_per_sample(discriminator)
    d_update = batch_size * (g + 2 * d * 3)
    g_update = batch_size * (g * 3 + d * 2)
    return float(d_steps * d_update + g_update)
