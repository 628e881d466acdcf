"""A migration script that never returns: ``lint_timeout`` / ``--timeout`` stop it with a
one-line error naming the script, and the other files are still linted."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from lint_helpers import Run, migration

from alembic_safe.lint.timeout import ScriptTimeout, time_limit

Lint = Callable[..., Run]
Write = Callable[[str, str], Path]
CLEAN = migration('op.execute("SELECT 1")')


def test_a_script_that_sleeps_forever_is_stopped(lint: Lint, write: Write) -> None:
    write("versions/a_sleeps.py", migration("import time\nwhile True:\n    time.sleep(3600)",
                                            header="import time"))
    write("versions/b_ok.py", CLEAN.replace('"0002"', '"0003"'))
    write("versions/c_index.sql", "CREATE INDEX ix ON t (a);\n")
    started = time.monotonic()
    run = lint("versions", "--timeout", "3s")
    assert time.monotonic() - started < 30
    assert run.code == 2
    assert run.err.splitlines() == [
        "alembic-safe: versions/a_sleeps.py:10: did not finish within lint_timeout = 3s: it "
        "waits or loops (offline, nothing answers a query); fix the script, or raise "
        "lint_timeout (--timeout)"]
    assert "versions/c_index.sql:1:1: AS101" in run.out  # the other files are linted
    assert "in 3 files" in run.out and "1 of them could not be linted" in run.out


def test_a_busy_loop_and_a_hang_at_import_are_stopped(lint: Lint, write: Write) -> None:
    write("versions/loop.py", migration("n = 0\nwhile True:\n    n += 1"))
    write("versions/imports.py", "import threading\nthreading.Event().wait()\n" + CLEAN)
    run = lint("versions", "--timeout", "2s", "--format", "json")
    assert run.code == 2
    errors = {e["path"]: e["line"] for e in run.json()["errors"]}
    assert errors.keys() == {"versions/loop.py", "versions/imports.py"}
    assert errors["versions/loop.py"] in (9, 10) and errors["versions/imports.py"] == 2


def test_the_setting_applies_and_zero_means_no_limit(lint: Lint, write: Write,
                                                     project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.alembic_safe]\nlint_timeout = "2s"\n')
    write("m.py", migration("import time\ntime.sleep(4)", header="import time"))
    assert "m.py:9: did not finish within lint_timeout = 2s" in lint("m.py").err
    assert lint("m.py", "--timeout", "0").code == 0


def test_a_bad_duration_is_a_usage_error(lint: Lint, write: Write) -> None:
    write("m.py", CLEAN)
    run = lint("m.py", "--timeout", "soon")
    assert run.code == 2
    assert "lint_timeout = 'soon' is not a duration" in run.err


def test_the_cli_in_a_subprocess_exits(write: Write, project: Path) -> None:
    write("m.py", migration("while True:\n    pass"))
    done = subprocess.run([sys.executable, "-m", "alembic_safe.cli.main", "lint", "m.py",
                           "--timeout", "3s"], cwd=project, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith(("alembic-safe: m.py:8: did not finish within lint_timeout",
                                   "alembic-safe: m.py:9: did not finish within lint_timeout"))
    assert "Traceback" not in done.stderr


def test_time_limit_outside_the_main_thread() -> None:
    outcome: list[str] = []

    def loop() -> None:
        try:
            with time_limit(0.2):
                while True:
                    pass
        except ScriptTimeout:
            outcome.append("stopped")

    worker = threading.Thread(target=loop)
    worker.start()
    worker.join(20)
    assert outcome == ["stopped"]


def test_time_limit_lets_quick_code_finish() -> None:
    with time_limit(5):
        value = sum(range(1000))
    assert value == 499500
    time.sleep(0.05)  # no late alarm arrives after the block


@pytest.mark.parametrize("seconds", [0, -1])
def test_no_limit(seconds: float) -> None:
    with time_limit(seconds):
        time.sleep(0.01)
