"""The analyzer: SQL text in, one :class:`StatementFacts` per statement out (followed by the
statements of the code it runs: a DO block's body, a called function's).

:class:`Analyzer` keeps state across :meth:`Analyzer.feed` calls (statement index, relations
created so far, the open transaction, and the :class:`~alembic_safe.analysis.schema.SchemaState`
of column types, constraints and functions declared earlier), so a migration can be fed one
statement at a time.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterable

from pglast.parser import ParseError

from alembic_safe.analysis import names, tree
from alembic_safe.analysis.draft import Draft
from alembic_safe.analysis.facts import (
    Action,
    AddColumn,
    AddConstraint,
    AlterColumnType,
    AnalysisContext,
    ColumnDef,
    ConstraintDef,
    CreateIndex,
    CreateTable,
    DropColumn,
    DropConstraint,
    Lock,
    OpaqueCode,
    Position,
    Relation,
    Rename,
    StatementFacts,
    TransactionControl,
    ValidateConstraint,
)
from alembic_safe.analysis.plpgsql import Commit, Dynamic, Expression
from alembic_safe.analysis.schema import Routine, SchemaState
from alembic_safe.analysis.source import Chunk, Source
from alembic_safe.analysis.statements import draft_for
from alembic_safe.analysis.tree import Fields
from alembic_safe.analysis.versions import required

#: a statement's chunk, its parsed node (type and fields) or None, and the parse error
_Parsed = tuple[Chunk, tuple[str, Fields] | None, str | None]

_OPENS = frozenset({"BEGIN", "START TRANSACTION"})
_CLOSES = frozenset({"COMMIT", "ROLLBACK", "PREPARE TRANSACTION"})
#: bodies inside bodies analyzed at most this deep (a function calling itself stops there)
_MAX_DEPTH = 4


class Analyzer:
    """Stateful analyzer for one migration or file.

    ``schema`` holds what earlier input established (lint passes the facts of the earlier
    files of a history); the analyzer records this input's changes in it. Relations created
    by earlier input are existing ones: only what this input creates is new.
    """

    def __init__(self, context: AnalysisContext | None = None,
                 schema: SchemaState | None = None) -> None:
        self.context = context or AnalysisContext()
        default = self.context.default_schema
        self.schema = schema if schema is not None else SchemaState(default)
        self._new: set[str] = {names.key_of(n, default) for n in self.context.new_relations}
        self._created: set[str] = set()  # the part of ``_new`` this input created
        self._index = 0
        self._tx: int | None = None  # open transaction id
        self._last_tx = 0
        self._model_open = self.context.in_transaction  # the runner's transaction still open
        self._depth = 0  # nesting of bodies being analyzed (a DO block, a called function)

    # ------------------------------------------------------------------ public API

    @property
    def new_relations(self) -> frozenset[str]:
        """Qualified names of the relations created so far (including the seeded ones)."""
        return frozenset(self._new)

    def feed(
        self, sql: str, *, in_transaction: bool | None = None, line: int | None = None
    ) -> list[StatementFacts]:
        """Analyze the next piece of input; ``in_transaction`` and ``line`` override the model."""
        results: list[StatementFacts] = []
        collecting = gc.isenabled()
        gc.disable()  # parse trees are many small acyclic objects: skip collector passes
        try:
            for chunk, node, error in _parse(sql):
                if line is not None:
                    chunk = dataclasses.replace(chunk, position=Position(line=line, column=1))
                results += self._statement(chunk, node, error, in_transaction)
        finally:
            if collecting:
                gc.enable()
        return results

    def declare_column_type(self, table: Relation, column: str, type_name: str) -> None:
        """The column has this type now (``op.alter_column(existing_type=...)`` says so)."""
        self.schema.set_column(self._key(table), column, type_name)

    # ------------------------------------------------------------------ Scope protocol

    def _key(self, rel: Relation) -> str:
        return names.qualified_key(rel, self.context.default_schema)

    def is_new(self, rel: Relation | None) -> bool:
        return rel is not None and self._key(rel) in self._new

    def _in_catalog(self, table: Relation, column: str) -> list[tuple[str, str]]:
        """Where the live catalog may have a column of the input: under the names it had
        before the input renamed it or its table (a catalog read before the renames ran),
        then under its name now (one read after them)."""
        key = self._key(table)
        was = self.schema.catalog_name(key, column)
        if was is not None:
            return [was, (key, column)]
        return [(key, column), (table.qualified, column)]

    def column_type(self, table: Relation, column: str) -> str | None:
        known = self.schema.column_type(self._key(table), column)
        if known is not None:
            return known
        catalog = self.context.catalog
        if catalog is None:
            return None
        for where in self._in_catalog(table, column):
            info = catalog.columns.get(where)
            if info is not None:
                return info.type_name
        return None

    def has_validated_not_null_check(self, table: Relation, column: str) -> bool:
        if self.schema.has_not_null_check(self._key(table), column):
            return True
        catalog = self.context.catalog
        if catalog is None:
            return False
        return any(name in catalog.validated_not_null_checks.get(key, frozenset())
                   for key, name in self._in_catalog(table, column))

    def constraint(self, table: Relation, name: str) -> ConstraintDef | None:
        return self.schema.constraint(self._key(table), name)

    def index_table(self, index: Relation) -> Relation | None:
        return self.schema.index_table(self._key(index))

    def referenced(self, table: Relation, columns: Iterable[str] | None = None
                   ) -> list[Relation]:
        return self.schema.referenced(self._key(table), columns)

    def referencing(self, table: Relation, columns: Iterable[str] | None = None
                    ) -> list[Relation]:
        return self.schema.referencing(self._key(table), columns)

    def routine(self, name: Relation) -> Routine | None:
        return self.schema.routine(self._key(name))

    # ------------------------------------------------------------------ internals

    def _statement(
        self, chunk: Chunk, node: tuple[str, Fields] | None, error: str | None,
        forced: bool | None,
    ) -> list[StatementFacts]:
        """The facts of one statement of the input, then those of the code it runs."""
        if node is None:
            in_tx, tx_id = self._transaction(None, forced)
            return [self._parse_error(chunk, error, in_tx, tx_id, None)]
        draft = draft_for(*node, self)
        control = next((a.command for a in draft.actions if isinstance(a, TransactionControl)),
                       None)
        in_tx, tx_id = self._transaction(control, forced)
        facts = self._build(chunk, draft, in_tx, tx_id, None)
        return [facts, *self._bodies(draft, chunk, tx_id)]

    def _parse_error(self, chunk: Chunk, error: str | None, in_tx: bool, tx_id: int | None,
                     within: str | None) -> StatementFacts:
        index = self._index
        self._index += 1
        return StatementFacts(sql=chunk.sql, index=index, position=chunk.position,
                              kind="PARSE ERROR", in_transaction=in_tx, transaction_id=tx_id,
                              comments=chunk.comments, parse_error=error, within=within)

    def _build(self, chunk: Chunk, draft: Draft, in_tx: bool, tx_id: int | None,
               within: str | None) -> StatementFacts:
        index = self._index
        self._index += 1
        facts = StatementFacts(
            sql=chunk.sql,
            index=index,
            position=chunk.position,
            kind=draft.kind,
            actions=tuple(self._mark(a) for a in draft.actions),
            locks=tuple(Lock(rel, mode, is_new=self.is_new(rel))
                        for rel, mode in draft.locks.items()),
            rewrites=tuple(draft.rewrites),
            scans=tuple(draft.scans),
            validates_constraint=draft.validates_constraint,
            requires_no_transaction=draft.requires_no_transaction,
            in_transaction=in_tx,
            transaction_id=tx_id,
            destroys_data=draft.destroys_data,
            breaks_running_code=draft.breaks_running_code,
            comments=chunk.comments,
            requires=required(draft.actions),
            within=within,
        )
        self._remember(draft, chunk.sql)
        return facts

    def _bodies(self, draft: Draft, chunk: Chunk, tx_id: int | None) -> list[StatementFacts]:
        """The statements of the code ``draft``'s statement runs (a DO block, a called
        function), each at the statement's position. Outside a transaction block the code runs
        in a transaction of its own, and a COMMIT in it begins the next one; inside one, a
        COMMIT fails (the statement says it ``requires_no_transaction``)."""
        if not draft.bodies or self._depth >= _MAX_DEPTH:
            return []
        own = tx_id is None
        tx = self._fresh_tx() if own else tx_id
        out: list[StatementFacts] = []
        self._depth += 1
        try:
            for body in draft.bodies:
                for item in body.items:
                    if isinstance(item, Commit):
                        tx = self._fresh_tx() if own else tx
                        continue
                    if isinstance(item, Dynamic):  # an OpaqueCode action of the statement
                        continue
                    expression = isinstance(item, Expression)
                    sql = f"SELECT {item.sql}" if expression else item.sql
                    for inner, node, error in _parse(sql):
                        inner = dataclasses.replace(inner, start=chunk.start,
                                                    position=chunk.position,
                                                    comments=chunk.comments)
                        out += self._inner(inner, node, error, tx, body.within, expression)
        finally:
            self._depth -= 1
        return out

    def _inner(self, chunk: Chunk, node: tuple[str, Fields] | None, error: str | None,
               tx: int | None, within: str, expression: bool) -> list[StatementFacts]:
        """One statement of a body; an expression only when it calls code (else it is noise)."""
        if node is None:
            return [self._parse_error(chunk, error, True, tx, within)]
        draft = draft_for(*node, self)
        if expression and not draft.bodies and not any(
                isinstance(a, OpaqueCode) for a in draft.actions):
            return []
        return [self._build(chunk, draft, True, tx, within), *self._bodies(draft, chunk, tx)]

    def _fresh_tx(self) -> int:
        """A new transaction id that does not change the open transaction."""
        self._last_tx += 1
        return self._last_tx

    def _mark(self, action: Action) -> Action:
        if self.is_new(action.table):
            here = action.table is not None and self._key(action.table) in self._created
            return dataclasses.replace(action, is_new=True, created_here=here)
        return action

    def _open(self) -> int:
        self._tx = self._fresh_tx()
        return self._tx

    def _transaction(self, control: str | None, forced: bool | None) -> tuple[bool, int | None]:
        """(in_transaction, transaction_id) of the next statement; updates the open transaction."""
        command = (control or "").removesuffix(" AND CHAIN")
        if forced is False:
            self._tx = None
            return False, None
        if forced is None and self._tx is None and self._model_open:
            self._model_open = False
            self._open()
        if command in _OPENS:
            tx = self._tx if self._tx is not None else self._open()
            return True, tx
        if self._tx is None and not forced:
            return False, None
        tx = self._tx if self._tx is not None else self._open()
        if command in _CLOSES:
            self._tx = None
            if control and control.endswith("AND CHAIN"):
                self._open()
        return True, tx

    def _remember(self, draft: Draft, sql: str) -> None:
        """Record in the schema state what the statement created, dropped, renamed or declared.
        A CREATE ... IF NOT EXISTS of a relation that exists does nothing."""
        if draft.may_exist and any(self._exists(rel) for rel in draft.creates):
            return
        state = self.schema
        for rel in draft.creates:
            self._new.add(self._key(rel))
            self._created.add(self._key(rel))
            state.create(self._key(rel))
        for action in draft.actions:
            if action.table is not None:
                remember_action(state, self._key(action.table), action)
        for rel in draft.drops:
            self._new.discard(self._key(rel))
            self._created.discard(self._key(rel))
            state.drop(self._key(rel))
        for old, new in draft.renames:
            for names_ in (self._new, self._created):
                if self._key(old) in names_:
                    names_.discard(self._key(old))
                    names_.add(self._key(new))
            state.rename(self._key(old), self._key(new))
        for name, routine in draft.defines:
            if routine.language == "plpgsql":  # its parser reads the CREATE statement itself
                routine = dataclasses.replace(routine, source=sql)
            state.define(self._key(name), routine)
        for name in draft.undefines:
            state.undefine(self._key(name))

    def _exists(self, rel: Relation) -> bool:
        """The relation exists already: in the catalog facts, or created by earlier input."""
        catalog = self.context.catalog
        if catalog is not None and any(
                name in catalog.existing_relations for name in (self._key(rel), rel.qualified)):
            return True
        return self.schema.exists(self._key(rel))


def remember_action(state: SchemaState, key: str, action: Action) -> None:
    """Record the schema change one action makes on its table (``key``)."""
    if isinstance(action, CreateTable):
        for col in action.columns:
            state.set_column(key, col.name, col.type_name)
            _column_constraints(state, key, col)
        for con in action.constraints:
            state.add_constraint(key, con)
    elif isinstance(action, AddColumn):
        state.set_column(key, action.column.name, action.column.type_name)
        _column_constraints(state, key, action.column)
    elif isinstance(action, AlterColumnType):
        state.set_column(key, action.column, action.new_type)
    elif isinstance(action, DropColumn):
        state.drop_column(key, action.column)
    elif isinstance(action, Rename) and action.object_kind == "column":
        state.rename_column(key, action.old_name, action.new_name)
    elif isinstance(action, AddConstraint) and not action.on_domain:
        state.add_constraint(key, action.constraint)
    elif isinstance(action, DropConstraint):
        state.drop_constraint(key, action.name)
    elif isinstance(action, ValidateConstraint):
        state.validate(key, action.name)
    elif isinstance(action, CreateIndex) and action.index and action.table is not None:
        index = Relation(action.index, action.table.schema)
        state.add_index(names.qualified_key(index, state.default_schema), action.table)


def _column_constraints(state: SchemaState, key: str, col: ColumnDef) -> None:
    """The constraints declared on a column (REFERENCES, CHECK, a PRIMARY KEY) as table ones."""
    for con in col.constraints:
        state.add_constraint(key, dataclasses.replace(con, columns=con.columns or (col.name,)))


def _parse(sql: str) -> list[_Parsed]:
    """(chunk, parsed statement or None, parse error) for each statement of ``sql``."""
    source = Source(sql)
    try:
        parsed = tree.parse(sql)
    except ParseError:
        parsed = None
    if parsed is not None:
        chunks = source.chunks(source.spans_from_parser([(s, e) for _, _, s, e in parsed]))
        return [(c, (tag, fields), None)
                for c, (tag, fields, _, _) in zip(chunks, parsed, strict=True)]
    out: list[_Parsed] = []
    for chunk in source.chunks(source.spans_from_scanner()):
        try:
            alone = tree.parse(chunk.sql)
        except ParseError as exc:
            out.append((chunk, None, _error(exc, chunk, source)))
            continue
        if len(alone) == 1:
            out.append((chunk, alone[0][:2], None))
        else:  # a body the scanner split wrongly would parse as several; keep the first
            out.append((chunk, None, f"cannot split statement at line {chunk.position.line}"))
    return out


def _error(exc: ParseError, chunk: Chunk, source: Source) -> str:
    message = str(exc.args[0]) if exc.args else str(exc)
    offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
    if offset is None:  # "at end of input"
        offset = len(chunk.sql)
    where = source.position(chunk.start + min(max(offset, 0), len(chunk.sql)))
    return f"{message} at line {where.line}, column {where.column}"


def analyze(sql: str, context: AnalysisContext | None = None) -> list[StatementFacts]:
    """Analyze every statement of ``sql`` (empty input gives [])."""
    return Analyzer(context).feed(sql)
