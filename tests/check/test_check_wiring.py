"""The wrapper's wiring and the choice of revisions, on real Alembic objects (no database)."""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic import context as alembic_context
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from alembic_safe.config import Settings
from alembic_safe.runtime.check_command import (
    CheckedMigrations,
    revisions_to_check,
    wrap_process_revision_directives,
)

REVISION = 'revision = "{rev}"\ndown_revision = {down!r}\n\n\ndef upgrade():\n    pass\n'


def history(root: Path, edges: dict[str, str | tuple[str, ...] | None]) -> ScriptDirectory:
    """A scripts directory whose revisions have the given parents."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "env.py").write_text("")
    for rev, down in edges.items():
        (versions / f"{rev}.py").write_text(REVISION.format(rev=rev, down=down))
    config = Config()
    config.set_main_option("script_location", str(root / "migrations"))
    return ScriptDirectory.from_config(config)


def user_hook(context: Any, revision: Any, directives: Any) -> None:
    """Stands for the user's own process_revision_directives."""


def migrations(heads: Any, migration_context: Any) -> Iterable[Any]:
    return []


def environment(script: ScriptDirectory, cmd: Any) -> EnvironmentContext:
    config = Config()
    config.cmd_opts = Namespace(cmd=(cmd, [], []))
    return EnvironmentContext(config, script, fn=migrations)


def test_under_check_the_migrations_function_is_wrapped_once(tmp_path: Path) -> None:
    env = environment(history(tmp_path, {"a": None}), command.check)
    assert wrap_process_revision_directives(user_hook, Settings(), env) is user_hook
    first = env.context_opts["fn"]
    assert isinstance(first, CheckedMigrations) and first.migrations_fn is migrations
    wrap_process_revision_directives(user_hook, Settings(), env)  # a second configure()
    assert env.context_opts["fn"] is first


@pytest.mark.parametrize("cmd", [command.revision, command.upgrade, command.downgrade])
def test_other_commands_are_untouched(tmp_path: Path, cmd: Any) -> None:
    env = environment(history(tmp_path, {"a": None}), cmd)
    assert wrap_process_revision_directives(None, Settings(), env) is None
    assert wrap_process_revision_directives(user_hook, Settings(), env) is user_hook
    assert env.context_opts["fn"] is migrations


def test_the_alembic_context_proxy_is_understood(tmp_path: Path) -> None:
    env = environment(history(tmp_path, {"a": None}), command.check)
    with env:  # installs the proxy, as alembic does around env.py
        wrap_process_revision_directives(None, Settings(), alembic_context)
    assert isinstance(env.context_opts["fn"], CheckedMigrations)


def test_without_cli_options_the_call_stack_decides(tmp_path: Path) -> None:
    env = EnvironmentContext(Config(), history(tmp_path, {"a": None}), fn=migrations)
    wrap_process_revision_directives(None, Settings(), env)
    assert env.context_opts["fn"] is migrations  # not called from alembic.command.check


EDGES: dict[str, str | tuple[str, ...] | None] = {
    "r1": None, "r2": "r1", "r3": "r2", "r4": "r3", "b3": "r2", "m5": ("r4", "b3"),
}


def names(script: ScriptDirectory, heads: tuple[str, ...], baseline: str | None) -> list[str]:
    return [r.revision for r in revisions_to_check(script, heads, baseline)]


def test_pending_revisions_without_a_baseline(tmp_path: Path) -> None:
    script = history(tmp_path, EDGES)
    everything = names(script, (), None)
    assert sorted(everything) == sorted(EDGES)
    assert everything[0] == "r1" and everything[-1] == "m5"
    assert set(names(script, ("r3",), None)) == {"b3", "r4", "m5"}
    assert names(script, ("m5",), None) == []
    pending = names(script, ("r2",), None)
    assert pending.index("r3") < pending.index("r4") < pending.index("m5")  # oldest first


def test_baseline_checks_everything_after_it_applied_or_not(tmp_path: Path) -> None:
    script = history(tmp_path, EDGES)
    assert set(names(script, ("m5",), "r3")) == {"r4", "b3", "m5"}  # b3 branched before it
    assert set(names(script, ("m5",), "m5")) == set()
    assert set(names(script, (), "r4")) == {"b3", "m5"}  # its ancestors are trusted


def test_unknown_baseline_is_one_clear_error(tmp_path: Path) -> None:
    script = history(tmp_path, EDGES)
    with pytest.raises(CommandError, match=r"baseline = 'zz' .* is not a revision of"):
        revisions_to_check(script, ("m5",), "zz")
