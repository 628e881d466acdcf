"""alembic-safe's enum operations: rendered as valid Python whatever names and values hold,
reversible, listed by ``as_diffs()``, and running SQL that PostgreSQL reads back as the same
names and values (quotes and backslashes included)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import render_python_code
from alembic.operations import Operations, ops
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from alembic_safe.autogenerate.allow import AllowOp
from alembic_safe.autogenerate.enums import catalog
from alembic_safe.autogenerate.enums import ops as enum_ops

TYPE, SCHEMA = 'St"at\\us', 'Bill"ing'
VALUES = ["new", "it's", "back\\slash", 'say "hi"', "😀"]


def _render(*operations: ops.MigrateOperation) -> str:
    text = render_python_code(ops.UpgradeOps(list(operations)))
    return "\n".join(line.strip() for line in text.splitlines()
                     if line.strip() and not line.strip().startswith("# ###"))


def _run(engine: Engine, *operations: ops.MigrateOperation) -> None:
    with engine.begin() as connection:
        invoke = Operations(MigrationContext.configure(connection)).invoke
        for operation in operations:
            invoke(operation)


def _enum(engine: Engine) -> catalog.DatabaseEnum:
    with engine.connect() as connection:
        return catalog.read(connection)[(SCHEMA, TYPE)]


def test_hostile_names_and_values_round_trip(pg_engine: Engine) -> None:
    with pg_engine.begin() as connection:
        connection.exec_driver_sql('CREATE SCHEMA "Bill""ing"')
    create = enum_ops.CreateEnumTypeOp(TYPE, VALUES, schema=SCHEMA)
    add = enum_ops.AddEnumTypeValueOp(TYPE, "o'k\\", after="it's", schema=SCHEMA)
    rename = enum_ops.RenameEnumTypeValueOp(TYPE, 'say "hi"', 'say "bye"', schema=SCHEMA)
    code = _render(create, add, rename)
    compile(code, "<migration>", "exec")
    assert code == (
        "op.create_enum_type('St\"at\\\\us', ['new', \"it's\", 'back\\\\slash', 'say \"hi\"', "
        "'😀'], schema='Bill\"ing')\n"
        "op.add_enum_type_value('St\"at\\\\us', \"o'k\\\\\", after=\"it's\", "
        "schema='Bill\"ing')\n"
        "op.rename_enum_type_value('St\"at\\\\us', 'say \"hi\"', 'say \"bye\"', "
        "schema='Bill\"ing')")
    _run(pg_engine, create)
    _run(pg_engine, add, rename)  # ADD VALUE then RENAME VALUE of another in one transaction
    assert _enum(pg_engine).values == ("new", "it's", "o'k\\", "back\\slash", 'say "bye"', "😀")
    _run(pg_engine, add)  # IF NOT EXISTS
    _run(pg_engine, rename.reverse(), create.reverse())
    with pg_engine.connect() as connection:
        assert (SCHEMA, TYPE) not in catalog.read(connection)


def test_a_type_swap_keeps_every_value_and_default(pg_engine: Engine) -> None:
    with pg_engine.begin() as connection:
        connection.exec_driver_sql('CREATE SCHEMA "Bill""ing"')
        connection.exec_driver_sql(
            'CREATE TYPE "Bill""ing"."St""at\\us" AS ENUM (\'a\', \'it\'\'s\', \'z\')')
        connection.exec_driver_sql(
            'CREATE TABLE "Bill""ing".t (id int, "Co""l" "Bill""ing"."St""at\\us" '
            "DEFAULT 'it''s', arr \"Bill\"\"ing\".\"St\"\"at\\us\"[] DEFAULT '{a}')")
        connection.exec_driver_sql(
            'INSERT INTO "Bill""ing".t VALUES (1, \'it\'\'s\', \'{a,z}\'), (2, \'z\', NULL)')
    convert = enum_ops.ConvertEnumColumnsOp(
        "t", ['Co"l', "arr"], "St_new", schema=SCHEMA, type_schema=SCHEMA, arrays=["arr"],
        defaults={'Co"l': "it's", "arr": "{a}"}, from_type=TYPE)
    swap = enum_ops.EnumSwapOp([
        enum_ops.SwapNoteOp(["swapped"], ["swapped back"]),
        enum_ops.CreateEnumTypeOp("St_new", ["z", "it's", "a"], schema=SCHEMA), convert,
        enum_ops.DropEnumTypeOp(TYPE, schema=SCHEMA, values=["a", "it's", "z"]),
        enum_ops.RenameEnumTypeOp("St_new", TYPE, schema=SCHEMA)])
    compile(_render(swap), "<migration>", "exec")
    _run(pg_engine, swap)
    enum = _enum(pg_engine)
    assert enum.values == ("z", "it's", "a")
    assert {(c.name, c.array, c.default) for c in enum.columns} == {
        ('Co"l', False, '\'it\'\'s\'::"Bill""ing"."St""at\\us"'),
        ("arr", True, '\'{a}\'::"Bill""ing"."St""at\\us"[]')}
    with pg_engine.connect() as connection:
        rows = connection.exec_driver_sql(
            'SELECT id, "Co""l"::text, arr::text FROM "Bill""ing".t ORDER BY id').all()
    assert [tuple(row) for row in rows] == [(1, "it's", "{a,z}"), (2, "z", None)]
    undone = swap.reverse()
    assert _render(undone).splitlines()[0] == "# swapped back"
    _run(pg_engine, undone)
    assert _enum(pg_engine).values == ("a", "it's", "z")


def test_reverses_and_diffs() -> None:
    create = enum_ops.CreateEnumTypeOp("s", ["a"], schema="x")
    assert create.reverse().to_diff_tuple() == ("remove_enum", "x", "s")
    assert create.reverse().reverse().to_diff_tuple() == ("add_enum", "x", "s", ("a",))
    with pytest.raises(ValueError, match="values of the dropped enum s are unknown"):
        enum_ops.DropEnumTypeOp("s").reverse()
    add = enum_ops.AddEnumTypeValueOp("s", "b", after="a")
    assert add.to_diff_tuple() == ("add_enum_type_value", None, "s", "b")
    assert _render(add.reverse()) == "pass"  # the value stays: ValuesStayOp says so
    stays = enum_ops.ValuesStayOp("s", ["b"], schema="x")
    assert _render(stays) == "pass" and stays.reverse().downgrade
    assert _render(stays.reverse()).splitlines()[-1].strip() == "pass"
    allowed = AllowOp(["rename-enum-value"], "hint",
                      [enum_ops.RenameEnumTypeValueOp("s", "a", "b")])
    assert ops.UpgradeOps([allowed]).as_diffs() == [
        ("rename_enum_type_value", None, "s", "a", "b")]
    assert allowed.reverse().ops[0].to_diff_tuple() == (
        "rename_enum_type_value", None, "s", "b", "a")
    with pytest.raises(ValueError, match="before= or after="):
        enum_ops.AddEnumTypeValueOp("s", "b", before="a", after="a")


def test_one_catalog_query_reads_every_enum(pg_engine: Engine) -> None:
    with pg_engine.begin() as connection:
        for n in range(30):
            connection.exec_driver_sql(f"CREATE TYPE e{n} AS ENUM ('a', 'b')")
            connection.exec_driver_sql(f"CREATE TABLE t{n} (id int, v e{n}, w e{n}[])")
        connection.exec_driver_sql("ALTER TYPE e0 ADD VALUE 'first' BEFORE 'a'")
        connection.exec_driver_sql("CREATE TABLE p (v e1) PARTITION BY LIST (v)")
        connection.exec_driver_sql("CREATE TABLE p1 PARTITION OF p FOR VALUES IN ('a')")
        connection.exec_driver_sql("CREATE VIEW v AS SELECT v FROM t2")
    statements: list[str] = []
    with pg_engine.connect() as connection:
        sa.event.listen(connection, "before_cursor_execute",
                        lambda *args: statements.append(args[2]))
        found = catalog.read(connection)
    assert len(statements) == 1
    assert len(found) == 30
    assert found[("public", "e0")].values == ("first", "a", "b")
    assert {(c.table, c.kind, c.array, c.inherited) for c in found[("public", "e1")].columns} \
        == {("t1", "r", False, False), ("t1", "r", True, False), ("p", "p", False, False),
            ("p1", "r", False, True)}
    assert ("v", "v", False, False) in {
        (c.table, c.kind, c.array, c.inherited) for c in found[("public", "e2")].columns}
