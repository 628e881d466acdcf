"""``python -m alembic_safe.demo``: alembic-safe on the example billing app, step by step.

Starts the embedded PostgreSQL server, makes a fresh database, copies
``examples/billing`` to a temporary directory and runs the real ``alembic`` and
``alembic-safe`` commands on it: upgrade, lint, a refused unsafe migration and its
safe fix, the re-run of a deploy killed after its index build, an opt-out with a reason
(dry run first), a batched backfill, then ``alembic check`` passing and failing. A step
runs only once the feature it shows exists. Exits 1 when a step does not behave as
narrated. Leaves no server or directory behind.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import alembic_safe
from alembic_safe.demo_catalog import (
    alembic_revision,
    enum_values,
    index_is_valid,
    remove_claims,
    run_autocommit,
    schema_summary,
    seed_claims,
    seed_untrimmed_payers,
    untrimmed_payers,
)
from alembic_safe.testing import embedded_server, fresh_database

EXAMPLE_APP = Path(__file__).resolve().parents[1] / "examples" / "billing"
UNSAFE_INDEX = "ix_claim_line_items_cpt_code"


class StepFailed(Exception):
    """A step did not behave as the demo says it should."""


@dataclass(frozen=True)
class Demo:
    """The temporary copy of the app and the database the demo works on."""

    app: Path
    url: str

    @property
    def versions(self) -> Path:
        return self.app / "migrations" / "versions"

    def run(self, display: str, argv: Sequence[str], expect_ok: bool) -> str:
        """Run a command in the app copy, echo it and its output, check its exit status."""
        print(f"$ {display}")
        env = {**os.environ, "DATABASE_URL": self.url, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.run(
            list(argv), cwd=self.app, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, timeout=300, check=False,
        )
        for line in proc.stdout.rstrip().splitlines():
            print(f"    {line}")
        if (proc.returncode == 0) != expect_ok:
            wanted = "succeed" if expect_ok else "fail"
            raise StepFailed(f"`{display}` should {wanted} but exited {proc.returncode}")
        return proc.stdout

    def add_example(self, example: str, as_name: str, why: str) -> Path:
        """Copy ``unsafe_examples/<example>`` into the migrations as ``as_name``."""
        target = self.versions / as_name
        shutil.copy(self.app / "unsafe_examples" / example, target)
        print(f"Added unsafe_examples/{example} ({why}) as migrations/versions/{as_name}")
        return target

    def undo_example(self, target: Path, why: str = "") -> None:
        """Downgrade the example revision 0003 and remove its script again."""
        self.alembic("downgrade", "0002")
        target.unlink()
        ok(f"demo migration rolled back and removed{why}")

    def alembic(self, *args: str, expect_ok: bool = True) -> str:
        return self.run("alembic " + " ".join(args), [sys.executable, "-m", "alembic", *args],
                        expect_ok)

    def lint(self, *args: str, expect_ok: bool) -> str:
        command = lint_command()
        if command is None:
            raise StepFailed("the alembic-safe command is not installed")
        return self.run("alembic-safe lint " + " ".join(args), [command, "lint", *args], expect_ok)


def heading(number: int, title: str) -> None:
    print(f"\n== {number}. {title}", flush=True)


def ok(text: str) -> None:
    print(f"ok: {text}", flush=True)


def guard_exists() -> bool:
    return hasattr(alembic_safe, "configure")


def lint_command() -> str | None:
    """The ``alembic-safe`` console script of this interpreter's environment."""
    beside = Path(sys.executable).with_name("alembic-safe")
    return str(beside) if beside.is_file() else shutil.which("alembic-safe")


def lint_exists() -> bool:
    return importlib.util.find_spec("alembic_safe.cli.main") is not None and bool(lint_command())


def step_upgrade(demo: Demo) -> None:
    upgrade = demo.alembic("upgrade", "head")
    if "fresh install" not in upgrade:
        raise StepFailed("the first upgrade of an empty database was not called a fresh install")
    summary = schema_summary(demo.url)
    print("Tables:  " + ", ".join(summary.tables))
    print("Enum claim_status: " + ", ".join(enum_values(demo.url, "claim_status")))
    print("Indexes:")
    for name, table, columns in summary.indexes:
        print(f"    {table}.{name} ({columns})")
    if alembic_revision(demo.url) != "0002":
        raise StepFailed("the database is not at revision 0002 after `alembic upgrade head`")
    ok("the example app is at head (0002); a fresh install: nothing to protect yet, so "
       "only statements that would fail are refused")


def step_lint(demo: Demo) -> None:
    unsafe = demo.lint("unsafe_examples/add_index_unsafe.py",
                       "unsafe_examples/add_index_unsafe.sql", expect_ok=False)
    if "AS101" not in unsafe:
        raise StepFailed("lint did not report AS101 on the unsafe examples")
    ok("lint reports the blocking CREATE INDEX (AS101) with the safe way to write it")
    demo.lint("unsafe_examples/add_index_fixed.py", "unsafe_examples/add_index_fixed.sql",
              expect_ok=True)
    demo.lint("migrations/versions", expect_ok=True)
    ok("the fixed examples and the app's migrations are clean")


def step_guard(demo: Demo) -> None:
    seed_claims(demo.url, 1000)
    print("Inserted 1000 claims with a line item each: the app is in use (on empty tables the "
          "guard would allow the plain CREATE INDEX, with a note)")
    target = demo.add_example("add_index_unsafe.py", "0003_add_index.py", "a plain CREATE INDEX")
    refusal = demo.alembic("upgrade", "head", expect_ok=False)
    if "AS101" not in refusal:
        raise StepFailed("the refusal does not name rule AS101")
    if alembic_revision(demo.url) != "0002" or index_is_valid(demo.url, UNSAFE_INDEX) is not None:
        raise StepFailed("the refused migration changed the database")
    ok("refused before running: still at 0002, no index built")
    shutil.copy(demo.app / "unsafe_examples" / "add_index_fixed.py", target)
    print("Replaced it with unsafe_examples/add_index_fixed.py (CONCURRENTLY, autocommit block)")
    demo.alembic("upgrade", "head")
    if alembic_revision(demo.url) != "0003" or index_is_valid(demo.url, UNSAFE_INDEX) is not True:
        raise StepFailed(f"the fixed migration did not leave a valid {UNSAFE_INDEX} at 0003")
    ok(f"applied: at 0003, {UNSAFE_INDEX} built concurrently and valid")
    demo.undo_example(target, " (the app's models do not have that index)")
    remove_claims(demo.url)


def step_rerun(demo: Demo) -> None:
    target = demo.add_example("add_index_fixed.py", "0003_add_index.py",
                              "CONCURRENTLY, autocommit block")
    run_autocommit(demo.url, f"CREATE INDEX CONCURRENTLY {UNSAFE_INDEX} "
                   "ON claim_line_items (cpt_code)")
    print(f"Built {UNSAFE_INDEX} by hand: the state a deploy killed after the build, before "
          "Alembic recorded 0003, leaves behind")
    rerun = demo.alembic("upgrade", "head")
    if (f"index {UNSAFE_INDEX} already exists, valid and identical: skipped (re-run)"
            not in rerun or alembic_revision(demo.url) != "0003"):
        raise StepFailed("the re-run did not skip the existing index and finish at 0003")
    ok("the plain re-run finished at 0003: the index already built was skipped, not refused")
    demo.undo_example(target)


def step_optout(demo: Demo) -> None:
    target = demo.add_example("add_index_allowed.py", "0003_index_payers.py",
                              "AS101 allowed, with a reason")
    dry = demo.alembic("-x", "alembic-safe-dry-run=1", "upgrade", "head")
    if "nothing was applied" not in dry or alembic_revision(demo.url) != "0002":
        raise StepFailed("the dry run did not roll back")
    ok("dry run: each statement ran and was timed, then everything was rolled back")
    applied = demo.alembic("upgrade", "head")
    if "payers is a reference table" not in applied or alembic_revision(demo.url) != "0003":
        raise StepFailed("the opt-out and its reason were not reported, or 0003 not applied")
    ok("applied at 0003; the guard printed the opt-out and its reason")
    demo.undo_example(target)


def step_backfill(demo: Demo) -> None:
    seed_untrimmed_payers(demo.url, 2000)
    print("Inserted 2000 payers whose names carry stray spaces")
    unsafe = demo.lint("unsafe_examples/trim_payer_names_unsafe.py", expect_ok=False)
    if "AS602" not in unsafe:
        raise StepFailed("lint did not report the one-statement UPDATE (AS602)")
    ok("lint fails it: one UPDATE locks every row until it commits (AS602, an error)")
    demo.lint("unsafe_examples/trim_payer_names_fixed.py", expect_ok=True)
    ok("the batched backfill lints clean: rendered as the key-range batches `--sql` writes")
    target = demo.add_example("trim_payer_names_fixed.py", "0003_trim_payer_names.py",
                              "alembic_safe.backfill")
    applied = demo.alembic("upgrade", "head")
    if "2000 names trimmed in 4 batches" not in applied or untrimmed_payers(demo.url):
        raise StepFailed("the batched backfill did not trim every payer name in 4 batches")
    ok("applied at 0003: every name trimmed, 500 keys per committed batch")
    demo.undo_example(target)


def step_check(demo: Demo) -> None:
    output = demo.alembic("check")
    if "No new upgrade operations detected" not in output:
        raise StepFailed("`alembic check` did not report the models and migrations in sync")
    ok("models, migrations and database agree")
    target = demo.add_example("add_index_unsafe.py", "0003_add_index.py",
                              "pending, not applied")
    unsafe = demo.alembic("check", expect_ok=False)
    target.unlink()
    if "AS101" not in unsafe:
        raise StepFailed("`alembic check` did not name AS101 in the pending migration")
    ok("alembic check fails on the unsafe pending migration (removed again)")
    models = demo.app / "billing" / "models.py"
    original = models.read_text()
    models.write_text(original.replace(
        "    payer_code: Mapped[str] = mapped_column(unique=True)\n",
        "    payer_code: Mapped[str] = mapped_column(unique=True)\n"
        "    phone: Mapped[str | None]\n", 1))
    print("Added a column payers.phone to the models, with no migration for it")
    drift = demo.alembic("check", expect_ok=False)
    models.write_text(original)
    if "payers" not in drift or "phone" not in drift:
        raise StepFailed("`alembic check` did not report the model change payers.phone")
    ok("alembic check fails on model drift (models.py restored)")


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[Demo], None]
    available: Callable[[], bool]
    missing: str


STEPS = (
    Step("alembic upgrade head on the example app", step_upgrade, guard_exists,
         "env.py needs alembic_safe.configure (the runtime guard)"),
    Step("alembic-safe lint: the unsafe example, its fix, the app's migrations", step_lint,
         lint_exists, "the alembic-safe lint command"),
    Step("alembic upgrade with an unsafe migration: refused by the runtime guard", step_guard,
         guard_exists, "the runtime guard"),
    Step("a deploy killed after a concurrent index build: the plain re-run finishes",
         step_rerun, guard_exists, "the runtime guard"),
    Step("an opt-out with a reason, first as a dry run", step_optout, guard_exists,
         "the runtime guard"),
    Step("a data change: one big UPDATE flagged, the batched backfill applied", step_backfill,
         guard_exists, "the runtime guard"),
    Step("alembic check: passes on the app, fails on an unsafe pending migration and on "
         "model drift", step_check, guard_exists, "the runtime guard"),
)


def copy_app(destination: Path) -> Path:
    if not (EXAMPLE_APP / "alembic.ini").is_file():
        raise StepFailed(f"{EXAMPLE_APP} is missing: run the demo from a source checkout")
    app = destination / "billing"
    shutil.copytree(EXAMPLE_APP, app, ignore=shutil.ignore_patterns("__pycache__"))
    return app


def run_steps(demo: Demo) -> None:
    for number, step in enumerate(STEPS, start=1):
        heading(number, step.title)
        if not step.available():
            print(f"skipped: not built yet ({step.missing})")
            continue
        step.run(demo)


def main() -> int:
    """Run the demo; 0 when every available step behaved as narrated."""
    print("alembic-safe demo: the example billing app on an embedded PostgreSQL")
    try:
        with tempfile.TemporaryDirectory(prefix="alembic-safe-demo-") as tmp:
            app = copy_app(Path(tmp))
            with embedded_server() as server, fresh_database(server) as url:
                print(f"PostgreSQL {server.version} started; fresh database created; "
                      f"app copied to {app}")
                run_steps(Demo(app=app, url=url))
    except StepFailed as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        return 1
    print("\nDemo finished: server stopped, temporary files removed.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
