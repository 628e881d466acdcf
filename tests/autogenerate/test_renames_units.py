"""The pieces of rename detection on their own: the rename operations (rendered, reversed,
listed as diffs, their SQL), names derived from old names, column references renamed in SQL
expressions, what a probable rename is, and the model hints."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import render_python_code
from alembic.ddl.postgresql import PostgresqlImpl
from alembic.operations import Operations, ops
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy.dialects import postgresql

from alembic_safe.autogenerate.allow import AllowOp
from alembic_safe.autogenerate.renames import ops as rename_ops
from alembic_safe.autogenerate.renames.derived import Derivation
from alembic_safe.autogenerate.renames.hints import column_hint, table_hint
from alembic_safe.autogenerate.renames.mapping import Renames
from alembic_safe.autogenerate.renames.similar import canonical_type, compatible, same_columns

SCHEMA = 'Bill "ing\\'
CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _render(*operations: ops.MigrateOperation) -> str:
    text = render_python_code(ops.UpgradeOps(list(operations)))
    return "\n".join(line for line in text.splitlines()
                     if line.strip() and not line.strip().startswith("# ###"))


def _offline(*operations: ops.MigrateOperation) -> list[str]:
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql", dialect_opts={"paramstyle": "named"},
        opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True,
              "transactional_ddl": False})
    runner = Operations(context)
    for operation in operations:
        runner.invoke(operation)
    return [line.strip() for line in buffer.getvalue().split(";") if line.strip()]


RENAMES: list[tuple[ops.MigrateOperation, str, str, tuple[object, ...]]] = [
    (rename_ops.RenameColumnOp('Cl"aims', "a\\b", "c d", schema=SCHEMA),
     "    op.alter_column('Cl\"aims', 'a\\\\b',\n"
     "               new_column_name='c d',\n"
     "               schema='Bill \"ing\\\\')",
     'ALTER TABLE "Bill ""ing\\"."Cl""aims" RENAME "a\\b" TO "c d"',
     ("rename_column", SCHEMA, 'Cl"aims', "a\\b", "c d")),
    (rename_ops.RenameTableOp("users", 'Acc"ounts', schema=SCHEMA),
     "    op.rename_table('users', 'Acc\"ounts', schema='Bill \"ing\\\\')",
     'ALTER TABLE "Bill ""ing\\".users RENAME TO "Acc""ounts"',
     ("rename_table", SCHEMA, "users", 'Acc"ounts')),
    (rename_ops.RenameIndexOp("ix_users_email", "ix_Users_e\"mail"),
     "    op.rename_index('ix_users_email', 'ix_Users_e\"mail')",
     'ALTER INDEX ix_users_email RENAME TO "ix_Users_e""mail"',
     ("rename_index", None, "ix_users_email", 'ix_Users_e"mail')),
    (rename_ops.RenameConstraintOp("accounts", "pk_users", "pk_accounts", schema="s"),
     "    op.rename_constraint('accounts', 'pk_users', 'pk_accounts', schema='s')",
     "ALTER TABLE s.accounts RENAME CONSTRAINT pk_users TO pk_accounts",
     ("rename_constraint", "s", "accounts", "pk_users", "pk_accounts")),
    (rename_ops.RenameSequenceOp("users_id_seq", "accounts_id_seq", schema=SCHEMA),
     "    op.rename_sequence('users_id_seq', 'accounts_id_seq', schema='Bill \"ing\\\\')",
     'ALTER SEQUENCE "Bill ""ing\\".users_id_seq RENAME TO accounts_id_seq',
     ("rename_sequence", SCHEMA, "users_id_seq", "accounts_id_seq")),
]


@pytest.mark.parametrize(("operation", "code", "sql", "diff"), RENAMES,
                         ids=[type(r[0]).__name__ for r in RENAMES])
def test_rename_operations(operation: ops.MigrateOperation, code: str, sql: str,
                           diff: tuple[object, ...]) -> None:
    assert _render(operation) == code
    compile(code.strip(), "script", "exec")
    assert _offline(operation) == [sql]
    assert operation.to_diff_tuple() == diff
    back = operation.reverse()
    assert type(back) is type(operation)
    assert back.reverse().to_diff_tuple() == diff
    assert back.to_diff_tuple()[-2:] == diff[-1:-3:-1]


def test_allow_block_renders_runs_and_reverses() -> None:
    block = AllowOp(
        ("AS506",), "column renamed in the model: info={'renamed_from': 'a'} on t.b",
        [rename_ops.RenameColumnOp("t", "a", "b")])
    assert _render(block) == (
        "    with alembic_safe.allow('AS506', reason=\"column renamed in the model: "
        "info={'renamed_from': 'a'} on t.b\"):\n"
        "        op.alter_column('t', 'a',\n"
        "                   new_column_name='b')")
    assert _offline(block) == ["ALTER TABLE t RENAME a TO b"]
    assert [o.rule for o in block.optouts] == ["AS506"]
    back = block.reverse()
    assert back.reason == block.reason
    assert [op.to_diff_tuple() for op in back.ops] == [("rename_column", None, "t", "b", "a")]
    assert ops.UpgradeOps([block]).as_diffs() == [("rename_column", None, "t", "a", "b")]


# ---------------------------------------------------------------------- derived names

def _tables(convention: dict[str, str] | None) -> tuple[sa.Table, sa.Table]:
    metadata = sa.MetaData(naming_convention=convention or {})
    accounts = sa.Table(
        "accounts", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email_address", sa.Text, index=True),
        sa.Column("boss_id", sa.Integer, sa.ForeignKey("billing.accounts.id")),
        sa.UniqueConstraint("email_address", "boss_id"),
        sa.CheckConstraint("email_address <> ''", name="has_mail" if convention else None),
        sa.Index("by_hand", "boss_id"),
        schema="billing")
    orders = sa.Table("orders", metadata, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("account_id", sa.Integer, sa.ForeignKey(accounts.c.id)),
                      schema="billing")
    return accounts, orders


def _names(table: sa.Table, renames: Renames) -> dict[str, tuple[str, str] | None]:
    derivation = Derivation(renames)
    return {type(obj).__name__ + (f":{obj.name}" if isinstance(obj, sa.Index) else ""):
            derivation.names(obj, table, table.schema)
            for obj in [*table.indexes, *table.constraints]}


RENAMED = Renames("public", {("billing", "users"): "accounts"},
                  {("billing", "accounts", "email"): "email_address"})


def test_names_under_a_naming_convention() -> None:
    accounts, orders = _tables(CONVENTION)
    assert _names(accounts, RENAMED) == {
        "Index:ix_billing_accounts_email_address": ("ix_billing_accounts_email_address",
                                                   "ix_billing_users_email"),
        "Index:by_hand": ("by_hand", "by_hand"),
        "PrimaryKeyConstraint": ("pk_accounts", "pk_users"),
        "ForeignKeyConstraint": ("fk_accounts_boss_id_accounts", "fk_users_boss_id_users"),
        "UniqueConstraint": ("uq_accounts_email_address_boss_id", "uq_users_email_boss_id"),
        "CheckConstraint": ("ck_accounts_has_mail", "ck_users_has_mail"),
    }
    assert _names(orders, RENAMED) == {
        "PrimaryKeyConstraint": ("pk_orders", "pk_orders"),
        "ForeignKeyConstraint": ("fk_orders_account_id_accounts", "fk_orders_account_id_users"),
    }


def test_names_postgresql_gives() -> None:
    accounts, orders = _tables(None)
    assert _names(accounts, RENAMED) == {
        "Index:ix_billing_accounts_email_address": ("ix_billing_accounts_email_address",
                                                   "ix_billing_users_email"),
        "Index:by_hand": ("by_hand", "by_hand"),
        "PrimaryKeyConstraint": ("accounts_pkey", "users_pkey"),
        "ForeignKeyConstraint": ("accounts_boss_id_fkey", "users_boss_id_fkey"),
        "UniqueConstraint": ("accounts_email_address_boss_id_key", "users_email_boss_id_key"),
        "CheckConstraint": ("accounts_email_address_check", "users_email_check"),
    }
    assert _names(orders, RENAMED)["ForeignKeyConstraint"] == ("orders_account_id_fkey",
                                                               "orders_account_id_fkey")


def test_a_name_given_by_hand_derives_from_nothing() -> None:
    metadata = sa.MetaData(naming_convention=CONVENTION)
    table = sa.Table("accounts", metadata, sa.Column("id", sa.Integer),
                     sa.PrimaryKeyConstraint("id", name="accounts_main_key"))
    assert Derivation(RENAMED).names(table.primary_key, table, None) == (
        "accounts_main_key", "accounts_main_key")


def test_postgresql_shortens_long_derived_names() -> None:
    long = "a" * 40
    renames = Renames("public", {("public", long): long + "b"},
                      {("public", long + "b", "c" * 30): "d" * 30})
    table = sa.Table(long + "b", sa.MetaData(), sa.Column("d" * 30, sa.Integer, unique=True))
    (unique,) = [c for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    new, old = Derivation(renames).names(unique, table, None) or ("", "")
    assert len(new.encode()) == len(old.encode()) == 63
    assert new.endswith("_key") and old.endswith("_key")


# ---------------------------------------------------------------------- expressions

@pytest.mark.parametrize(("sql", "renamed"), [
    ("lower(email)", "lower(email_address)"),
    ("lower(users.email) || name", "lower(accounts.email_address) || name"),
    ("(email IS NOT NULL) AND other.email = 'email'", "email_address IS NOT NULL AND "
     "other.email = 'email'"),
    ('"Mixed Case" > 0', '"New ""Name\\" > 0'),
])
def test_column_references_renamed_in_expressions(sql: str, renamed: str) -> None:
    renames = Renames("public", {("public", "users"): "accounts"}, {
        ("public", "accounts", "email"): "email_address",
        ("public", "accounts", "Mixed Case"): 'New "Name\\'})
    assert renames.expression(sql, None, "users") == renamed


def test_an_expression_pglast_cannot_parse_is_left_alone() -> None:
    assert RENAMED.expression("lower(email", "billing", "users") is None


# ---------------------------------------------------------------------- probable renames

IMPL = PostgresqlImpl(postgresql.dialect(), None, False, False, None, {})  # type: ignore[no-untyped-call]


def _column(type_: sa.types.TypeEngine[Any], *extra: sa.Computed, nullable: bool = True
            ) -> sa.Column[Any]:
    column: sa.Column[Any] = sa.Column("c", type_, *extra, nullable=nullable)
    sa.Table("t", sa.MetaData(), column)
    return column


@pytest.mark.parametrize(("old", "new", "probable"), [
    (_column(sa.Text()), _column(sa.Text()), True),
    (_column(sa.String(20)), _column(sa.Text()), True),  # binary coercible
    (_column(sa.String(20)), _column(sa.String(40)), True),
    (_column(sa.Numeric(10, 2)), _column(sa.Numeric(12, 2)), True),
    (_column(sa.String(40)), _column(sa.String(20)), False),  # values could not fit
    (_column(sa.Integer()), _column(sa.BigInteger()), False),  # a rewrite
    (_column(sa.Text()), _column(sa.Integer()), False),
    (_column(sa.Text(), nullable=False), _column(sa.Text()), True),  # NOT NULL relaxed
    (_column(sa.Text()), _column(sa.Text(), nullable=False), False),  # NULLs would not fit
    (_column(sa.Integer()), _column(sa.Integer(), sa.Computed("1")), False),
])
def test_probable_column_renames(old: sa.Column[object], new: sa.Column[object],
                                 probable: bool) -> None:
    assert compatible(IMPL, old, new) is probable


def test_probable_table_renames_have_the_same_columns() -> None:
    old = [_column(sa.Integer(), nullable=False)]
    assert same_columns(IMPL, old, [_column(sa.Integer(), nullable=False)])
    assert not same_columns(IMPL, old, [_column(sa.Integer())])
    assert not same_columns(IMPL, old, [_column(sa.BigInteger(), nullable=False)])
    assert not same_columns(IMPL, [], [])


def test_canonical_types() -> None:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    assert canonical_type(sa.String(20), dialect) == "character varying(20)"
    assert canonical_type(sa.Integer(), dialect) == "integer"
    assert canonical_type(sa.ARRAY(sa.Text()), dialect) == "text[]"


# ---------------------------------------------------------------------- hints

def test_hints() -> None:
    metadata = sa.MetaData()
    table = sa.Table("accounts", metadata, sa.Column("email_address", sa.Text,
                                                     info={"renamed_from": "email"}),
                     info={"renamed_from": "users"})
    hint = column_hint(table.c.email_address, "billing", "accounts")
    assert hint is not None
    assert hint.reason() == ("column renamed in the model: info={'renamed_from': 'email'} on "
                             "billing.accounts.email_address")
    table_renamed = table_hint(table, None)
    assert table_renamed is not None
    assert table_renamed.reason() == ("table renamed in the model: info={'renamed_from': "
                                      "'users'} on accounts")
    same = sa.Column("a", sa.Text, info={"renamed_from": "a"})
    assert column_hint(same, None, "t") is None


@pytest.mark.parametrize("value", [3, "", ["email"]])
def test_a_hint_that_is_not_a_name_is_a_clear_error(value: object) -> None:
    column = sa.Column("email_address", sa.Text, info={"renamed_from": value})
    with pytest.raises(CommandError) as raised:
        column_hint(column, None, "users")
    assert str(raised.value) == (
        "users.email_address: info['renamed_from'] must be the old name as a non-empty "
        f"string, got {value!r}")
