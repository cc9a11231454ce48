"""How much memory a solve may plan to use, read from the machine (or an override).

:func:`available_memory` returns ``(bytes, source)``:

* ``LINATTN_MEMORY_BYTES`` when set (an integer number of bytes, or with a ``K``/``M``/``G``
  suffix, powers of 1024): an override for a shared machine, or to plant a small limit in a
  test; a bad value is a :class:`ConfigError` naming the variable;
* on CUDA, the free memory of the device (``torch.cuda.mem_get_info``);
* on CPU, ``MemAvailable`` of ``/proc/meminfo`` (Linux: the memory that can be allocated
  without swapping, page cache included), else ``os.sysconf`` free pages.

A route plans to use at most :data:`USABLE_FRACTION` of it (headroom for the allocator, the
interpreter and the other processes of a shared machine): :func:`plan_operator_route` picks
the float32 cache route for a KernelOperator when it fits, else the on-the-fly PCG route,
and says why (``RoutePlan.note``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch

from linattn.solvers.cache import TILE_ELEMENTS, Float32KernelCache
from linattn.validate import resolve_device
from pyverify.errors import ConfigError, InputError

__all__ = ["MEMORY_ENV", "USABLE_FRACTION", "RoutePlan", "available_memory",
           "cached_route_bytes", "parse_bytes", "plan_operator_route"]

MEMORY_ENV = "LINATTN_MEMORY_BYTES"
USABLE_FRACTION = 0.8
"""Share of the available memory a route may plan to fill (the rest is headroom)."""
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_bytes(text: Any, name: str = MEMORY_ENV, error: type = ConfigError) -> int:
    """``"123"``, ``"8G"``, ``"512M"``, ``"1.5G"``, ``8e9`` (powers of 1024) -> bytes (an int
    > 0); ``error`` (default :class:`ConfigError`) naming ``name`` otherwise."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise error.for_arg(name, "must be a byte count like 8G, 512M or 1000000", text)
    s = str(text).strip().upper().removesuffix("B").removesuffix("I")
    unit = s[-1:] if s[-1:] in _UNITS and s[-1:] else ""
    try:
        value = float(s[: len(s) - len(unit)]) * _UNITS[unit]
    except ValueError:
        raise error.for_arg(name, "must be a byte count like 8G, 512M or 1000000",
                            text) from None
    if not (value >= 1 and value < 2**62):
        raise error.for_arg(name, "must be a byte count >= 1", text)
    return int(value)


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def available_memory(device: Any = None) -> tuple[int, str]:
    """``(bytes, source)``: the memory a new allocation on ``device`` (default CPU) can take
    now, and where the number came from (module docstring)."""
    env = os.environ.get(MEMORY_ENV)
    if env is not None and env.strip():
        return parse_bytes(env), f"{MEMORY_ENV}={env.strip()}"
    dev = resolve_device(device) or torch.device("cpu")
    if dev.type == "cuda":
        free, _ = torch.cuda.mem_get_info(dev)
        return int(free), f"torch.cuda.mem_get_info({dev}) free"
    avail = _meminfo_available()
    if avail is not None:
        return avail, "/proc/meminfo MemAvailable"
    try:
        return (int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE")),
                "os.sysconf free pages")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume nothing is known
        return 0, "unknown (no /proc/meminfo, no sysconf)"


@dataclass(frozen=True)
class RoutePlan:
    """The route chosen for a KernelOperator solve: ``method`` ("cached": the float32
    cache with float64 refinement; "pcg": kernel blocks on the fly), ``note`` (why, in
    words), the bytes the cached route needs and the bytes available (and their source)."""

    method: str
    note: str
    need_bytes: int
    available_bytes: int
    source: str


def cached_route_bytes(n: int, k: int, rank: int, block: int | None = None) -> int:
    """Bytes the cached route needs besides X: the float32 panels
    (:meth:`Float32KernelCache.nbytes_for`), the preconditioner (two ``(n, rank)`` float64
    factors while it is built), the PCG vectors (about 10 ``(n, k)`` float64 blocks) and
    the kernel tiles being evaluated (3 buffers of ``TILE_ELEMENTS`` float64 entries)."""
    for name, v in (("n", n), ("k", k), ("rank", rank)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError.for_arg(name, "must be an integer >= 1", v)
    return (Float32KernelCache.nbytes_for(n, block) + 2 * 8 * n * rank + 10 * 8 * n * k
            + 3 * 8 * TILE_ELEMENTS)


def plan_operator_route(n: int, k: int, *, rank: int, device: Any = None,
                        memory_bytes: int | None = None, block: int | None = None
                        ) -> RoutePlan:
    """"cached" when :func:`cached_route_bytes` is at most :data:`USABLE_FRACTION` of the
    available memory (``memory_bytes`` if given, else :func:`available_memory`), else
    "pcg" (on the fly, ``O(n · block)`` kernel memory)."""
    need = cached_route_bytes(n, k, rank, block)
    if memory_bytes is None:
        avail, source = available_memory(device)
    else:
        avail = parse_bytes(memory_bytes, "memory_bytes", InputError)
        source = "memory_bytes argument"
    budget = USABLE_FRACTION * avail
    gb = 1e9
    if need <= budget:
        return RoutePlan("cached", f"auto: float32 kernel cache route needs {need / gb:.3g} GB "
                         f"<= {USABLE_FRACTION:g} x {avail / gb:.3g} GB available ({source}): "
                         "float32 cache, RPCholesky-Nystrom PCG with float64 vectors, float64 "
                         "iterative refinement", need, avail, source)
    return RoutePlan("pcg", f"auto: float32 kernel cache route needs {need / gb:.3g} GB > "
                     f"{USABLE_FRACTION:g} x {avail / gb:.3g} GB available ({source}): kernel "
                     "blocks on the fly (float64 PCG)", need, avail, source)
