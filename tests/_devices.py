"""The ``device`` fixture shared by the torch test modules.

Parameters: ``"cpu"`` always, ``"cuda"`` only when ``torch.cuda.is_available()``.  When no
CUDA device exists the cuda parameter is not generated (nothing is silently skipped);
``tests/test_kernels.py::test_cuda_device_available`` reports the absence visibly with
``pytest.skip("no CUDA device: ...")``.  Import with
``from _devices import device_fixture, single_thread_torch`` (the fixture is registered
under the name ``device``; the second is an autouse fixture).
"""

from __future__ import annotations

import pytest
import torch

__all__ = ["DEVICES", "device_fixture", "single_thread_torch"]

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="session", name="device", params=[
    pytest.param(dev, id=dev, marks=[pytest.mark.cuda] if dev == "cuda" else [])
    for dev in DEVICES
])
def device_fixture(request: pytest.FixtureRequest) -> str:
    """A torch device name the test runs on."""
    return request.param


@pytest.fixture(scope="module", autouse=True)
def single_thread_torch():
    """Tiny matrices: one intra-op thread.  On a loaded 2-core machine torch's thread pool
    makes a 5 x 5 Cholesky ~1000x slower (spin-waiting); restored after the module.
    Autouse in every module that imports it."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
