"""Re-runs after a killed deploy: pass over statements whose object already exists.

Alembic records a revision only when ``upgrade()`` returns. What an ``autocommit_block()``
committed stays when a deploy is killed, and a plain re-run would stop at ``relation ...
already exists``. So before a migration statement creates a named index, adds a named
constraint or adds an enum value, the guard looks the object up in the live catalog:

- absent: the statement runs;
- present, valid and identical: the statement is skipped, and one line says so;
- an INVALID index left by a failed concurrent build: :mod:`alembic_safe.runtime.online`
  drops it and builds it again (inside a transaction that cannot be done safely: an error);
- anything else: a one-line error naming the object, what exists and what the statement
  asks for. Nothing is dropped.

Definitions are compared as parse trees (:mod:`alembic_safe.analysis.definitions`); when
they differ, PostgreSQL prints the statement's definition as it would store it (on an empty
temporary copy of the table, rolled back) and that is compared. A skipped statement is not
sent at all: SQLAlchemy's ``do_execute`` dialect event reports it executed, whatever the
driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection

from alembic_safe.analysis.definitions import (
    ConstraintDefinition,
    IndexDefinition,
    added_constraints,
    constraint_definition,
    enum_addition,
    index_definition,
    probe_constraint,
    probe_index,
)
from alembic_safe.analysis.facts import (
    Action,
    AddConstraint,
    AlterEnum,
    ConstraintKind,
    CreateIndex,
    StatementFacts,
)
from alembic_safe.analysis.names import qualified_key
from alembic_safe.runtime import rerun_catalog as catalog
from alembic_safe.runtime.driver import DriverConnection
from alembic_safe.runtime.guard import Guard, Refused, say
from alembic_safe.runtime.rerun_lookahead import Lookahead

_SKIP = "alembic_safe_rerun_skip"
_RUN = object()  # do_execute: nothing decided for this execution
#: pg_constraint.contype of the kinds ADD CONSTRAINT ... USING INDEX makes
_CONTYPE = {ConstraintKind.UNIQUE: "u", ConstraintKind.PRIMARY_KEY: "p"}
_RELKINDS = {"r": "table", "p": "partitioned table", "v": "view", "m": "materialized view",
             "S": "sequence", "f": "foreign table", "c": "composite type"}


def _one_line(sql: str, limit: int = 300) -> str:
    return " ".join(sql.split())[:limit]


@dataclass(frozen=True)
class _Present:
    """An object that exists already, as the statement would make it."""

    what: str  # "index ix_a", "constraint fk on orders", ...
    how: str  # "valid and identical", ...

    def __str__(self) -> str:
        return f"{self.what} already exists, {self.how}: skipped (re-run)"


@dataclass(frozen=True)
class _Statement:
    """What the checks of one statement need to know."""

    facts: StatementFacts
    sql: str  # the statement as the server receives it
    connection: DriverConnection  # the migration's DB-API connection
    in_transaction: bool
    schema: str  # first schema of search_path, for unqualified names


class Reruns:
    """Per-migration memory of re-run decisions, and the decisions themselves."""

    def __init__(self, guard: Guard) -> None:
        self._guard = guard
        self._script: object = None
        #: (table key, index name) -> the constraint an earlier run attached it to
        self._attached: dict[tuple[str, str], str] = {}
        self._lookahead: Lookahead | None = None

    def prepare(self, conn: Connection, context: Any, facts: list[StatementFacts],
                connection: DriverConnection, in_transaction: bool, parameters: Any,
                schema: str) -> None:
        """Decide, for each statement of one execution, whether it runs; say what is
        skipped and keep it for :func:`install`'s ``do_execute`` listener. Raises
        :class:`Refused` when an object exists and differs."""
        migration = self._guard.current
        if migration is None:
            return
        if migration.script is not self._script:
            self._script = migration.script
            self._attached = {}
            self._lookahead = Lookahead(migration.script, migration.analyzer.context)
        doubled = _percents_doubled(context, parameters)
        notes = [self._skipped(_Statement(
            stmt, stmt.sql.replace("%%", "%") if doubled else stmt.sql, connection,
            in_transaction, schema)) for stmt in facts]
        if not any(notes):
            return
        kept = [stmt.sql for stmt, note in zip(facts, notes, strict=True) if note is None]
        if kept and parameters:
            raise self._refused(facts[0], "part of this execution already exists and part "
                                "does not, and it has bound parameters: it cannot be sent in "
                                "part; send each statement on its own")
        for note in notes:
            if note is not None:
                say(note)
        conn.info[_SKIP] = (context, ";\n".join(kept) if kept else None)

    # ------------------------------------------------------------------ one statement

    def _skipped(self, stmt: _Statement) -> str | None:
        """The line to print when the statement is skipped; None when it runs."""
        concerned = [a for a in stmt.facts.actions if _concerned(a)]
        if not concerned:
            return None
        verdicts = [self._existing(action, stmt) for action in concerned]
        present = [verdict for verdict in verdicts if verdict is not None]
        if not present:
            return None
        if len(present) == len(stmt.facts.actions):
            return "; ".join(str(p) for p in present)
        raise self._refused(stmt.facts, f"{present[0].what} already exists, but the "
                            "statement does more than create it: it can neither run again "
                            "nor be skipped in part; split it into one statement per object")

    def _existing(self, action: Action, stmt: _Statement) -> _Present | None:
        if isinstance(action, CreateIndex):
            return self._index(action, stmt)
        if isinstance(action, AddConstraint):
            return self._constraint(action, stmt)
        assert isinstance(action, AlterEnum)
        return self._enum_value(action, stmt)

    def _refused(self, stmt: StatementFacts, problem: str) -> Refused:
        migration = self._guard.current
        where = (f"revision {migration.script.revision} ({migration.script.path}:"
                 f"{stmt.position.line}): " if migration is not None else "")
        return Refused(f"alembic-safe: {where}{problem}")

    # ------------------------------------------------------------------ indexes

    def _index(self, action: CreateIndex, stmt: _Statement) -> _Present | None:
        assert action.index is not None and action.table is not None
        wanted = index_definition(stmt.sql)
        if wanted is None:
            return None
        name = action.index
        found = catalog.index_name(stmt.connection, action.table, name, constraints=wanted.unique)
        if found is None:  # no such table: PostgreSQL says so
            return None
        if found.kind is None:
            return self._carried(action, wanted, found, stmt)
        asks = f"the statement asks for `{_one_line(stmt.sql)}`"
        if found.definition is None:
            what = _RELKINDS.get(found.kind, f"relation of kind {found.kind!r}")
            raise self._refused(stmt.facts, f"{name} already exists as a {what}, not an "
                                f"index; {asks}. Nothing was dropped: rename one of them")
        if not found.valid:
            if stmt.facts.requires_no_transaction and not stmt.in_transaction:
                return None  # the INVALID leftover is dropped and built again
            raise self._refused(stmt.facts, f"index {name} already exists but is INVALID (a "
                                "failed concurrent build left it), and this statement "
                                "builds it inside a transaction: run DROP INDEX CONCURRENTLY "
                                f"{name}, or build it CONCURRENTLY in autocommit_block() "
                                "(the guard then rebuilds it), and run the migration again")
        same, why = self._same_index(wanted, found.definition, found.tablespace, stmt,
                                     found.table_oid) if found.on_table else (False, "")
        if not same:
            raise self._refused(stmt.facts, f"index {name} already exists and is not what "
                                f"the statement builds: it is `{found.definition}`"
                                f"{_tablespace(wanted, found.tablespace)}, {asks}{why}. "
                                "Nothing was dropped: drop or rename the existing index, "
                                "or change the migration, then run it again")
        return _Present(f"index {name}", "valid and identical")

    def _same_index(self, wanted: IndexDefinition, definition: str, tablespace: str | None,
                    stmt: _Statement, table_oid: int) -> tuple[bool, str]:
        """Whether the existing index (``pg_get_indexdef``) is the one ``wanted`` builds, and
        why it could not be told when PostgreSQL refused to print the statement's."""
        have = index_definition(definition)
        if have is None or (wanted.tablespace is not None and wanted.tablespace != tablespace):
            return False, ""
        if have.shape == wanted.shape:
            return True, ""
        probe = probe_index(wanted, catalog.SCRATCH, f"{catalog.SCRATCH}_index")
        try:
            printed = catalog.normalised(stmt.connection, stmt.in_transaction, table_oid, probe,
                                         catalog.DESCRIBE_INDEX)
        except Exception as exc:  # the driver's error: the definitions cannot be compared
            return False, f" (PostgreSQL could not compare them: {_one_line(str(exc), 200)})"
        again = index_definition(printed)
        return again is not None and again.shape == have.shape, ""

    def _carried(self, action: CreateIndex, wanted: IndexDefinition,
                 found: catalog.NameInSchema, stmt: _Statement) -> _Present | None:
        """A free index name whose UNIQUE index an earlier run attached to a constraint:
        ``ADD CONSTRAINT c UNIQUE USING INDEX ix`` renames ``ix`` to ``c``, so building
        ``ix`` again would leave a duplicate of ``c``'s index once that step is skipped."""
        assert action.index is not None and action.table is not None
        candidates = [(name, definition) for name, definition in found.constraint_indexes
                      if _may_be_same(wanted, index_definition(definition))]
        if not candidates or self._lookahead is None:
            return None
        attaching = self._lookahead.attaching(action.table, action.index, stmt.schema)
        for name, definition in candidates:
            if name in attaching and self._same_index(wanted, definition, None, stmt,
                                                      found.table_oid)[0]:
                self._attached[(qualified_key(action.table, stmt.schema), action.index)] = name
                return _Present(f"index {action.index}", f"as the index of constraint {name} "
                                "(ADD CONSTRAINT ... USING INDEX renamed it in an earlier "
                                "run), valid and identical")
        return None

    # ------------------------------------------------------------------ constraints

    def _constraint(self, action: AddConstraint, stmt: _Statement) -> _Present | None:
        assert action.table is not None and action.constraint.name is not None
        name = action.constraint.name
        found = catalog.constraint(stmt.connection, action.table, name)
        if found is None:
            return None
        table_oid, existing = found
        if existing is None:
            return None
        wanted = next((c for c in added_constraints(stmt.sql) if c.name == name), None)
        have = constraint_definition(existing.definition)
        on = f"constraint {name} on {action.table}"
        if wanted is None or have is None:
            return None  # not parsed: PostgreSQL reports "already exists"
        if wanted.using_index is not None:
            return self._attach(action, wanted, have, existing, table_oid, stmt)
        asks = f"the statement asks for `{_one_line(stmt.sql)}`"
        if have.kind is wanted.kind and wanted.validated and not existing.validated:
            raise self._refused(stmt.facts, f"{on} already exists NOT VALID and the "
                                "statement adds it validated: validate it (ALTER TABLE "
                                f"{action.table} VALIDATE CONSTRAINT {name} takes SHARE "
                                "UPDATE EXCLUSIVE, which does not block writes) or drop it, "
                                "then run the migration again")
        same, why = self._same_constraint(wanted, have, existing, table_oid, stmt)
        if not same:
            raise self._refused(stmt.facts, f"{on} already exists and is not what the "
                                f"statement adds: it is `{existing.definition}`, {asks}{why}. "
                                "Nothing was dropped: drop or rename the existing "
                                "constraint, or change the migration, then run it again")
        if existing.validated and not wanted.validated:
            return _Present(on, "validated (the statement adds it NOT VALID)")
        return _Present(on, "identical")

    def _same_constraint(self, wanted: ConstraintDefinition, have: ConstraintDefinition,
                         existing: catalog.ExistingConstraint, table_oid: int,
                         stmt: _Statement) -> tuple[bool, str]:
        if wanted.kind is ConstraintKind.FOREIGN_KEY:
            # the referenced table by identity; its primary key when no column is named
            target = (catalog.primary_key(stmt.connection, wanted.references)
                      if wanted.references is not None else None)
            return (wanted.shape == have.shape and target is not None
                    and target[0] == existing.referenced_oid
                    and (wanted.referenced_columns or target[1])
                    == existing.referenced_columns), ""
        if wanted.storage != existing.storage:
            return False, ""
        if wanted.shape == have.shape:
            return True, ""
        probe = probe_constraint(wanted, catalog.SCRATCH, f"{catalog.SCRATCH}_constraint")
        try:
            printed = catalog.normalised(stmt.connection, stmt.in_transaction, table_oid, probe,
                                         catalog.DESCRIBE_CONSTRAINT)
        except Exception as exc:  # the driver's error: the definitions cannot be compared
            return False, f" (PostgreSQL could not compare them: {_one_line(str(exc), 200)})"
        again = constraint_definition(printed)
        return again is not None and again.shape == have.shape, ""

    def _attach(self, action: AddConstraint, wanted: ConstraintDefinition,
                have: ConstraintDefinition, existing: catalog.ExistingConstraint,
                table_oid: int, stmt: _Statement) -> _Present:
        """``ADD CONSTRAINT c ... USING INDEX ix`` when ``c`` exists: ``ix`` became ``c``'s
        index (renamed to ``c``) if an earlier run attached it."""
        assert action.table is not None and wanted.using_index is not None
        name, index = wanted.name, wanted.using_index
        on = f"constraint {name} on {action.table}"
        if (_CONTYPE.get(wanted.kind) if wanted.kind else None) != existing.kind \
                or (wanted.deferrable, wanted.initially_deferred) \
                != (have.deferrable, have.initially_deferred):
            raise self._refused(stmt.facts, f"{on} already exists and is not what the "
                                f"statement adds: it is `{existing.definition}`, the "
                                f"statement asks for `{_one_line(stmt.sql)}`. Nothing "
                                "was dropped: drop or rename the existing constraint, or "
                                "change the migration, then run it again")
        if existing.index == index:
            return _Present(on, f"identical, on index {index}")
        if catalog.sibling_kind(stmt.connection, table_oid, index) is not None:
            raise self._refused(stmt.facts, f"{on} already exists, and so does index {index}"
                                f" (USING INDEX would have renamed {index} to {name}). "
                                f"Nothing was dropped: if {name} is what you want, drop the "
                                f"left-over index (DROP INDEX CONCURRENTLY {index}), then "
                                "run the migration again")
        if self._attached.get((qualified_key(action.table, stmt.schema), index)) == name:
            return _Present(on, f"identical, made from index {index} by an earlier run")
        raise self._refused(stmt.facts, f"{on} already exists and index {index} (USING "
                            "INDEX) does not. An earlier run may have attached it (USING "
                            f"INDEX renames the index to {name}), but this migration does "
                            f"not build {index}, so its definition cannot be compared: "
                            f"check {name}, then drop it or change the migration")

    # ------------------------------------------------------------------ enum values

    def _enum_value(self, action: AlterEnum, stmt: _Statement) -> _Present | None:
        assert action.table is not None
        added = enum_addition(stmt.sql)
        labels = catalog.enum_labels(stmt.connection, action.table)
        if added is None or labels is None or added.value not in labels:
            return None
        value = f"enum value '{added.value}' of {action.table}"
        if added.neighbor is None:
            return _Present(value, "at the end (the statement names no position)")
        where = f"{'AFTER' if added.after else 'BEFORE'} '{added.neighbor}'"
        position, neighbor = labels.index(added.value), (
            labels.index(added.neighbor) if added.neighbor in labels else None)
        if neighbor is not None and (position > neighbor if added.after
                                     else position < neighbor):
            return _Present(value, where)
        order = ", ".join(f"'{label}'" for label in labels)
        raise self._refused(stmt.facts, f"{value} already exists, but not {where} as the "
                            f"statement asks: the values are {order}. Enum values cannot be "
                            "moved: change the migration, then run it again")


def _percents_doubled(context: Any, parameters: Any) -> bool:
    """Whether the driver will read ``%%`` as ``%`` in this execution's text: with the
    format paramstyles (psycopg, psycopg2), SQLAlchemy doubles a literal ``%`` for any
    execution sent with a parameter collection, even an empty one. (With parameters, the
    guard has already inlined them, which undoes the doubling.)"""
    return (not parameters and not getattr(context, "no_parameters", False)
            and context.dialect.paramstyle in ("format", "pyformat"))


def _concerned(action: Action) -> bool:
    """Actions whose object may exist from an earlier run (none on a table created in this
    run; IF NOT EXISTS is PostgreSQL's business)."""
    if action.is_new or action.table is None:
        return False
    if isinstance(action, CreateIndex):
        return action.index is not None and not action.if_not_exists
    if isinstance(action, AddConstraint):
        return action.constraint.name is not None and not action.on_domain
    return (isinstance(action, AlterEnum) and action.add_value is not None
            and not action.if_not_exists)


def _may_be_same(wanted: IndexDefinition, other: IndexDefinition | None) -> bool:
    """A cheap filter before the full comparison: same uniqueness and key columns (an
    expression matches anything)."""
    return (other is not None and other.unique == wanted.unique
            and len(other.columns) == len(wanted.columns)
            and all(a is None or b is None or a == b
                    for a, b in zip(wanted.columns, other.columns, strict=True)))


def _tablespace(wanted: IndexDefinition, tablespace: str | None) -> str:
    if wanted.tablespace is None or wanted.tablespace == tablespace:
        return ""
    return f" in tablespace {tablespace}"


def install(connection: Connection) -> None:
    """Skip what :meth:`Reruns.prepare` decided, whatever the driver: the dialect's
    ``do_execute`` events run instead of ``cursor.execute``; returning True means done."""

    def taken(context: Any) -> Any:
        found = context.root_connection.info.pop(_SKIP, None)
        return found[1] if found is not None and found[0] is context else _RUN

    def execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        kept = taken(context)
        if kept is _RUN:
            return False
        if kept is not None:
            context.dialect.do_execute(cursor, kept, parameters, context)
        return True

    def execute_no_params(cursor: Any, statement: str, context: Any) -> bool:
        kept = taken(context)
        if kept is _RUN:
            return False
        if kept is not None:
            context.dialect.do_execute_no_params(cursor, kept, context)
        return True

    event.listen(connection.engine, "do_execute", execute)
    event.listen(connection.engine, "do_execute_no_params", execute_no_params)

