"""How an enum's values go from what the database has to what the model declares.

PostgreSQL adds a value anywhere without touching a row (``ADD VALUE ... BEFORE/AFTER``) and
renames one in place (``RENAME VALUE``); it cannot remove or reorder values. So a change that
only adds values is a series of additions, each placed next to a value that exists by then, in
the model's order; a change that removes or reorders values needs the type swap (a new type,
every column converted, the old type dropped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class PlanError(ValueError):
    """Rename hints that cannot apply to the values the database has."""


@dataclass(frozen=True)
class Addition:
    """``ADD VALUE value BEFORE before`` or ``AFTER after`` (neither: at the end)."""

    value: str
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class ValuePlan:
    """What changes the values of one enum, in order: renames, then additions or a swap."""

    renames: tuple[tuple[str, str], ...] = ()
    additions: tuple[Addition, ...] = ()
    #: values the database has (after the renames) that the model drops
    removed: tuple[str, ...] = ()
    #: the values both keep are in another order in the model
    reordered: bool = False

    @property
    def swap(self) -> bool:
        """Only a new type can hold the model's values."""
        return bool(self.removed) or self.reordered

    @property
    def empty(self) -> bool:
        return not (self.renames or self.additions or self.swap)


def ordered_renames(current: Sequence[str], wanted: Sequence[str], hints: Mapping[str, str]
                    ) -> tuple[tuple[str, str], ...]:
    """The hinted renames that apply to ``current`` (the old value is there), in an order
    where each new name is free when its rename runs. A hint whose old value is gone has been
    applied already (or names a value that never existed) and is passed over."""
    labels = list(current)
    pending = {old: new for old, new in hints.items() if old in labels and old != new}
    for old, new in pending.items():
        if new not in wanted:
            raise PlanError(f"renames {old!r} to {new!r}, but the model's values do not "
                            f"include {new!r}")
        if old in wanted and old not in pending.values():
            raise PlanError(f"renames {old!r} to {new!r}, but the model's values still "
                            f"include {old!r}")
    done: list[tuple[str, str]] = []
    while pending:
        ready = [old for old, new in pending.items() if new not in labels]
        if not ready:
            raise PlanError("renames " + ", ".join(f"{o!r} to {n!r}" for o, n in pending.items())
                            + " need a value to be free that another rename still holds: "
                            "rename them over two migrations")
        for old in ready:
            new = pending.pop(old)
            labels[labels.index(old)] = new
            done.append((old, new))
    return tuple(done)


def plan(current: Sequence[str], wanted: Sequence[str], hints: Mapping[str, str]
         ) -> ValuePlan:
    """The changes that turn the values ``current`` (the database's, in order) into ``wanted``
    (the model's), renaming as ``hints`` (old value to new value) say."""
    renames = ordered_renames(current, wanted, hints)
    renamed = dict(renames)
    labels = [renamed.get(value, value) for value in current]
    removed = tuple(value for value in labels if value not in wanted)
    kept = [value for value in labels if value in wanted]
    reordered = kept != [value for value in wanted if value in labels]
    if removed or reordered:
        return ValuePlan(renames, removed=removed, reordered=reordered)
    existing = set(labels)
    additions: list[Addition] = []
    for position, value in enumerate(wanted):
        if value in existing:
            continue
        if position > 0:  # the value before it exists by now: an earlier one or added just now
            additions.append(Addition(value, after=wanted[position - 1]))
        else:
            first = next((w for w in wanted if w in existing), None)
            additions.append(Addition(value, before=first))
        existing.add(value)
    return ValuePlan(renames, tuple(additions))
