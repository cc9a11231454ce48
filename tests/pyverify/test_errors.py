"""The error vocabulary (pyverify.errors)."""

from __future__ import annotations

import pytest

import pyverify
import pyverify.errors
from pyverify import errors
from pyverify.errors import (
    ConfigError,
    DataError,
    InputError,
    KernelHealthError,
    LinAttnError,
    NumericalError,
)

ALL = [ConfigError, DataError, InputError, KernelHealthError, NumericalError]


@pytest.mark.parametrize("cls", ALL)
def test_every_error_is_a_valueerror_and_linattnerror(cls):
    assert issubclass(cls, LinAttnError) and issubclass(cls, ValueError)
    with pytest.raises(ValueError, match=r"^X: must be 2-D \(got 3\)$"):
        raise cls.for_arg("X", "must be 2-D", 3)


def test_kernel_health_is_numerical():
    assert issubclass(KernelHealthError, NumericalError)


def test_for_arg_message_and_attributes():
    err = InputError.for_arg("eps", "must be >= 0", -1.5, hint="a bound on |delta_a|")
    assert str(err) == "eps: must be >= 0 (got -1.5); a bound on |delta_a|"
    assert (err.argument, err.condition, err.value) == ("eps", "must be >= 0", -1.5)
    assert str(InputError.for_arg("n", "must be positive")) == "n: must be positive"


def test_long_values_are_truncated():
    err = InputError.for_arg("X", "bad", "a" * 500)
    got = str(err)[len("X: bad (got "):-1]
    assert len(got) == 120 and got.endswith("...")


def test_gate_records_check_and_threshold():
    err = KernelHealthError.gate("psd", "K", "lambda_min >= -tol", -1e-3, 1e-9)
    assert (err.check, err.threshold, err.argument) == ("psd", 1e-9, "K")
    assert str(err).startswith("K: kernel gate 'psd' failed: lambda_min >= -tol (got -0.001)")


def test_public_exports_are_the_same_classes():
    for name in errors.__all__:
        assert getattr(pyverify, name) is getattr(errors, name)
        assert getattr(pyverify.errors, name) is getattr(errors, name)
        assert name in pyverify.__all__


def test_pyverify_never_imports_torch_or_experiments():
    import subprocess
    import sys

    code = ("import sys, pyverify; bad = [m for m in sys.modules if m == 'torch' or "
            "m.startswith('torch.') or m == 'experiments' or m.startswith('experiments.')]; "
            "print(bad); raise SystemExit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
