"""A time limit for running a migration script offline (``lint_timeout``).

A script is user code: one that waits for something that never comes (a query result, a lock, a
prompt) or loops forever would hang the whole lint run. :func:`time_limit` raises
:class:`ScriptTimeout` in the running code when the limit passes, so lint reports the script
and goes on with the other files.

In the main thread (where ``alembic-safe lint`` runs scripts) a ``SIGALRM`` timer interrupts
Python code and the waits of the standard library (``time.sleep``, sockets, locks). Elsewhere
(another thread, or a platform without ``SIGALRM``) the exception is raised asynchronously in the
script's thread, which interrupts Python code only.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType


class ScriptTimeout(BaseException):
    """The script ran past its time limit. A BaseException, so that a script's own
    ``except Exception`` cannot swallow it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`ScriptTimeout` in this thread when the block runs longer than
    ``seconds`` (0 or less: no limit)."""
    if seconds <= 0:
        yield
    elif threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(seconds):
            yield
    else:
        with _async_raise(seconds):
            yield


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def expired(signum: int, frame: FrameType | None) -> None:
        raise ScriptTimeout

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _async_raise(seconds: float) -> Iterator[None]:
    target = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def expired() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(ScriptTimeout))

    timer = threading.Timer(seconds, expired)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["done"] = True
            if state["fired"]:  # raised too late to matter: withdraw it if still pending
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)
        timer.cancel()


def frame_line(exc: BaseException, path: Path) -> int | None:
    """The line of ``path`` that was running when ``exc`` was raised (its innermost frame)."""
    target = os.path.realpath(path)
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if os.path.realpath(frame.f_code.co_filename) == target:
            line = lineno if lineno is not None else frame.f_lineno  # None at a loop's jump
    return line
