"""What a server backend hands back once its server accepts connections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Started:
    """A server a backend started: URL of its maintenance database and how to stop it."""

    url: str
    pid: int
    directory: Path
    shutdown: Callable[[], None]
    source: str
