"""A fix renders to SQL PostgreSQL parses and to op code that Alembic runs into the same SQL,
whatever the names (quotes, backslashes, mixed case, schemas)."""

from __future__ import annotations

import ast
import io
from typing import Any

import pglast
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st

import alembic_safe
import alembic_safe.autogenerate.enums.ops  # registers op.add_enum_type_value
from alembic_safe.analysis.facts import Relation
from alembic_safe.fix import ops, sql
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
)
from alembic_safe.fix.quoting import ident, literal
from alembic_safe.fix.quoting import relation as quoted

NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                min_size=1, max_size=12) | st.sampled_from(
    ['Ta"ble', "back\\slash", "Mixed", "select", "a b", "it's", "per%cent", "co:lon",
     "back\\:colon", "do.t"])
SCHEMAS = st.none() | NAMES


def _parses(text: str) -> list[Any]:
    return [s.stmt for s in pglast.parse_sql(text)]


def _offline(code: str) -> str:
    """Run op code the way Alembic's --sql does; return the SQL it emits."""
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql", dialect_opts={"paramstyle": "named"},
        opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True})
    op = Operations(context)
    with Operations.context(context):
        exec(compile(code, "<fix>", "exec"),
             {"op": op, "sa": sa, "alembic_safe": alembic_safe})
    return buffer.getvalue()


def _same_sql(left: str, right: str) -> bool:
    return _parses(left) == _parses(right)


@settings(max_examples=60, deadline=None)
@given(NAMES, SCHEMAS, NAMES, st.lists(NAMES, min_size=1, max_size=3, unique=True),
       st.booleans())
def test_index_build_renders_the_same_sql_both_ways(table: str, schema: str | None, name: str,
                                                    columns: list[str], unique: bool) -> None:
    step = BuildIndex(Relation(table, schema), name, tuple(columns), unique=unique)
    text = sql.statement(step)
    assert len(_parses(text)) == 1
    code = ops.call(step)
    ast.parse(code)
    assert _same_sql(_offline(code), text)


@settings(max_examples=60, deadline=None)
@given(NAMES, SCHEMAS, NAMES, NAMES, NAMES, SCHEMAS, st.booleans())
def test_constraint_steps_render_the_same_sql_both_ways(
        table: str, schema: str | None, name: str, column: str, referenced: str,
        ref_schema: str | None, not_valid: bool) -> None:
    relation = Relation(table, schema)
    steps: list[Step] = [
        AddConstraint(relation, name, ConstraintType.FOREIGN_KEY, (column,),
                      references=Relation(referenced, ref_schema), referenced_columns=("id",),
                      on_delete="CASCADE", not_valid=not_valid),
        AddConstraint(relation, name, ConstraintType.CHECK, expression="amount > 0",
                      not_valid=not_valid),
        AddConstraint(relation, name, ConstraintType.UNIQUE, using_index=f"{name}_ix"),
        SetNotNull(relation, column),
        DropConstraint(relation, name),
        DropIndex(Relation(name, schema), relation),
    ]
    for step in steps:
        text = sql.statement(step)
        assert len(_parses(text)) == 1
        assert _same_sql(_offline(ops.call(step)), text), ops.call(step)


@settings(max_examples=60, deadline=None)
@given(NAMES, SCHEMAS, NAMES, NAMES, NAMES)
def test_the_other_steps_render_the_same_sql_both_ways(
        table: str, schema: str | None, name: str, column: str, value: str) -> None:
    relation = Relation(table, schema)
    expression = f"{ident(column)} IS NOT NULL AND {ident(column)}::text <> {literal(value)}"
    steps: list[Step] = [
        AddConstraint(relation, name, ConstraintType.CHECK, expression=expression,
                      not_valid=True),
        BuildIndex(relation, name, (column,), where=expression),
        AddColumn(relation, column, "numeric(12, 2)"),
        SetDefault(relation, column, f"nextval({literal(name)}::regclass)"),
        CreateSequence(Relation(name, schema), relation, column),
        AddEnumValue(Relation(name, schema), value),
        AddEnumValue(Relation(name, schema), value, before=column),
        RefreshView(relation),
        DetachPartition(relation, Relation(name, schema)),
        AddDomainConstraint(Relation(name, schema), column, f"VALUE <> {literal(value)}",
                            not_valid=True),
        ValidateDomainConstraint(Relation(name, schema), column),
        Vacuum(relation),
        SetLockTimeout(),
        CreateView(Relation(name, schema), relation),
        RebuildIndex(Relation(name, schema)),
        RebuildIndex(relation, "TABLE"),
        RawSQL(f"ALTER TABLE {quoted(relation)} RENAME TO {ident(name)}"),
    ]
    for step in steps:
        text = sql.statement(step)
        assert len(_parses(text)) == 1, text
        code = ops.call(step)
        ast.parse(code)
        assert _same_sql(_offline(code), text), code


@given(NAMES, SCHEMAS, st.lists(NAMES, min_size=1, max_size=3, unique=True),
       st.sampled_from(list(PreflightKind)))
@settings(max_examples=60, deadline=None)
def test_preflight_sql_parses(table: str, schema: str | None, columns: list[str],
                              kind: PreflightKind) -> None:
    step = Preflight(kind, Relation(table, schema), tuple(columns), expression="amount > 0",
                     protects="uq_x")
    (parsed,) = _parses(sql.statement(step))
    assert type(parsed).__name__ == "DoStmt"
    ast.parse(ops.call(step))


def test_a_fix_groups_steps_outside_the_transaction_in_one_block() -> None:
    users = Relation("users")
    fix = Fix((
        Preflight(PreflightKind.NOT_NULL, users, ("email",)),
        AddConstraint(users, "ck_email_nn", ConstraintType.CHECK,
                      expression="email IS NOT NULL", not_valid=True),
        ValidateConstraint(users, "ck_email_nn"),
        SetNotNull(users, "email"),
        DropConstraint(users, "ck_email_nn"),
    ))
    code = ops.render(fix)
    ast.parse(code)
    assert code.splitlines() == [
        "with op.get_context().autocommit_block():",
        '    op.preflight_not_null("users", "email")',
        'op.create_check_constraint("ck_email_nn", "users", "email IS NOT NULL", '
        "postgresql_not_valid=True)",
        "with op.get_context().autocommit_block():",
        '    op.validate_constraint("ck_email_nn", "users")',
        'op.alter_column("users", "email", nullable=False)',
        'op.drop_constraint("ck_email_nn", "users")',
    ]
    text = sql.render(fix)
    assert text.count(sql.OUTSIDE) == 2
    assert len(_parses(text)) == 5


def test_backfill_step_is_the_documented_helper_call() -> None:
    step = Backfill(Relation("Pay\"ers", "billing"), "name = trim(name)", "name <> trim(name)")
    code = ops.call(step)
    ast.parse(code)
    assert code == ("alembic_safe.backfill(op.get_bind(), table='Pay\"ers', "
                    'set="name = trim(name)", where="name <> trim(name)", schema="billing")')
