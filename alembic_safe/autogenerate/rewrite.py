"""The proposed migration, made safe: every operation rendered to SQL, analyzed and checked by
the same analyzer and checker as lint, and each finding's fix applied.

It writes for production: tables created earlier in the same migration are new (the analyzer
follows them); every other table is taken to exist and hold rows, however small it is in the
database autogenerate compared against. Operations no rule objects to stay exactly as Alembic
proposed them; a migration without any finding comes back unchanged.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterator
from typing import Any

from alembic.operations import ops
from sqlalchemy.sql.elements import conv

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis import facts as f
from alembic_safe.analysis.facts import AnalysisContext, Relation, StatementFacts
from alembic_safe.analysis.names import qualified_key as names_key
from alembic_safe.autogenerate import allow, keys, writers
from alembic_safe.autogenerate import ops as safe_ops
from alembic_safe.autogenerate.offline import operation_sql
from alembic_safe.autogenerate.options import Options
from alembic_safe.autogenerate.schedule import Item, Phase, schedule
from alembic_safe.checking import Checker
from alembic_safe.findings import Finding, Severity
from alembic_safe.fix import names
from alembic_safe.fix import ops as fix_ops
from alembic_safe.fix.model import Backfill, Fix, runs_in_transaction
from alembic_safe.lint.files import declare_existing_types
from alembic_safe.rules import find_rule
from alembic_safe.rules.base import Category

#: under Alembic's logger, so its INFO lines show beside Alembic's "Detected ..." lines
log = logging.getLogger("alembic.autogenerate.alembic_safe")
#: what a downgrade's notes leave out: undoing a revision drops what it added, by design
_INHERENT_IN_DOWNGRADE = (Category.DATA_LOSS, Category.COMPATIBILITY)
_WIDTH = 96
Group = tuple[str | None, str] | None


def _flatten(top: list[ops.MigrateOperation]) -> Iterator[tuple[ops.MigrateOperation, Group,
                                                                bool]]:
    """(operation, its ModifyTableOps group, runs in the transaction) in order."""
    for op in top:
        if isinstance(op, ops.ModifyTableOps):
            for child in op.ops:
                yield child, (op.schema, op.table_name), True
        elif isinstance(op, safe_ops.AutocommitBlockOp):
            for child in op.ops:
                yield child, None, False
        else:
            yield op, None, True


_LABELS: tuple[tuple[type[ops.AddConstraintOp], str, str], ...] = (
    (ops.CreateUniqueConstraintOp, "key", "columns"),
    (ops.CreatePrimaryKeyOp, "pkey", "columns"),
    (ops.CreateForeignKeyOp, "fkey", "local_cols"),
    (ops.CreateCheckConstraintOp, "check", ""),
)


def name_constraints(top: list[ops.MigrateOperation]) -> None:
    """Give each unnamed constraint added to a table the name PostgreSQL would give it: the
    safe forms refer to it by name (validate, attach an index), and so does the downgrade
    that drops it (Alembic writes ``drop_constraint(None, ...)``, which fails)."""
    for op, _, _ in _flatten(top):
        for kind, label, columns in _LABELS:
            if isinstance(op, kind) and getattr(op, "constraint_name", "") is None:
                table = str(getattr(op, "source_table", None) or getattr(op, "table_name", ""))
                cols = tuple(str(c) for c in getattr(op, columns, ())) if columns else ()
                # conv(): the name as it is, not run through the metadata's naming convention
                op.constraint_name = conv(  # type: ignore[attr-defined]
                    names.constraint_name(table, cols, label))


def aspects(op: ops.MigrateOperation) -> list[ops.MigrateOperation]:
    """``alter_column`` changing several things as one operation per change (each its own
    statement, so each gets its own safe form); any other operation as it is."""
    if not isinstance(op, ops.AlterColumnOp):
        return [op]
    changes: dict[str, Any] = {"modify_type": None, "modify_nullable": None,
                               "modify_server_default": False, "modify_comment": False,
                               "modify_name": None}
    changed = [name for name, unset in changes.items() if getattr(op, name) is not unset]
    if len(changed) < 2:
        return [op]
    parts: list[ops.MigrateOperation] = []
    for name in changed:
        kept = {other: (getattr(op, other) if other == name else unset)
                for other, unset in changes.items()}
        parts.append(ops.AlterColumnOp(
            op.table_name, op.column_name, schema=op.schema, existing_type=op.existing_type,
            existing_server_default=op.existing_server_default,
            existing_nullable=op.existing_nullable, existing_comment=op.existing_comment,
            **kept, **op.kw))
    return parts


def _rerunnable(stmts: list[StatementFacts]) -> bool:
    """Whether running the statements again after they committed succeeds: named indexes and
    constraints (the runtime guard passes over identical ones), changes that repeat
    harmlessly, IF [NOT] EXISTS forms."""
    for stmt in stmts:
        for action in stmt.actions:
            if isinstance(action, f.CreateIndex) and action.index:
                continue
            if isinstance(action, f.AddConstraint) and action.constraint.name:
                continue
            if isinstance(action, (f.SetNotNull, f.DropNotNull, f.SetColumnDefault,
                                   f.AlterColumnType, f.ValidateConstraint)):
                continue
            if isinstance(action, (f.DropObject, f.DropColumn, f.DropConstraint)) \
                    and action.if_exists:
                continue
            if isinstance(action, f.AddColumn) and action.if_not_exists:
                continue
            if isinstance(action, f.OtherStatement) and action.command == "COMMENT":
                continue
            return False
    return True


def _rerunnable_form(op: ops.MigrateOperation) -> ops.MigrateOperation | None:
    """``op`` with IF [NOT] EXISTS, when Alembic has that form (or the operation gives its
    own ``rerunnable_form()``)."""
    own = getattr(op, "rerunnable_form", None)
    if callable(own):
        return own()  # type: ignore[no-any-return]
    if isinstance(op, ops.AddColumnOp):
        return ops.AddColumnOp(op.table_name, op.column, schema=op.schema, if_not_exists=True,
                               **op.kw)
    if isinstance(op, ops.DropColumnOp):
        return ops.DropColumnOp(op.table_name, op.column_name, schema=op.schema,
                                if_exists=True, _reverse=op._reverse, **op.kw)
    if isinstance(op, ops.DropIndexOp):
        return ops.DropIndexOp(op.index_name, op.table_name, schema=op.schema, if_exists=True,
                               _reverse=op._reverse, **op.kw)
    if isinstance(op, ops.DropTableOp):
        return ops.DropTableOp(op.table_name, schema=op.schema, if_exists=True,
                               table_kw=op.table_kw, _reverse=op._reverse)
    if isinstance(op, ops.DropConstraintOp):
        return ops.DropConstraintOp(op.constraint_name, op.table_name, op.constraint_type,
                                    schema=op.schema, if_exists=True, _reverse=op._reverse)
    if isinstance(op, safe_ops.NoteOp):
        return op
    return None


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, _WIDTH - 6, break_long_words=False, break_on_hyphens=False)


def _code(code: str) -> list[str]:
    return ["    " + line for line in code.splitlines()]


class SafeForms:
    """Rewrites the operations of one direction (upgrade, or downgrade) of a migration."""

    def __init__(self, options: Options, *, downgrade: bool = False) -> None:
        self.options = options
        self.downgrade = downgrade
        self.sql = operation_sql()
        context = AnalysisContext(
            pg_version=options.pg_version, in_transaction=True, lock_timeout_managed=True,
            default_schema=options.default_schema)
        self.analyzer = Analyzer(context)
        self.checker = Checker(options.settings, context)
        self.keys = keys.Keys(options.default_schema)
        self.changed = False
        #: tables the migration drops (keys): what else it does to them stays as proposed
        self.dropped: set[str] = set()

    # ------------------------------------------------------------------ the whole migration

    def rewrite(self, top: list[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
        """``top`` made safe; ``top`` itself when nothing needs to change."""
        self.dropped = {self._table_key(op.table_name, op.schema) for op, _, _ in _flatten(top)
                        if isinstance(op, ops.DropTableOp)}
        items = [item for op, group, inside in _flatten(top)
                 for item in self._items(op, group, inside)]
        if not self.changed:
            return top
        return self._assemble(schedule(items))

    def _assemble(self, phases: list[Phase]) -> list[ops.MigrateOperation]:
        last_block = max((n for n, p in enumerate(phases) if not p.transactional), default=-1)
        out: list[ops.MigrateOperation] = []
        for n, phase in enumerate(phases):
            if not phase.transactional:
                out.append(safe_ops.AutocommitBlockOp(
                    [op for item in phase.items for op in item.ops]))
                continue
            for item in phase.items:
                if n < last_block and not item.rerunnable:
                    item.ops = self._for_rerun(item.ops)
                _add(out, item)
        return out

    def _for_rerun(self, written: list[ops.MigrateOperation]) -> list[ops.MigrateOperation]:
        """Operations committed before an autocommit block run again when a failure makes the
        migration re-run: their IF [NOT] EXISTS forms, or a note where there is none."""
        forms = [_rerunnable_form(op) for op in written]
        if all(form is not None for form in forms):
            return [form for form in forms if form is not None]
        note = safe_ops.NoteOp(_comment(
            "alembic-safe: this commits before the autocommit block below; if the block "
            "fails, a re-run stops here (it exists already): undo it by hand, or move the "
            "block to a revision of its own, before running again"))
        return [note, *written]

    # ------------------------------------------------------------------ one operation

    def _items(self, op: ops.MigrateOperation, group: Group, inside: bool) -> list[Item]:
        parts = aspects(op)
        try:
            rendered = [(part, self.sql.statements(part)) for part in parts]
        except Exception:  # an operation that cannot run offline: nothing moves across it
            return [Item([op], inside, keys.Access(writes=frozenset({keys.EVERYTHING})),
                         group, rerunnable=False)]
        checked = []
        for part, statements in rendered:
            declared = self.sql.existing_type(part)
            if declared is not None:
                declare_existing_types(self.analyzer, [declared])
            stmts = [stmt for text in statements
                     for stmt in self.analyzer.feed(text, in_transaction=inside)]
            findings = [finding for stmt in stmts
                        for finding in self.checker.check(stmt, allow.optouts_of(op))
                        if not allow.settled(op, finding)]
            checked.append((part, stmts, findings))
        if self._doomed(op, group) or not any(self._fixed(found) or self._unfixed(found)
                                              for _, _, found in checked):
            stmts = [stmt for _, part_stmts, _ in checked for stmt in part_stmts]
            return [self._kept([op], stmts, group, inside)]
        self.changed = True
        return [item for part, stmts, found in checked
                for item in self._part(part, stmts, found, group, inside)]

    def _table_key(self, table: str, schema: str | None) -> str:
        return names_key(Relation(table, schema), self.options.default_schema)

    def _doomed(self, op: ops.MigrateOperation, group: Group) -> bool:
        """``op`` works on a table the migration drops later: locks on it do not matter (the
        drop takes the strongest), so it stays as proposed."""
        if group is not None:
            return self._table_key(group[1], group[0]) in self.dropped
        table = getattr(op, "table_name", None)
        return isinstance(table, str) and not isinstance(op, ops.DropTableOp) and \
            self._table_key(table, getattr(op, "schema", None)) in self.dropped

    def _kept(self, written: list[ops.MigrateOperation], stmts: list[StatementFacts],
              group: Group, inside: bool) -> Item:
        access = keys.Access()
        for stmt in stmts:
            access |= self.keys.of_statement(stmt)
        return Item(written, inside, access, group, rerunnable=_rerunnable(stmts))

    def _fixed(self, found: list[Finding]) -> list[Finding]:
        """Findings with a fix, errors first."""
        return sorted((x for x in found if x.fix is not None),
                      key=lambda x: x.severity is not Severity.ERROR)

    def _unfixed(self, found: list[Finding]) -> list[Finding]:
        """Error findings without a fix: flagged in the script with a note. Rules that look
        back at earlier statements (``memos``) judge how the proposed operations were laid
        out in one transaction, which the rewrite changes: they are left out."""
        out = []
        for finding in found:
            rule = find_rule(finding.rule)
            if finding.fix is not None or finding.severity is not Severity.ERROR:
                continue
            if rule is not None and rule.memos:
                continue
            if self.downgrade and rule is not None and rule.category in _INHERENT_IN_DOWNGRADE:
                continue
            out.append(finding)
        return out

    def _part(self, part: ops.MigrateOperation, stmts: list[StatementFacts],
              found: list[Finding], group: Group, inside: bool) -> list[Item]:
        notes = [line for finding in self._unfixed(found) for line in self._flag(finding)]
        for finding in self._unfixed(found):
            self._say(finding, "flagged")
        fixed = self._fixed(found)
        if not fixed or fixed[0].fix is None or fixed[0].fix.alternative:
            if fixed and fixed[0].fix is not None:
                notes += self._flag(fixed[0], fixed[0].fix)
                self._say(fixed[0], "flagged")
            written = [safe_ops.NoteOp(notes), part] if notes else [part]
            return [self._kept(written, stmts, group, inside)]
        items = self._fix_items(part, fixed[0], group)
        self._say(fixed[0], "written safely" if items is not None else "flagged")
        if items is None:  # a step without an operation form: left as it was, flagged
            notes += self._flag(fixed[0], fixed[0].fix)
            return [self._kept([safe_ops.NoteOp(notes), part], stmts, group, inside)]
        if notes:
            items[0].ops.insert(0, safe_ops.NoteOp(notes))
        return items

    def _fix_items(self, part: ops.MigrateOperation, finding: Finding, group: Group
                   ) -> list[Item] | None:
        """The fix's steps as items, each after the previous one; None when a step has no
        operation form."""
        fix = finding.fix
        assert fix is not None
        steps = list(fix.steps)
        filled = any(isinstance(step, Backfill) for step in steps)
        backfill = writers.backfill_of(part) if isinstance(part, ops.AddColumnOp) \
            and fix.later and not filled else None
        if backfill is not None:
            steps.append(backfill)
        items: list[Item] = []
        earlier: dict[str, ops.MigrateOperation] = {}
        for step in steps:
            written = writers.reuse(part, step) or writers.step_op(step, earlier)
            if written is None:
                return None
            if isinstance(written, ops.AddConstraintOp):
                earlier[getattr(step, "name", "")] = written
            transactional = runs_in_transaction(step)
            item = Item([written], transactional, keys.of_step(step, self.keys),
                        group if transactional else None,
                        rerunnable=_step_rerunnable(written), after=items[-1:])
            items.append(item)
        if fix.later:
            note = self._later(part, fix, filled or backfill is not None, finding.rule)
            items[0].ops.insert(0, safe_ops.NoteOp(note))
        return items

    # ------------------------------------------------------------------ notes

    def _say(self, finding: Finding, done: str) -> None:
        where = "downgrade" if self.downgrade else "upgrade"
        log.info("alembic-safe %s (%s) %s: %s", finding.rule, finding.name, done,
                 " ".join(finding.statement.split())[:120] + f" ({where})")

    def _flag(self, finding: Finding, fix: Fix | None = None) -> list[str]:
        lines = _comment(f"alembic-safe {finding.rule} {finding.name}: {finding.message}. "
                         "The runtime guard refuses it.")
        if fix is not None:
            lines += _comment(f"Instead: {finding.advice}:") + _code(fix_ops.render(fix))
        else:
            lines += _comment(f"Instead: {finding.advice}")
        return lines

    def _later(self, part: ops.MigrateOperation, fix: Fix, filled: bool, rule: str) -> list[str]:
        """The note of a fix whose last steps wait for a later revision (a new NOT NULL
        column: added nullable now, NOT NULL once the application writes it)."""
        if not isinstance(part, ops.AddColumnOp):
            return _comment(f"alembic-safe {rule}: {fix.summary}; later:") + _code(
                fix_ops.render_steps(fix.later))
        column, table = part.column.name, part.table_name
        lines = _comment(
            f"alembic-safe {rule}: {table}.{column} is added nullable: NOT NULL would fail on "
            "the rows the table has and reject the inserts of the application version still "
            "running.")
        if filled:
            lines += _comment("The backfill below fills the existing rows with the model's "
                              "default.")
        else:
            lines += _comment("The model gives no constant default: fill the existing rows "
                              "before the NOT NULL revision, e.g.:")
            schema = f", schema={part.schema!r}" if part.schema else ""
            lines += _code(f"alembic_safe.backfill(op.get_bind(), table={table!r}, "
                           f"set={column + ' = ...'!r}, where={column + ' IS NULL'!r}{schema})")
        lines += _comment("Once the application writes the column, run `alembic revision "
                          "--autogenerate` again: it writes the NOT NULL revision, as:")
        return lines + _code(fix_ops.render_steps(fix.later))


def _step_rerunnable(op: ops.MigrateOperation) -> bool:
    return not isinstance(op, ops.AddColumnOp) or bool(op.if_not_exists)


def _add(out: list[ops.MigrateOperation], item: Item) -> None:
    """Append an item's operations, inside a ModifyTableOps of its table when it came from
    one (merged with the previous one of the same table)."""
    if item.group is None:
        out.extend(item.ops)
        return
    schema, table = item.group
    last = out[-1] if out else None
    if isinstance(last, ops.ModifyTableOps) and (last.schema, last.table_name) == item.group:
        last.ops.extend(item.ops)
    else:
        out.append(ops.ModifyTableOps(table, list(item.ops), schema=schema))
