"""Run independent tasks on Dask workers, handing each result back as soon as it is done.

Parallelism is over structures, not threads: every local worker is a separate process
with one OpenMP/BLAS thread, started with OpenBLAS preloaded (the route of
:mod:`clustergen.compute.blas`: pip wheel, else Debian's; tblite's wheel bundles the
reference BLAS, 4-5x slower).  Preloading makes the swap independent of what a task
imports first.

Results are passed to ``on_result`` in the driving process in completion order, so the
caller can store each one at once and a killed run loses nothing that finished.  A
worker killed mid-task is restarted by its nanny and the scheduler resubmits the task;
each key is reported exactly once.

>>> run(pow, {"a": ((2, 3), {}), "b": ((3, 2), {})}, print, workers=0, progress=False)
a 8
b 9
"""

import contextlib
import logging
import os
import signal
import sys
import threading

from clustergen.compute import blas
from clustergen.core.errors import ClusterGenError

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def openblas_path():
    """Path of the OpenBLAS local workers preload (the first of the routes of
    :mod:`clustergen.compute.blas`: pip wheel, then Debian's), or None.

    ``CLUSTERGEN_OPENBLAS`` overrides the search: ``pip``, ``apt``, a path, or ``none``
    to keep tblite's bundled BLAS.
    """
    files = blas.child_preload()
    return files[-1] if files else None


def worker_environ():
    """Environment for local worker processes: one thread each, OpenBLAS preloaded.

    >>> worker_environ()["OMP_NUM_THREADS"]
    '1'
    """
    env = {name: "1" for name in THREAD_VARIABLES}
    env["CLUSTERGEN_BLAS_QUIET"] = "1"  # the driving process says it once for all
    files = blas.child_preload()
    if files:
        old = os.environ.get("LD_PRELOAD", "").split()
        env["LD_PRELOAD"] = " ".join([f for f in files if f not in old] + old)
    return env


def blas_notice():
    """One line for the user when the workers will run the slow bundled BLAS, else None."""
    if openblas_path():
        return None
    return blas.notice_text()


@contextlib.contextmanager
def _environ(values):
    """Set environment variables for the duration of the block."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _sigint_ignored():
    """Ignore Ctrl-C while worker processes are spawned: they inherit the ignored
    signal, so a Ctrl-C at the terminal (sent to the whole process group) reaches only
    this process, which stops the run with one line instead of every worker printing a
    traceback.  The workers are then shut down by the cluster's close."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@contextlib.contextmanager
def client(workers=None, scheduler=None):
    """A Dask client: on ``scheduler`` if given, else on a new LocalCluster.

    The LocalCluster has ``workers`` single-threaded worker processes (default: one per
    core) whose environment comes from :func:`worker_environ`.  Its nannies re-apply
    that environment when they restart a killed worker.
    """
    import dask
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            c = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise ClusterGenError(f"cannot reach Dask scheduler {scheduler}: {exc}") from None
        try:
            yield c
        finally:
            c.close()
        return
    workers = workers or os.cpu_count() or 1
    if blas_notice():
        blas.notice()  # once per process, however many clusters it starts
    env = worker_environ()
    # Nannies read pre-spawn-environ (with the OS environment taking precedence) when
    # they are created and set it just before spawning; set both so ours wins.
    with _environ(env), dask.config.set({"distributed.nanny.pre-spawn-environ": env}), \
            _sigint_ignored():
        # no dashboard; the scheduler's small HTTP server on a free port, not 8787
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR,
                               scheduler_kwargs={"dashboard": False,
                                                 "dashboard_address": "127.0.0.1:0"})
    try:
        with Client(cluster) as c:
            yield c
    finally:
        cluster.close()



# Ctrl-C while tasks run in this process.  A KeyboardInterrupt raised from the signal
# handler can land inside a C callback (tblite's cffi finalisers), where Python prints it
# and swallows it, and the run would go on as if nothing happened.  So the handler only
# notes the Ctrl-C; it is raised at safe points: between tasks and at every optimiser step
# (:func:`check_interrupt`).
_INTERRUPTED = threading.Event()


def check_interrupt():
    """Raise KeyboardInterrupt if Ctrl-C was pressed while tasks ran in this process.

    >>> check_interrupt() is None
    True
    """
    if _INTERRUPTED.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def _noted_interrupts():
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _INTERRUPTED.clear()
    old = signal.signal(signal.SIGINT, lambda signum, frame: _INTERRUPTED.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
        _INTERRUPTED.clear()


def run(func, tasks, on_result, on_error=None, workers=None, scheduler=None,
        progress=True, desc="tasks"):
    """Call ``func(*args, **kwargs)`` for every ``key: (args, kwargs)`` of ``tasks``.

    ``on_result(key, value)`` runs in this process as each task finishes (completion
    order).  A task that raises is reported to ``on_error(key, reason)`` when given,
    else its exception propagates.  ``workers=0`` without a scheduler runs the tasks
    here, in order, without Dask.  A tqdm bar on stderr shows done/total and ETA.
    """
    from tqdm import tqdm

    if not tasks:
        return
    bar = tqdm(total=len(tasks), desc=desc, unit="cand", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)

    def report(key, call):
        try:
            value = call()
        except Exception as exc:
            if on_error is None:
                raise
            on_error(key, f"{type(exc).__name__}: {exc}".splitlines()[0])
        else:
            on_result(key, value)
        bar.update(1)

    with bar:
        if workers == 0 and not scheduler:
            with _noted_interrupts():
                for key, (args, kwargs) in tasks.items():
                    check_interrupt()
                    report(key, lambda: func(*args, **kwargs))
                check_interrupt()
            return
        from dask.distributed import as_completed

        with client(min(workers or os.cpu_count() or 1, len(tasks)), scheduler) as c:
            futures = {}
            for key, (args, kwargs) in tasks.items():
                # pure=False: a rerun of the same key is real work, never a cached answer
                fut = c.submit(func, *args, key=f"{desc}-{key}", pure=False, **kwargs)
                futures[fut] = key
            for fut in as_completed(futures):
                report(futures[fut], fut.result)
                fut.release()
