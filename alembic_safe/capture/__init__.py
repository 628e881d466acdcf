"""Offline capture of the SQL an Alembic migration emits, and where in the script it came from."""

from alembic_safe.capture.location import find_caller, script_line
from alembic_safe.capture.offline import CapturedStatement, ScriptError, load_script, run_offline

__all__ = [
    "CapturedStatement",
    "ScriptError",
    "find_caller",
    "load_script",
    "run_offline",
    "script_line",
]
