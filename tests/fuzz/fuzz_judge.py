"""Running one fuzz call and judging its outcome (used by the fuzz tests)."""

from __future__ import annotations

import dataclasses
import signal
import warnings
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy
import torch

from pyverify.errors import DataError, LinAttnError

TIME_LIMIT_S = 10

class _Hang(BaseException):
    pass


def _alarm(signum, frame):
    raise _Hang(f"no result within {TIME_LIMIT_S} s")


def _nonfinite(obj: Any, path: str = "", depth: int = 0) -> list[str]:
    """Paths (like ``.cond_d`` or ``[2]``) of NaN/Inf values inside ``obj``."""
    if depth > 6 or obj is None or isinstance(obj, (str, bytes, bool, int, np.bool_)):
        return []
    if isinstance(obj, torch.Tensor):
        t = obj.detach()
        if t.is_floating_point() or t.is_complex():
            return [] if bool(torch.isfinite(t).all()) else [path or "<tensor>"]
        return []
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc":
            return [] if bool(np.isfinite(obj).all()) else [path or "<array>"]
        return []
    if isinstance(obj, (float, np.floating, complex)):
        return [] if np.isfinite(obj) else [path or "<float>"]
    if isinstance(obj, mpmath.mpf):
        return [] if mpmath.isfinite(obj) else [path or "<mpf>"]
    if isinstance(obj, (sympy.Basic, sympy.MatrixBase)):
        bad = obj.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)
        return [path or "<sympy>"] if bad else []
    if isinstance(obj, torch.nn.Module):
        out = []
        for k, v in [*obj.named_parameters(), *obj.named_buffers()]:
            out += _nonfinite(v, f"{path}.{k}", depth + 1)
        return out
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = []
        for f in dataclasses.fields(obj):
            out += _nonfinite(getattr(obj, f.name), f"{path}.{f.name}", depth + 1)
        return out
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        out = []
        for k in obj._fields:
            out += _nonfinite(getattr(obj, k), f"{path}.{k}", depth + 1)
        return out
    if isinstance(obj, (list, tuple)):
        out = []
        for i, v in enumerate(obj[:200]):
            out += _nonfinite(v, f"{path}[{i}]", depth + 1)
        return out
    if isinstance(obj, dict):
        out = []
        for k, v in list(obj.items())[:200]:
            out += _nonfinite(v, f"{path}[{k!r}]", depth + 1)
        return out
    return []


def _qualname(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"


def short(v: Any) -> str:
    if isinstance(v, torch.Tensor):
        text = f"torch.tensor({v.tolist()!r}, dtype={v.dtype})"
    elif isinstance(v, np.ndarray):
        text = f"np.array({v.tolist()!r}, dtype={v.dtype})"
    else:
        text = repr(v)
    return text if len(text) <= 400 else text[:397] + "..."


def judge(fn: Callable, args: list, kwargs: dict,
          inf_allowed: dict[tuple[str, str], str]) -> tuple[str, str | None]:
    """Call ``fn`` under the time limit; return (outcome kind, problem or None).

    ``inf_allowed`` maps (qualified function, field path) to the documented reason why
    an infinite value there is not a silent failure."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT_S)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = fn(*args, **kwargs)
    except _Hang as exc:
        return "hang", f"hang: {exc}"
    except LinAttnError:
        return "project-error", None
    except TypeError as exc:
        if str(exc).strip():
            return "type-error", None
        return "bad", "TypeError without a message"
    except Exception as exc:  # any other exception is the finding
        msg = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        return "bad", f"{type(exc).__name__}: {msg}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    q = _qualname(fn)
    bad = [p for p in _nonfinite(out) if (q, p) not in inf_allowed]
    if bad:
        return "bad", f"returned NaN/Inf at {', '.join(bad[:4])}"
    return "ok", None


def report(label: str, problems: dict[str, tuple[int, str]]) -> str:
    lines = [f"{label}: {len(problems)} distinct problem(s)"]
    for what, (count, example) in problems.items():
        lines.append(f"  * {what}  [{count}x]\n      e.g. {example}")
    return "\n".join(lines)


def expect_data_error(fn: Callable, *args: Any) -> str | None:
    try:
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT_S)
        try:
            fn(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    except DataError:
        return None
    except _Hang:
        return "hang"
    except Exception as exc:  # any other exception is the finding
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None  # a parse that succeeds is fine (the bytes happened to be valid)
