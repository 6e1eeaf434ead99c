"""Run independent tasks on Dask workers, handing each result back as soon as it is done.

Parallelism is over structures, not threads: every local worker is a separate process
with one OpenMP/BLAS thread, started with Debian's OpenBLAS preloaded when it is
installed (tblite's wheel bundles the reference BLAS, 4-5x slower; the library swap must
happen before the process starts, hence ``LD_PRELOAD`` in the workers' environment).

Results are passed to ``on_result`` in the driving process in completion order, so the
caller can store each one at once and a killed run loses nothing that finished.  A
worker killed mid-task is restarted by its nanny and the scheduler resubmits the task;
each key is reported exactly once.

>>> run(pow, {"a": ((2, 3), {}), "b": ((3, 2), {})}, print, workers=0, progress=False)
a 8
b 9
"""

import contextlib
import ctypes.util
import logging
import os
import sys

from clustergen.core.errors import ClusterGenError

# Debian/Ubuntu paths of libopenblas0-pthread, then the generic name.
OPENBLAS_PATHS = (
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
    "/usr/lib64/libopenblas.so.0",
)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def openblas_path():
    """Path of a system OpenBLAS to preload, or None.

    ``CLUSTERGEN_OPENBLAS`` overrides the search: a path, or ``none`` to keep tblite's
    bundled BLAS.
    """
    forced = os.environ.get("CLUSTERGEN_OPENBLAS")
    if forced:
        return None if forced.lower() == "none" else forced
    for path in OPENBLAS_PATHS:
        if os.path.exists(path):
            return path
    name = ctypes.util.find_library("openblas")
    return name if name and os.path.isabs(name) else None


def worker_environ():
    """Environment for local worker processes: one thread each, OpenBLAS preloaded.

    >>> worker_environ()["OMP_NUM_THREADS"]
    '1'
    """
    env = {name: "1" for name in THREAD_VARIABLES}
    lib = openblas_path()
    if lib:
        old = os.environ.get("LD_PRELOAD", "")
        env["LD_PRELOAD"] = lib if lib in old.split() else f"{lib} {old}".strip()
    return env


def blas_notice():
    """One line for the user when the fast BLAS is missing, else None."""
    if openblas_path():
        return None
    return ("clustergen: OpenBLAS not found (apt-get install libopenblas0-pthread); "
            "tblite runs on its bundled reference BLAS, 4-5x slower")


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
    notice = blas_notice()
    if notice:
        print(notice, file=sys.stderr)
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
            for key, (args, kwargs) in tasks.items():
                report(key, lambda: func(*args, **kwargs))
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
