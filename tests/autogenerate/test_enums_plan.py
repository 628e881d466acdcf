"""How enum values go from the database's to the model's: additions placed next to a value that
exists by then, in the model's order; renames in an order where each new name is free; removed
or reordered values need the type swap."""

from __future__ import annotations

import pytest

from alembic_safe.autogenerate.enums.plan import Addition, PlanError, ValuePlan, plan


def test_additions_at_the_start_middle_and_end() -> None:
    assert plan(["b", "d"], ["a0", "a", "b", "c", "d", "e", "f"], {}) == ValuePlan(additions=(
        Addition("a0", before="b"), Addition("a", after="a0"), Addition("c", after="b"),
        Addition("e", after="d"), Addition("f", after="e")))


def test_an_enum_without_values_gets_them_in_order() -> None:
    assert plan([], ["a", "b"], {}).additions == (Addition("a"), Addition("b", after="a"))


def test_nothing_to_do() -> None:
    assert plan(["a", "b"], ["a", "b"], {"x": "y"}).empty


def test_removed_and_reordered_values_need_the_swap() -> None:
    removed = plan(["a", "b", "c"], ["a", "c"], {})
    assert removed.swap and removed.removed == ("b",) and not removed.reordered
    reordered = plan(["a", "b", "c"], ["b", "a", "c", "d"], {})
    assert reordered.swap and reordered.reordered and not reordered.additions


def test_renames_free_the_names_they_need() -> None:
    chain = plan(["a", "b"], ["b", "c"], {"a": "b", "b": "c"})
    assert chain.renames == (("b", "c"), ("a", "b")) and not chain.swap


def test_a_hint_already_applied_is_passed_over() -> None:
    assert plan(["new", "pending"], ["new", "pending"], {"open": "pending"}).empty


def test_a_rename_and_an_addition_next_to_the_renamed_value() -> None:
    assert plan(["a", "b"], ["a", "c", "x"], {"b": "c"}) == ValuePlan(
        renames=(("b", "c"),), additions=(Addition("x", after="c"),))


@pytest.mark.parametrize(("current", "wanted", "hints", "message"), [
    (["a", "b"], ["a", "c"], {"b": "z"}, "renames 'b' to 'z', but the model's values do not "
     "include 'z'"),
    (["a", "b"], ["a", "b", "c"], {"b": "c"}, "the model's values still include 'b'"),
    (["a", "b"], ["b", "a"], {"a": "b", "b": "a"}, "rename them over two migrations"),
])
def test_hints_that_cannot_apply(current: list[str], wanted: list[str], hints: dict[str, str],
                                 message: str) -> None:
    with pytest.raises(PlanError, match=message.replace("(", r"\(")):
        plan(current, wanted, hints)
