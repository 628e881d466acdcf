"""The order a safe migration runs its steps in: transactions and autocommit blocks.

Steps come in the order autogenerate proposed them, each inside the migration's transaction or
outside it (an autocommit block). A step depends on an earlier one when they touch the same
object (:mod:`.keys`) or when both belong to one fix (its steps are a sequence). The schedule:

1. a transaction with only the steps some autocommit step needs (a new column an index is
   built on, a constraint added NOT VALID before its validation);
2. an autocommit block with every autocommit step those allow;
3. again, as long as autocommit steps remain (a step that needs the block, such as attaching
   a concurrently built index, then a validation of what that made possible);
4. the last transaction with everything else, committed together with the revision's row in
   ``alembic_version``.

So what an autocommit block commits before the revision is recorded is as little as possible,
and nothing else moves: steps of one kind keep their order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alembic.operations.ops import MigrateOperation

from alembic_safe.autogenerate.keys import Access, Key


@dataclass(eq=False)
class Item:
    """Operations that run together, inside the migration's transaction or outside it."""

    ops: list[MigrateOperation]
    transactional: bool
    access: Access
    #: the ModifyTableOps (schema, table) the operations came from, None at top level
    group: tuple[str | None, str] | None = None
    #: a second run after a failure repeats it without error (the guard passes over an
    #: existing identical index or constraint; IF [NOT] EXISTS forms)
    rerunnable: bool = True
    #: items this one must follow besides conflicts (the previous step of its fix)
    after: list[Item] = field(default_factory=list)


@dataclass
class Phase:
    """A run of items in one transaction, or in one autocommit block."""

    transactional: bool
    items: list[Item]


class _Touched:
    """The earlier items that touched each key, found by the key itself, by any of its
    prefixes (a table covers its columns) or by any key it is a prefix of."""

    def __init__(self) -> None:
        self.exact: dict[Key, set[int]] = {}
        self.under: dict[Key, set[int]] = {}

    def add(self, key: Key, n: int) -> None:
        self.exact.setdefault(key, set()).add(n)
        for end in range(len(key) + 1):
            self.under.setdefault(key[:end], set()).add(n)

    def overlapping(self, key: Key) -> set[int]:
        found = set(self.under.get(key, ()))
        for end in range(len(key)):
            found |= self.exact.get(key[:end], set())
        return found


def _dependencies(items: list[Item]) -> dict[int, set[int]]:
    """For each item, the earlier items it must follow: conflicts (one writes what the other
    reads or writes) and explicit ``after`` links. Keys are indexed, so this stays linear in
    the number of items for migrations that touch many tables."""
    position = {id(item): n for n, item in enumerate(items)}
    reads, writes = _Touched(), _Touched()
    needs: dict[int, set[int]] = {}
    for n, item in enumerate(items):
        found = {position[id(e)] for e in item.after if id(e) in position}
        for key in item.access.writes:
            found |= reads.overlapping(key) | writes.overlapping(key)
        for key in item.access.reads:
            found |= writes.overlapping(key)
        needs[n] = found
        for key in item.access.writes:
            writes.add(key, n)
        for key in item.access.reads:
            reads.add(key, n)
    return needs


def _ancestors(needs: dict[int, set[int]], start: set[int]) -> set[int]:
    seen: set[int] = set()
    stack = list(start)
    while stack:
        n = stack.pop()
        for m in needs[n]:
            if m not in seen:
                seen.add(m)
                stack.append(m)
    return seen


def schedule(items: list[Item]) -> list[Phase]:
    """The phases ``items`` run in (see the module docs); empty phases are left out."""
    needs = _dependencies(items)
    done: set[int] = set()
    phases: list[Phase] = []

    def take(candidates: list[int]) -> list[Item]:
        """Every candidate whose dependencies are done, in order, as long as any is."""
        taken: list[Item] = []
        progress = True
        while progress:
            progress = False
            for n in candidates:
                if n not in done and needs[n] <= done:
                    done.add(n)
                    taken.append(items[n])
                    progress = True
        return taken

    while True:
        outside = {n for n, item in enumerate(items) if not item.transactional} - done
        if not outside:
            break
        early = sorted(n for n in _ancestors(needs, outside) if items[n].transactional)
        block = [n for n in range(len(items)) if not items[n].transactional]
        phase = take(early)
        if phase:
            phases.append(Phase(True, phase))
        phase = take(block)
        if not phase:  # only on a dependency cycle, which conflicts by position cannot make
            raise AssertionError("autogenerate steps cannot be ordered")
        phases.append(Phase(False, phase))
    rest = take(list(range(len(items))))
    if rest:
        phases.append(Phase(True, rest))
    return phases
