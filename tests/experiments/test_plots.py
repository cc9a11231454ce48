"""Tests of experiments.plots: labelled axes with units, deterministic PNGs."""

from __future__ import annotations

import math

import pytest

from experiments import plots
from pyverify.errors import ConfigError


def _fig():
    fig, (ax,) = plots.figure()
    plots.series(ax, [1, 2, 3, 4], [1e-3, 0.0, "inf", 10.0], label="data")
    plots.axes(ax, xlabel="index i [1]", ylabel="value [s]", xlog=True, ylog=True,
                title="t")
    return fig, ax


def test_axes_are_labelled_with_log_scales_and_legend(tmp_path):
    fig, ax = _fig()
    assert ax.get_xlabel() == "index i [1]" and ax.get_ylabel() == "value [s]"
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_legend() is not None
    # the non-positive / non-finite points were dropped for the log axis
    x, y = ax.get_lines()[0].get_data()
    assert list(x) == [1.0, 4.0] and list(y) == [1e-3, 10.0]
    assert (tmp_path / plots.save(fig, tmp_path, "p")).is_file()


@pytest.mark.parametrize("label", ["", "no unit", "value [s] extra"])
def test_axes_refuse_labels_without_unit(label):
    _, (ax,) = plots.figure()
    with pytest.raises(ConfigError, match="unit"):
        plots.axes(ax, xlabel=label, ylabel="y [1]")


def test_positive_filters_what_a_log_axis_cannot_show():
    assert plots.positive([1, 2, 3, 4, 5], [1, -1, math.nan, "inf", None]) == ([1.0], [1.0])


def test_save_is_deterministic_and_names_are_checked(tmp_path):
    fig, _ = _fig()
    name = plots.save(fig, tmp_path / "a", "plot")
    fig, _ = _fig()
    plots.save(fig, tmp_path / "b", "plot")
    assert name == "plot.png"
    a, b = (tmp_path / "a" / name).read_bytes(), (tmp_path / "b" / name).read_bytes()
    assert a[:8] == b"\x89PNG\r\n\x1a\n" and a == b
    for bad in ("x/y", "x.png", ""):
        with pytest.raises(ConfigError):
            plots.save(fig, tmp_path, bad)


def test_figure_panels():
    _, axs = plots.figure(ncols=3, nrows=2)
    assert len(axs) == 6
    with pytest.raises(ConfigError):
        plots.figure(ncols=0)
