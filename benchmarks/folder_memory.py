"""Peak memory of training on a large folder: the in-memory loader against the streaming one.

Run: GAN_DATA_DIR=/work/data python benchmarks/folder_memory.py [--folder /tmp/cifar10_128] [--count 20000]
     [--size 128] [--steps 100] [--batch 16]

First it makes the folder, if it is not there yet: the first ``--count`` CIFAR-10 training images (the
same number from each class, from $GAN_DATA_DIR/cifar10/train), resized to --size x --size with Pillow's
bicubic filter and saved as JPEG (quality 95) in one subfolder per class.

Then, in a fresh child process for each loader, it trains the same GAN (halving-width networks, base
width 32, at the folder's size) for ``--steps`` steps of ``--batch`` images with ``GAN.fit``:
- in memory: ``data.load_folder`` (every image decoded into one float32 array) and
  ``data.real_image_batches`` over it, as ``runs.train`` does with an array;
- streaming: ``data.ImageFolder`` (files read, decoded and resized batch by batch).
It prints each child's peak resident memory (ru_maxrss from os.wait4, i.e. the kernel's high-water mark
of the child's resident set), the seconds it took to load and to train, and the float32 size of the
folder for scale.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LOADERS = ("in memory", "streaming")


def make_folder(folder: Path, count: int, size: int) -> None:
    """Write ``count`` CIFAR-10 training images, resized to size x size, as JPEGs under folder/<class>/."""
    from PIL import Image

    from gan_helpers import data

    source = Path(os.environ[data.DATA_ENV]) / "cifar10" / "train"
    classes = data.CLASS_NAMES["cifar10"]
    for index in range(count):
        name = classes[index % len(classes)]
        target = folder / name / f"{index // len(classes):05d}.jpg"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with Image.open(source / name / f"{index // len(classes):04d}.jpg") as image:
                image.convert("RGB").resize((size, size), Image.BICUBIC).save(target, quality=95)


def train_in_child(loader: str, folder: Path, size: int, steps: int, batch: int) -> dict:
    """Run ``--child`` in a fresh process; its peak resident memory and its own report."""
    command = [
        sys.executable,
        __file__,
        "--child",
        loader,
        "--folder",
        str(folder),
        "--size",
        str(size),
        "--steps",
        str(steps),
        "--batch",
        str(batch),
    ]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    report = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        return {"failed": f"exit status {status}"}
    return {**json.loads(report.strip().splitlines()[-1]), "peak_gib": usage.ru_maxrss / 2**20}


def child(loader: str, folder: Path, size: int, steps: int, batch: int) -> None:
    """Load the folder with ``loader``, train ``steps`` steps, print a JSON line of timings."""
    from gan_helpers import data, recipes

    started = time.perf_counter()
    if loader == "in memory":
        images = data.load_folder(folder, image_size=(size, size))
        count, batches = len(images), data.real_image_batches(images, batch)
    else:
        source = data.ImageFolder(folder, image_size=size, holdout=0)
        count, batches = len(source), source.batches(batch, seed=0)
    loaded = time.perf_counter()
    loaded_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    gan = recipes.dcgan("halving_width", image_shape=(size, size, 3))
    gan.fit(batches, steps_per_epoch=steps, shuffle=False, verbose=0)
    print(
        json.dumps(
            {
                "images": count,
                "load_seconds": loaded - started,
                "peak_after_load_gib": loaded_rss,
                "train_seconds": time.perf_counter() - loaded,
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folder", type=Path, default=Path("/tmp/cifar10_128"))
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--child", choices=LOADERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.folder, args.size, args.steps, args.batch)
    started = time.perf_counter()
    make_folder(args.folder, args.count, args.size)
    print(
        f"{args.folder}: {args.count:,} JPEGs of {args.size}x{args.size}x3 ready in "
        f"{time.perf_counter() - started:.0f} s; as float32 they take "
        f"{args.count * args.size**2 * 3 * 4 / 2**30:.2f} GiB"
    )
    print(
        f"training {args.steps} steps of batch {args.batch}, halving-width networks (base 32); "
        f"load average before: {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'loader':<12}{'images':>8}{'peak RSS GiB':>14}{'peak to loaded':>16}{'load s':>8}{'train s':>9}"
    )
    for loader in LOADERS:
        report = train_in_child(loader, args.folder, args.size, args.steps, args.batch)
        if "failed" in report:
            print(f"{loader:<12} failed: {report['failed']}")
            continue
        print(
            f"{loader:<12}{report['images']:>8,}{report['peak_gib']:>14.2f}"
            f"{report['peak_after_load_gib']:>16.2f}{report['load_seconds']:>8.0f}"
            f"{report['train_seconds']:>9.0f}",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
