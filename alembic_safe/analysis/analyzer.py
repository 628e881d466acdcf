"""The analyzer: SQL text in, one :class:`StatementFacts` per statement out.

:class:`Analyzer` keeps state across :meth:`Analyzer.feed` calls (statement index, relations
created so far, the open transaction, constraints and column types declared earlier), so a
migration can be fed one statement at a time.
"""

from __future__ import annotations

import dataclasses
import gc

from pglast.parser import ParseError

from alembic_safe.analysis import names, tree
from alembic_safe.analysis.draft import Draft
from alembic_safe.analysis.facts import (
    Action,
    AddColumn,
    AddConstraint,
    AlterColumnType,
    AnalysisContext,
    ConstraintDef,
    CreateIndex,
    CreateTable,
    Lock,
    Position,
    Relation,
    Rename,
    StatementFacts,
    TransactionControl,
    ValidateConstraint,
)
from alembic_safe.analysis.source import Chunk, Source
from alembic_safe.analysis.statements import draft_for
from alembic_safe.analysis.tree import Fields

#: a statement's chunk, its parsed node (type and fields) or None, and the parse error
_Parsed = tuple[Chunk, tuple[str, Fields] | None, str | None]

_OPENS = frozenset({"BEGIN", "START TRANSACTION"})
_CLOSES = frozenset({"COMMIT", "ROLLBACK", "PREPARE TRANSACTION"})


class Analyzer:
    """Stateful analyzer for one migration or file."""

    def __init__(self, context: AnalysisContext | None = None) -> None:
        self.context = context or AnalysisContext()
        schema = self.context.default_schema
        self._new: set[str] = {names.key_of(n, schema) for n in self.context.new_relations}
        self._index = 0
        self._tx: int | None = None  # open transaction id
        self._last_tx = 0
        self._model_open = self.context.in_transaction  # the runner's transaction still open
        self._constraints: dict[tuple[str, str], ConstraintDef] = {}
        self._validated_not_null: set[tuple[str, str]] = set()
        self._column_types: dict[tuple[str, str], str] = {}
        self._index_tables: dict[str, Relation] = {}
        #: columns and tables renamed earlier in the input: (table key, column) as named now ->
        #: as the catalog knows them; a renamed table's key -> its key in the catalog
        self._column_was: dict[tuple[str, str], tuple[str, str]] = {}
        self._table_was: dict[str, str] = {}

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
                facts = self._facts(chunk, node, error, in_transaction)
                if line is not None:
                    facts = dataclasses.replace(facts, position=Position(line=line, column=1))
                results.append(facts)
        finally:
            if collecting:
                gc.enable()
        return results

    # ------------------------------------------------------------------ Scope protocol

    def _key(self, rel: Relation) -> str:
        return names.qualified_key(rel, self.context.default_schema)

    def is_new(self, rel: Relation | None) -> bool:
        return rel is not None and self._key(rel) in self._new

    def _in_catalog(self, table: Relation, column: str) -> list[tuple[str, str]]:
        """Where the catalog may have a column of the input: under the name it had before the
        input renamed it (the live catalog's), then under its name now (a type declared for
        the statement, as ``alter_column(existing_type=...)`` does)."""
        key = self._key(table)
        was = self._column_was.get((key, column))
        if was is None and key in self._table_was:
            was = (self._table_was[key], column)
        return [was, (key, column)] if was is not None else [(key, column),
                                                             (table.qualified, column)]

    def column_type(self, table: Relation, column: str) -> str | None:
        declared = self._column_types.get((self._key(table), column))
        if declared is not None:
            return declared
        catalog = self.context.catalog
        if catalog is None:
            return None
        for key in self._in_catalog(table, column):
            info = catalog.columns.get(key)
            if info is not None:
                return info.type_name
        return None

    def has_validated_not_null_check(self, table: Relation, column: str) -> bool:
        if (self._key(table), column) in self._validated_not_null:
            return True
        catalog = self.context.catalog
        if catalog is None:
            return False
        return any(name in catalog.validated_not_null_checks.get(key, frozenset())
                   for key, name in self._in_catalog(table, column))

    def constraint(self, table: Relation, name: str) -> ConstraintDef | None:
        return self._constraints.get((self._key(table), name))

    def index_table(self, index: Relation) -> Relation | None:
        return self._index_tables.get(self._key(index))

    # ------------------------------------------------------------------ internals

    def _facts(
        self, chunk: Chunk, node: tuple[str, Fields] | None, error: str | None,
        forced: bool | None
    ) -> StatementFacts:
        index = self._index
        self._index += 1
        if node is None:
            in_tx, tx_id = self._transaction(None, forced)
            return StatementFacts(sql=chunk.sql, index=index, position=chunk.position,
                                  kind="PARSE ERROR", in_transaction=in_tx,
                                  transaction_id=tx_id, comments=chunk.comments,
                                  parse_error=error)
        draft = draft_for(*node, self)
        control = next((a.command for a in draft.actions if isinstance(a, TransactionControl)),
                       None)
        in_tx, tx_id = self._transaction(control, forced)
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
        )
        self._remember(draft)
        return facts

    def _mark(self, action: Action) -> Action:
        if self.is_new(action.table):
            return dataclasses.replace(action, is_new=True)
        return action

    def _open(self) -> int:
        self._last_tx += 1
        self._tx = self._last_tx
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

    def _remember(self, draft: Draft) -> None:
        """Apply what the statement created, dropped, renamed or declared."""
        for action in draft.actions:
            key = self._key(action.table) if action.table is not None else ""
            if isinstance(action, CreateTable):
                for col in action.columns:
                    self._column_types[(key, col.name)] = col.type_name
            elif isinstance(action, AddColumn):
                self._column_types[(key, action.column.name)] = action.column.type_name
            elif isinstance(action, AlterColumnType):
                self._column_types[(key, action.column)] = action.new_type
            elif isinstance(action, AddConstraint):
                self._constraint_added(key, action.constraint)
            elif isinstance(action, ValidateConstraint):
                known = self._constraints.get((key, action.name))
                if known is not None and known.not_null_check_column:
                    self._validated_not_null.add((key, known.not_null_check_column))
            elif isinstance(action, CreateIndex) and action.index and action.table is not None:
                index = Relation(action.index, action.table.schema)
                self._index_tables[self._key(index)] = action.table
            elif isinstance(action, Rename) and action.object_kind == "column" and key:
                self._column_renamed(key, action.old_name, action.new_name)
        for rel in draft.creates:
            if not (draft.may_exist and self._exists(rel)):  # IF NOT EXISTS of a live one
                self._new.add(self._key(rel))
        for rel in draft.drops:
            self._new.discard(self._key(rel))
        for old, new in draft.renames:
            if self._key(old) in self._new:
                self._new.discard(self._key(old))
                self._new.add(self._key(new))
            self._table_renamed(self._key(old), self._key(new))

    def _column_renamed(self, key: str, old: str, new: str) -> None:
        """What is known of column ``old`` of table ``key`` is now known as ``new``'s."""
        self._column_was[(key, new)] = self._column_was.pop(
            (key, old), (self._table_was.get(key, key), old))
        if (key, old) in self._column_types:
            self._column_types[(key, new)] = self._column_types.pop((key, old))
        if (key, old) in self._validated_not_null:
            self._validated_not_null.discard((key, old))
            self._validated_not_null.add((key, new))

    def _table_renamed(self, old: str, new: str) -> None:
        """What is known of relation ``old`` is now known as ``new``'s."""
        self._table_was[new] = self._table_was.pop(old, old)

        def moved(key: tuple[str, str]) -> tuple[str, str]:
            return (new, key[1]) if key[0] == old else key

        self._column_types = {moved(k): v for k, v in self._column_types.items()}
        self._validated_not_null = {moved(k) for k in self._validated_not_null}
        self._constraints = {moved(k): v for k, v in self._constraints.items()}
        self._column_was = {moved(k): v for k, v in self._column_was.items()}

    def _exists(self, rel: Relation) -> bool:
        """The catalog facts list the relation as already existing."""
        catalog = self.context.catalog
        return catalog is not None and any(
            name in catalog.existing_relations for name in (self._key(rel), rel.qualified))

    def _constraint_added(self, key: str, con: ConstraintDef) -> None:
        if con.name:
            self._constraints[(key, con.name)] = con
        if con.not_null_check_column and not con.not_valid:
            self._validated_not_null.add((key, con.not_null_check_column))


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
