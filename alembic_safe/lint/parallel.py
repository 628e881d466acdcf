"""Lint .sql files in worker processes, ahead of the main process.

A file of a history depends on the files before it (the schema facts they established), so a
worker lints it *speculatively*, without them: with a recording
:class:`~alembic_safe.analysis.schema.SchemaState` that logs the file's changes and the facts it
looked for and did not find. The main process takes the files in order: when its state knows
none of what the file looked for, the worker's result is exactly the serial one and the logged
changes are replayed; otherwise the file is linted again, in the main process, with the real
state. A parallel run prints exactly what a serial run prints. Alembic scripts are not sent to
workers (see ``docs/lint.md``, "Parallel linting"): they are user code, run in this process.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from alembic_safe.analysis.schema import SchemaState
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


@dataclass(frozen=True)
class Speculative:
    """A worker's result for one file, linted without the files before it."""

    result: FileResult
    #: the file's changes of the schema state, to replay
    log: list[tuple[str, tuple[Any, ...]]]
    #: what the file looked for and found nothing about (SchemaState.misses)
    misses: frozenset[str]

    def holds_with(self, state: SchemaState) -> bool:
        """Whether the result is the one ``state`` (the earlier files' facts) would give."""
        return not any(state.knows(key) for key in self.misses)


def speculate(path: Path, shown: str, settings: Settings, *, assume_in_transaction: bool,
              report: bool) -> Speculative:
    """Lint ``path`` without the files before it, recording what that may change (a worker)."""
    schema = SchemaState(recording=True)
    result = lint_sql(path, shown, settings, assume_in_transaction=assume_in_transaction,
                      schema=schema, report=report)
    return Speculative(result, schema.log or [], frozenset(schema.misses or ()))


@contextmanager
def speculative_results(
    paths: Sequence[Path], shown: Sequence[str], reported: Sequence[bool], settings: Settings,
    *, assume_in_transaction: bool, jobs: int | None,
) -> Iterator[Iterator[Speculative | None]]:
    """Speculative results of ``paths`` in order, computed ahead by a pool of worker processes
    when :func:`workers` says so; else None for each (the caller lints them one by one)."""
    count = workers(jobs, len(paths))
    if count == 1:
        yield iter([None] * len(paths))
        return
    # imported here: multiprocessing adds ~50 ms to start-up, which a run of few files skips
    from concurrent.futures import ProcessPoolExecutor

    job = partial(_speculate, settings=settings, assume_in_transaction=assume_in_transaction)
    chunk = max(1, len(paths) // (count * _CHUNKS_PER_WORKER))
    with ProcessPoolExecutor(max_workers=count, initializer=_ignore_interrupt) as pool:
        try:
            yield pool.map(job, paths, shown, reported, chunksize=chunk)
        finally:
            pool.shutdown(cancel_futures=True)


def _speculate(path: Path, shown: str, report: bool, *, settings: Settings,
               assume_in_transaction: bool) -> Speculative:
    return speculate(path, shown, settings, assume_in_transaction=assume_in_transaction,
                     report=report)
