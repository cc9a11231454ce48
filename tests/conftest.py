"""Shared test configuration.

Hypothesis profiles (choose with ``LINATTN_HYPOTHESIS_PROFILE``):

* ``fast`` (default): few examples, what ``make test`` and CI run;
* ``thorough``: many examples, run by hand before a release.

Fixtures: ``device`` (``"cpu"``, plus ``"cuda"`` only when ``torch.cuda.is_available()``:
without CUDA the parameter is not generated and
``tests/test_kernels.py::test_cuda_device_available`` reports the absence visibly), and an
autouse session fixture that runs torch with one intra-op thread: the tests use tiny
matrices, and on a loaded 2-core machine torch's thread pool makes a 5 x 5 Cholesky about
1000x slower (spin-waiting).

``LINATTN_DATA_DIR`` points at the real MNIST/CIFAR-10 subsets (default
``../shared/data`` beside the checkout); tests that need them are skipped with a visible
reason when absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "fast",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("LINATTN_HYPOTHESIS_PROFILE", "fast"))

REPO_ROOT = Path(__file__).resolve().parents[1]


def _default_data_dir() -> Path:
    env = os.environ.get("LINATTN_DATA_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The real-data folder; skips (with the path in the reason) when it is absent."""
    path = _default_data_dir()
    if not path.is_dir():
        pytest.skip(f"real data not found at {path} (set LINATTN_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def mnist_dir(shared_data_dir: Path) -> Path:
    path = shared_data_dir / "mnist"
    if not (path / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"MNIST IDX files not found in {path}")
    return path


@pytest.fixture(scope="session")
def cifar_dir(shared_data_dir: Path) -> Path:
    path = shared_data_dir / "cifar10" / "cifar-10-batches-py"
    if not (path / "data_batch_1").is_file():
        pytest.skip(f"CIFAR-10 python batches not found in {path}")
    return path


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="session", name="device", params=[
    pytest.param(dev, id=dev, marks=[pytest.mark.cuda] if dev == "cuda" else [])
    for dev in DEVICES
])
def device_fixture(request: pytest.FixtureRequest) -> str:
    """A torch device name the test runs on."""
    return request.param


@pytest.fixture(scope="session", autouse=True)
def single_thread_torch():
    """One intra-op torch thread for the whole test session (restored at the end)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
