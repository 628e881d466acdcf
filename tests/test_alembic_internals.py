"""The parts of Alembic alembic-safe relies on beyond its documented API still have the shape
the runtime guard and the offline capture rely on (alembic_safe/alembic_internals.py).

One test per internal: an Alembic release that changes one fails here with one message naming
it, what relies on it and the public hook that could replace it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import alembic
import alembic.context
import pytest
from alembic import command
from alembic.autogenerate.api import RevisionContext
from alembic.config import CommandLine, Config
from alembic.operations.ops import MigrationScript
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from alembic_safe.alembic_internals import INTERNALS, TESTED_ALEMBIC, Internal, Kind

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
#: the packages whose code may touch Alembic internals (all of it must be listed)
WATCHED = ("runtime", "capture")
#: what those packages touch that is not Alembic's: SQLAlchemy's dialect, the interpreter
NOT_ALEMBIC = {"_getframe", "server_version_info", "supports_virtual_generated_columns"}
#: objects of alembic-safe's own that those packages set attributes on (``running``: the
#: guard's record of a statement, runtime/online.py; ``watched``: the lock watch's record of
#: a wait, runtime/lock_watch.py)
OWN_OBJECTS = {"self", "guard", "running", "watched"}


def _steps(heads: Any, context: Any) -> Iterator[Any]:
    yield from ()


def _offline_context(**opts: Any) -> MigrationContext:
    return MigrationContext.configure(
        dialect_name="postgresql",
        opts={"as_sql": True, "output_buffer": io.StringIO(), "fn": _steps, **opts})


def _resolve(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return importlib.import_module(dotted)


def _signature_problem(internal: Internal) -> str | None:
    owner = _resolve(internal.owner)
    method = getattr(owner, internal.name, None)
    if not callable(method):
        return f"{internal.owner} has no method {internal.name}"
    parameters = list(inspect.signature(method).parameters.values())[1:]  # after self
    required = tuple(p.name for p in parameters if p.default is inspect.Parameter.empty
                     and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
    if required != internal.required:
        return f"its required parameters are {required}, alembic-safe passes {internal.required}"
    names = {p.name for p in parameters}
    missing = [name for name in internal.keywords if name not in names]
    return f"it no longer takes {', '.join(missing)}" if missing else None


def _migrations_fn() -> str | None:
    context = _offline_context()
    return None if getattr(context, "_migrations_fn", None) is _steps else (
        "MigrationContext no longer keeps opts['fn'] in _migrations_fn")


def _migration_fn() -> str | None:
    source = inspect.getsource(MigrationContext.run_migrations)
    return None if "step.migration_fn(**kw)" in source else (
        "run_migrations() no longer calls step.migration_fn(**kw)")


def _opts() -> str | None:
    context = _offline_context(transaction_per_migration=True)
    return None if context.opts.get("transaction_per_migration") is True else (
        "MigrationContext.opts no longer holds the configure() options")


def _connections() -> str | None:
    context = _offline_context()
    marker = object()
    context.connection = context.impl.connection = marker  # type: ignore[assignment]
    return None if context.connection is marker and context.impl.connection is marker else (
        "the context's and the impl's connection can no longer be set")


def _proxy() -> str | None:
    environment = EnvironmentContext(Config(), None)  # type: ignore[arg-type]
    previous = getattr(alembic.context, "_proxy", None)
    environment._install_proxy()
    try:
        if getattr(alembic.context, "_proxy", None) is not environment:
            return "alembic.context._proxy is not the installed EnvironmentContext"
    finally:
        environment._remove_proxy()
        if previous is not None:
            previous._install_proxy()
    return None


def _context_opts() -> str | None:
    environment = EnvironmentContext(Config(), None, fn=_steps)  # type: ignore[arg-type]
    return None if environment.context_opts.get("fn") is _steps else (
        "EnvironmentContext(..., fn=...) no longer keeps fn in context_opts")


def _fn_option() -> str | None:
    environment = EnvironmentContext(Config(), None, fn=_steps, as_sql=True)  # type: ignore[arg-type]
    environment.configure(dialect_name="postgresql", output_buffer=io.StringIO())
    context = environment.get_context()
    return None if getattr(context, "_migrations_fn", None) is _steps else (
        "the migration context no longer runs context_opts['fn']")


def _revision_context() -> str | None:
    if "revision_context=revision_context" not in inspect.getsource(command.check):
        return "alembic check no longer passes revision_context to the environment"
    if "self.generated_revisions" not in inspect.getsource(RevisionContext.__init__):
        return "RevisionContext has no generated_revisions"
    if not isinstance(inspect.getattr_static(MigrationScript, "upgrade_ops_list"), property):
        return "MigrationScript has no upgrade_ops_list"
    return None


def _command_option() -> str | None:
    options = CommandLine().parser.parse_args(["check"])
    cmd = getattr(options, "cmd", None)
    return None if cmd and cmd[0] is command.check else (
        "the parsed command line no longer holds the command function in .cmd[0]")


CHECKS: dict[str, Callable[[], str | None]] = {
    "MigrationContext._migrations_fn": _migrations_fn,
    "MigrationStep.migration_fn": _migration_fn,
    "MigrationContext.opts": _opts,
    "MigrationContext.connection": _connections,
    "DefaultImpl.connection": _connections,
    "ModuleClsProxy._proxy": _proxy,
    "EnvironmentContext.context_opts": _context_opts,
    "EnvironmentContext.fn": _fn_option,
    "command.revision_context": _revision_context,
    "CommandLine.cmd": _command_option,
}


@pytest.mark.parametrize("internal", INTERNALS, ids=lambda i: i.label)
def test_alembic_internal_keeps_its_shape(internal: Internal) -> None:
    if internal.kind is Kind.METHOD:
        problem = _signature_problem(internal)
    else:
        problem = CHECKS[internal.label]()
    if problem is not None:
        pytest.fail(
            f"Alembic {alembic.__version__} changed {internal.label}: {problem}. "
            f"alembic-safe relies on it ({internal.relies_on}) in "
            f"{', '.join(internal.used_by)}; public replacement: {internal.public}",
            pytrace=False)


def test_every_internal_has_a_check() -> None:
    attributes = {i.label for i in INTERNALS if i.kind is not Kind.METHOD}
    assert attributes == set(CHECKS)


def test_installed_alembic_is_in_the_tested_range() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = [d for d in pyproject["project"]["dependencies"]
                if Requirement(d).name == "alembic"]
    assert declared == [f"alembic{TESTED_ALEMBIC}"]
    assert alembic.__version__ in SpecifierSet(TESTED_ALEMBIC)


def _touched(path: Path) -> Iterator[tuple[int, str]]:
    """(line, name) of what a module reads or replaces on objects it does not own: private
    attributes (also through getattr), and attributes it assigns on another object."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and re.fullmatch(r"_[a-z]\w*", node.attr) \
                and not (isinstance(node.value, ast.Name) and node.value.id == "self"):
            yield node.lineno, node.attr
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) > 1 \
                and isinstance(node.args[1], ast.Constant) \
                and re.fullmatch(r"_[a-z]\w*", str(node.args[1].value)):
            yield node.lineno, str(node.args[1].value)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and not (
                        isinstance(target.value, ast.Name) and target.value.id in OWN_OBJECTS):
                    yield node.lineno, target.attr


def test_runtime_and_capture_touch_only_listed_internals() -> None:
    listed = {i.name for i in INTERNALS} | NOT_ALEMBIC
    unlisted = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for package in WATCHED
        for path in sorted((ROOT / "alembic_safe" / package).glob("*.py"))
        for line, name in _touched(path)
        if name not in listed
    ]
    assert not unlisted, ("list these in alembic_safe/alembic_internals.py (or NOT_ALEMBIC "
                          f"here if they are not Alembic's): {unlisted}")
