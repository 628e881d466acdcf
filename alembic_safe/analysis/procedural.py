"""Code that runs SQL of its own: DO blocks, function and procedure calls, and the functions and
procedures created in the input.

What such code runs is analyzed where its text is known: a DO block's PL/pgSQL body, the body of
a function or procedure created earlier in the input (PL/pgSQL, or SQL in a string), ``EXECUTE``
of a string literal. The statements found become :class:`~alembic_safe.analysis.draft.Body`
items of the statement that runs them. What cannot be seen (a function the analyzer does not
know, a string built at run time, another language) becomes an
:class:`~alembic_safe.analysis.facts.OpaqueCode` action naming it.
"""

from __future__ import annotations

from alembic_safe.analysis import names, tree
from alembic_safe.analysis.builtins import is_builtin
from alembic_safe.analysis.draft import Body, Draft, Scope
from alembic_safe.analysis.facts import OpaqueCode, OtherStatement
from alembic_safe.analysis.plpgsql import Commit, Dynamic, Item, PlpgsqlError, Statement, body
from alembic_safe.analysis.plpgsql import dollar_quoted as quoted
from alembic_safe.analysis.schema import Routine
from alembic_safe.analysis.tree import Fields

_UNKNOWN = "a function alembic-safe does not know: it may run any SQL, DDL included"


def _options(fields: Fields, name: str) -> dict[str, Fields]:
    """The DefElem options of a statement, by name."""
    return {d.get("defname") or "": d for d in tree.nodes(fields, name, "DefElem")}


def _string(option: Fields | None) -> str | None:
    """The string value of a DefElem (``LANGUAGE x``, ``AS 'body'``)."""
    if option is None:
        return None
    arg = option.get("arg")
    value = tree.of(arg, "String")
    if value is None:  # AS 'body' of a function: a one-item list
        items = tree.listed(arg) or []
        value = tree.of(items[0], "String") if len(items) == 1 else None
    return tree.text(value, "sval") if value is not None else None


def attach(draft: Draft, items: tuple[Item, ...], within: str) -> None:
    """Give ``draft`` the body ``items`` to analyze; what cannot be seen becomes OpaqueCode."""
    seen = tuple(item for item in items if not isinstance(item, Dynamic))
    for item in items:
        if isinstance(item, Dynamic):
            draft.actions.append(OpaqueCode(None, code=item.code, reason=f"SQL built at run "
                                            f"time in the {within}: it may run any SQL"))
    if seen:
        draft.bodies.append(Body(within, seen))


def _commits(items: tuple[Item, ...]) -> bool:
    return any(isinstance(item, Commit) for item in items)


def do(node: Fields, scope: Scope) -> Draft:
    """``DO [LANGUAGE lang] $$ body $$``: the PL/pgSQL body's statements, run after it."""
    draft = Draft(kind="DO")
    draft.actions.append(OtherStatement(None, command="DO"))
    options = _options(node, "args")
    language = (_string(options.get("language")) or "plpgsql").lower()
    source = _string(options.get("as")) or ""
    if language != "plpgsql":
        draft.actions.append(OpaqueCode(None, code=f"DO LANGUAGE {language}",
                                        reason=f"a DO block in {language}: its SQL cannot be "
                                        "read"))
        return draft
    try:
        items = body(f"DO {quoted(source)}")
    except PlpgsqlError as exc:
        draft.actions.append(OpaqueCode(None, code="DO block", reason=f"its PL/pgSQL cannot be "
                                        f"read ({exc})"))
        return draft
    attach(draft, items, "DO block")
    draft.requires_no_transaction = _commits(items)  # COMMIT in a DO: outside a transaction
    return draft


def _routine_items(routine: Routine) -> tuple[Item, ...] | str:
    """What a routine's body runs, or why that cannot be known."""
    if routine.language == "plpgsql":
        try:
            return body(routine.source)
        except PlpgsqlError as exc:
            return f"its PL/pgSQL cannot be read ({exc})"
    if routine.language == "sql" and not routine.atomic:
        return (Statement(routine.source),)
    if routine.atomic:
        return "its BEGIN ATOMIC body is not analyzed"
    return f"it is written in {routine.language}"


def call(function: Fields, scope: Scope, draft: Draft, *, procedure: bool = False) -> None:
    """A call of ``function`` (a FuncCall): nothing for a built-in function, the body of a
    routine created earlier, else an OpaqueCode action naming it."""
    parts = tree.strings(function.get("funcname"))
    if not procedure and is_builtin(parts):
        return
    shown = ("CALL " if procedure else "") + ".".join(parts) + "()"
    routine = scope.routine(names.from_names(function.get("funcname")))
    if routine is None:
        draft.actions.append(OpaqueCode(None, code=shown, reason=_UNKNOWN))
        return
    items = _routine_items(routine)
    within = f"{routine.kind} {'.'.join(parts)}()"
    if isinstance(items, str):
        draft.actions.append(OpaqueCode(None, code=shown, reason=f"{within}: {items}"))
        return
    attach(draft, items, within)
    if procedure and _commits(items):
        draft.requires_no_transaction = True


def call_statement(node: Fields, scope: Scope) -> Draft:
    """``CALL procedure(...)``."""
    draft = Draft(kind="CALL")
    draft.actions.append(OtherStatement(None, command="CALL"))
    function = node.get("funccall")
    if function is not None:
        call(function, scope, draft, procedure=True)
    return draft


def create_routine(node: Fields, scope: Scope) -> Draft:
    """``CREATE [OR REPLACE] FUNCTION / PROCEDURE``: remembered, so that a call can be analyzed
    through its body. A PL/pgSQL routine's source is left empty: the analyzer fills in the
    statement's own text, which PostgreSQL's PL/pgSQL parser reads (parameters included)."""
    kind = "procedure" if tree.flag(node, "is_procedure") else "function"
    draft = Draft(kind=f"CREATE {kind.upper()}")
    draft.actions.append(OtherStatement(None, command=draft.kind))
    options = _options(node, "options")
    language = (_string(options.get("language")) or "sql").lower()
    source = "" if language == "plpgsql" else _string(options.get("as")) or ""
    draft.defines.append((names.from_names(node.get("funcname")),
                          Routine(kind, language, source, atomic=node.get("sql_body") is not None)))
    return draft
