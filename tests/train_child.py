"""A training run in its own process, for the tests that kill it, limit its disk, or compare two of them.

Usage: python train_child.py RUN_DIR STEPS OUT.npz [--recipe] [--pause-writing NAME] [--slow] [--file-limit BYTES]

Trains the tiny dense GAN of tests/conftest.py (dropout on) on 64 random 8x8 images, or with --recipe the
real ``recipes.dense_mnist_gan(seed=0)`` on 64 random 28x28 images, log and sample interval 10, and saves
the final generator and discriminator weights in OUT.npz and the history in OUT.json.

--pause-writing NAME  when a file whose name contains NAME is about to be renamed into place, truncate its
                      temporary to half, print "PAUSED <path>" and wait: the parent kills us mid-write.
--slow                sleep 20 ms after every step, so that a parent can kill us between checkpoints.
--file-limit BYTES    no file may grow beyond BYTES (RLIMIT_FSIZE): a disk that fills up.
"""

import argparse
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras
import numpy as np

from gan_helpers import models, recipes, run_folder, runs, training


def pause_before_renaming(fragment: str):
    real_replace = os.replace

    def replace(source, target):
        if fragment in Path(target).name:
            with open(source, "r+b") as handle:
                handle.truncate(os.path.getsize(source) // 2)
            print(f"PAUSED {target}", flush=True)
            time.sleep(3600)
        real_replace(source, target)

    run_folder.os.replace = replace


def tiny_gan() -> training.GAN:
    keras.utils.set_random_seed(0)
    generator = models.dense_generator(latent_dim=8, units=(16,), image_shape=(8, 8, 1))
    discriminator = models.dense_discriminator(
        image_shape=(8, 8, 1), units=(16,), dropout_rates=(0.3,)
    )
    gan = training.GAN(generator, discriminator, seed=0)
    gan.compile()
    return gan


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("steps", type=int)
    parser.add_argument("out")
    parser.add_argument("--recipe", action="store_true")
    parser.add_argument("--pause-writing")
    parser.add_argument("--slow", action="store_true")
    parser.add_argument("--file-limit", type=int)
    args = parser.parse_args()
    if args.pause_writing:
        pause_before_renaming(args.pause_writing)
    if args.file_limit:
        # a write past the limit then fails with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (args.file_limit, args.file_limit))
    gan = recipes.dense_mnist_gan(seed=0) if args.recipe else tiny_gan()
    images = np.random.default_rng(0).uniform(-1, 1, (64, *gan.image_shape)).astype("float32")
    slow = [keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: time.sleep(0.02))]
    history = runs.train(
        gan,
        images,
        steps=args.steps,
        run_dir=args.run_dir,
        batch_size=8,
        log_interval=10,
        sample_interval=10,
        print_interval=10,
        show_samples=False,
        callbacks=slow if args.slow else (),
    )
    np.savez(args.out, *gan.generator.get_weights(), *gan.discriminator.get_weights())
    Path(args.out).with_suffix(".json").write_text(json.dumps(history))


if __name__ == "__main__":
    main()
