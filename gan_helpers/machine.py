"""Know your machine: is there a GPU, and how long will this notebook's full mode train?

Each training notebook calls ``report({workload: steps, ...})`` before it trains.
"""

from __future__ import annotations

from . import config

# Training steps per second of each notebook workload on the 2-core CPU this bundle is developed on (AMD
# EPYC, no GPU), at the notebooks' batch sizes, D:G 1:1, from `python benchmarks/notebook_speeds.py`.
CPU_STEPS_PER_SECOND = {
    "dense": 26.0,  # notebooks 01, 02, 07: the assignment's dense G and D, batch 128
    "conditional dense": 19.2,  # notebook 08: with labels and the matching-aware D, batch 128
    "compact": 2.43,  # notebooks 05, 07: the Fashion-MNIST lab's DCGAN, 28x28, batch 128
    "constant width": 0.57,  # notebook 06: the CIFAR-10 lab's DCGAN, 32x32x3, batch 128
}


def expected_cpu_seconds(workload: dict[str, int]) -> float:
    """Seconds that ``workload`` ({name in CPU_STEPS_PER_SECOND: steps}) trains for on that 2-core CPU."""
    unknown = sorted(set(workload) - set(CPU_STEPS_PER_SECOND))
    if unknown:
        raise ValueError(
            f"Unknown workload(s) {unknown}; expected some of {sorted(CPU_STEPS_PER_SECOND)}."
        )
    return sum(steps / CPU_STEPS_PER_SECOND[name] for name, steps in workload.items())


def report(workload: dict[str, int]) -> None:
    """Print whether TensorFlow sees a GPU and, in full mode, how long ``workload`` ({name: steps}) trains
    at the rates measured on a 2-core CPU, with a hint to switch a Colab runtime to a GPU."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    print(
        f"GPU: {', '.join(gpu.name for gpu in gpus)}"
        if gpus
        else "GPU: none; TensorFlow trains on the CPU."
    )
    if config.fast_mode():
        print("Fast mode (GAN_FAST=1): a few hundred steps, minutes at most.")
        return
    hours = expected_cpu_seconds(workload) / 3600
    steps = sum(workload.values())
    print(
        f"Full mode trains {steps:,} steps: about {hours:.1f} hours on a 2-core CPU (rates measured in "
        f"benchmarks/); a GPU needs a fraction of that. Finished runs are reloaded, not retrained."
    )
    if not gpus:
        print("In Colab: Runtime > Change runtime type > a GPU, then run the notebook again.")
