"""Matplotlib helpers shared by the runnable experiments (Agg backend, no display).

Every figure of the report goes through :func:`axes` (labelled axes, units required,
log scales on request) and :func:`save` (deterministic PNG: no timestamp or software
metadata, fixed dpi, figure closed afterwards), so figures are reproducible byte for byte
on one machine and every axis says what it shows and in which unit.

Conventions: an axis label ends with its unit in brackets, e.g. ``"width m [neurons]"``,
``"eigenvalue λ_i(G) [pixel²]"``; dimensionless quantities use ``[1]``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from pyverify.errors import ConfigError

__all__ = ["DPI", "axes", "binned_heatmap", "figure", "positive", "save", "series"]

DPI = 110
"""Resolution of every PNG in the report."""


def figure(ncols: int = 1, nrows: int = 1, *, width: float = 5.0,
           height: float = 3.8) -> tuple[Any, list[Any]]:
    """A new figure with ``nrows x ncols`` panels of ``width x height`` inches each.

    Returns ``(fig, axes)`` with ``axes`` a flat list (row-major)."""
    if ncols < 1 or nrows < 1:
        raise ConfigError.for_arg("ncols/nrows", "must be >= 1", (ncols, nrows))
    fig, ax = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                           squeeze=False)
    return fig, [a for row in ax for a in row]


def axes(ax: Any, *, xlabel: str, ylabel: str, title: str | None = None,
         xlog: bool = False, ylog: bool = False, legend: bool = True) -> Any:
    """Label ``ax`` (both labels must carry a unit in brackets), set log scales, grid,
    and a legend when any artist is labelled."""
    for name, label in (("xlabel", xlabel), ("ylabel", ylabel)):
        if not label or "[" not in label or not label.rstrip().endswith("]"):
            raise ConfigError.for_arg(name, "must end with its unit in brackets, e.g. '[1]'",
                                      label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    if xlog:
        ax.set_xscale("log")
    if ylog:
        ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    if legend and any(not h.get_label().startswith("_") for h in ax.get_lines()
                      + list(ax.collections)):
        ax.legend(fontsize=8)
    return ax


def positive(x: Iterable[Any], y: Iterable[Any]) -> tuple[list[float], list[float]]:
    """The pairs ``(x, y)`` with both finite and ``y > 0`` (what a log axis can show).

    Values stored as ``"inf"`` strings in results are dropped like other non-finite ones."""
    xs, ys = [], []
    for a, b in zip(x, y, strict=True):
        try:
            fa, fb = float(a), float(b)
        except (TypeError, ValueError):
            continue
        if math.isfinite(fa) and math.isfinite(fb) and fb > 0:
            xs.append(fa)
            ys.append(fb)
    return xs, ys


def series(ax: Any, x: Sequence[Any], y: Sequence[Any], *, label: str,
           log: bool = True, **kw: Any) -> None:
    """Plot one line; with ``log`` only the positive finite points (see :func:`positive`)."""
    if log:
        x, y = positive(x, y)
    else:
        x, y = [float(v) for v in x], [float(v) for v in y]
    ax.plot(x, y, label=label, **kw)


def save(fig: Any, fig_dir: str | Path, name: str) -> str:
    """Write ``fig`` as ``<fig_dir>/<name>.png`` (deterministic metadata) and close it.

    Returns the file name (relative to ``fig_dir``), as the experiments' ``figures()``
    must."""
    if not name or "/" in name or name.endswith(".png"):
        raise ConfigError.for_arg("name", "must be a bare file stem without '/' or '.png'",
                                  name)
    fig_dir = Path(fig_dir)
    fig_dir.mkdir(parents=True, exist_ok=True)
    fname = f"{name}.png"
    fig.tight_layout()
    fig.savefig(fig_dir / fname, dpi=DPI, format="png", metadata={"Software": None})
    plt.close(fig)
    return fname


def cell_grid(cells: Sequence[Any], rows: Sequence[Any], cols: Sequence[Any],
              where: Any, value: Any, text: Any) -> tuple[list[list[float]], list[list[str]]]:
    """The (rows × columns) value and text grids of a heatmap: cell ``c`` goes to
    ``where(c) = (row, col)`` with ``value(c)`` and ``text(c)``; empty places NaN and ""."""
    grid = [[math.nan] * len(cols) for _ in rows]
    texts = [[""] * len(cols) for _ in rows]
    for c in cells:
        r, k = where(c)
        i, j = rows.index(r), cols.index(k)
        grid[i][j], texts[i][j] = value(c), text(c)
    return grid, texts


def binned_heatmap(ax: Any, values: Sequence[Sequence[float]], texts: Sequence[Sequence[str]],
                   *, edges: Sequence[float], colors: Sequence[str], names: Sequence[str],
                   xticks: Sequence[str], yticks: Sequence[str], missing: str) -> None:
    """A heatmap of ``values`` (rows × columns) coloured by the bin ``edges[i] <= v <
    edges[i + 1]`` (``colors[i]``, legend ``names[i]``), NaN cells grey (legend
    ``missing``), with ``texts`` written in the cells.  Call :func:`axes` for the labels."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    if not (len(edges) == len(colors) + 1 == len(names) + 1):
        raise ConfigError.for_arg("edges/colors/names", "need len(edges) = len(colors) + 1 = "
                                  "len(names) + 1", (len(edges), len(colors), len(names)))
    cmap = ListedColormap(list(colors)).with_extremes(bad="#bdbdbd")
    ax.imshow(values, cmap=cmap, norm=BoundaryNorm(list(edges), cmap.N), aspect="auto")
    for i, row in enumerate(texts):
        for j, text in enumerate(row):
            ax.text(j, i, text, ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(xticks)), list(xticks), fontsize=7)
    ax.set_yticks(range(len(yticks)), list(yticks), fontsize=7)
    ax.legend(handles=[Patch(color=c, label=n) for c, n in zip(colors, names, strict=True)]
              + [Patch(color="#bdbdbd", label=missing)], fontsize=6, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))
