"""The order of a safe migration: an early transaction with only what autocommit steps need,
autocommit blocks, and everything else last, with nothing moved across what it touches."""

from __future__ import annotations

from alembic.operations import ops
from hypothesis import given, settings
from hypothesis import strategies as st

from alembic_safe.analysis.facts import Relation
from alembic_safe.autogenerate.keys import Access, Keys, of_step, referenced_columns
from alembic_safe.autogenerate.schedule import Item, _dependencies, schedule
from alembic_safe.fix import model

KEYS = Keys("public")
T, U = Relation("t"), Relation("u")


def _item(name: str, step: model.Step, after: Item | None = None) -> Item:
    return Item([ops.ExecuteSQLOp(name)], model.runs_in_transaction(step),
                of_step(step, KEYS), after=[after] if after else [])


def _order(items: list[Item]) -> list[tuple[bool, list[str]]]:
    return [(phase.transactional, [str(op.sqltext) for item in phase.items  # type: ignore
                                   for op in item.ops]) for phase in schedule(items)]


def test_only_what_blocks_need_runs_before_them() -> None:
    add = _item("add t.a", model.AddColumn(T, "a", "int"))
    other = _item("add t.b", model.AddColumn(T, "b", "int"))
    build = _item("index t.a", model.BuildIndex(T, "ix", ("a",)))
    assert _order([add, other, build]) == [
        (True, ["add t.a"]), (False, ["index t.a"]), (True, ["add t.b"])]


def test_a_fix_keeps_its_order_and_what_needs_a_block_follows_it() -> None:
    check = _item("check", model.AddConstraint(T, "c", model.ConstraintType.CHECK,
                                               expression="a IS NOT NULL", not_valid=True))
    validate = _item("validate", model.ValidateConstraint(T, "c"), after=check)
    set_nn = _item("set not null", model.SetNotNull(T, "a"), after=validate)
    drop = _item("drop check", model.DropConstraint(T, "c", if_exists=True), after=set_nn)
    index = _item("index u.x", model.BuildIndex(U, "ux", ("x",)))
    assert _order([check, validate, set_nn, drop, index]) == [
        (True, ["check"]), (False, ["validate", "index u.x"]),
        (True, ["set not null", "drop check"])]


def test_a_foreign_key_to_a_key_built_concurrently_waits_for_it() -> None:
    build = _item("unique u.id", model.BuildIndex(U, "uq", ("id",), unique=True))
    attach = _item("attach", model.AddConstraint(U, "uq", model.ConstraintType.UNIQUE, ("id",),
                                                 using_index="uq"), after=build)
    fk = _item("fk", model.AddConstraint(T, "fk", model.ConstraintType.FOREIGN_KEY, ("u_id",),
                                         references=U, referenced_columns=("id",),
                                         not_valid=True))
    validate = _item("validate fk", model.ValidateConstraint(T, "fk"), after=fk)
    assert _order([build, attach, fk, validate]) == [
        (False, ["unique u.id"]), (True, ["attach", "fk"]), (False, ["validate fk"])]


def test_index_drops_come_before_what_needs_the_name() -> None:
    drop = _item("drop ix", model.DropIndex(Relation("ix"), if_exists=True))
    build = _item("build ix", model.BuildIndex(T, "ix", ("b",)))
    unknown = Item([ops.ExecuteSQLOp("unknown")], True, Access(writes=frozenset({()})))
    assert _order([drop, build, unknown]) == [
        (False, ["drop ix", "build ix"]), (True, ["unknown"])]


def test_set_not_null_does_not_hold_back_an_index_on_the_column() -> None:
    set_nn = Item([ops.ExecuteSQLOp("set not null")], True,
                  of_step(model.SetNotNull(T, "a"), KEYS))
    build = _item("index t.a", model.BuildIndex(T, "ix", ("a",)))
    assert _order([set_nn, build]) == [(False, ["index t.a"]), (True, ["set not null"])]


def test_referenced_columns() -> None:
    assert referenced_columns("UPDATE x SET region = upper(\"Old\") WHERE region IS NULL") == (
        "region", "Old")
    assert referenced_columns("SELECT (") == ()


KEYS_ = st.lists(st.sampled_from(["rel", "t", "u", "col", "a", "b", "type", "index"]),
                 max_size=4).map(tuple)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.frozensets(KEYS_, max_size=3), st.frozensets(KEYS_, max_size=3)),
                max_size=12))
def test_indexed_dependencies_are_the_pairwise_conflicts(
        accesses: list[tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]]]) -> None:
    items = [Item([], True, Access(reads, writes)) for reads, writes in accesses]
    assert _dependencies(items) == {
        n: {m for m in range(n) if items[m].access.conflicts(item.access)}
        for n, item in enumerate(items)}
