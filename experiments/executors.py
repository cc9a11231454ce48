"""Where the units of a run are computed: in this process (the default, no Dask import), on
a ``distributed.LocalCluster`` of this machine (``--workers N``), or on an existing Dask
cluster (``--scheduler tcp://HOST:PORT``, started with ``dask scheduler`` / ``dask worker`` or
by ``dask-jobqueue`` on Slurm).

The units of a run are independent and deterministic given the unit, so any order and any
worker give the same records.  :func:`compute_unit` is the task a worker runs: it imports the
experiment module by name, registers the run's user datasets in the worker process, sets
torch's thread count to the client's (results of torch's kernels may depend on it, so a
cluster run matches the in-process run byte for byte on the same machine) and returns the
unit's result.  The client writes every record atomically as it arrives
(:func:`experiments.runner.run_units`), so an interrupted run resumes under any executor.
A task whose worker dies is computed again on another worker (``retries`` per unit, plus
Dask's own rescheduling of a dead worker's tasks).
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from experiments.runner import Computed, Executor, Unit
from pyverify.errors import ConfigError

__all__ = ["RETRIES", "DaskRun", "compute_unit"]

RETRIES = 3
"""Extra attempts of a unit whose computation was lost (a worker died)."""


def compute_unit(module_name: str, cfg: Any, unit: Unit, threads: int) -> tuple[dict, float]:
    """Run ``module.run_unit(cfg, unit)`` in this (worker) process with ``threads`` torch
    threads; returns ``(result, seconds)``."""
    import torch

    module = importlib.import_module(module_name)
    cfg.register_data()
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    result = module.run_unit(cfg, unit)
    return result, time.perf_counter() - t0


class DaskRun:
    """A Dask client for one run: ``DaskRun(workers=N)`` starts a LocalCluster of N worker
    processes (one thread each, torch threads as the client's); ``DaskRun(scheduler=ADDR)``
    connects to an existing cluster.  Use as a context manager; :meth:`executor` gives the
    :data:`experiments.runner.Executor` of one experiment module."""

    def __init__(self, *, workers: int | None = None, scheduler: str | None = None) -> None:
        if (workers is None) == (scheduler is None):
            raise ConfigError.for_arg("--workers/--scheduler", "give exactly one",
                                      (workers, scheduler))
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                    or workers < 1):
            raise ConfigError.for_arg("--workers", "must be an integer >= 1", workers)
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError.for_arg("--workers/--scheduler", "needs Dask: pip install "
                                      "'linattn[dask]' (distributed)") from None
        import torch

        self.threads = torch.get_num_threads()
        self.cluster = None
        # LocalCluster writes its workers' settings (OMP_NUM_THREADS=1, ...) into this
        # process's environment; close() puts the caller's environment back.
        self._environ = dict(os.environ)
        if workers is not None:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                        processes=True, dashboard_address=None,
                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(scheduler, timeout="30s")
            except OSError as exc:
                raise ConfigError.for_arg("--scheduler", "no Dask scheduler answers there",
                                          scheduler, hint=str(exc)[:120]) from None
        self.address = self.client.scheduler.address

    def executor(self, module_name: str, cfg: Any) -> Executor:
        """Submit the pending units of ``module_name`` and yield them as they finish."""
        from distributed import as_completed

        def run(units: list[Unit]) -> Iterator[Computed]:
            futures = {self.client.submit(compute_unit, module_name, cfg, u, self.threads,
                                          key=f"{u.experiment}-{u.key()}", pure=False,
                                          retries=RETRIES): u for u in units}
            for fut in as_completed(futures):
                result, seconds = fut.result()
                yield futures[fut], result, seconds

        return run

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        os.environ.clear()
        os.environ.update(self._environ)

    def __enter__(self) -> DaskRun:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

