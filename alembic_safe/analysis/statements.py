"""Statement dispatch, and data, session, transaction and maintenance statements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast
from pglast.enums.parsenodes import (
    A_Expr_Kind,
    DropBehavior,
    ReindexObjectType,
    TransactionStmtKind,
)
from pglast.enums.parsenodes import VariableSetKind as VS
from pglast.stream import maybe_double_quote_name

from alembic_safe.analysis import ddl, deparse, names, procedural, tree
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
from alembic_safe.analysis.reads import reads
from alembic_safe.analysis.tree import Fields

Handler = Callable[[Fields, Scope], Draft]

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


def command_name(tag: str) -> str:
    """``CreateFunctionStmt`` -> ``CREATE FUNCTION`` (kind of statements not modelled)."""
    text = tag.removesuffix("Stmt")
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch.isupper() and i and not text[i - 1].isupper():
            out.append(" ")
        out.append(ch.upper())
    return "".join(out)


def _batched(where: Any) -> bool:
    """A WHERE that bounds the rows touched: a LIMITed subquery, ctid, BETWEEN, or a range."""
    if where is None:
        return False
    lower = upper = False
    for tag, item in tree.walk(tree.unwrap(where)):
        if tag == "SelectStmt" and item.get("limitCount") is not None:
            return True
        if tag == "ColumnRef" and "ctid" in tree.strings(item.get("fields")):
            return True
        if tag == "A_Expr":
            if "BETWEEN" in tree.enum(item, "kind", A_Expr_Kind).name:
                return True
            op = next(iter(tree.strings(item.get("name"))), "")
            lower = lower or op in (">", ">=")
            upper = upper or op in ("<", "<=")
    return lower and upper


def _update_parts(node: Fields) -> tuple[str | None, str | None]:
    """(SET list, WHERE condition) of an UPDATE printed as SQL, for a fix that runs it in
    batches; (None, None) when it is more than assignments of plain columns of the one table
    by its own name (FROM, WITH, an alias, ONLY, ``col[1] =``, ``(a, b) =``, CURRENT OF)."""
    relation = node.get("relation") or {}
    where = node.get("whereClause")
    if (node.get("fromClause") or node.get("withClause") or relation.get("alias")
            or not tree.flag(relation, "inh")
            or (where is not None and tree.unwrap(where)[0] == "CurrentOfExpr")):
        return None, None
    assignments = []
    for target in tree.nodes(node, "targetList", "ResTarget"):
        value = target.get("val")
        if target.get("indirection") or value is None or "MultiAssignRef" in value:
            return None, None
        column = maybe_double_quote_name(target["name"])
        assignments.append(f"{column} = {deparse.wrapped_sql(value)}")
    return ", ".join(assignments), deparse.wrapped_sql(where) if where is not None else None


def _modify(tag: str, command: str) -> Handler:
    """The handler of INSERT / UPDATE / DELETE / MERGE (``tag``, the node type)."""

    def handler(node: Fields, scope: Scope) -> Draft:
        draft = Draft(kind=command)
        reads((tag, node), draft)
        relation = node.get("relation")
        if relation is None:
            return draft
        table = names.relation(relation)
        where = node.get("whereClause")
        select = tree.of(node.get("selectStmt"), "SelectStmt")
        from_select = select is not None and not select.get("valuesLists")
        assignments, condition = _update_parts(node) if command == "UPDATE" else (None, None)
        draft.actions.append(ModifyRows(table, command=command, has_where=where is not None,
                                        batched=_batched(where), from_select=from_select,
                                        assignments=assignments, where_sql=condition))
        draft.locks.pop(table, None)
        draft.lock(table, LockMode.ROW_EXCLUSIVE)
        draft.destroys_data = command == "DELETE" and where is None
        return draft

    return handler


def _select(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="SELECT")
    locking = node.get("lockingClause")
    calls = reads(("SelectStmt", node), draft,
                   LockMode.ROW_SHARE if locking else LockMode.ACCESS_SHARE)
    for tag, item in tree.walk(tree.items(node, "targetList")):
        if tag == "FuncCall" and _is_set_config(item):
            values = [c for a in tree.items(item, "args")
                      if (c := tree.of(a, "A_Const")) is not None]
            if len(values) == 3 and "sval" in values[0] and "sval" in values[1]:
                local = tree.flag(values[2].get("boolval") or {}, "boolval")
                name, value = values[0]["sval"], values[1]["sval"]
                draft.actions.append(SetSetting(
                    None, name=(tree.text(name, "sval") or "").lower(),
                    value=tree.text(value, "sval") or "", local=local))
    into = node.get("intoClause")
    if into is not None and into.get("rel") is not None:
        table = names.relation(into["rel"])
        draft.kind = "SELECT INTO"
        draft.locks.pop(table, None)  # the table it creates, not one it reads
        draft.actions.append(CreateTable(table, as_select=True))
        draft.creates.append(table)
    if not draft.actions:
        draft.actions.append(OtherStatement(None, command="SELECT"))
    for call in calls:  # a function of the input's own, or unknown, may run any SQL
        procedural.call(call, scope, draft)
    return draft


def _is_set_config(call: Fields) -> bool:
    parts = tree.strings(call.get("funcname"))
    return bool(parts) and parts[-1] == "set_config" and parts[0] in ("set_config", "pg_catalog")


def _transaction(node: Fields, scope: Scope) -> Draft:
    command = _TRANSACTION.get(tree.enum(node, "kind", TransactionStmtKind), "TRANSACTION")
    if tree.flag(node, "chain"):
        command += " AND CHAIN"
    draft = Draft(kind=command)
    draft.actions.append(TransactionControl(None, command=command))
    return draft


def _set_value(arg: Any) -> str:
    """One value of SET name = value, ... as text ("?" for what is not a literal)."""
    const = tree.of(arg, "A_Const")
    if const is None:
        return "?"
    if "sval" in const:
        return tree.text(const["sval"], "sval") or ""
    if "ival" in const:
        return str(tree.number(const["ival"], "ival"))
    if "fval" in const:
        return tree.text(const["fval"], "fval") or ""
    return "?"


def _set(node: Fields, scope: Scope) -> Draft:
    kind = tree.enum(node, "kind", VS)
    draft = Draft(kind="RESET" if kind in (VS.VAR_RESET, VS.VAR_RESET_ALL) else "SET")
    value: str | None = None
    if kind is VS.VAR_SET_VALUE:
        value = ", ".join(_set_value(arg) for arg in tree.items(node, "args"))
    elif kind is VS.VAR_SET_DEFAULT:
        value = "default"
    elif kind in (VS.VAR_SET_CURRENT, VS.VAR_SET_MULTI):
        value = "?"
    draft.actions.append(SetSetting(None, name=(tree.text(node, "name") or "all").lower(),
                                    value=value, local=tree.flag(node, "is_local")))
    return draft


def _vacuum(node: Fields, scope: Scope) -> Draft:
    options = {d.get("defname") for d in tree.nodes(node, "options", "DefElem")}
    vacuum = tree.flag(node, "is_vacuumcmd")
    full = vacuum and "full" in options
    draft = Draft(kind="VACUUM" if vacuum else "ANALYZE")
    draft.requires_no_transaction = vacuum
    for rel in tree.nodes(node, "rels", "VacuumRelation"):
        relation = rel.get("relation")
        if relation is None:
            continue
        table = names.relation(relation)
        if full:
            draft.actions.append(TableRewriteCommand(table, command="VACUUM FULL"))
            draft.rewrite(table)
        else:
            draft.actions.append(OtherStatement(table, command=draft.kind))
        draft.lock(table, AE if full else SUE)
    if not draft.actions:
        draft.actions.append(OtherStatement(None, command="VACUUM FULL" if full else draft.kind))
    return draft


def _cluster(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="CLUSTER")
    relation = node.get("relation")
    if relation is None:
        draft.requires_no_transaction = True
        draft.actions.append(OtherStatement(None, command="CLUSTER"))
        return draft
    table = names.relation(relation)
    draft.actions.append(TableRewriteCommand(table, command="CLUSTER"))
    draft.rewrite(table)
    draft.lock(table, AE)
    return draft


def _concurrently(option: Fields) -> bool:
    """A ``CONCURRENTLY`` option that is not ``CONCURRENTLY false``."""
    arg = tree.of(option.get("arg"), "Boolean")
    return option.get("defname") == "concurrently" and not (
        arg is not None and not tree.flag(arg, "boolval"))


def _reindex(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="REINDEX")
    concurrent = any(_concurrently(d) for d in tree.nodes(node, "params", "DefElem"))
    target_kind = tree.enum(node, "kind", ReindexObjectType).name.removeprefix(
        "REINDEX_OBJECT_").lower()
    relation = node.get("relation")
    target = (names.relation(relation) if relation is not None
              else Relation(tree.text(node, "name") or "?"))
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


def _refresh(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="REFRESH MATERIALIZED VIEW")
    relation = node.get("relation")
    if relation is not None:
        view = names.relation(relation)
        concurrent = tree.flag(node, "concurrent")
        command = "REFRESH MATERIALIZED VIEW" + (" CONCURRENTLY" if concurrent else "")
        draft.actions.append(OtherStatement(view, command=command))
        draft.lock(view, LockMode.EXCLUSIVE if concurrent else AE)
    return draft


def _lock(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="LOCK TABLE")
    number = tree.number(node, "mode")
    mode = LockMode(number) if 1 <= number <= 8 else AE
    for rel in tree.nodes(node, "relations", "RangeVar"):
        table = names.relation(rel)
        draft.actions.append(LockTable(table, mode=mode))
        draft.lock(table, mode)
    return draft


def _truncate(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="TRUNCATE", destroys_data=True)
    cascade = tree.enum(node, "behavior", DropBehavior) is DropBehavior.DROP_CASCADE
    for rel in tree.nodes(node, "relations", "RangeVar"):
        table = names.relation(rel)
        draft.actions.append(Truncate(table, cascade=cascade))
        draft.lock(table, AE)
        if cascade:  # the tables whose foreign keys reference it are emptied too
            draft.lock_all(scope.referencing(table), AE)
    return draft


def _copy(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="COPY")
    relation = node.get("relation")
    if relation is None:
        query = node.get("query")
        if query is not None:
            reads(tree.unwrap(query), draft)
        draft.actions.append(OtherStatement(None, command="COPY"))
        return draft
    table = names.relation(relation)
    if tree.flag(node, "is_from"):
        draft.actions.append(ModifyRows(table, command="COPY"))
        draft.lock(table, LockMode.ROW_EXCLUSIVE)
    else:
        draft.actions.append(OtherStatement(table, command="COPY"))
        draft.lock(table, LockMode.ACCESS_SHARE)
    return draft


_HANDLERS: dict[type[ast.Node], Handler] = {
    ast.AlterTableStmt: alter_table,
    ast.CreateStmt: ddl.create_table,
    ast.CreateTableAsStmt: ddl.create_table_as,
    ast.IndexStmt: ddl.create_index,
    ast.DropStmt: ddl.drop,
    ast.DropdbStmt: ddl.drop_database,
    ast.RenameStmt: ddl.rename,
    ast.CreateEnumStmt: ddl.create_object("CreateEnumStmt"),
    ast.CreateRangeStmt: ddl.create_object("CreateRangeStmt"),
    ast.CompositeTypeStmt: ddl.create_object("CompositeTypeStmt"),
    ast.CreateDomainStmt: ddl.create_object("CreateDomainStmt"),
    ast.CreateSeqStmt: ddl.create_object("CreateSeqStmt"),
    ast.ViewStmt: ddl.create_object("ViewStmt"),
    ast.AlterEnumStmt: ddl.alter_enum,
    ast.AlterDomainStmt: ddl.alter_domain,
    ast.CreateTrigStmt: ddl.create_trigger,
    ast.CommentStmt: ddl.comment,
    ast.AlterObjectSchemaStmt: ddl.set_schema,
    ast.InsertStmt: _modify("InsertStmt", "INSERT"),
    ast.UpdateStmt: _modify("UpdateStmt", "UPDATE"),
    ast.DeleteStmt: _modify("DeleteStmt", "DELETE"),
    ast.MergeStmt: _modify("MergeStmt", "MERGE"),
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
    ast.DoStmt: procedural.do,
    ast.CallStmt: procedural.call_statement,
    ast.CreateFunctionStmt: procedural.create_routine,
    ast.RuleStmt: ddl.access_exclusive_on("CREATE RULE", "relation"),
    ast.CreatePolicyStmt: ddl.access_exclusive_on("CREATE POLICY", "table"),
    ast.AlterPolicyStmt: ddl.access_exclusive_on("ALTER POLICY", "table"),
    ast.CreateStatsStmt: ddl.create_statistics,
    ast.CreatePublicationStmt: ddl.publication("CreatePublicationStmt"),
    ast.AlterPublicationStmt: ddl.publication("AlterPublicationStmt"),
    ast.AlterSeqStmt: ddl.alter_sequence,
}
#: statement handlers by node type name (pglast's classes keep the names checked)
HANDLERS: dict[str, Handler] = {cls.__name__: handler for cls, handler in _HANDLERS.items()}


def draft_for(tag: str, node: Fields, scope: Scope) -> Draft:
    """The draft facts of one parsed statement (its node type and fields)."""
    handler = HANDLERS.get(tag)
    if handler is not None:
        return handler(node, scope)
    kind = _NO_TRANSACTION.get(tag) or command_name(tag)
    draft = Draft(kind=kind, requires_no_transaction=tag in _NO_TRANSACTION)
    draft.actions.append(OtherStatement(None, command=kind))
    return draft
