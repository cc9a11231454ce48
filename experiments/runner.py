"""Units of work, atomic persistence, resume and deterministic JSON.

Every experiment is split into :class:`Unit` s (dataset x setting x seed x size, plus any
fixed parameters).  :func:`run_units` computes each unit once and writes its record
atomically (temporary file in the same folder, ``fsync``, ``os.replace``) to
``<run_dir>/units/<experiment>/<key>.json``.  Re-running the same command with the same
run directory loads the finished units and computes only the rest, so a killed run loses
at most the unit in flight, and the resumed report equals an uninterrupted one.

Records hold results only; wall-clock timings go to a separate ``timings.jsonl`` so that
``results.json`` is byte-identical across runs with the same command and seed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pyverify.errors import ConfigError, DataError

__all__ = [
    "Computed",
    "Executor",
    "Unit",
    "atomic_write_bytes",
    "atomic_write_json",
    "config_hash",
    "dumps",
    "ensure_writable_dir",
    "jsonable",
    "run_units",
    "serial",
]

_SAFE = re.compile(r"[^A-Za-z0-9_.=-]+")


def jsonable(obj: Any) -> Any:
    """Convert ``obj`` to plain JSON types, deterministically.

    dataclasses -> dicts, tuples -> lists, numpy/torch scalars and 0-d arrays -> Python
    numbers, arrays/tensors -> nested lists, mpmath numbers -> floats when finite and in
    range (else a decimal string with 20 significant digits), ``inf`` -> the string
    ``"inf"`` / ``"-inf"``.  NaN is refused (``ValueError``): a NaN in a result is a bug to
    report, not a number to store.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, bool | str | int):
        return obj
    if isinstance(obj, float):
        if math.isnan(obj):
            raise ValueError("refusing to store NaN in a result")
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
        return obj
    mod = type(obj).__module__
    if mod.startswith("mpmath"):
        import mpmath

        if mpmath.isnan(obj):
            raise ValueError("refusing to store NaN in a result")
        if mpmath.isinf(obj):
            return "inf" if obj > 0 else "-inf"
        val = float(obj)
        if math.isinf(val) or (val == 0.0 and obj != 0):
            return mpmath.nstr(obj, 20)
        return val
    if hasattr(obj, "tolist"):  # numpy arrays/scalars and torch tensors
        if hasattr(obj, "detach"):
            obj = obj.detach().cpu()
        return jsonable(obj.tolist())
    if hasattr(obj, "item"):
        return jsonable(obj.item())
    raise TypeError(f"cannot store {type(obj).__name__} in JSON")


def dumps(obj: Any) -> str:
    """Deterministic JSON text: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(jsonable(obj), sort_keys=True, indent=2, allow_nan=False) + "\n"


def config_hash(obj: Any) -> str:
    """sha256 (hex) of the deterministic JSON of ``obj`` (a config dataclass or dict)."""
    return hashlib.sha256(dumps(obj).encode()).hexdigest()


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    """Atomically write the deterministic JSON of ``obj`` (see :func:`dumps`)."""
    return atomic_write_bytes(path, dumps(obj).encode())


def ensure_writable_dir(path: str | Path, *, name: str = "run_dir") -> Path:
    """Create ``path`` if needed and prove it writable; :class:`DataError` otherwise."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise DataError.for_arg(
            name, "results directory must be writable", str(path), hint=exc.strerror or str(exc)
        ) from None
    return path


@dataclasses.dataclass(frozen=True)
class Unit:
    """One independent piece of an experiment.

    ``params`` holds any further fixed parameters as sorted ``(name, value)`` pairs with
    JSON-able values (eps, ridge, width, dtype, ...).  The file name (:meth:`key`) is a
    readable prefix plus a hash of all fields, so distinct units never collide.
    """

    experiment: str
    dataset: str
    setting: str
    seed: int
    size: int
    params: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if not self.experiment or _SAFE.search(self.experiment):
            raise ConfigError.for_arg("experiment", "must be a non-empty [A-Za-z0-9_.=-] name",
                                      self.experiment)
        object.__setattr__(self, "params", tuple(sorted(self.params)))

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)

    def as_dict(self) -> dict[str, Any]:
        return jsonable({**dataclasses.asdict(self), "params": dict(self.params)})

    def key(self) -> str:
        head = f"{self.dataset}_{self.setting}_s{self.seed}_n{self.size}"
        digest = hashlib.sha256(dumps(self.as_dict()).encode()).hexdigest()[:12]
        return f"{_SAFE.sub('-', head)}_{digest}"


def _unit_path(run_dir: Path, unit: Unit) -> Path:
    return run_dir / "units" / unit.experiment / f"{unit.key()}.json"


def _load_record(path: Path, unit: Unit, stamp: str) -> dict[str, Any] | None:
    try:
        rec = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None  # unreadable leftovers are recomputed, never trusted
    if rec.get("unit") != unit.as_dict() or rec.get("config") != stamp:
        return None
    return rec


Computed = tuple[Unit, dict[str, Any], float]
"""A finished unit: the unit, its result and its wall time in seconds."""
Executor = Callable[[list[Unit]], Iterable[Computed]]
"""Computes the given units (in any order, e.g. on a cluster) and yields them as they finish;
see :mod:`experiments.executors`."""


def serial(fn: Callable[[Unit], dict[str, Any]]) -> Executor:
    """The in-process executor: ``fn(unit)`` for each unit, in order."""
    def run(units: list[Unit]) -> Iterator[Computed]:
        for unit in units:
            t0 = time.perf_counter()
            result = fn(unit)
            yield unit, result, time.perf_counter() - t0

    return run


def run_units(
    run_dir: str | Path,
    units: Sequence[Unit],
    fn: Callable[[Unit], dict[str, Any]] | None,
    *,
    config: Any = None,
    desc: str | None = None,
    progress: bool = True,
    on_computed: Callable[[Unit], None] | None = None,
    executor: Executor | None = None,
) -> list[dict[str, Any]]:
    """Compute ``fn(unit)`` for every unit not already finished under ``run_dir``.

    Returns the list of records ``{"unit": ..., "config": <hash>, "result": ...}`` in the
    order of ``units``.  A stored record is reused only if its unit and the hash of
    ``config`` match, so a changed configuration recomputes.  Each new record is written
    atomically as soon as it is computed (by this process, whichever executor computed it),
    so resuming works across executors; the wall time goes to ``timings.jsonl``.
    ``executor`` (default: :func:`serial` of ``fn``) computes the missing units; the
    progress bar counts finished units.  ``on_computed`` is called after each newly
    computed unit (tests use it to interrupt).
    """
    run_dir = ensure_writable_dir(run_dir)
    keys = [u.key() for u in units]
    if len(set(keys)) != len(keys):
        raise ConfigError.for_arg("units", "must be distinct", len(keys) - len(set(keys)))
    stamp = config_hash(config)
    done: dict[str, dict[str, Any]] = {}
    for unit in units:
        path = _unit_path(run_dir, unit)
        rec = _load_record(path, unit, stamp) if path.exists() else None
        if rec is not None:
            done[unit.key()] = rec
    pending = [u for u in units if u.key() not in done]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(units), initial=len(done), leave=False, unit="unit",
                   desc=desc or (units[0].experiment if units else ""))
    compute = executor if executor is not None else serial(fn)
    try:
        for unit, result, seconds in compute(pending) if pending else ():
            rec = jsonable({"unit": unit.as_dict(), "config": stamp, "result": result})
            atomic_write_json(_unit_path(run_dir, unit), rec)
            with open(run_dir / "timings.jsonl", "a") as f:
                f.write(json.dumps({"unit": unit.key(), "seconds": round(seconds, 4)}) + "\n")
            done[unit.key()] = rec
            if bar is not None:
                bar.update(1)
            if on_computed is not None:
                on_computed(unit)
    finally:
        if bar is not None:
            bar.close()
    return [done[k] for k in keys]
