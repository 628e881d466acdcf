"""What each step of a migration reads and writes, so steps can be reordered safely.

A key is a path: ``("rel", "public.claims")`` is a table, ``(..., "col", "status")`` one of its
columns (adding or dropping it), ``(..., "col", "status", "type")`` its type, ``"nullable"``,
``"default"`` or ``"values"`` (what an index build reads is the type, not the values or the
nullability), ``(..., "con", "fk")`` a constraint, ``(..., "key", "a,b")`` a unique key (what a
foreign key needs on the table it references); ``("index", "public.ix")`` an index. A key
covers every key it is a prefix of, and the empty key covers everything (a statement the
analyzer does not model: nothing moves across it). Two steps conflict when one writes what the
other reads or writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache, singledispatch

from pglast.parser import ParseError

from alembic_safe.analysis import facts, tree
from alembic_safe.analysis.names import qualified_key
from alembic_safe.fix import model

Key = tuple[str, ...]
EVERYTHING: Key = ()


@dataclass(frozen=True)
class Access:
    """The keys a step reads and writes."""

    reads: frozenset[Key] = frozenset()
    writes: frozenset[Key] = frozenset()

    def __or__(self, other: Access) -> Access:
        return Access(self.reads | other.reads, self.writes | other.writes)

    def conflicts(self, other: Access) -> bool:
        return (_overlap(self.writes, other.reads | other.writes)
                or _overlap(self.reads, other.writes))


def _covers(a: Key, b: Key) -> bool:
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return long[:len(short)] == short


def _overlap(left: Iterable[Key], right: Iterable[Key]) -> bool:
    right = tuple(right)
    return any(_covers(a, b) for a in left for b in right)


@lru_cache(maxsize=1024)
def named_type(type_sql: str) -> facts.Relation | None:
    """The type a column type names, as SQL prints it (``billing.claim_status``,
    ``claim_status[]``): what a column of it needs to exist first (an enum created in the same
    migration). None when it does not parse."""
    try:
        parsed = tree.parse(f"SELECT NULL::{type_sql}")
    except ParseError:
        return None
    for tag, node in tree.walk(parsed[0][:2]):
        if tag == "TypeName":
            name = tree.strings(node.get("names"))
            return facts.Relation(name[-1], name[-2] if len(name) > 1 else None) if name \
                else None
    return None


#: what a RENAME makes exist under its new name, besides taking the old one
_RENAMED_RELATIONS = frozenset({"table", "type", "domain", "view", "materialized view",
                                "sequence", "foreign table"})


def referenced_columns(sql: str) -> tuple[str, ...]:
    """The columns a statement names (its ColumnRefs, and the targets of an UPDATE's SET);
    empty when it cannot be parsed (then every column counts)."""
    try:
        parsed = tree.parse(sql)
    except ParseError:
        return ()
    found: list[str] = []
    for statement in parsed:
        for tag, node in tree.walk(statement[:2]):
            if tag == "ColumnRef":
                found += tree.strings(node.get("fields"))[-1:]
            elif tag == "ResTarget" and node.get("name"):
                found.append(node["name"])
    return tuple(dict.fromkeys(found))


class Keys:
    """Keys of relations, with unqualified names in the default schema."""

    def __init__(self, default_schema: str) -> None:
        self.schema = default_schema

    def table(self, rel: facts.Relation) -> Key:
        return ("rel", qualified_key(rel, self.schema))

    def exists(self, rel: facts.Relation) -> Key:
        """The table's existence (what creating or dropping it writes)."""
        return (*self.table(rel), "exists")

    def column(self, rel: facts.Relation, name: str, aspect: str | None = None) -> Key:
        """A column, or one aspect of it (``type``, ``nullable``, ``default``, ``values``)."""
        key = (*self.table(rel), "col", name)
        return (*key, aspect) if aspect else key

    def columns(self, rel: facts.Relation, names: Iterable[str],
                aspect: str | None = "type") -> frozenset[Key]:
        """An aspect of the named columns; every column when none is named (an expression,
        a row)."""
        found = frozenset(self.column(rel, name, aspect) for name in names)
        return found or frozenset({(*self.table(rel), "col")})

    def constraint(self, rel: facts.Relation, name: str | None) -> Key:
        return (*self.table(rel), "con", name or "")

    def unique_key(self, rel: facts.Relation, columns: Iterable[str]) -> Key:
        return (*self.table(rel), "key", ",".join(sorted(columns)))

    def index(self, rel: facts.Relation) -> Key:
        return ("index", qualified_key(rel, self.schema))

    def index_of(self, table: facts.Relation, name: str) -> Key:
        """An index named in a statement on ``table``: it lives in the table's schema."""
        return self.index(facts.Relation(name, table.schema))

    def types(self, *type_sql: str) -> frozenset[Key]:
        """The types columns of these SQL types need (an enum, a domain): keyed like
        relations, as CREATE TYPE and DROP TYPE write them."""
        named = (named_type(sql) for sql in type_sql if sql)
        return frozenset(self.table(rel) for rel in named if rel is not None)

    # ------------------------------------------------------------------ analyzed statements

    def of_statement(self, stmt: facts.StatementFacts) -> Access:
        """What an analyzed statement reads and writes."""
        if stmt.parse_error is not None or not stmt.actions:
            return Access(writes=frozenset({EVERYTHING}))
        access = Access()
        for action in stmt.actions:
            access |= self.of_action(action)
        return access

    def of_action(self, action: facts.Action) -> Access:
        table = action.table
        if table is None:
            return Access(writes=frozenset({EVERYTHING}))
        if isinstance(action, facts.CreateIndex):
            reads = self.columns(table, action.columns if action.definition is None else ())
            writes = {self.index_of(table, action.index or "")}
            if action.unique and not action.partial:
                writes.add(self.unique_key(table, action.columns))
            return Access(reads | {self.exists(table)}, frozenset(writes))
        if isinstance(action, facts.DropObject) and action.object_kind == "index":
            return Access(writes=frozenset({self.index(table)}))
        if isinstance(action, facts.AddColumn):
            return Access(frozenset({self.exists(table)}) | self.types(action.column.type_sql),
                          frozenset({self.column(table, action.column.name)}))
        if isinstance(action, facts.CreateTable):
            return Access(self.types(*(c.type_sql for c in action.columns)),
                          frozenset({self.table(table)}))
        if isinstance(action, facts.DropColumn):
            return Access(writes=frozenset({self.column(table, action.column)}))
        if isinstance(action, facts.AlterColumnType):
            return Access(self.types(action.new_type_sql),
                          frozenset({self.column(table, action.column, "type"),
                                     self.column(table, action.column, "values")}))
        if isinstance(action, (facts.SetNotNull, facts.DropNotNull)):
            return Access(frozenset({self.column(table, action.column, "values")}),
                          frozenset({self.column(table, action.column, "nullable")}))
        if isinstance(action, facts.SetColumnDefault):
            return Access(writes=frozenset({self.column(table, action.column, "default")}))
        if isinstance(action, facts.AddConstraint):
            return self._constraint(table, action.constraint)
        if isinstance(action, (facts.ValidateConstraint, facts.DropConstraint)):
            return Access(writes=frozenset({self.constraint(table, action.name)}))
        if isinstance(action, facts.Rename) and action.object_kind in _RENAMED_RELATIONS:
            renamed = facts.Relation(action.new_name, table.schema)
            return Access(writes=frozenset({self.table(table), self.table(renamed)}))
        if isinstance(action, facts.OtherStatement) and action.command == "COMMENT":
            return Access(writes=frozenset({(*self.table(table), "comment")}))
        return Access(writes=frozenset({self.table(table)}))

    def _constraint(self, table: facts.Relation, con: facts.ConstraintDef) -> Access:
        used = con.columns
        if not used and con.expression is not None:
            used = referenced_columns(f"SELECT {con.expression}")
        reads = set(self.columns(table, used))
        writes = {self.constraint(table, con.name)}
        if con.using_index is not None:
            writes.add(self.index_of(table, con.using_index))
        if con.kind in (facts.ConstraintKind.UNIQUE, facts.ConstraintKind.PRIMARY_KEY):
            writes.add(self.unique_key(table, con.columns))
        if con.references is not None:
            reads |= self.columns(con.references, con.referenced_columns)
            reads.add(self.unique_key(con.references, con.referenced_columns))
        return Access(frozenset(reads), frozenset(writes))


@singledispatch
def of_step(step: model.Step, keys: Keys) -> Access:
    """What a fix's step reads and writes (unknown steps: everything)."""
    return Access(writes=frozenset({EVERYTHING}))


@of_step.register
def _(step: model.BuildIndex, keys: Keys) -> Access:
    return keys.of_action(facts.CreateIndex(
        step.table, index=step.name, unique=step.unique, columns=step.columns,
        partial=step.where is not None, definition=step.definition))


@of_step.register
def _(step: model.DropIndex, keys: Keys) -> Access:
    return Access(writes=frozenset({keys.index(step.index)}))


@of_step.register
def _(step: model.AddConstraint, keys: Keys) -> Access:
    kind = {model.ConstraintType.UNIQUE: facts.ConstraintKind.UNIQUE,
            model.ConstraintType.PRIMARY_KEY: facts.ConstraintKind.PRIMARY_KEY,
            model.ConstraintType.FOREIGN_KEY: facts.ConstraintKind.FOREIGN_KEY,
            model.ConstraintType.CHECK: facts.ConstraintKind.CHECK,
            model.ConstraintType.NOT_NULL: facts.ConstraintKind.NOT_NULL}[step.type]
    con = facts.ConstraintDef(kind, step.name, step.columns, using_index=step.using_index,
                              references=step.references,
                              referenced_columns=step.referenced_columns,
                              expression=step.expression)
    return keys._constraint(step.table, con)


@of_step.register
def _(step: model.ValidateConstraint, keys: Keys) -> Access:
    return Access(writes=frozenset({keys.constraint(step.table, step.name)}))


@of_step.register
def _(step: model.DropConstraint, keys: Keys) -> Access:
    return Access(writes=frozenset({keys.constraint(step.table, step.name)}))


@of_step.register
def _(step: model.SetNotNull, keys: Keys) -> Access:
    return keys.of_action(facts.SetNotNull(step.table, column=step.column))


@of_step.register
def _(step: model.AddColumn, keys: Keys) -> Access:
    return Access(frozenset({keys.exists(step.table)}),
                  frozenset({keys.column(step.table, step.column)}))


@of_step.register
def _(step: model.Backfill, keys: Keys) -> Access:
    where = f" WHERE {step.where}" if step.where else ""
    used = referenced_columns(f"UPDATE x SET {step.assignments}{where}")
    return Access(writes=keys.columns(step.table, used, "values"))


@of_step.register
def _(step: model.Preflight, keys: Keys) -> Access:
    used = step.columns or referenced_columns(f"SELECT {step.expression}")
    return Access(reads=keys.columns(step.table, used, "values"))
