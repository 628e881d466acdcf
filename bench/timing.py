"""Small helpers the benchmarks share: timing, tables of figures, JSON output."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def timed(fn: Callable[[], object]) -> float:
    """Wall-clock seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best_of(runs: int, fn: Callable[[], object]) -> float:
    """The fastest of ``runs`` calls of ``fn`` (seconds): the least disturbed by the machine."""
    return min(timed(fn) for _ in range(max(1, runs)))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as aligned columns; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(path: str | None, figures: dict[str, Any]) -> None:
    """Write ``figures`` to ``path`` (if given) and say so."""
    if path is None:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {path}")


def tool(name: str) -> str | None:
    """The console script ``name`` of this Python environment, else the one on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    from shutil import which

    return which(name)
