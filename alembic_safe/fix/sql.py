"""A :class:`~alembic_safe.fix.model.Fix` as SQL: the statements, in order, with the points where
a transaction must end (a statement that runs outside a transaction block)."""

from __future__ import annotations

from functools import singledispatch

from alembic_safe.fix.model import (
    AddColumn,
    AddConstraint,
    AddDomainConstraint,
    AddEnumValue,
    Backfill,
    BuildIndex,
    ConstraintType,
    CreateSequence,
    CreateView,
    DetachPartition,
    DropConstraint,
    DropIndex,
    Fix,
    Preflight,
    PreflightKind,
    RawSQL,
    RebuildIndex,
    RefreshView,
    SetDefault,
    SetLockTimeout,
    SetNotNull,
    Step,
    Vacuum,
    ValidateConstraint,
    ValidateDomainConstraint,
    runs_in_transaction,
)
from alembic_safe.fix.quoting import ident, literal, relation

OUTSIDE = "-- outside a transaction block (after COMMIT; in Alembic: autocommit_block())"


def _columns(columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(ident(c) for c in columns) + ")"


@singledispatch
def statement(step: Step) -> str:
    """One step as one SQL statement (without the trailing semicolon)."""
    raise TypeError(f"no SQL rendering for {type(step).__name__}")


@statement.register
def _(step: BuildIndex) -> str:
    unique = "UNIQUE " if step.unique else ""
    body = step.definition if step.definition is not None else _columns(step.columns)
    where = f" WHERE {step.where}" if step.where and step.definition is None else ""
    return (f"CREATE {unique}INDEX CONCURRENTLY {ident(step.name)} ON {relation(step.table)} "
            f"{body}{where}")


@statement.register
def _(step: DropIndex) -> str:
    exists = "IF EXISTS " if step.if_exists else ""
    return f"DROP INDEX CONCURRENTLY {exists}{relation(step.index)}"


@statement.register
def _(step: RebuildIndex) -> str:
    return f"REINDEX {step.kind} CONCURRENTLY {relation(step.target)}"


def constraint_body(step: AddConstraint) -> str:
    """What follows ``ADD CONSTRAINT name``."""
    if step.using_index is not None:
        body = f"{step.type.value} USING INDEX {ident(step.using_index)}"
    elif step.type is ConstraintType.FOREIGN_KEY:
        assert step.references is not None
        refs = f" {_columns(step.referenced_columns)}" if step.referenced_columns else ""
        match = " MATCH FULL" if step.match_full else ""
        actions = "".join(f" ON {event} {action}" for event, action in
                          (("DELETE", step.on_delete), ("UPDATE", step.on_update)) if action)
        timing = (" DEFERRABLE" if step.deferrable else "") + (
            " INITIALLY DEFERRED" if step.initially_deferred else "")
        body = (f"FOREIGN KEY {_columns(step.columns)} REFERENCES {relation(step.references)}"
                f"{refs}{match}{actions}{timing}")
    elif step.type is ConstraintType.CHECK:
        body = f"CHECK ({step.expression})"
    elif step.type is ConstraintType.NOT_NULL:
        body = f"NOT NULL {ident(step.columns[0])}"
    else:
        body = f"{step.type.value} {_columns(step.columns)}"
    return body + (" NOT VALID" if step.not_valid else "")


@statement.register
def _(step: AddConstraint) -> str:
    return (f"ALTER TABLE {relation(step.table)} ADD CONSTRAINT {ident(step.name)} "
            f"{constraint_body(step)}")


@statement.register
def _(step: ValidateConstraint) -> str:
    return f"ALTER TABLE {relation(step.table)} VALIDATE CONSTRAINT {ident(step.name)}"


@statement.register
def _(step: SetNotNull) -> str:
    return f"ALTER TABLE {relation(step.table)} ALTER COLUMN {ident(step.column)} SET NOT NULL"


@statement.register
def _(step: DropConstraint) -> str:
    exists = "IF EXISTS " if step.if_exists else ""
    return f"ALTER TABLE {relation(step.table)} DROP CONSTRAINT {exists}{ident(step.name)}"


@statement.register
def _(step: AddColumn) -> str:
    default = f" DEFAULT {step.default}" if step.default is not None else ""
    virtual = (f" GENERATED ALWAYS AS ({step.virtual}) VIRTUAL" if step.virtual is not None
               else "")
    return (f"ALTER TABLE {relation(step.table)} ADD COLUMN {ident(step.column)} "
            f"{step.type_sql}{default}{virtual}")


@statement.register
def _(step: Backfill) -> str:
    """One batch: the keys after the last one done ($1) up to the batch's last ($2)."""
    where = f" AND ({step.where})" if step.where else ""
    key = ident(step.key)
    return (f"UPDATE {relation(step.table)} SET {step.assignments} "
            f"WHERE {key} > $1 AND {key} <= $2{where}")


#: the comment before a backfill's statement
BATCHES = ("-- in batches of key ranges ($1, $2], each committed (alembic_safe.backfill does "
           "this, and resumes after the last batch done):")


@statement.register
def _(step: SetDefault) -> str:
    return (f"ALTER TABLE {relation(step.table)} ALTER COLUMN {ident(step.column)} "
            f"SET DEFAULT {step.expression}")


@statement.register
def _(step: CreateSequence) -> str:
    return (f"CREATE SEQUENCE IF NOT EXISTS {relation(step.sequence)} OWNED BY "
            f"{relation(step.table)}.{ident(step.column)}")


@statement.register
def _(step: AddEnumValue) -> str:
    where = (f" BEFORE {literal(step.before)}" if step.before is not None
             else f" AFTER {literal(step.after)}" if step.after is not None else "")
    return f"ALTER TYPE {relation(step.enum)} ADD VALUE IF NOT EXISTS {literal(step.value)}{where}"


@statement.register
def _(step: RefreshView) -> str:
    return f"REFRESH MATERIALIZED VIEW CONCURRENTLY {relation(step.view)}"


@statement.register
def _(step: DetachPartition) -> str:
    return (f"ALTER TABLE {relation(step.table)} DETACH PARTITION {relation(step.partition)} "
            "CONCURRENTLY")


@statement.register
def _(step: AddDomainConstraint) -> str:
    valid = " NOT VALID" if step.not_valid else ""
    return (f"ALTER DOMAIN {relation(step.domain)} ADD CONSTRAINT {ident(step.name)} "
            f"CHECK ({step.expression}){valid}")


@statement.register
def _(step: ValidateDomainConstraint) -> str:
    return f"ALTER DOMAIN {relation(step.domain)} VALIDATE CONSTRAINT {ident(step.name)}"


@statement.register
def _(step: Vacuum) -> str:
    return f"VACUUM {relation(step.table)}"


@statement.register
def _(step: SetLockTimeout) -> str:
    return f"SET lock_timeout = {literal(step.value)}"


@statement.register
def _(step: CreateView) -> str:
    return f"CREATE VIEW {relation(step.view)} AS SELECT * FROM {relation(step.table)}"


def _raise_format(*parts: str) -> str:
    """A RAISE format literal: ``parts`` (their own ``%`` doubled) joined by ``%`` placeholders."""
    return literal("%".join(part.replace("%", "%%") for part in parts))


_COUNT = "SELECT count(*), array_to_string((array_agg(k ORDER BY k))[1:5], '; ') FROM ("
#: the table's primary key as one SQL expression (``id``, or ``row(a, b)``), NULL without one
_PRIMARY_KEY = (
    "    SELECT CASE count(*) WHEN 1 THEN min(quote_ident(a.attname)) ELSE 'row(' ||\n"
    "           string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) || ')' END\n"
    "      INTO key FROM pg_index i\n"
    "      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)\n"
    "     WHERE i.indrelid = {table}::regclass AND i.indisprimary;\n"
)


def _rows_query(step: Preflight) -> tuple[str, str]:
    """(the statements that set ``found`` and ``examples``, what the rows break) for a
    pre-flight check. Duplicates are shown by value; rows that break a NOT NULL or a CHECK by
    their primary key (by ctid when the table has none)."""
    table = relation(step.table)
    if step.kind is PreflightKind.UNIQUE:
        cols = ", ".join(ident(c) for c in step.columns)
        present = " AND ".join(f"{ident(c)} IS NOT NULL" for c in step.columns)
        values = "concat_ws(', ', " + ", ".join(f"{ident(c)}::text" for c in step.columns) + ")"
        query = (f"SELECT {values} AS k FROM {table} WHERE {present} GROUP BY {cols} "
                 "HAVING count(*) > 1")
        return (f"    {_COUNT}\n      {query}) AS offending INTO found, examples;\n"
                f"    key := {literal(', '.join(step.columns))};\n",
                f"duplicate value(s) of ({', '.join(step.columns)})")
    if step.kind is PreflightKind.NOT_NULL:
        condition = f"{ident(step.columns[0])} IS NULL"
        what = f"row(s) with {step.columns[0]} NULL"
    else:
        condition = f"NOT ({step.expression})"
        what = f"row(s) violating CHECK ({step.expression})"
    rows = literal(f"::text AS k FROM {table} WHERE {condition}) AS offending")
    return (_PRIMARY_KEY.format(table=literal(table))
            + f"    EXECUTE {literal(_COUNT + 'SELECT ')} || coalesce(key, 'ctid') || {rows}\n"
            "      INTO found, examples;\n", what)


@statement.register
def _(step: Preflight) -> str:
    rows, what = _rows_query(step)
    target = f" {step.protects}" if step.protects else ""
    message = _raise_format("alembic-safe pre-flight check: ",
                            f" {what} in {step.table} would make{target} fail, e.g. (",
                            ") ", "")
    return (
        "DO $alembic_safe$\n"
        "DECLARE\n    found bigint;\n    examples text;\n    key text;\n"
        "BEGIN\n"
        f"{rows}"
        "    IF found > 0 THEN\n"
        f"        RAISE EXCEPTION {message}, found, coalesce(key, 'ctid'), examples\n"
        "          USING HINT = 'Fix these rows, then run the migration again';\n"
        "    END IF;\n"
        "END $alembic_safe$"
    )


@statement.register
def _(step: RawSQL) -> str:
    return step.sql


def offending_rows(step: Preflight) -> str:
    """The query that lists (up to five of) the rows a pre-flight check stops on: the short
    form of the check, for people to read and run."""
    table = relation(step.table)
    if step.kind is PreflightKind.UNIQUE:
        cols = ", ".join(ident(c) for c in step.columns)
        present = " AND ".join(f"{ident(c)} IS NOT NULL" for c in step.columns)
        return (f"SELECT {cols}, count(*) FROM {table} WHERE {present} GROUP BY {cols} "
                "HAVING count(*) > 1 LIMIT 5")
    condition = (f"{ident(step.columns[0])} IS NULL" if step.kind is PreflightKind.NOT_NULL
                 else f"NOT ({step.expression})")
    return f"SELECT * FROM {table} WHERE {condition} LIMIT 5"


def _shown(step: Step, brief: bool) -> list[str]:
    """The lines of one step: its statement, or, when ``brief``, a pre-flight check as the
    query of the rows it stops on, under a comment saying so."""
    if brief and isinstance(step, Preflight):
        target = f" before {step.protects}" if step.protects else ""
        return [f"-- pre-flight check{target}: must find no row", offending_rows(step) + ";"]
    if isinstance(step, Backfill):
        return [BATCHES, statement(step) + ";"]
    return [statement(step) + ";"]


def _render_steps(steps: tuple[Step, ...], brief: bool) -> list[str]:
    """Each step's statement, with a comment where a run of steps outside a transaction
    starts and where the transaction resumes."""
    lines: list[str] = []
    outside = False
    for step in steps:
        now_outside = not runs_in_transaction(step)
        if now_outside != outside:
            lines.append(OUTSIDE if now_outside else "-- back in a transaction")
        outside = now_outside
        lines += _shown(step, brief)
    return lines


def render(fix: Fix, *, brief: bool = False) -> str:
    """The fix as SQL statements, one per line (multi-line DO blocks kept whole). ``brief``:
    pre-flight checks as the query of the rows they stop on (see :func:`offending_rows`),
    for help texts and docs; otherwise every statement as the migration runs it."""
    lines = _render_steps(fix.steps, brief)
    if fix.later:
        lines += [f"-- in a later revision, {fix.later_when}:", *_render_steps(fix.later, brief)]
    return "\n".join(lines)
