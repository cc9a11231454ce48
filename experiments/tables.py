"""The one formatting function of every number in the report, and markdown tables.

One rule makes the report traceable: **every number printed in a table of report.md is
``fmt(v)`` of a value ``v`` stored in results.json**.  Sections build their tables with
:func:`table` (cells formatted by :func:`fmt`) from their summary;
:func:`table_cells_not_in` lists any table cell with a digit that is not ``fmt`` of a
stored value (the tests assert it is empty).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from experiments.runner import jsonable

__all__ = ["bullets", "fmt", "table", "table_cells_not_in"]


def fmt(value: Any) -> str:
    """The one formatting function of every number in the report.

    int -> decimal digits; float -> 4 significant digits (``%.4g``: ``0.01234``,
    ``1.235e+24``); ``inf``/``"inf"`` -> ``inf``; bool -> ``yes``/``no``; None -> ``—``;
    a numeric string (mpmath values out of float range are stored as strings) -> 4
    significant digits; any other string unchanged (``|`` escaped for tables).  Values are
    first passed through :func:`~experiments.runner.jsonable`, so a numpy/torch scalar
    formats like the JSON number it is stored as.
    """
    value = jsonable(value)
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "inf" if math.isinf(value) and value > 0 else f"{value:.4g}"
    if isinstance(value, str):
        if value in ("inf", "-inf"):
            return value
        if re.fullmatch(r"[-+]?\d+(\.\d*)?[eE][-+]?\d+", value):
            import mpmath

            return mpmath.nstr(mpmath.mpf(value), 4, min_fixed=-4, max_fixed=5)
        return value.replace("|", "\\|")
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value)
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A markdown table; every cell is ``fmt(cell)``.  Headers are plain text."""
    head = "| " + " | ".join(headers) + " |"
    sep = "|" + "|".join("---" for _ in headers) + "|"
    lines = [head, sep]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"table row has {len(row)} cells, headers {len(headers)}")
        lines.append("| " + " | ".join(fmt(c) for c in row) + " |")
    return "\n".join(lines) + "\n"


def bullets(title: str, items: Sequence[str]) -> str:
    """A markdown bullet list under a bold ``title``; ``""`` when ``items`` is empty."""
    if not items:
        return ""
    return f"\n**{title}**\n\n" + "".join(f"- {s}\n" for s in items)


def _leaves(obj: Any) -> Iterable[Any]:
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _leaves(v)
    elif isinstance(obj, list):
        yield obj  # a list may be printed whole (fmt joins it)
        for v in obj:
            yield from _leaves(v)
    else:
        yield obj


_NUMBER = re.compile(r"[-+]?(inf|(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)")


def _is_numeric(cell: str) -> bool:
    return all(_NUMBER.fullmatch(t.strip()) for t in cell.split(","))


def table_cells_not_in(markdown: str, results: Mapping[str, Any]) -> list[str]:
    """Numeric table cells of ``markdown`` (a number, ``inf``, or a comma-separated list of
    them; header rows excluded) that are not ``fmt(v)`` of any value ``v`` stored in
    ``results``.  Empty for a traceable report."""
    allowed = {fmt(v) for v in _leaves(jsonable(results))}
    bad: list[str] = []
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("|") or re.fullmatch(r"\|(-+\|)+", line.strip()):
            continue
        if i + 1 < len(lines) and re.fullmatch(r"\|(-+\|)+", lines[i + 1].strip()):
            continue  # header row
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        bad += [c for c in cells if _is_numeric(c) and c not in allowed]
    return bad
