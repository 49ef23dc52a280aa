"""Count the work of a GAN training step from the networks' layer shapes.

A layer's forward pass costs 2 * MACs per sample (one multiply and one add per weight use):
Dense in*out, Conv2D H_out*W_out*k*k*C_in*C_out, Conv2DTranspose H_in*W_in*k*k*C_in*C_out.
Its backward pass costs as much again for the weight gradient and as much again for the input gradient.
Only the gradients a step needs are counted, since XLA prunes the rest: a network's first layer needs
no input gradient (its inputs, images or noise, are not trained), and D during the G update needs input
gradients only (down to G's output), no weight gradients. The classic stacked-model loop needs the same.
Biases, activations, dropout and the optimizer are left out: a few percent of these products.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from keras import layers


def forward_macs_per_layer(model) -> list[int]:
    """Multiply-accumulates of one forward pass for one sample, per Dense/Conv layer in order."""
    macs = []
    for layer in model.layers:
        if isinstance(layer, layers.Dense):
            macs.append(int(layer.kernel.shape[0] * layer.kernel.shape[1]))
        elif isinstance(layer, layers.Conv2DTranspose):
            h, w = layer.input.shape[1:3]
            macs.append(int(h * w * np.prod(layer.kernel.shape)))
        elif isinstance(layer, layers.Conv2D):
            h, w = layer.output.shape[1:3]
            macs.append(int(h * w * np.prod(layer.kernel.shape)))
    return macs


def gan_step_flops(generator, discriminator, batch_size: int, d_steps: int = 1) -> float:
    """FLOPs of one trainer step: ``d_steps`` D updates (G forward on B; D forward, weight gradients and
    input gradients above its first layer on 2B) and one G update (G forward, weight gradients and input
    gradients above its first layer on B; D forward and input gradients through all its layers on B)."""
    g, d = forward_macs_per_layer(generator), forward_macs_per_layer(discriminator)
    d_update = batch_size * (sum(g) + 2 * (2 * sum(d) + sum(d[1:])))
    g_update = batch_size * (2 * sum(g) + sum(g[1:]) + 2 * sum(d))
    return 2.0 * (d_steps * d_update + g_update)


def dense_step_matmuls(generator, discriminator, batch_size: int) -> Counter:
    """The matrix products of one trainer step (d_steps 1) of all-Dense networks, as (m, k, n) -> count:
    forward x (B, k) @ W (k, n), weight gradient x^T (k, B) @ dy (B, n), input gradient dy (B, n) @ W^T
    (n, k); the same work ``gan_step_flops`` counts (2 * m * k * n FLOPs each)."""

    def kernels(model):
        return [
            tuple(layer.kernel.shape) for layer in model.layers if isinstance(layer, layers.Dense)
        ]

    products = Counter()
    g, d = kernels(generator), kernels(discriminator)

    def add(network_kernels, count, weight_gradients, input_gradients_from):
        for index, (k, n) in enumerate(network_kernels):
            products[(batch_size, k, n)] += count
            if weight_gradients:
                products[(k, batch_size, n)] += count
            if index >= input_gradients_from:
                products[(batch_size, n, k)] += count

    add(g, 1, False, len(g))  # D update: G makes the fakes (forward only)
    add(d, 2, True, 1)  # D update: D on the real and on the fake batch
    add(g, 1, True, 1)  # G update: G
    add(d, 1, False, 0)  # G update: D, input gradients only
    return products
