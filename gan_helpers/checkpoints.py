"""Checkpoints: every variable a training step depends on, saved by name and checked before it is trusted.

A checkpoint is one ``.npz`` file, checkpoints/step_NNNNNN.npz in a run folder, written atomically. It holds
one array per state variable, under the variable's stable name, and a ``meta`` entry (JSON): the step,
the name, shape and dtype of every variable, the history up to the step, and the settings it ran with.

Stable names: ``state_variables`` walks the GAN's public attributes and names what it finds by where it
is, not by Keras's auto-numbered names (``dense_3`` in one build is ``dense_7`` in the next)::

    generator/01_Dense/kernel                 layer 1 of the generator, its kernel
    discriminator/04_Dropout/seed_generator_state
    d_optimizer/iteration                     D's optimizer step count
    d_optimizer/discriminator/01_Dense/kernel/momentum
    seed_generator/state                      the noise and data seed of the GAN
    ema_generator/...                         the moving average of G, when there is one

A variable added to the GAN later (a loss's ``keras.random.SeedGenerator``, a schedule counter as a
``keras.Variable``) is found the same way, as long as it is held by a public attribute of the GAN, of one
of its layers, or of a ``gan_helpers`` object the GAN holds.

Before a checkpoint is trusted it is checked: every variable matched by name, shapes and dtypes equal,
every float finite, and its step, its history and G's optimizer count agree. A checkpoint that fails is
skipped with a warning naming the file and the reason; one whose step does not fit the run (a copy under
another step's name, or one whose history is not the run's) is moved to checkpoints/set_aside/.

Checkpoints written before arrays had names (``array_0000``, ...) are still read, by their fixed order,
when their count and every shape agree with the GAN, and then pass the same checks.
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
import zipfile
from pathlib import Path

import keras
import numpy as np

from .run_folder import RunFolder, step_of, write_atomically

CHECKPOINTS_KEPT = 2
_UNUSED_ATTRIBUTES = {"optimizer"}  # Keras's own compiled optimizer; the GAN trains with its two


class Untrusted(Exception):
    """A checkpoint failed a check; ``set_aside`` when its step does not fit the run."""

    def __init__(self, reason: str, set_aside: bool = False):
        super().__init__(reason)
        self.set_aside = set_aside


def state_variables(gan: keras.Model) -> dict[str, keras.Variable]:
    """Every variable a training step of ``gan`` depends on, by a name that is the same in every process
    that builds the same GAN (see the module docstring). Learning rates are settings, not state: a resumed
    run takes the new ones. Metric trackers are left out: they restart every log interval.

    Raises:
        RuntimeError: a variable Keras tracks in ``gan`` is not found by name (held in a private attribute);
            a checkpoint would miss it.
    """
    named: dict[str, keras.Variable] = {}
    optimizers = []
    for attribute, value in vars(gan).items():
        if not attribute.startswith("_") and attribute not in _UNUSED_ATTRIBUTES:
            _collect(attribute, value, named, optimizers, seen=set())
    for prefix, optimizer in optimizers:  # after the networks: their slots are named after them
        _collect_optimizer(prefix, optimizer, named)
    found = {id(variable) for variable in named.values()}
    missed = [variable.path for variable in gan.variables if id(variable) not in found]
    if missed:
        raise RuntimeError(
            f"Checkpoints would miss these variables of the GAN: {missed}. Hold them in a public "
            f"attribute (of the GAN, one of its layers, or a gan_helpers object it holds)."
        )
    return named


def _collect(prefix: str, value, named: dict, optimizers: list, seen: set) -> None:
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, keras.metrics.Metric):
        return
    if isinstance(value, keras.optimizers.Optimizer):
        optimizers.append((prefix, value))
    elif isinstance(value, keras.Variable):
        _add(named, prefix, value)
    elif isinstance(value, keras.random.SeedGenerator):
        _add(named, f"{prefix}/state", value.state)
    elif isinstance(value, keras.layers.Layer):
        _collect_layer(prefix, value, named)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _collect(f"{prefix}/{index}", item, named, optimizers, seen)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(f"{prefix}/{key}", item, named, optimizers, seen)
    elif type(value).__module__.startswith("gan_helpers") and hasattr(value, "__dict__"):
        for attribute, item in vars(value).items():
            if not attribute.startswith("_"):
                _collect(f"{prefix}/{attribute}", item, named, optimizers, seen)


def _collect_layer(prefix: str, layer: keras.layers.Layer, named: dict) -> None:
    """A network's layers by position and class (``generator/01_Dense/kernel``), then any variables of the
    layer itself."""
    for index, child in enumerate(getattr(layer, "layers", ())):
        _collect_layer(f"{prefix}/{index:02d}_{type(child).__name__}", child, named)
    found = {id(variable) for variable in named.values()}
    for variable in layer.variables:
        if id(variable) not in found:
            _add(named, f"{prefix}/{variable.name}", variable)


def _collect_optimizer(prefix: str, optimizer, named: dict) -> None:
    """An optimizer's step count and its slots, each slot named after the weight it belongs to
    (``d_optimizer/discriminator/01_Dense/kernel/momentum``)."""
    weights = {id(variable): name for name, variable in named.items()}
    # Keras names a slot "<weight path with _ for />_<slot>" (optimizer.add_variable_from_reference)
    slot_prefixes = {
        variable.path.replace("/", "_") + "_": weights[id(variable)]
        for variable in getattr(optimizer, "_trainable_variables", ())
        if id(variable) in weights
    }
    for variable in optimizer.variables:
        if variable.name == "learning_rate":
            continue
        owner = max(
            (start for start in slot_prefixes if variable.name.startswith(start)),
            key=len,
            default=None,
        )
        suffix = (
            variable.name
            if owner is None
            else f"{slot_prefixes[owner]}/{variable.name[len(owner) :]}"
        )
        _add(named, f"{prefix}/{suffix}", variable)


def _add(named: dict, name: str, variable) -> None:
    """Add ``variable`` under ``name``, or ``name#2``, ``name#3``... when the name is taken."""
    unique, count = name, 1
    while unique in named:
        count += 1
        unique = f"{name}#{count}"
    named[unique] = variable


def describe_networks(gan) -> str:
    return " and ".join(
        f"{network.name} ({network.count_params():,} parameters)"
        for network in (gan.generator, gan.discriminator)
    )


class Checkpoints:
    """The checkpoints of one GAN in one run folder. ``save`` writes one; ``restore`` loads the newest
    one that passes every check into the GAN. ``last_good`` is the newest checkpoint written or restored
    here, so known good (None before either)."""

    def __init__(self, gan, run: RunFolder, *, batch_size: int):
        self.gan, self.run, self.batch_size = gan, run, batch_size
        self.variables = state_variables(gan)
        self.last_good: Path | None = None

    def spec(self) -> dict[str, list]:
        """{name: [shape, dtype]} of every state variable."""
        return {
            name: [list(variable.shape), str(variable.dtype)]
            for name, variable in self.variables.items()
        }

    def save(self, step: int, history: list[dict]) -> bool:
        """Checkpoint the GAN at ``step`` with its ``history`` (which must end at ``step``), write the
        history file, and remove older checkpoints but the newest ``CHECKPOINTS_KEPT``; newer ones stay.
        Returns False, writing nothing, if any float is not finite."""
        arrays = {name: np.array(variable) for name, variable in self.variables.items()}
        if not all(_finite(array) for array in arrays.values()):
            return False
        meta = {
            "step": step,
            "state": self.spec(),
            "networks": describe_networks(self.gan),
            "settings": dataclasses.asdict(self.gan.settings),
            "seed": self.gan.seed,
            "batch_size": self.batch_size,
            "history": history,
        }
        path = self.run.checkpoint_file(step)
        write_atomically(path, lambda temporary: _save_npz(temporary, arrays, meta))
        self.last_good = path
        self.run.write_history(history)
        older = [old for old in self.run.checkpoint_files() if step_of(old) < step]
        for old in older[: max(len(older) - (CHECKPOINTS_KEPT - 1), 0)]:
            old.unlink()
        return True

    def restore(self) -> tuple[int, list[dict]] | None:
        """Load the newest checkpoint that passes every check into the GAN and return (step, history);
        None if there is none. Each one that fails is skipped with a warning (or set aside, see the
        module docstring), and the next older one is tried.

        Raises:
            ValueError: the newest readable checkpoint was written for other networks.
        """
        candidates = self.run.checkpoint_files()
        for index in range(len(candidates) - 1, -1, -1):
            path = candidates[index]
            try:
                arrays, meta = _read(path)
                if "state" not in meta:
                    arrays, meta = self._named(path, arrays, meta)
                self._check(path, arrays, meta, candidates[:index])
            except (
                KeyError,
                TypeError,
                IndexError,
                AttributeError,
            ) as error:  # meta of another form
                self._distrust(path, Untrusted(f"its meta entry is damaged ({error!r})"))
                continue
            except Untrusted as untrusted:
                self._distrust(path, untrusted)
                continue
            self._warn_about_changes(meta)
            for name, variable in self.variables.items():
                variable.assign(arrays[name])
            self.last_good = path
            return meta["step"], meta["history"]
        return None

    def _check(self, path: Path, arrays: dict, meta: dict, older: list[Path]) -> None:
        """Raise ``Untrusted`` (or ValueError for other networks) unless ``path`` can be trusted."""
        _check_same_networks(self.run, meta, self.spec(), self.gan)
        missing = [name for name in meta["state"] if name not in arrays]
        if missing:
            raise Untrusted(f"it lacks the array of {', '.join(missing)}")
        for name, (shape, dtype) in meta["state"].items():
            if list(arrays[name].shape) != shape or str(arrays[name].dtype) != dtype:
                raise Untrusted(
                    f"its {name} is {arrays[name].dtype} {arrays[name].shape}, but the variable "
                    f"is {dtype} {tuple(shape)}"
                )
            if not _finite(arrays[name]):
                raise Untrusted(f"its {name} holds NaN or infinite values")
        step, history = meta["step"], meta["history"]
        if step_of(path) != step:
            raise Untrusted(f"its name says step {step_of(path)}, but it holds step {step}", True)
        if not history or history[-1]["step"] != step:
            ends = f"step {history[-1]['step']}" if history else "no step"
            raise Untrusted(f"it holds step {step} but a history up to {ends}", set_aside=True)
        updates = int(arrays[self._name_of(self.gan.g_optimizer.iterations)])
        expected = step * self.gan.settings.g_steps  # g_steps G updates per step
        skips = isinstance(self.gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
        if updates > expected or (updates < expected and not skips):
            raise Untrusted(
                f"its generator optimizer made {updates} updates in {step} steps "
                f"(expected {expected}: {self.gan.settings.g_steps} per step)"
            )
        previous, earlier = _readable_meta(older)
        if previous is not None and history[: len(earlier["history"])] != earlier["history"]:
            raise Untrusted(
                f"its history does not continue that of {previous}, so it is not from this run",
                set_aside=True,
            )

    def _named(self, path: Path, arrays: dict, meta: dict) -> tuple[dict, dict]:
        """(arrays by name, meta) of a checkpoint written before arrays had names: array_0000, ... in the
        order G, D, D's and G's optimizer, the trainer's seed, the moving average. Read for runs started
        before; only when the count and every shape agree with this GAN."""
        gan = self.gan
        optimizers = (gan.d_optimizer, gan.g_optimizer)
        order = [
            *gan.generator.variables,
            *gan.discriminator.variables,
            *(
                v
                for optimizer in optimizers
                for v in optimizer.variables
                if v.name != "learning_rate"
            ),
            gan.seed_generator.state,
            *(gan.ema_generator.variables if gan.ema_generator is not None else []),
        ]
        if len(order) != len(self.variables) or meta.get("shapes") != [
            list(v.shape) for v in order
        ]:
            raise Untrusted(
                "it was written before checkpoints named their arrays, for other variables than "
                "this GAN's (a GAN of other networks or settings)"
            )
        names = {id(variable): name for name, variable in self.variables.items()}
        named = {names[id(v)]: arrays.get(f"array_{i:04d}") for i, v in enumerate(order)}
        named = {name: array for name, array in named.items() if array is not None}
        return named, {**meta, "step": step_of(path), "state": self.spec()}

    def _name_of(self, variable) -> str:
        return next(name for name, known in self.variables.items() if known is variable)

    def _distrust(self, path: Path, untrusted: Untrusted) -> None:
        if not untrusted.set_aside:
            warnings.warn(
                f"Skipped the damaged checkpoint {path}: {untrusted}; trying an older one.",
                stacklevel=4,
            )
            return
        self.run.set_aside_dir.mkdir(parents=True, exist_ok=True)
        target = self.run.set_aside_dir / path.name
        for count in range(2, 10_000):
            if not target.exists():
                break
            target = self.run.set_aside_dir / f"{path.stem}-{count}{path.suffix}"
        os.replace(path, target)
        warnings.warn(
            f"Set aside the checkpoint {path} (moved to {target}): {untrusted}. Trying an older one.",
            stacklevel=4,
        )

    def _warn_about_changes(self, meta: dict) -> None:
        # A setting added after the checkpoint was written had its default in that run.
        defaults = {
            field.name: field.default
            for field in dataclasses.fields(self.gan.settings)
            if field.default is not dataclasses.MISSING
        }
        for name, was, now in (
            ("settings", {**defaults, **meta["settings"]}, dataclasses.asdict(self.gan.settings)),
            ("seed", meta["seed"], self.gan.seed),
            ("batch_size", meta["batch_size"], self.batch_size),
        ):
            if was != now:
                warnings.warn(
                    f"{self.run.path} was started with {name} {was}; it continues with {now}.",
                    stacklevel=5,
                )


def _check_same_networks(run: RunFolder, meta: dict, here: dict, gan) -> None:
    """Raise ValueError, naming the variables that differ, if ``meta`` is of other networks."""
    saved = meta["state"]
    if saved == here:
        return
    differences = [
        f"{which}: {', '.join(names[:3])}{f' and {len(names) - 3} more' if len(names) > 3 else ''}"
        for which, names in (
            ("only in the checkpoint", [name for name in saved if name not in here]),
            ("only in this GAN", [name for name in here if name not in saved]),
            (
                "of another shape or dtype",
                [name for name in here if name in saved and saved[name] != here[name]],
            ),
        )
        if names
    ]
    networks = describe_networks(gan)
    holds = (
        f"networks of as many parameters as this GAN's, {networks}"
        if meta["networks"] == networks
        else f"{meta['networks']}, and this GAN has {networks}"
    )
    raise ValueError(
        f"{run.path} was trained with other networks: it holds {holds}. Variables {'; '.join(differences)}. "
        f"Use another run_dir for these networks, or pass resume=False to delete that run and start "
        f"over there."
    )


def _read(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays by name, meta) of a checkpoint file; raises Untrusted when it does not read back whole."""
    try:
        with np.load(path, allow_pickle=False) as entries:
            meta = json.loads(str(entries["meta"]))
            arrays = {name: entries[name] for name in entries.files if name != "meta"}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise Untrusted(
            f"it does not read back whole ({error.__class__.__name__}: {error})"
        ) from error
    return arrays, meta


def _readable_meta(paths: list[Path]) -> tuple[Path | None, dict | None]:
    """(path, meta) of the newest of ``paths`` whose meta reads back with a history, or (None, None)."""
    for path in reversed(paths):
        try:
            with np.load(path, allow_pickle=False) as entries:
                meta = json.loads(str(entries["meta"]))
            if isinstance(meta, dict) and isinstance(meta.get("history"), list):
                return path, meta
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            continue
    return None, None


def _finite(array: np.ndarray) -> bool:
    return not np.issubdtype(array.dtype, np.floating) or bool(np.isfinite(array).all())


def _save_npz(path: Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
    with open(path, "wb") as handle:
        np.savez(handle, meta=np.array(json.dumps(meta)), **arrays)
        handle.flush()
        os.fsync(handle.fileno())
