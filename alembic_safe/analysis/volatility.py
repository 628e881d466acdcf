"""Volatility of default expressions, from a table of known PostgreSQL functions.

An expression is as volatile as the most volatile thing it calls (``pg_proc.provolatile``);
literals, casts of literals, ``ARRAY[...]`` and operators on them are constants.
"""

from __future__ import annotations

from typing import Any

from pglast.enums.primnodes import SQLValueFunctionOp

from alembic_safe.analysis import tree
from alembic_safe.analysis.facts import Volatility
from alembic_safe.analysis.tree import Fields

VOLATILE_FUNCTIONS = frozenset({
    "random", "random_normal", "setseed", "gen_random_uuid", "uuidv4", "uuidv7",
    "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "clock_timestamp",
    "timeofday", "nextval", "setval", "currval", "lastval", "txid_current",
    "txid_current_if_assigned", "pg_current_xact_id", "pg_current_xact_id_if_assigned",
    "gen_random_bytes", "gen_salt", "pg_backend_pid", "pg_sleep", "dblink", "lo_import",
    "pg_notify",
})

STABLE_FUNCTIONS = frozenset({
    "now", "statement_timestamp", "transaction_timestamp", "current_setting",
    "current_database", "current_schema", "current_schemas", "current_user", "session_user",
    "current_role", "user", "to_char", "to_timestamp", "to_date", "age", "date_part",
    "date_trunc", "extract", "pg_postmaster_start_time", "current_query", "inet_client_addr",
    "version", "format", "to_regclass", "has_table_privilege", "localtimestamp", "localtime",
    "current_timestamp", "current_date", "current_time", "timezone",
})

IMMUTABLE_FUNCTIONS = frozenset({
    "lower", "upper", "abs", "coalesce", "nullif", "greatest", "least", "length",
    "char_length", "octet_length", "trim", "btrim", "ltrim", "rtrim", "substr", "substring",
    "replace", "concat", "concat_ws", "left", "right", "md5", "sha256", "round", "trunc",
    "floor", "ceil", "ceiling", "sqrt", "power", "mod", "sign", "make_date", "make_time",
    "make_interval", "jsonb_build_object", "jsonb_build_array", "json_build_object",
    "json_build_array", "array_fill", "to_jsonb", "to_json", "int4", "int8", "text",
    "numeric", "interval", "row", "array_length", "initcap", "repeat", "lpad", "rpad",
    "split_part", "encode", "decode", "uuid_nil", "point", "int4range", "int8range",
    "numrange", "daterange", "tstzrange", "tsrange", "jsonb_typeof",
})

#: SQLValueFunction ops (CURRENT_TIMESTAMP, CURRENT_USER, ...) are all STABLE
_STABLE_VALUE_FUNCTIONS = frozenset(SQLValueFunctionOp)
#: fields of an expression node that are names or ordering, not evaluated sub-expressions
_NOT_EVALUATED = frozenset({"funcname", "typeName", "agg_order", "over"})


def _merge(a: Volatility, b: Volatility) -> Volatility:
    order = (Volatility.CONSTANT, Volatility.STABLE, Volatility.UNKNOWN, Volatility.VOLATILE)
    return a if order.index(a) >= order.index(b) else b


def _function(name: str) -> Volatility:
    if name in VOLATILE_FUNCTIONS:
        return Volatility.VOLATILE
    if name in STABLE_FUNCTIONS:
        return Volatility.STABLE
    if name in IMMUTABLE_FUNCTIONS:
        return Volatility.CONSTANT
    return Volatility.UNKNOWN


def volatility(node: Any) -> Volatility:
    """How volatile an expression (a wrapped node, or None) is: the most volatile part wins."""
    if node is None:
        return Volatility.CONSTANT
    return _volatility(*tree.unwrap(node))


def _volatility(tag: str, node: Fields) -> Volatility:
    if tag in ("A_Const", "ParamRef"):
        return Volatility.CONSTANT
    if tag == "SQLValueFunction":
        op = tree.enum(node, "op", SQLValueFunctionOp)
        return Volatility.STABLE if op in _STABLE_VALUE_FUNCTIONS else Volatility.UNKNOWN
    if tag == "ColumnRef":
        return Volatility.UNKNOWN  # not valid in a default; let PostgreSQL say so
    result = Volatility.CONSTANT
    if tag == "FuncCall":
        names = tree.strings(node.get("funcname"))
        name = names[-1].lower() if names else ""
        if len(names) > 1 and names[0] not in ("pg_catalog", "public", "extensions"):
            result = Volatility.UNKNOWN
        else:
            result = _function(name)
    for child in tree.children(tag, node, _NOT_EVALUATED):
        result = _merge(result, _volatility(*child))
    return result
