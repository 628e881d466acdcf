"""Histories: the order lint reads files in, so that each starts from what the earlier ones did.

A migration history is applied in order, and a later file relies on what earlier ones
established: the type a column has, whether a relation exists. Lint reads the files of a
history in that order and carries a :class:`~alembic_safe.analysis.schema.SchemaState` from
one to the next. What a file *created* is an existing relation for the files after it (treated
as populated, like every table that exists before a migration): only ``new`` in the file itself.

- ``.sql`` files: one history per folder, in natural path order (``V2__`` before ``V10__``;
  zero-padded numbers and timestamps sort as they read).
- Alembic scripts: one history per revision graph (the scripts of the run linked by
  ``revision`` / ``down_revision``, read from the script with Python's ``ast``), in revision
  order. A script starts from the state its parent left; a merge revision from its parents'
  states merged; a branch point's children each from their own copy.
"""

from __future__ import annotations

import ast
import heapq
import re
from collections.abc import Collection, Sequence
from pathlib import Path

from alembic_safe.analysis.schema import SchemaState

_DIGITS = re.compile(r"(\d+)")


def natural_key(path: Path) -> tuple[tuple[int, int | str], ...]:
    """A sort key that orders the numbers in a path by value (``2`` before ``10``)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in _DIGITS.split(str(path)) if part)


def sql_histories(paths: Sequence[Path], needed: Collection[Path]) -> list[list[Path]]:
    """The .sql files of ``paths`` by folder, each folder in natural path order, cut after the
    last file of ``needed`` (later ones tell nothing the needed ones need)."""
    folders: dict[Path, list[Path]] = {}
    for path in paths:
        folders.setdefault(path.parent, []).append(path)
    histories = []
    for files in folders.values():
        files.sort(key=natural_key)
        last = max((i for i, path in enumerate(files) if path in needed), default=-1)
        if last >= 0:
            histories.append(files[:last + 1])
    return histories


def _literal(node: ast.expr | None) -> tuple[str, ...] | None:
    """The revision ids an assignment's value spells: a string, None, or a tuple/list of them."""
    if node is None:
        return None
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def revision_ids(path: Path) -> tuple[str | None, tuple[str, ...]]:
    """A script's ``revision`` and ``down_revision`` ids, as written at module level (None and
    () when they cannot be read without running it)."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None, ()
    values: dict[str, ast.expr | None] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            values[node.target.id] = node.value
    revision = _literal(values.get("revision"))
    down = _literal(values.get("down_revision"))
    return (revision[0] if revision and len(revision) == 1 else None), down or ()


class Lineage:
    """The scripts of a run in revision order, and the schema state each one starts from."""

    def __init__(self, scripts: Sequence[Path], needed: Collection[Path]) -> None:
        ids = {path: revision_ids(path) for path in scripts}
        by_id = {rev: path for path, (rev, _) in ids.items() if rev is not None}
        self.parents = {path: [by_id[d] for d in dict.fromkeys(downs)
                               if d in by_id and by_id[d] != path]
                        for path, (_, downs) in ids.items()}
        wanted = self._ancestry(needed)
        self.order = self._sorted([path for path in scripts if path in wanted])
        self._waiting = {path: 0 for path in self.order}  # children yet to start
        for path in self.order:
            for parent in self.parents[path]:
                self._waiting[parent] += 1
        self._states: dict[Path, SchemaState] = {}

    def _ancestry(self, needed: Collection[Path]) -> set[Path]:
        found: set[Path] = set()
        stack = [path for path in self.parents if path in needed]
        while stack:
            path = stack.pop()
            if path not in found:
                found.add(path)
                stack.extend(self.parents[path])
        return found

    def _sorted(self, scripts: list[Path]) -> list[Path]:
        """Parents before children; otherwise in the order given."""
        rank = {path: i for i, path in enumerate(scripts)}
        pending = {path: sum(1 for p in self.parents[path] if p in rank) for path in scripts}
        children: dict[Path, list[Path]] = {path: [] for path in scripts}
        for path in scripts:
            for parent in self.parents[path]:
                if parent in rank:
                    children[parent].append(path)
        ready = [(rank[path], path) for path in scripts if pending[path] == 0]
        heapq.heapify(ready)
        order: list[Path] = []
        while ready:
            _, path = heapq.heappop(ready)
            order.append(path)
            for child in children[path]:
                pending[child] -= 1
                if pending[child] == 0:
                    heapq.heappush(ready, (rank[child], child))
        # a cycle (two scripts naming each other) keeps the order given for what is left
        order += [path for path in scripts if path not in set(order)]
        return order

    def start(self, path: Path) -> SchemaState:
        """The state ``path`` starts from: its parent's end state (handed over when no other
        child needs it, else copied), its parents' merged for a merge revision."""
        state: SchemaState | None = None
        unknown = False  # a parent could not be read: what came before it is not known either
        for parent in self.parents[path]:
            if parent not in self._waiting:
                continue
            self._waiting[parent] -= 1
            ended = self._states.get(parent)
            if ended is None:
                unknown = True
                continue
            if self._waiting[parent] == 0:
                del self._states[parent]
            else:
                ended = ended.copy()
            if state is None:
                state = ended
            else:
                state.merge(ended)
        return state if state is not None and not unknown else SchemaState()

    def finish(self, path: Path, state: SchemaState | None) -> None:
        """``path`` ended with ``state`` (None: it could not be read, so the facts of what came
        before it no longer hold for its children either)."""
        if state is not None and self._waiting.get(path, 0) > 0:
            self._states[path] = state
