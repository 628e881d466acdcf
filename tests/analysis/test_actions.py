"""Actions, rewrites, scans and flags per statement (table-driven), and parser traps."""

from __future__ import annotations

import pytest
from analysis_helpers import one

from alembic_safe.analysis import Analyzer, analyze
from alembic_safe.analysis.facts import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    AlterEnum,
    AnalysisContext,
    CatalogFacts,
    ConstraintDef,
    ConstraintKind,
    CreateIndex,
    CreateTable,
    DropColumn,
    DropConstraint,
    DropNotNull,
    DropObject,
    LockMode,
    LockTable,
    ModifyRows,
    OtherStatement,
    Reindex,
    Relation,
    Rename,
    SetColumnDefault,
    SetNotNull,
    SetSetting,
    TableRewriteCommand,
    TransactionControl,
    Truncate,
    ValidateConstraint,
)

T = Relation("t")

ACTIONS: list[tuple[str, object]] = [
    ("CREATE TABLE IF NOT EXISTS t (id int)", CreateTable),
    ("CREATE TABLE t AS SELECT 1", CreateTable),
    ("CREATE INDEX ix ON t (a)", CreateIndex),
    ("DROP TABLE t", DropObject),
    ("REINDEX INDEX ix", Reindex),
    ("ALTER TABLE t ADD COLUMN a int", AddColumn),
    ("ALTER TABLE t DROP COLUMN a", DropColumn),
    ("ALTER TABLE t ALTER COLUMN a TYPE bigint", AlterColumnType),
    ("ALTER TABLE t ALTER COLUMN a SET NOT NULL", SetNotNull),
    ("ALTER TABLE t ALTER COLUMN a DROP NOT NULL", DropNotNull),
    ("ALTER TABLE t ALTER COLUMN a SET DEFAULT 1", SetColumnDefault),
    ("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)", AddConstraint),
    ("ALTER TABLE t VALIDATE CONSTRAINT c", ValidateConstraint),
    ("ALTER TABLE t DROP CONSTRAINT c", DropConstraint),
    ("ALTER TABLE t RENAME COLUMN a TO b", Rename),
    ("VACUUM FULL t", TableRewriteCommand),
    ("LOCK TABLE t", LockTable),
    ("TRUNCATE t", Truncate),
    ("UPDATE t SET a = 1", ModifyRows),
    ("ALTER TYPE e ADD VALUE 'x'", AlterEnum),
    ("SET lock_timeout = '1s'", SetSetting),
    ("BEGIN", TransactionControl),
    ("GRANT SELECT ON t TO r", OtherStatement),
]


@pytest.mark.parametrize(("sql", "kind"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_action_types(sql: str, kind: type) -> None:
    assert [type(a) for a in one(sql).actions] == [kind]


def test_several_actions_in_one_alter_table() -> None:
    stmt = one("ALTER TABLE claims ADD COLUMN token uuid DEFAULT gen_random_uuid(), "
               "ALTER COLUMN region SET NOT NULL, DROP COLUMN legacy, "
               "ALTER COLUMN x SET STATISTICS 100")
    assert [type(a).__name__ for a in stmt.actions] == [
        "AddColumn", "SetNotNull", "DropColumn", "OtherStatement"]
    assert stmt.rewrites == (Relation("claims"),)
    assert stmt.scans == (Relation("claims"),)
    assert stmt.destroys_data and stmt.breaks_running_code


@pytest.mark.parametrize(("sql", "column"), [
    ("ALTER TABLE t ADD region text NOT NULL", "region"),
    ("ALTER TABLE t ADD COLUMN IF NOT EXISTS region text", "region"),
])
def test_add_without_column_keyword(sql: str, column: str) -> None:
    (action,) = one(sql).actions
    assert isinstance(action, AddColumn) and action.column.name == column


def test_alter_without_column_keyword() -> None:
    (action,) = one("ALTER TABLE t ALTER amount TYPE bigint").actions
    assert isinstance(action, AlterColumnType)
    assert (action.column, action.new_type) == ("amount", "bigint")


def test_quoted_and_schema_qualified_names() -> None:
    (action,) = one('CREATE INDEX "Ix" ON billing."Claims" ("Status")').actions
    assert isinstance(action, CreateIndex)
    assert action.table == Relation("Claims", "billing")
    assert (action.index, action.columns) == ("Ix", ("Status",))
    (action,) = one("ALTER TABLE Billing.CLAIMS DROP COLUMN Note").actions
    assert action.table == Relation("claims", "billing")


REWRITES: list[tuple[str, bool]] = [
    ("ALTER TABLE t ADD COLUMN a uuid DEFAULT gen_random_uuid()", True),
    ("ALTER TABLE t ADD COLUMN a timestamptz DEFAULT clock_timestamp()", True),
    ("ALTER TABLE t ADD COLUMN a timestamptz DEFAULT now()", False),
    ("ALTER TABLE t ADD COLUMN a int DEFAULT 0", False),
    ("ALTER TABLE t ADD COLUMN a bigserial", True),
    ("ALTER TABLE t ADD COLUMN a int GENERATED ALWAYS AS IDENTITY", True),
    ("ALTER TABLE t ADD COLUMN a int GENERATED ALWAYS AS (b * 2) STORED", True),
    ("ALTER TABLE t ALTER COLUMN a TYPE bigint", True),
    ("ALTER TABLE t SET LOGGED", True),
    ("ALTER TABLE t SET UNLOGGED", True),
    ("ALTER TABLE t SET TABLESPACE fast", True),
    ("ALTER TABLE t SET ACCESS METHOD heap", True),
    ("VACUUM FULL t", True),
    ("CLUSTER t USING ix", True),
    ("VACUUM t", False),
    ("ALTER TABLE t ALTER COLUMN a SET DEFAULT random()", False),
]


@pytest.mark.parametrize(("sql", "rewrites"), REWRITES, ids=[r[0] for r in REWRITES])
def test_rewrites(sql: str, rewrites: bool) -> None:
    assert one(sql).rewrites == ((T,) if rewrites else ())


SCANS: list[tuple[str, bool, bool]] = [
    # sql, scans t, validates a constraint
    ("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)", True, True),
    ("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID", False, False),
    ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)", True, True),
    ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) NOT VALID", False, False),
    ("ALTER TABLE t ADD CONSTRAINT k UNIQUE (a)", True, False),
    ("ALTER TABLE t ADD CONSTRAINT k UNIQUE USING INDEX ix", False, False),
    ("ALTER TABLE t ADD PRIMARY KEY (id)", True, False),
    ("ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY USING INDEX ix", False, False),
    ("ALTER TABLE t ALTER COLUMN a SET NOT NULL", True, False),
    ("ALTER TABLE t VALIDATE CONSTRAINT c", True, True),
    ("ALTER TABLE t ADD COLUMN a int REFERENCES u (id)", True, True),
    ("ALTER TABLE t ADD COLUMN a int", False, False),
]


@pytest.mark.parametrize(("sql", "scans", "validates"), SCANS, ids=[s[0] for s in SCANS])
def test_scans(sql: str, scans: bool, validates: bool) -> None:
    stmt = one(sql)
    assert stmt.scans == ((T,) if scans else ())
    assert stmt.validates_constraint is validates


def test_constraint_details() -> None:
    stmt = one("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a, b) REFERENCES s.u (x, y) "
               "NOT VALID, ADD CONSTRAINT nn CHECK (c IS NOT NULL), "
               "ADD CONSTRAINT k UNIQUE USING INDEX ix")
    fk, nn, k = (a.constraint for a in stmt.actions if isinstance(a, AddConstraint))
    assert (fk.kind, fk.name, fk.columns, fk.not_valid, fk.references) == (
        ConstraintKind.FOREIGN_KEY, "fk", ("a", "b"), True, Relation("u", "s"))
    assert (nn.kind, nn.not_null_check_column) == (ConstraintKind.CHECK, "c")
    assert (k.kind, k.using_index) == (ConstraintKind.UNIQUE, "ix")


def test_set_not_null_after_validated_check_in_same_input_skips_scan() -> None:
    facts = analyze(
        "ALTER TABLE t ADD CONSTRAINT nn CHECK (a IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT nn;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;"
    )
    assert facts[1].scans == (T,)  # the check is not validated yet
    (action,) = facts[3].actions
    assert isinstance(action, SetNotNull) and action.has_validated_not_null_check
    assert facts[3].scans == ()


def test_validated_check_does_not_help_before_pg12() -> None:
    facts = analyze("ALTER TABLE t ADD CONSTRAINT nn CHECK (a IS NOT NULL);\n"
                    "ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
                    AnalysisContext(pg_version=11))
    assert facts[1].scans == (T,)


FLAGS: list[tuple[str, bool, bool]] = [
    # sql, destroys_data, breaks_running_code
    ("DROP TABLE t", True, True),
    ("DROP SCHEMA s", False, False),  # refused unless empty
    ("DROP SCHEMA s CASCADE", True, False),
    ("DROP TYPE e", False, False),  # refused while a column uses it
    ("DROP TYPE e CASCADE", True, False),
    ("DROP DOMAIN d", False, False),
    ("DROP SEQUENCE s", True, False),
    ("DROP VIEW v", False, True),
    ("DROP FUNCTION f()", False, False),
    ("DROP FUNCTION f() CASCADE", True, False),
    ("DROP INDEX ix", False, False),
    ("TRUNCATE t", True, False),
    ("DELETE FROM t", True, False),
    ("DELETE FROM t WHERE id = 1", False, False),
    ("ALTER TABLE t DROP COLUMN a", True, True),
    ("ALTER TABLE t DROP CONSTRAINT c", False, False),
    ("ALTER TABLE t DROP CONSTRAINT c CASCADE", True, False),
    ("ALTER TABLE t RENAME TO u", False, True),
    ("ALTER TABLE t RENAME COLUMN a TO b", False, True),
    ("ALTER VIEW v RENAME TO w", False, True),
    ("ALTER TYPE e RENAME VALUE 'a' TO 'b'", False, True),
    ("ALTER TABLE t ALTER COLUMN a TYPE bigint", False, True),
    ("ALTER TABLE t ADD COLUMN a int", False, False),
]


@pytest.mark.parametrize(("sql", "destroys", "breaks"), FLAGS, ids=[f[0] for f in FLAGS])
def test_data_loss_and_breaking_flags(sql: str, destroys: bool, breaks: bool) -> None:
    stmt = one(sql)
    assert (stmt.destroys_data, stmt.breaks_running_code) == (destroys, breaks)


NO_TRANSACTION: list[tuple[str, bool]] = [
    ("CREATE INDEX CONCURRENTLY ix ON t (a)", True),
    ("DROP INDEX CONCURRENTLY ix", True),
    ("REINDEX INDEX CONCURRENTLY ix", True),
    ("ALTER TABLE t DETACH PARTITION p CONCURRENTLY", True),
    ("VACUUM t", True),
    ("CREATE DATABASE d", True),
    ("DROP DATABASE d", True),
    ("CREATE TABLESPACE ts LOCATION '/x'", True),
    ("ALTER SYSTEM SET work_mem = '4MB'", True),
    ("CREATE INDEX ix ON t (a)", False),
    ("ANALYZE t", False),
    ("ALTER TYPE e ADD VALUE 'x'", False),
]


@pytest.mark.parametrize(("sql", "required"), NO_TRANSACTION, ids=[n[0] for n in NO_TRANSACTION])
def test_requires_no_transaction(sql: str, required: bool) -> None:
    assert one(sql).requires_no_transaction is required


def test_enum_add_value_needs_autocommit_before_pg12_only() -> None:
    assert one("ALTER TYPE e ADD VALUE 'x'", pg_version=11).requires_no_transaction
    (action,) = one("ALTER TYPE s.e ADD VALUE IF NOT EXISTS 'x' BEFORE 'y'").actions
    assert action == AlterEnum(Relation("e", "s"), add_value="x", if_not_exists=True,
                               positioned=True, neighbor="y")
    (after,) = one("ALTER TYPE e ADD VALUE 'x' AFTER 'it''s'").actions
    assert after == AlterEnum(Relation("e"), add_value="x", positioned=True, neighbor="it's",
                              after=True)


def test_modify_rows_details() -> None:
    (ins,) = one("INSERT INTO t SELECT * FROM s").actions
    assert isinstance(ins, ModifyRows) and ins.from_select and ins.command == "INSERT"
    (ins,) = one("INSERT INTO t VALUES (1)").actions
    assert isinstance(ins, ModifyRows) and not ins.from_select
    for sql in ("UPDATE t SET a = 1 WHERE id BETWEEN 1 AND 1000",
                "UPDATE t SET a = 1 WHERE id >= 1 AND id < 1000",
                "UPDATE t SET a = 1 WHERE id IN (SELECT id FROM t WHERE a IS NULL LIMIT 500)",
                "DELETE FROM t WHERE ctid = ANY (ARRAY(SELECT ctid FROM t LIMIT 10))"):
        (action,) = one(sql).actions
        assert isinstance(action, ModifyRows) and action.batched and action.has_where, sql
    (action,) = one("UPDATE t SET a = 1 WHERE a IS NULL").actions
    assert isinstance(action, ModifyRows) and action.has_where and not action.batched


UPDATE_PARTS = [
    ("UPDATE s.t SET a = 1, \"Or\"\"der\" = lower(b) || $$x:y$$ WHERE a IS NULL",
     ("a = 1, \"Or\"\"der\" = lower(b) || 'x:y'", "a IS NULL")),
    ("UPDATE t SET a = DEFAULT", ("a = DEFAULT", None)),
    ("UPDATE t SET a = b FROM u WHERE t.id = u.id", (None, None)),
    ("UPDATE t AS x SET a = 1", (None, None)),
    ("UPDATE ONLY t SET a = 1", (None, None)),
    ("UPDATE t SET a[1] = 1", (None, None)),
    ("UPDATE t SET (a, b) = (SELECT 1, 2)", (None, None)),
    ("WITH w AS (SELECT 1) UPDATE t SET a = 1", (None, None)),
    ("DELETE FROM t WHERE a IS NULL", (None, None)),
]


@pytest.mark.parametrize(("sql", "parts"), UPDATE_PARTS, ids=[u[0] for u in UPDATE_PARTS])
def test_update_parts_are_printed_when_a_batch_can_run_them(
        sql: str, parts: tuple[str | None, str | None]) -> None:
    (action,) = one(sql).actions
    assert isinstance(action, ModifyRows)
    assert (action.assignments, action.where_sql) == parts


SETTINGS: list[tuple[str, SetSetting]] = [
    ("SET lock_timeout = '3s'", SetSetting(None, name="lock_timeout", value="3s")),
    ("SET LOCAL lock_timeout TO 3000", SetSetting(None, name="lock_timeout", value="3000",
                                                   local=True)),
    ("SET lock_timeout TO DEFAULT", SetSetting(None, name="lock_timeout", value="default")),
    ("RESET lock_timeout", SetSetting(None, name="lock_timeout", value=None)),
    ("RESET ALL", SetSetting(None, name="all", value=None)),
    ("SELECT set_config('lock_timeout', '2s', true)",
     SetSetting(None, name="lock_timeout", value="2s", local=True)),
    ("SELECT pg_catalog.set_config('Lock_Timeout', '2s', false)",
     SetSetting(None, name="lock_timeout", value="2s")),
]


@pytest.mark.parametrize(("sql", "expected"), SETTINGS, ids=[s[0] for s in SETTINGS])
def test_settings(sql: str, expected: SetSetting) -> None:
    assert one(sql).actions == (expected,)


TRAPS: list[tuple[str, str, type]] = [
    ("-- CREATE INDEX ix ON t (a);\nSELECT 1", "SELECT", OtherStatement),
    ("/* ALTER TABLE t DROP COLUMN a; */ SELECT 1", "SELECT", OtherStatement),
    ("INSERT INTO log (msg) VALUES ('DROP TABLE t; TRUNCATE t')", "INSERT", ModifyRows),
    ("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ CREATE INDEX ix ON t (a); $$",
     "CREATE FUNCTION", OtherStatement),
    ("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$ BEGIN DROP TABLE t; "
     "END $body$", "CREATE FUNCTION", OtherStatement),
    ("DO $$ DECLARE s text := 'DROP TABLE t'; BEGIN RAISE NOTICE '%', s; END $$", "DO",
     OtherStatement),
]


@pytest.mark.parametrize(("sql", "kind", "action"), TRAPS, ids=[t[0][:40] for t in TRAPS])
def test_sql_hidden_in_comments_strings_and_bodies_is_not_analyzed(
    sql: str, kind: str, action: type
) -> None:
    stmt = one(sql)
    assert stmt.kind == kind
    assert [type(a) for a in stmt.actions] == [action]
    assert not stmt.destroys_data
    assert [lock.relation.name for lock in stmt.locks] == (["log"] if kind == "INSERT" else [])


def test_new_relations_are_marked() -> None:
    facts = analyze(
        "CREATE TABLE fresh (id bigint PRIMARY KEY, status text);\n"
        "CREATE INDEX ix_fresh ON fresh (status);\n"
        "ALTER TABLE public.fresh ADD CONSTRAINT c CHECK (status <> '');\n"
        "CREATE INDEX ix_old ON old (a);\n"
        "DROP TABLE fresh;\n"
        "ALTER TABLE fresh ADD COLUMN a int;"
    )
    assert all(a.is_new for a in facts[1].actions + facts[2].actions)
    assert all(lock.is_new for lock in facts[1].locks + facts[2].locks)
    assert not any(a.is_new for a in facts[3].actions)
    assert not facts[3].locks[0].is_new
    assert facts[4].actions[0].is_new  # dropping what this input created
    assert not facts[5].actions[0].is_new  # dropped: no longer new


def test_new_relations_state_and_seed() -> None:
    analyzer = Analyzer(AnalysisContext(new_relations=frozenset({"seeded", "s.other"})))
    facts = analyzer.feed("CREATE INDEX ix ON seeded (a); CREATE INDEX iy ON s.other (a);"
                          "CREATE INDEX iz ON other (a); CREATE TYPE mood AS ENUM ('a');"
                          "CREATE MATERIALIZED VIEW mv AS SELECT 1;"
                          "ALTER TABLE seeded RENAME TO renamed;")
    assert [f.actions[0].is_new for f in facts[:3]] == [True, True, False]
    assert analyzer.new_relations == frozenset({
        "public.renamed", "s.other", "public.ix", "s.iy", "public.iz", "public.mood",
        "public.mv"})


RENAMES: list[tuple[str, str, str, Relation, tuple[str, str]]] = [
    # sql, statement kind, object kind, target, (old, new)
    ("ALTER TABLE t RENAME TO u", "ALTER TABLE", "table", T, ("t", "u")),
    ("ALTER TABLE t RENAME a TO b", "ALTER TABLE", "column", T, ("a", "b")),
    ("ALTER TABLE t RENAME CONSTRAINT a TO b", "ALTER TABLE", "constraint", T, ("a", "b")),
    ("ALTER VIEW v RENAME COLUMN a TO b", "ALTER VIEW", "column", Relation("v"), ("a", "b")),
    ("ALTER INDEX s.ix RENAME TO iy", "ALTER INDEX", "index", Relation("ix", "s"), ("ix", "iy")),
    ("ALTER SEQUENCE q RENAME TO r", "ALTER SEQUENCE", "sequence", Relation("q"), ("q", "r")),
    ("ALTER TYPE s.e RENAME TO f", "ALTER TYPE", "type", Relation("e", "s"), ("e", "f")),
    ("ALTER TYPE e RENAME ATTRIBUTE a TO b", "ALTER TYPE", "attribute", Relation("e"),
     ("a", "b")),
    ("ALTER FUNCTION s.f(int) RENAME TO g", "ALTER FUNCTION", "function", Relation("f", "s"),
     ("f", "g")),
    ("ALTER TRIGGER tr ON t RENAME TO tr2", "ALTER TRIGGER", "trigger", T, ("tr", "tr2")),
    ("ALTER SCHEMA a RENAME TO b", "ALTER SCHEMA", "schema", Relation("a"), ("a", "b")),
]


@pytest.mark.parametrize(("sql", "kind", "object_kind", "target", "names"), RENAMES,
                         ids=[r[0] for r in RENAMES])
def test_renames(sql: str, kind: str, object_kind: str, target: Relation,
                 names: tuple[str, str]) -> None:
    stmt = one(sql)
    assert stmt.kind == kind
    assert stmt.actions == (Rename(target, object_kind=object_kind, old_name=names[0],
                                   new_name=names[1]),)


def test_create_if_not_exists_of_a_live_relation_is_not_new() -> None:
    context = AnalysisContext(catalog=CatalogFacts(existing_relations=frozenset({"public.t"})))
    facts = analyze("CREATE TABLE IF NOT EXISTS t (id int);\nCREATE INDEX ix ON t (id);\n"
                    "CREATE TABLE IF NOT EXISTS u (id int);\nCREATE INDEX iu ON u (id);",
                    context)
    assert not facts[1].actions[0].is_new and not facts[1].locks[0].is_new
    assert facts[3].actions[0].is_new


MORE_ACTIONS: list[tuple[str, object]] = [
    ("ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0)",
     AddConstraint(Relation("d"), constraint=ConstraintDef(ConstraintKind.CHECK, name="c",
                                                           expression="value > 0"),
                   on_domain=True)),
    ("TRUNCATE t CASCADE", Truncate(T, cascade=True)),
    ("REINDEX SCHEMA CONCURRENTLY s", Reindex(Relation("s"), target_kind="schema",
                                              concurrently=True)),
    ("SELECT * INTO t FROM s", CreateTable(T, as_select=True)),
    ("CREATE MATERIALIZED VIEW t AS SELECT 1", CreateTable(T, as_select=True)),
    ("CREATE TABLE t PARTITION OF p FOR VALUES IN (1)",
     CreateTable(T, partition_of=Relation("p"))),
    ("CREATE UNIQUE INDEX ix ON ONLY t (a) WHERE b", CreateIndex(
        T, index="ix", unique=True, columns=("a",), partial=True, only=True, where="b")),
    ("DROP INDEX CONCURRENTLY IF EXISTS s.ix", DropObject(
        Relation("ix", "s"), object_kind="index", concurrently=True, if_exists=True)),
    ("DROP TRIGGER tr ON t", DropObject(T, object_kind="trigger")),
    ("DROP MATERIALIZED VIEW t CASCADE", DropObject(T, object_kind="materialized view",
                                                    cascade=True)),
    ("COPY t FROM STDIN", ModifyRows(T, command="COPY")),
    ("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
     ModifyRows(T, command="MERGE")),
    ("ALTER TABLE t ALTER COLUMN a DROP DEFAULT", SetColumnDefault(T, column="a", dropped=True)),
    ("ALTER TABLE t DROP CONSTRAINT IF EXISTS c CASCADE",
     DropConstraint(T, name="c", if_exists=True, cascade=True)),
    ("ALTER TABLE t DROP COLUMN IF EXISTS a CASCADE",
     DropColumn(T, column="a", if_exists=True, cascade=True)),
    ("ALTER TABLE t DETACH PARTITION p CONCURRENTLY",
     TableRewriteCommand(T, command="DETACH PARTITION", concurrently=True,
                         partition=Relation("p"))),
    ("ALTER TABLE t ATTACH PARTITION s.p FOR VALUES IN (1)",
     TableRewriteCommand(T, command="ATTACH PARTITION", partition=Relation("p", "s"))),
    ("LOCK TABLE t IN ROW EXCLUSIVE MODE", LockTable(T, mode=LockMode.ROW_EXCLUSIVE)),
    ("COMMIT AND CHAIN", TransactionControl(None, command="COMMIT AND CHAIN")),
    ("REFRESH MATERIALIZED VIEW CONCURRENTLY t",
     OtherStatement(T, command="REFRESH MATERIALIZED VIEW CONCURRENTLY")),
]


@pytest.mark.parametrize(("sql", "expected"), MORE_ACTIONS, ids=[m[0] for m in MORE_ACTIONS])
def test_action_details(sql: str, expected: object) -> None:
    assert one(sql).actions == (expected,)


class _CountingNames(frozenset[str]):
    """Existing relation names that count how often the analyzer asks about them."""

    asked: list[str]

    def __contains__(self, name: object) -> bool:
        self.asked.append(str(name))
        return super().__contains__(name)


def test_plain_create_does_not_ask_the_catalog() -> None:
    existing = _CountingNames({"public.t"})
    existing.asked = []
    context = AnalysisContext(catalog=CatalogFacts(existing_relations=existing))
    facts = analyze("CREATE TABLE u (id int);\nCREATE INDEX iu ON u (id);\n"
                    "CREATE OR REPLACE VIEW v AS SELECT 1;\nCREATE TABLE IF NOT EXISTS t (id int);",
                    context)
    assert facts[1].actions[0].is_new  # PostgreSQL refuses CREATE TABLE of a taken name
    # only OR REPLACE and IF NOT EXISTS may meet a live relation: only they are looked up
    assert set(existing.asked) <= {"public.t", "public.v", "t", "v"}
    assert {"public.t", "public.v"} <= set(existing.asked)
    assert not {"u", "public.u", "iu", "public.iu"} & set(existing.asked)


def test_created_here_is_only_what_this_input_created() -> None:
    facts = analyze("CREATE TABLE fresh (id int);\nDROP TABLE fresh;\nDROP TABLE earlier;\n"
                    "DROP TABLE old;", AnalysisContext(new_relations=frozenset({"earlier"})))
    fresh, earlier, old = (f.actions[0] for f in facts[1:])
    assert (fresh.is_new, fresh.created_here) == (True, True)
    assert (earlier.is_new, earlier.created_here) == (True, False)  # an earlier revision's
    assert (old.is_new, old.created_here) == (False, False)
