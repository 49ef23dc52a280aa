"""Seconds per training step of notebook 09's DCGAN (the CIFAR lab nets scaled to the image size), with
its flip + rotation augmentation on the real batches, on random images.

Usage: python benchmarks/folder_dcgan_speed.py [--size 64] [--batch 64] [--steps 3] [--repeats 3]
"""
import argparse
import statistics
import time

import numpy as np

from gan_helpers import data, recipes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=64, help="image height and width (a multiple of 16)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    images = np.random.default_rng(0).uniform(-1, 1, (512, args.size, args.size, 3)).astype("float32")
    gan = recipes.dcgan("constant_width", image_shape=images.shape[1:])
    batches = data.real_image_batches(images, args.batch, augment=data.augmentation())
    gan.fit(batches, steps_per_epoch=2, verbose=0)  # warm-up, including the XLA compile
    seconds = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        gan.fit(batches, steps_per_epoch=args.steps, verbose=0)
        seconds.append((time.perf_counter() - started) / args.steps)
    print(f"{args.size}x{args.size}x3, batch {args.batch}: median {statistics.median(seconds):.2f} s per step "
          f"({', '.join(f'{s:.2f}' for s in seconds)})")


if __name__ == "__main__":
    main()
