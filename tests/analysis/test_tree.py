"""The JSON parse tree helpers, and analyzer facts that depend on the JSON's shape."""

from __future__ import annotations

import pytest
from pglast import ast
from pglast.enums.parsenodes import AlterTableType as AT
from pglast.parser import ParseError

from alembic_safe.analysis import analyze, tree
from alembic_safe.analysis.facts import LockMode, Position, Relation, SetSetting
from alembic_safe.analysis.statements import HANDLERS


def _one(sql: str) -> tuple[str, tree.Fields]:
    (tag, fields, _, _), = tree.parse(sql)
    return tag, fields


def test_parse_gives_node_types_and_character_spans() -> None:
    sql = "SELECT 'é€';\n  ALTER TABLE é.t ADD COLUMN x int;SELECT 1"
    parsed = tree.parse(sql)
    assert [tag for tag, _, _, _ in parsed] == ["SelectStmt", "AlterTableStmt", "SelectStmt"]
    spans = [sql[start:end] for _, _, start, end in parsed]
    assert spans == ["SELECT 'é€'", "ALTER TABLE é.t ADD COLUMN x int", "SELECT 1"]
    assert tree.parse("") == []
    assert tree.parse("-- only a comment") == []
    with pytest.raises(ParseError):
        tree.parse("SELEC 1")


def test_omitted_defaults_and_enum_names() -> None:
    _, stmt = _one("ALTER TABLE t ADD COLUMN a int DEFAULT 0")
    cmd = next(tree.nodes(stmt, "cmds", "AlterTableCmd"))
    assert tree.enum(cmd, "subtype", AT) is AT.AT_AddColumn
    assert tree.flag(cmd, "missing_ok") is False  # omitted: False
    coldef = tree.of(cmd["def"], "ColumnDef")
    assert coldef is not None
    default = next(tree.nodes(coldef, "constraints", "Constraint"))
    zero = tree.of(default["raw_expr"], "A_Const")
    assert zero is not None and tree.number(zero["ival"], "ival") == 0  # {"ival": {}}
    assert tree.text(stmt["relation"], "schemaname") is None
    assert tree.items(stmt, "nothing") == []


def test_typed_fields_come_from_pglast() -> None:
    assert tree.TYPED_FIELDS["InsertStmt"]["relation"] == "RangeVar"
    assert tree.TYPED_FIELDS["ColumnDef"]["typeName"] == "TypeName"
    assert "def" not in tree.TYPED_FIELDS.get("AlterTableCmd", {})  # Node *: wrapped
    assert all(isinstance(getattr(ast, tag, None), type) for tag in HANDLERS)


def test_walk_finds_bare_and_wrapped_nodes_and_skips_null_items() -> None:
    # RangeFunction's function list holds a NULL item ({}); INSERT's target is a bare RangeVar
    _, insert = _one("INSERT INTO s.t SELECT g FROM generate_series(1, 3) g JOIN u ON true")
    found = [(tag, f.get("relname")) for tag, f in tree.walk(("InsertStmt", insert))
             if tag == "RangeVar"]
    assert sorted(found, key=str) == [("RangeVar", "t"), ("RangeVar", "u")]


def test_locks_of_queries_and_set_config() -> None:
    facts = analyze("INSERT INTO t SELECT * FROM generate_series(1, 3) g, u;"
                    "SELECT set_config('lock_timeout', '2s', true), set_config('x', 'y', false)")
    assert [(lk.relation, lk.mode) for lk in facts[0].locks] == [
        (Relation("u"), LockMode.ACCESS_SHARE), (Relation("t"), LockMode.ROW_EXCLUSIVE)]
    settings = [a for a in facts[1].actions if isinstance(a, SetSetting)]
    assert [(s.name, s.value, s.local) for s in settings] == [
        ("x", "y", False), ("lock_timeout", "2s", True)]


def test_positions_after_multibyte_characters() -> None:
    facts = analyze("-- café\nSELECT '€';  UPDATE t SET a = 'ü' ;\nDELETE FROM t")
    assert [f.sql for f in facts] == ["SELECT '€'", "UPDATE t SET a = 'ü'", "DELETE FROM t"]
    assert [f.position for f in facts] == [Position(2, 1), Position(2, 14), Position(3, 1)]
    assert facts[0].comments == ("café",)
