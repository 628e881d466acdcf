"""Lint .sql files in worker processes: the files are independent, so CPUs share the work.

Results come back in the order of the files, and an error is raised at the file that caused it,
so a parallel run prints exactly what a serial run prints. Alembic scripts are not sent to
workers (see ``docs/lint.md``, "Parallel linting"): they are user code, run in this process.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from alembic_safe.config import Settings
from alembic_safe.lint.files import FileResult, lint_sql

#: below this many .sql files, starting workers costs more than it saves (default ``jobs``)
MIN_FILES = 8
#: files per task sent to a worker, per worker (fewer round trips, still balanced)
_CHUNKS_PER_WORKER = 8


def cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def workers(jobs: int | None, files: int) -> int:
    """Processes for ``files`` .sql files: ``jobs`` when given (1: this process alone), else
    one per CPU once there are :data:`MIN_FILES` files; never more than there are files."""
    if jobs is None:
        jobs = cpus() if files >= MIN_FILES else 1
    return max(1, min(jobs, files))


def _ignore_interrupt() -> None:
    """Workers leave Ctrl-C to the main process, which stops the pool and reports it once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def sql_results(
    paths: Sequence[Path], shown: Sequence[str], settings: Settings, *,
    assume_in_transaction: bool, jobs: int | None,
) -> Iterator[Iterator[FileResult]]:
    """The results of linting ``paths`` (shown as ``shown``), in order: computed ahead by a
    pool of worker processes when :func:`workers` says so, else one by one as they are read."""
    job = partial(lint_sql, settings=settings, assume_in_transaction=assume_in_transaction)
    count = workers(jobs, len(paths))
    if count == 1:
        yield map(job, paths, shown)
        return
    # imported here: multiprocessing adds ~50 ms to start-up, which a run of few files skips
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, len(paths) // (count * _CHUNKS_PER_WORKER))
    with ProcessPoolExecutor(max_workers=count, initializer=_ignore_interrupt) as pool:
        try:
            yield pool.map(job, paths, shown, chunksize=chunk)
        finally:
            pool.shutdown(cancel_futures=True)
