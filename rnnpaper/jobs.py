"""Run a study's independent jobs in this process, in a local process pool, or on a Dask
cluster, chosen by one setting; results come back as each job finishes.

    from rnnpaper import jobs
    for job, result in jobs.run_jobs(run_one, job_list, initializer=init, initargs=(data,),
                                     workers=2, threads=1, name=str):
        ...

``RNNPAPER_SCHEDULER`` (or ``scheduler=``):

* ``local`` (default): this machine; one job after another in this process when
  ``workers <= 1``, else a pool of ``workers`` spawned processes;
* ``serial``: always in this process, one after another;
* ``processes``: always a pool of ``workers`` spawned processes;
* ``tcp://host:8786``: the Dask distributed scheduler at that address; its workers (started
  with ``dask worker tcp://host:8786 --nthreads 1``, in this repository's environment and
  with the same data and ``RNNPAPER_DATA_DIR``) run the jobs. ``workers`` does not apply.

Every worker process calls ``initializer(*initargs)`` once, after setting ``threads`` torch
threads, before its first job (the study's read-only data: prepared datasets, sizes); a Dask
worker does so through a worker plugin, also when it joins later. ``fn(job)`` must be a
module-level function. Every run seeds itself, so its result does not depend on where it ran.
The first failure cancels the jobs not yet started and is raised as :class:`JobError`
naming the job.
"""

import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

SCHEDULERS = ("local", "serial", "processes", "tcp://host:port")
STATE: dict = {}  # per-process scratch an initializer may fill (importable on every worker)


class JobError(RuntimeError):
    """A job failed; the message names it, and the original error is its ``__cause__``."""


def scheduler_setting(scheduler: str | None = None) -> str:
    """The scheduler in force: the argument, else ``$RNNPAPER_SCHEDULER``, else 'local'."""
    s = (scheduler or os.environ.get("RNNPAPER_SCHEDULER") or "local").strip()
    if s in SCHEDULERS[:3] or s.startswith("tcp://"):
        return s
    raise ValueError(f"RNNPAPER_SCHEDULER={s!r}: use one of {', '.join(SCHEDULERS)}")


def setup_worker(initializer, initargs: tuple, threads: int) -> None:
    """What every worker does once: torch threads, then the caller's initializer."""
    import torch

    torch.set_num_threads(threads)
    if initializer is not None:
        initializer(*initargs)


def run_jobs(
    fn: Callable,
    jobs: Iterable,
    initializer: Callable | None = None,
    initargs: tuple = (),
    workers: int = 1,
    threads: int = 1,
    scheduler: str | None = None,
    name: Callable = repr,
) -> Iterator:
    """Yield ``(job, fn(job))`` as each job finishes (module doc); ``name(job)`` in errors."""
    jobs, s = list(jobs), scheduler_setting(scheduler)
    if s == "serial" or (s == "local" and workers <= 1):
        yield from _serial(fn, jobs, initializer, initargs, threads, name)
    elif s in ("local", "processes"):
        yield from _processes(fn, jobs, initializer, initargs, workers, threads, name)
    else:
        yield from _dask(fn, jobs, initializer, initargs, threads, name, s)


def _failed(job, e: BaseException, name) -> JobError:
    return JobError(f"job {name(job)} failed: {type(e).__name__}: {e}")


def _serial(fn, jobs, initializer, initargs, threads, name):
    setup_worker(initializer, initargs, threads)
    for job in jobs:
        try:
            result = fn(job)
        except Exception as e:
            raise _failed(job, e, name) from e
        yield job, result


def _processes(fn, jobs, initializer, initargs, workers, threads, name):
    pool = ProcessPoolExecutor(
        max(1, workers),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=setup_worker,
        initargs=(initializer, initargs, threads),
    )
    try:
        futures = {pool.submit(fn, job): job for job in jobs}
        for f in as_completed(futures):
            job = futures[f]
            try:
                result = f.result()
            except Exception as e:
                raise _failed(job, e, name) from e
            yield job, result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _setup_plugin(initializer, initargs, threads):
    """A Dask worker plugin running :func:`setup_worker` once in every worker (also in one
    that joins later)."""
    from distributed import WorkerPlugin

    class Setup(WorkerPlugin):
        def setup(self, worker):
            setup_worker(initializer, initargs, threads)

    return Setup()


def _dask(fn, jobs, initializer, initargs, threads, name, address):
    from distributed import Client
    from distributed import as_completed as dask_completed

    client = Client(address, set_as_default=False)
    plugin = f"rnnpaper-setup-{uuid.uuid4().hex}"
    futures = {}
    try:
        client.register_plugin(_setup_plugin(initializer, initargs, threads), name=plugin)
        for i, job in enumerate(jobs):
            key = f"{getattr(fn, '__name__', 'job')}-{i}-{uuid.uuid4().hex[:8]}"
            futures[client.submit(fn, job, key=key, pure=False, retries=0)] = job
        for f in dask_completed(list(futures), loop=client.loop):
            job = futures[f]
            try:
                result = f.result()
            except Exception as e:
                raise _failed(job, e, name) from e
            yield job, result
    finally:
        client.cancel([f for f in futures if not f.done()])
        try:
            client.unregister_worker_plugin(plugin)
        except (KeyError, ValueError):  # never registered: the failure is already raised
            pass
        client.close()
