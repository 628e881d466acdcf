"""``--changed-since REF``: the files git reports as added or changed since a ref."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from alembic_safe.errors import UsageError


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              check=False)
    except OSError as exc:
        raise UsageError(f"--changed-since needs git, which cannot be run: {exc}") from None


def _names(args: Sequence[str], root: Path) -> set[Path]:
    done = _git(args, root)
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["git failed"])[0]
        raise UsageError(f"--changed-since: git {' '.join(args)}: {message}")
    return {(root / line).resolve() for line in done.stdout.splitlines() if line.strip()}


def changed_files(ref: str, cwd: Path) -> set[Path]:
    """Resolved paths added or modified since ``ref`` (``REF...HEAD``), plus uncommitted and
    untracked files. A ref git does not know is a UsageError."""
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if top.returncode != 0:
        raise UsageError(f"--changed-since {ref}: {cwd} is not inside a git repository")
    root = Path(top.stdout.strip())
    if _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root).returncode != 0:
        raise UsageError(f"--changed-since {ref}: unknown git ref; give a branch, tag or commit "
                         "(in CI, fetch it first, e.g. git fetch origin main)")
    changed = _names(["diff", "--name-only", "--diff-filter=AM", f"{ref}...HEAD"], root)
    changed |= _names(["diff", "--name-only", "--diff-filter=AM", "HEAD"], root)
    changed |= _names(["ls-files", "--others", "--exclude-standard"], root)
    return changed
