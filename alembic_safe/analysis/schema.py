"""What the statements analyzed so far established about the schema.

Column types, constraints (with the tables their foreign keys reference), validated
``CHECK (col IS NOT NULL)`` constraints, the table of each index, the relations created and the
functions defined: facts that a statement's own SQL does not state (the old type of a column
whose type it changes, the table a ``DROP INDEX`` locks, the body of a function it calls). The
analyzer reads them and records in them every change a statement makes.

``alembic-safe lint`` carries one state from file to file of a history, so that a later file
knows what the earlier ones did. A state made with ``recording=True`` (in a worker process, which
lints a file without the files before it) also keeps

- :attr:`SchemaState.log`: every change, to :meth:`~SchemaState.replay` on the state that
  does hold the earlier files' facts;
- :attr:`SchemaState.misses`: what a lookup found nothing about locally and would have asked
  the earlier files about. When that state :meth:`~SchemaState.knows` one of them, the worker's
  result may be wrong and the file is analyzed again with it.

A table or column renamed here keeps the name the live catalog knows it by
(:meth:`SchemaState.catalog_name`): the runtime guard looks its type and checks up there.

Relations are keyed by qualified name (``public.claims``), functions by ``fn:`` and their
qualified name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Concatenate, ParamSpec, TypeVar

from alembic_safe.analysis.facts import ConstraintDef, ConstraintKind, Relation

P = ParamSpec("P")

#: the suffix PostgreSQL gives a constraint it names itself, by kind
_SUFFIX = {ConstraintKind.FOREIGN_KEY: "fkey", ConstraintKind.CHECK: "check",
           ConstraintKind.UNIQUE: "key", ConstraintKind.EXCLUDE: "excl",
           ConstraintKind.NOT_NULL: "not_null"}
_IDENTIFIER_MAX = 63


@dataclass(frozen=True)
class Routine:
    """A function or procedure created in the input: enough to analyze a call of it."""

    kind: str  # "function" or "procedure"
    language: str  # "plpgsql", "sql", ...
    #: plpgsql: the CREATE statement (what PostgreSQL's PL/pgSQL parser reads); sql: the body
    source: str
    #: ``BEGIN ATOMIC ... END`` body (its statements are not kept)
    atomic: bool = False


def default_name(table: str, con: ConstraintDef) -> str:
    """The name PostgreSQL gives an unnamed constraint (``claims_user_id_fkey``)."""
    if con.kind is ConstraintKind.PRIMARY_KEY:
        return f"{table}_pkey"[:_IDENTIFIER_MAX]
    columns = "_".join(con.columns) if con.columns else "expr"
    return f"{table}_{columns}_{_SUFFIX.get(con.kind, 'con')}"[:_IDENTIFIER_MAX]


def _recorded(
    change: Callable[Concatenate[SchemaState, P], None],
) -> Callable[Concatenate[SchemaState, P], None]:
    """A change of the state: appended to the log of a recording state before it is made."""
    name = change.__name__

    def record(self: SchemaState, /, *args: P.args, **kwargs: P.kwargs) -> None:
        if self.log is not None:
            self.log.append((name, args))
        change(self, *args, **kwargs)

    record.__name__ = name
    record.__doc__ = change.__doc__
    _CHANGES.add(name)
    return record


_CHANGES: set[str] = set()
V = TypeVar("V")


def _move(facts: dict[str, V], old: str, new: str) -> None:
    if old in facts:
        facts[new] = facts.pop(old)


class SchemaState:
    """Schema facts established by the statements analyzed so far (see the module docstring)."""

    def __init__(self, default_schema: str = "public", *, recording: bool = False) -> None:
        self.default_schema = default_schema
        self._columns: dict[str, dict[str, str]] = {}
        self._constraints: dict[str, dict[str, ConstraintDef]] = {}
        self._not_null: dict[str, set[str]] = {}
        self._indexes: dict[str, Relation] = {}
        self._relations: set[str] = set()
        self._routines: dict[str, Routine] = {}
        #: derived, for lookups that would otherwise scan everything: the foreign keys
        #: (owner, name) into each table, the indexes of each table
        self._keys_into: dict[str, set[tuple[str, str]]] = {}
        self._table_indexes: dict[str, set[str]] = {}
        #: every change made, as (method name, arguments), when recording
        self.log: list[tuple[str, tuple[Any, ...]]] | None = [] if recording else None
        #: keys whose earlier facts a lookup (or a change) would have used, when recording
        self.misses: set[str] | None = set() if recording else None
        #: relations created or dropped here: what earlier files said of them no longer counts
        self._settled: set[str] = set()
        #: tables and columns renamed here: the table's key before, by its key now; each
        #: table's columns' names before, by their names now
        self._table_was: dict[str, str] = {}
        self._columns_were: dict[str, dict[str, str]] = {}

    # ------------------------------------------------------------------ keys

    def key(self, rel: Relation) -> str:
        return f"{rel.schema or self.default_schema}.{rel.name}"

    def relation(self, key: str) -> Relation:
        """The relation of a key, unqualified when it is in the default schema."""
        schema, _, name = key.partition(".")
        return Relation(name, None if schema == self.default_schema else schema)

    def _miss(self, key: str) -> None:
        if self.misses is not None and key not in self._settled:
            self.misses.add(key)

    # ------------------------------------------------------------------ lookups

    def column_type(self, table: str, column: str) -> str | None:
        found = self._columns.get(table, {}).get(column)
        if found is None:
            self._miss(table)
        return found

    def has_not_null_check(self, table: str, column: str) -> bool:
        found = column in self._not_null.get(table, ())
        if not found:
            self._miss(table)
        return found

    def constraint(self, table: str, name: str) -> ConstraintDef | None:
        found = self._constraints.get(table, {}).get(name)
        if found is None:
            self._miss(table)
        return found

    def index_table(self, index: str) -> Relation | None:
        found = self._indexes.get(index)
        if found is None:
            self._miss(index)
        return found

    def catalog_name(self, table: str, column: str) -> tuple[str, str] | None:
        """(table key, column) as they were named before renames here, when either was
        renamed: where a catalog read before those renames has the column."""
        was = self._columns_were.get(table, {}).get(column, column)
        table_was = self._table_was.get(table, table)
        return None if (table_was, was) == (table, column) else (table_was, was)

    def exists(self, key: str) -> bool:
        found = key in self._relations
        if not found:
            self._miss(key)
        return found

    def routine(self, key: str) -> Routine | None:
        found = self._routines.get(key)
        if found is None:
            self._miss(f"fn:{key}")
        return found

    def referenced(self, table: str, columns: Iterable[str] | None = None) -> list[Relation]:
        """Tables the foreign keys of ``table`` reference (those on ``columns``, when given)."""
        self._miss(table)
        wanted = None if columns is None else set(columns)
        out: dict[Relation, None] = {}
        for con in self._constraints.get(table, {}).values():
            if (con.kind is ConstraintKind.FOREIGN_KEY and con.references is not None
                    and (wanted is None or wanted & set(con.columns))):
                out[con.references] = None
        return list(out)

    def referencing(self, table: str, columns: Iterable[str] | None = None) -> list[Relation]:
        """Tables whose foreign keys reference ``table`` (its ``columns``, when given; a key
        naming no columns references the primary key)."""
        self._miss(f"fk:{table}")
        wanted = None if columns is None else set(columns)
        out: dict[Relation, None] = {}
        for owner, name in sorted(self._keys_into.get(table, ())):
            con = self._constraints[owner][name]
            target = set(con.referenced_columns or self._primary_key(table))
            if wanted is None or wanted & target:
                out[self.relation(owner)] = None
        return list(out)

    def _primary_key(self, table: str) -> tuple[str, ...]:
        for con in self._constraints.get(table, {}).values():
            if con.kind is ConstraintKind.PRIMARY_KEY:
                return con.columns
        return ()

    def knows(self, key: str) -> bool:
        """Whether this state holds a fact about ``key`` (a :attr:`misses` entry)."""
        if key.startswith("fn:"):
            return key[3:] in self._routines
        if key.startswith("fk:"):
            return bool(self._keys_into.get(key[3:]))
        return (key in self._relations or key in self._columns or key in self._constraints
                or key in self._not_null or key in self._indexes or key in self._table_was
                or key in self._columns_were)

    # ------------------------------------------------------------------ changes

    @_recorded
    def create(self, key: str) -> None:
        """A relation is created (its earlier facts, if any, are gone)."""
        self._forget(key)
        self._relations.add(key)
        self._settled.add(key)

    @_recorded
    def drop(self, key: str) -> None:
        """A relation is dropped, with its columns, constraints and indexes, and the foreign
        keys that reference it (PostgreSQL drops them, with CASCADE, or refuses)."""
        self._forget(key)
        self._settled.add(key)

    def _forget(self, key: str) -> None:
        self._relations.discard(key)
        self._table_was.pop(key, None)
        self._columns_were.pop(key, None)
        self._columns.pop(key, None)
        self._not_null.pop(key, None)
        for name in list(self._constraints.get(key, {})):
            self._pop(key, name)
        self._constraints.pop(key, None)
        for owner, name in list(self._keys_into.get(key, ())):
            self._pop(owner, name)
        for index in self._table_indexes.pop(key, set()):
            self._indexes.pop(index, None)
        table = self._indexes.pop(key, None)
        if table is not None:
            self._table_indexes.get(self.key(table), set()).discard(key)

    def _put(self, owner: str, name: str, con: ConstraintDef) -> None:
        self._pop(owner, name)
        self._constraints.setdefault(owner, {})[name] = con
        if con.kind is ConstraintKind.FOREIGN_KEY and con.references is not None:
            self._keys_into.setdefault(self.key(con.references), set()).add((owner, name))

    def _pop(self, owner: str, name: str) -> ConstraintDef | None:
        con = self._constraints.get(owner, {}).pop(name, None)
        if con is not None and con.kind is ConstraintKind.FOREIGN_KEY and con.references:
            self._keys_into.get(self.key(con.references), set()).discard((owner, name))
        return con

    @_recorded
    def rename(self, old: str, new: str) -> None:
        """A relation is renamed (or moved to another schema): its facts follow it."""
        self._miss(old)
        self._miss(f"fk:{old}")
        self._forget(new)
        self._settled.update((old, new))
        if old in self._relations:
            self._relations.discard(old)
            self._relations.add(new)
        _move(self._columns, old, new)
        _move(self._not_null, old, new)
        _move(self._columns_were, old, new)
        was = self._table_was.pop(old, old)
        if was != new:
            self._table_was[new] = was
        for name, con in list(self._constraints.get(old, {}).items()):
            self._pop(old, name)
            self._put(new, name, con)
        self._constraints.pop(old, None)
        renamed = self.relation(new)
        for owner, name in list(self._keys_into.get(old, ())):
            con = self._constraints[owner][name]
            self._put(owner, name, replace(con, references=renamed))
        indexes = self._table_indexes.pop(old, set())
        for index in indexes:
            self._indexes[index] = renamed
        if indexes:
            self._table_indexes[new] = indexes
        table = self._indexes.pop(old, None)
        if table is not None:
            self.add_index(new, table)

    @_recorded
    def set_column(self, table: str, column: str, type_name: str) -> None:
        self._columns.setdefault(table, {})[column] = type_name

    @_recorded
    def drop_column(self, table: str, column: str) -> None:
        """A column is dropped, with the constraints on it."""
        self._columns.get(table, {}).pop(column, None)
        self._not_null.get(table, set()).discard(column)
        self._columns_were.get(table, {}).pop(column, None)
        constraints = self._constraints.get(table, {})
        for name in [n for n, con in constraints.items() if column in con.columns]:
            self._pop(table, name)

    @_recorded
    def rename_column(self, table: str, old: str, new: str) -> None:
        columns = self._columns.get(table, {})
        if old in columns:
            columns[new] = columns.pop(old)
        checks = self._not_null.get(table, set())
        if old in checks:
            checks.discard(old)
            checks.add(new)
        were = self._columns_were.setdefault(table, {})
        was = were.pop(old, old)
        if was != new:
            were[new] = was

    @_recorded
    def add_constraint(self, table: str, con: ConstraintDef) -> None:
        self._put(table, con.name or default_name(table.partition(".")[2], con), con)
        if con.not_null_check_column and not con.not_valid:
            self._not_null.setdefault(table, set()).add(con.not_null_check_column)

    @_recorded
    def drop_constraint(self, table: str, name: str) -> None:
        con = self._pop(table, name)
        if con is not None and con.not_null_check_column:
            self._not_null.get(table, set()).discard(con.not_null_check_column)

    @_recorded
    def validate(self, table: str, name: str) -> None:
        """A constraint is validated: a not-null CHECK now proves its column."""
        con = self.constraint(table, name)
        if con is not None and con.not_null_check_column:
            self._not_null.setdefault(table, set()).add(con.not_null_check_column)

    @_recorded
    def add_index(self, index: str, table: Relation) -> None:
        previous = self._indexes.get(index)
        if previous is not None:
            self._table_indexes.get(self.key(previous), set()).discard(index)
        self._indexes[index] = table
        self._table_indexes.setdefault(self.key(table), set()).add(index)

    @_recorded
    def define(self, key: str, routine: Routine) -> None:
        self._routines[key] = routine

    @_recorded
    def undefine(self, key: str) -> None:
        self._routines.pop(key, None)

    # ------------------------------------------------------------------ whole states

    def replay(self, log: Iterable[tuple[str, tuple[Any, ...]]]) -> None:
        """Make the changes a recording state logged, in order."""
        for name, args in log:
            if name not in _CHANGES:
                raise ValueError(f"not a change of the schema state: {name}")
            getattr(self, name)(*args)

    def copy(self) -> SchemaState:
        """An independent copy (not recording)."""
        other = SchemaState(self.default_schema)
        other._columns = {t: dict(c) for t, c in self._columns.items()}
        other._constraints = {t: dict(c) for t, c in self._constraints.items()}
        other._not_null = {t: set(c) for t, c in self._not_null.items()}
        other._indexes = dict(self._indexes)
        other._relations = set(self._relations)
        other._routines = dict(self._routines)
        other._table_was = dict(self._table_was)
        other._columns_were = {t: dict(c) for t, c in self._columns_were.items()}
        other._derive()
        return other

    def merge(self, other: SchemaState) -> None:
        """Add the facts of ``other`` (another branch of a history, now merged into this one); a
        column whose type the two branches disagree on becomes unknown."""
        for table, columns in other._columns.items():
            mine = self._columns.setdefault(table, {})
            for column, type_name in columns.items():
                if mine.setdefault(column, type_name) != type_name:
                    del mine[column]
        for table, constraints in other._constraints.items():
            self._constraints.setdefault(table, {}).update(constraints)
        for table, checks in other._not_null.items():
            self._not_null.setdefault(table, set()).update(checks)
        self._indexes.update(other._indexes)
        self._relations |= other._relations
        self._routines.update(other._routines)
        self._table_was.update(other._table_was)
        for table, were in other._columns_were.items():
            self._columns_were.setdefault(table, {}).update(were)
        self._derive()

    def _derive(self) -> None:
        """Rebuild the derived look-up tables from the facts."""
        self._keys_into = {}
        for owner, constraints in self._constraints.items():
            for name, con in constraints.items():
                if con.kind is ConstraintKind.FOREIGN_KEY and con.references is not None:
                    self._keys_into.setdefault(self.key(con.references), set()).add(
                        (owner, name))
        self._table_indexes = {}
        for index, table in self._indexes.items():
            self._table_indexes.setdefault(self.key(table), set()).add(index)
