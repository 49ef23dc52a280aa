"""Know your machine: is there a GPU, and how long will this notebook's full mode train?

Each training notebook calls ``report({workload: steps, ...})`` before it trains. The rates behind the
estimate are not constants in code: ``benchmarks/notebook_speeds.py`` measures them and writes them, with
the date, the CPU and the conditions of the measurement, to ``machine_speeds.json`` beside this module.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from . import config

SPEEDS_FILE = Path(__file__).with_name("machine_speeds.json")
_RECORD_KEYS = ("measured", "cpu", "conditions", "command", "steps_per_second")


def cpu_description() -> str:
    """This machine's CPU in words, e.g. "AMD EPYC, 2 cores, AVX-512, Linux": the model name (from
    /proc/cpuinfo where there is one), the core count, the widest vector instructions, the system."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    model = next(
        (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
        platform.processor() or platform.machine(),
    )
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    vectors = next(
        (name for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2")) if flag in flags), None
    )
    parts = [model, f"{os.cpu_count()} cores", vectors, platform.system()]
    return ", ".join(part for part in parts if part)


def measured_speeds(path: Path = SPEEDS_FILE) -> dict:
    """The record ``benchmarks/notebook_speeds.py`` wrote to ``path``: {"measured": when, "cpu": what,
    "conditions": how busy the machine was, "command": how to rerun it, "steps_per_second": {workload:
    training steps per second > 0}}. Raises FileNotFoundError or ValueError naming the file."""
    path = Path(path)
    rerun = (
        "run `python benchmarks/notebook_speeds.py` to measure this machine, or restore it from git"
    )
    if not path.is_file():
        raise FileNotFoundError(f"The measured training speeds {path} are missing: {rerun}.")
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(
            f"The measured training speeds {path} are not valid JSON ({error}): {rerun}."
        ) from None
    missing = [key for key in _RECORD_KEYS if key not in record]
    rates = record.get("steps_per_second")
    if (
        missing
        or not isinstance(rates, dict)
        or not all(isinstance(rate, (int, float)) and rate > 0 for rate in rates.values())
    ):
        raise ValueError(
            f"The measured training speeds {path} should hold {list(_RECORD_KEYS)} with positive "
            f"steps_per_second rates; it lacks {missing} or holds {rates!r}: {rerun}."
        )
    return record


def expected_cpu_seconds(workload: dict[str, int], path: Path = SPEEDS_FILE) -> float:
    """Seconds that ``workload`` ({workload name in the speeds file: steps}) trains for at the rates
    measured in ``path``."""
    rates = measured_speeds(path)["steps_per_second"]
    unknown = sorted(set(workload) - set(rates))
    if unknown:
        raise ValueError(
            f"Unknown workload(s) {unknown}; expected some of {sorted(rates)} (the workloads "
            f"benchmarks/notebook_speeds.py measures, in {path})."
        )
    return sum(steps / rates[name] for name, steps in workload.items())


def report(workload: dict[str, int]) -> None:
    """Print whether TensorFlow sees a GPU and, in full mode, how long ``workload`` ({name: steps}) trains
    at the measured CPU rates (and where and when they were measured), with a hint to switch a Colab
    runtime to a GPU."""
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
    record = measured_speeds()
    hours = expected_cpu_seconds(workload) / 3600
    print(
        f"Full mode trains {sum(workload.values()):,} steps: about {hours:.1f} hours on the CPU below, a "
        f"fraction of that on a GPU. Finished runs are reloaded, not retrained.\n"
        f"(Rates measured by benchmarks/notebook_speeds.py on {record['cpu']}, {record['measured']}: "
        f"{record['conditions']}.)"
    )
    if not gpus:
        print("In Colab: Runtime > Change runtime type > a GPU, then run the notebook again.")
