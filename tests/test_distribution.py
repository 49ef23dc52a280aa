"""The trainer runs unchanged under tf.distribute.MirroredStrategy and matches a single-device run, moving
average of G included: with the assignment's loss, and with a penalty loss (WGAN-GP, whose second-order
gradient and random mixing weights each replica computes for its share) plus R1, top-k and the minibatch
standard-deviation feature.

Logical devices must be configured before TensorFlow starts, so the comparison runs in a fresh process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = r"""
import json, os, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np
from gan_helpers import models, training

images = np.random.default_rng(0).uniform(-1, 1, (256, 8, 8, 1)).astype("float32")
options, minibatch_std = json.loads(sys.argv[1]), sys.argv[2] == "1"

def run(strategy):
    keras.utils.set_random_seed(1)
    with strategy.scope():
        gan = training.GAN(models.dense_generator(latent_dim=8, units=(32,), image_shape=(8, 8, 1)),
                           models.dense_discriminator(image_shape=(8, 8, 1), units=(32,), dropout_rates=(),
                                                      minibatch_std=minibatch_std),
                           seed=3, ema=0.9, **options)
        gan.compile(jit_compile=False)  # the same kernels on both sides, so only the split differs
    batches = tf.data.Dataset.from_tensor_slices(images).repeat().batch(32, drop_remainder=True)  # fixed order
    history = gan.fit(batches, steps_per_epoch=5, epochs=6,
                      shuffle=False, verbose=0).history
    curves = {k: [float(v) for v in history[k]] for k in training.METRIC_NAMES}
    average = [np.asarray(w).ravel().tolist() for w in gan.ema_generator.get_weights()]
    return curves, average, strategy.num_replicas_in_sync

single, single_average, _ = run(tf.distribute.get_strategy())
mirrored, mirrored_average, replicas = run(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
print(json.dumps({"single": single, "mirrored": mirrored, "replicas": replicas,
                  "single_average": single_average, "mirrored_average": mirrored_average}))
"""

ASSIGNMENT_LOSS = ({"real_label": 0.9}, False)
# R1 every 2nd D update; top-k from the first G update (share 0.7 then 0.5 of the 32 fakes of both replicas)
PENALTY_LOSS = (
    {"loss": "wgan-gp", "r1_weight": 1.0, "r1_interval": 2, "top_k_decay": 0.7},
    True,
)


@pytest.mark.parametrize(
    "options, minibatch_std", [ASSIGNMENT_LOSS, PENALTY_LOSS], ids=["bce", "wgan-gp+r1+top-k+mbstd"]
)
def test_two_device_mirrored_run_matches_single_device(options, minibatch_std):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(options), str(int(minibatch_std))],
        capture_output=True,
        check=False,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    for key in ("d_loss", "g_loss", "d_acc", "g_acc"):
        single, mirrored = result["single"][key], result["mirrored"][key]
        assert len(single) == len(mirrored) == 6
        assert all(abs(a - b) <= 1e-4 + 1e-3 * abs(a) for a, b in zip(single, mirrored)), (
            key,
            single,
            mirrored,
        )
    assert result["single"]["d_loss"][0] != result["single"]["d_loss"][-1]  # it trained
    for single, mirrored in zip(result["single_average"], result["mirrored_average"], strict=True):
        # the moving average of G, too
        np.testing.assert_allclose(mirrored, single, rtol=1e-3, atol=1e-5)
