"""Statement dispatch, and data, session, transaction and maintenance statements."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pglast import ast
from pglast.enums.parsenodes import DropBehavior, ReindexObjectType, TransactionStmtKind
from pglast.enums.parsenodes import VariableSetKind as VS

from alembic_safe.analysis import ddl, names
from alembic_safe.analysis.alter_table import alter_table
from alembic_safe.analysis.draft import Draft, Scope
from alembic_safe.analysis.facts import (
    CreateTable,
    LockMode,
    LockTable,
    ModifyRows,
    OtherStatement,
    Reindex,
    Relation,
    SetSetting,
    TableRewriteCommand,
    TransactionControl,
    Truncate,
)
from alembic_safe.analysis.locks import AE, SUE

Handler = Callable[[Any, Scope], Draft]
_BRANCH = (ast.Node, tuple)

_TRANSACTION = {
    TransactionStmtKind.TRANS_STMT_BEGIN: "BEGIN",
    TransactionStmtKind.TRANS_STMT_START: "START TRANSACTION",
    TransactionStmtKind.TRANS_STMT_COMMIT: "COMMIT",
    TransactionStmtKind.TRANS_STMT_ROLLBACK: "ROLLBACK",
    TransactionStmtKind.TRANS_STMT_SAVEPOINT: "SAVEPOINT",
    TransactionStmtKind.TRANS_STMT_RELEASE: "RELEASE",
    TransactionStmtKind.TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO",
    TransactionStmtKind.TRANS_STMT_PREPARE: "PREPARE TRANSACTION",
    TransactionStmtKind.TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",
    TransactionStmtKind.TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
}

#: statements PostgreSQL refuses inside a transaction block, whatever their options
_NO_TRANSACTION = {
    "CreatedbStmt": "CREATE DATABASE",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
    "AlterSystemStmt": "ALTER SYSTEM",
}


def walk(node: Any) -> Iterator[ast.Node]:
    """Every node under ``node`` (depth first, including it)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            stack.extend(v for v in item if isinstance(v, _BRANCH))
        elif isinstance(item, ast.Node):
            yield item
            for attr in item:
                value = getattr(item, attr)
                if isinstance(value, _BRANCH):
                    stack.append(value)


def _reads(node: ast.Node, draft: Draft, mode: LockMode = LockMode.ACCESS_SHARE) -> None:
    """ACCESS SHARE (or ``mode``) on every table a query reads (CTE names excluded)."""
    ctes: set[str] = set()
    tables: list[ast.RangeVar] = []
    for item in walk(node):
        if isinstance(item, ast.RangeVar):
            tables.append(item)
        elif isinstance(item, ast.CommonTableExpr) and item.ctename:
            ctes.add(item.ctename)
    for item in reversed(tables):
        if item.schemaname is not None or item.relname not in ctes:
            draft.lock(names.relation(item), mode)


def command_name(node: ast.Node) -> str:
    """``CreateFunctionStmt`` -> ``CREATE FUNCTION`` (kind of statements not modelled)."""
    text = type(node).__name__.removesuffix("Stmt")
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch.isupper() and i and not text[i - 1].isupper():
            out.append(" ")
        out.append(ch.upper())
    return "".join(out)


def _batched(where: ast.Node | None) -> bool:
    """A WHERE that bounds the rows touched: a LIMITed subquery, ctid, BETWEEN, or a range."""
    if where is None:
        return False
    lower = upper = False
    for item in walk(where):
        if isinstance(item, ast.SelectStmt) and item.limitCount is not None:
            return True
        if isinstance(item, ast.ColumnRef) and any(
                isinstance(f, ast.String) and f.sval == "ctid" for f in item.fields or ()):
            return True
        if isinstance(item, ast.A_Expr):
            if item.kind is not None and "BETWEEN" in item.kind.name:
                return True
            op = next(iter(names.strings(item.name)), "")
            lower = lower or op in (">", ">=")
            upper = upper or op in ("<", "<=")
    return lower and upper


def _modify(node: Any, scope: Scope) -> Draft:
    command = {"InsertStmt": "INSERT", "UpdateStmt": "UPDATE", "DeleteStmt": "DELETE",
               "MergeStmt": "MERGE"}[type(node).__name__]
    draft = Draft(kind=command)
    _reads(node, draft)
    if node.relation is None:
        return draft
    table = names.relation(node.relation)
    where = getattr(node, "whereClause", None)
    select = getattr(node, "selectStmt", None)
    from_select = isinstance(select, ast.SelectStmt) and not select.valuesLists
    draft.actions.append(ModifyRows(table, command=command, has_where=where is not None,
                                    batched=_batched(where), from_select=from_select))
    draft.locks.pop(table, None)
    draft.lock(table, LockMode.ROW_EXCLUSIVE)
    draft.destroys_data = command == "DELETE" and where is None
    return draft


def _select(node: ast.SelectStmt, scope: Scope) -> Draft:
    draft = Draft(kind="SELECT")
    _reads(node, draft, LockMode.ROW_SHARE if node.lockingClause else LockMode.ACCESS_SHARE)
    for item in walk(node.targetList):
        if isinstance(item, ast.FuncCall) and _is_set_config(item):
            args = item.args or ()
            values = [a.val for a in args if isinstance(a, ast.A_Const)]
            name, value = [*values, None, None][:2]
            if len(values) == 3 and isinstance(name, ast.String) and isinstance(value, ast.String):
                local = isinstance(values[2], ast.Boolean) and bool(values[2].boolval)
                draft.actions.append(SetSetting(None, name=(name.sval or "").lower(),
                                                value=value.sval, local=local))
    if node.intoClause is not None and node.intoClause.rel is not None:
        table = names.relation(node.intoClause.rel)
        draft.kind = "SELECT INTO"
        draft.actions.append(CreateTable(table, as_select=True))
        draft.creates.append(table)
    if not draft.actions:
        draft.actions.append(OtherStatement(None, command="SELECT"))
    return draft


def _is_set_config(call: ast.FuncCall) -> bool:
    parts = [n.sval for n in call.funcname or () if isinstance(n, ast.String)]
    return bool(parts) and parts[-1] == "set_config" and parts[0] in ("set_config", "pg_catalog")


def _transaction(node: ast.TransactionStmt, scope: Scope) -> Draft:
    command = _TRANSACTION.get(TransactionStmtKind(node.kind or 0), "TRANSACTION")
    if node.chain:
        command += " AND CHAIN"
    draft = Draft(kind=command)
    draft.actions.append(TransactionControl(None, command=command))
    return draft


def _set(node: ast.VariableSetStmt, scope: Scope) -> Draft:
    kind = VS(node.kind or 0)
    draft = Draft(kind="RESET" if kind in (VS.VAR_RESET, VS.VAR_RESET_ALL) else "SET")
    value: str | None = None
    if kind is VS.VAR_SET_VALUE:
        parts = []
        for arg in node.args or ():
            val = arg.val if isinstance(arg, ast.A_Const) else None
            if isinstance(val, ast.String):
                parts.append(val.sval or "")
            elif isinstance(val, ast.Integer):
                parts.append(str(val.ival))
            elif isinstance(val, ast.Float):
                parts.append(val.fval or "")
            else:
                parts.append("?")
        value = ", ".join(parts)
    elif kind is VS.VAR_SET_DEFAULT:
        value = "default"
    elif kind in (VS.VAR_SET_CURRENT, VS.VAR_SET_MULTI):
        value = "?"
    draft.actions.append(SetSetting(None, name=(node.name or "all").lower(), value=value,
                                    local=bool(node.is_local)))
    return draft


def _vacuum(node: ast.VacuumStmt, scope: Scope) -> Draft:
    options = {d.defname for d in node.options or () if isinstance(d, ast.DefElem)}
    full = node.is_vacuumcmd and "full" in options
    draft = Draft(kind="VACUUM" if node.is_vacuumcmd else "ANALYZE")
    draft.requires_no_transaction = bool(node.is_vacuumcmd)
    for rel in node.rels or ():
        if not isinstance(rel, ast.VacuumRelation) or rel.relation is None:
            continue
        table = names.relation(rel.relation)
        if full:
            draft.actions.append(TableRewriteCommand(table, command="VACUUM FULL"))
            draft.rewrite(table)
        else:
            draft.actions.append(OtherStatement(table, command=draft.kind))
        draft.lock(table, AE if full else SUE)
    if not draft.actions:
        draft.actions.append(OtherStatement(None, command="VACUUM FULL" if full else draft.kind))
    return draft


def _cluster(node: ast.ClusterStmt, scope: Scope) -> Draft:
    draft = Draft(kind="CLUSTER")
    if node.relation is None:
        draft.requires_no_transaction = True
        draft.actions.append(OtherStatement(None, command="CLUSTER"))
        return draft
    table = names.relation(node.relation)
    draft.actions.append(TableRewriteCommand(table, command="CLUSTER"))
    draft.rewrite(table)
    draft.lock(table, AE)
    return draft


def _reindex(node: ast.ReindexStmt, scope: Scope) -> Draft:
    draft = Draft(kind="REINDEX")
    concurrent = any(isinstance(d, ast.DefElem) and d.defname == "concurrently"
                     and not (isinstance(d.arg, ast.Boolean) and not d.arg.boolval)
                     for d in node.params or ())
    target_kind = ReindexObjectType(node.kind or 0).name.removeprefix("REINDEX_OBJECT_").lower()
    target = (names.relation(node.relation) if node.relation is not None
              else Relation(node.name or "?"))
    draft.actions.append(Reindex(target, target_kind=target_kind, concurrently=concurrent))
    draft.requires_no_transaction = concurrent or target_kind in ("schema", "database", "system")
    if target_kind == "index":
        draft.lock(target, SUE if concurrent else AE)
        table = scope.index_table(target)
        if table is not None:
            draft.lock(table, SUE if concurrent else LockMode.SHARE)
    elif target_kind == "table":
        draft.lock(target, SUE if concurrent else LockMode.SHARE)
    return draft


def _refresh(node: ast.RefreshMatViewStmt, scope: Scope) -> Draft:
    draft = Draft(kind="REFRESH MATERIALIZED VIEW")
    if node.relation is not None:
        view = names.relation(node.relation)
        command = "REFRESH MATERIALIZED VIEW" + (" CONCURRENTLY" if node.concurrent else "")
        draft.actions.append(OtherStatement(view, command=command))
        draft.lock(view, LockMode.EXCLUSIVE if node.concurrent else AE)
    return draft


def _lock(node: ast.LockStmt, scope: Scope) -> Draft:
    draft = Draft(kind="LOCK TABLE")
    mode = LockMode(node.mode) if node.mode and 1 <= node.mode <= 8 else AE
    for rel in node.relations or ():
        if isinstance(rel, ast.RangeVar):
            table = names.relation(rel)
            draft.actions.append(LockTable(table, mode=mode))
            draft.lock(table, mode)
    return draft


def _truncate(node: ast.TruncateStmt, scope: Scope) -> Draft:
    draft = Draft(kind="TRUNCATE", destroys_data=True)
    cascade = node.behavior == DropBehavior.DROP_CASCADE
    for rel in node.relations or ():
        if isinstance(rel, ast.RangeVar):
            table = names.relation(rel)
            draft.actions.append(Truncate(table, cascade=cascade))
            draft.lock(table, AE)
    return draft


def _copy(node: ast.CopyStmt, scope: Scope) -> Draft:
    draft = Draft(kind="COPY")
    if node.relation is None:
        if node.query is not None:
            _reads(node.query, draft)
        draft.actions.append(OtherStatement(None, command="COPY"))
        return draft
    table = names.relation(node.relation)
    if node.is_from:
        draft.actions.append(ModifyRows(table, command="COPY"))
        draft.lock(table, LockMode.ROW_EXCLUSIVE)
    else:
        draft.actions.append(OtherStatement(table, command="COPY"))
        draft.lock(table, LockMode.ACCESS_SHARE)
    return draft


HANDLERS: dict[type[ast.Node], Handler] = {
    ast.AlterTableStmt: alter_table,
    ast.CreateStmt: ddl.create_table,
    ast.CreateTableAsStmt: ddl.create_table_as,
    ast.IndexStmt: ddl.create_index,
    ast.DropStmt: ddl.drop,
    ast.DropdbStmt: ddl.drop_database,
    ast.RenameStmt: ddl.rename,
    ast.CreateEnumStmt: ddl.create_type,
    ast.CreateRangeStmt: ddl.create_type,
    ast.CompositeTypeStmt: ddl.create_type,
    ast.CreateDomainStmt: ddl.create_type,
    ast.CreateSeqStmt: ddl.create_type,
    ast.ViewStmt: ddl.create_type,
    ast.AlterEnumStmt: ddl.alter_enum,
    ast.AlterDomainStmt: ddl.alter_domain,
    ast.CreateTrigStmt: ddl.create_trigger,
    ast.CommentStmt: ddl.comment,
    ast.AlterObjectSchemaStmt: ddl.set_schema,
    ast.InsertStmt: _modify,
    ast.UpdateStmt: _modify,
    ast.DeleteStmt: _modify,
    ast.MergeStmt: _modify,
    ast.SelectStmt: _select,
    ast.TransactionStmt: _transaction,
    ast.VariableSetStmt: _set,
    ast.VacuumStmt: _vacuum,
    ast.ClusterStmt: _cluster,
    ast.ReindexStmt: _reindex,
    ast.RefreshMatViewStmt: _refresh,
    ast.LockStmt: _lock,
    ast.TruncateStmt: _truncate,
    ast.CopyStmt: _copy,
}


def draft_for(node: ast.Node, scope: Scope) -> Draft:
    """The draft facts of one parsed statement."""
    handler = HANDLERS.get(type(node))
    if handler is not None:
        return handler(node, scope)
    name = type(node).__name__
    kind = _NO_TRANSACTION.get(name) or command_name(node)
    draft = Draft(kind=kind, requires_no_transaction=name in _NO_TRANSACTION)
    draft.actions.append(OtherStatement(None, command=kind))
    return draft
