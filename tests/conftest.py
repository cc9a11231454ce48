"""Shared test configuration.

Hypothesis profiles (choose with ``LINATTN_HYPOTHESIS_PROFILE``):

* ``fast`` (default): few examples, what ``make test`` and CI run;
* ``thorough``: many examples, run by hand before a release.

Fixtures: ``device`` (``"cpu"``, plus ``"cuda"`` only when ``torch.cuda.is_available()``:
without CUDA the parameter is not generated and
``tests/test_kernels.py::test_cuda_device_available`` reports the absence visibly); an
autouse session fixture that runs torch with ``LINATTN_TEST_THREADS`` intra-op threads
(default 1: the tests use tiny matrices, and on a loaded 2-core machine torch's thread pool
makes a 5 x 5 Cholesky about 1000x slower when spin-waiting; CI's portability pass sets 2);
and an autouse fixture that seeds torch's global generator before every test, so that a
test's draws do not depend on which tests ran before it (random test order, ``-p randomly``,
which reseeds ``random`` and numpy but not torch).

Portability: the suite must pass at any thread count, at every CPU capability torch offers
(``ATEN_CPU_CAPABILITY=default|avx2|avx512``), in any order and with the real data present
or absent.  So no test compares two different floating-point routes bit for bit: exact
equality is asserted only where it holds by construction (the same operations in the same
order, exact powers of two, integer arithmetic below 2^53), and says why.

``LINATTN_DATA_DIR`` points at the real MNIST/CIFAR-10 subsets (default
``../shared/data`` beside the checkout); tests that need them are skipped with a visible
reason when absent.
"""

from __future__ import annotations

import os
from pathlib import Path

# isort: off
import linattn  # noqa: F401  (first: its OpenMP wait policy must precede torch)
import pytest
import torch
from hypothesis import HealthCheck, settings
# isort: on

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


def _test_threads() -> int:
    text = os.environ.get("LINATTN_TEST_THREADS", "1")
    if not text.isdigit() or int(text) < 1:
        raise pytest.UsageError(f"LINATTN_TEST_THREADS: must be an integer >= 1 (got {text!r})")
    return int(text)


@pytest.fixture(scope="session", autouse=True)
def torch_threads():
    """``LINATTN_TEST_THREADS`` (default 1) intra-op torch threads for the whole session."""
    old = torch.get_num_threads()
    torch.set_num_threads(_test_threads())
    yield
    torch.set_num_threads(old)


@pytest.fixture(autouse=True)
def seeded_torch():
    """torch's global generator seeded before every test (order-independent draws)."""
    torch.manual_seed(0)


def pytest_report_header(config: pytest.Config) -> str:
    cap = torch.backends.cpu.get_cpu_capability()
    return (f"linattn: torch {torch.__version__}, CPU capability {cap}, "
            f"{_test_threads()} test thread(s), data dir {_default_data_dir()} "
            f"({'present' if _default_data_dir().is_dir() else 'absent'})")
