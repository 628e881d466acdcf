"""Volatility of defaults: the known-function table, constants and casts."""

from __future__ import annotations

import pytest
from analysis_helpers import one

from alembic_safe.analysis.facts import AddColumn, Volatility

C, S, V, U = Volatility.CONSTANT, Volatility.STABLE, Volatility.VOLATILE, Volatility.UNKNOWN

DEFAULTS: list[tuple[str, Volatility]] = [
    ("0", C),
    ("-1", C),
    ("1.5", C),
    ("'x'", C),
    ("true", C),
    ("NULL", C),
    ("ARRAY[]::int[]", C),
    ("'{}'::jsonb", C),
    ("'{}'", C),
    ("'2020-01-01'::date", C),
    ("lower('X')", C),
    ("coalesce(NULL, 1)", C),
    ("1 + 2 * 3", C),
    ("now()", S),
    ("pg_catalog.now()", S),
    ("CURRENT_TIMESTAMP", S),
    ("current_date", S),
    ("LOCALTIMESTAMP", S),
    ("current_user", S),
    ("session_user", S),
    ("statement_timestamp()", S),
    ("transaction_timestamp()", S),
    ("to_char(now(), 'YYYY')", S),
    ("now() + interval '1 day'", S),
    ("gen_random_uuid()", V),
    ("uuid_generate_v4()", V),
    ("random()", V),
    ("clock_timestamp()", V),
    ("timeofday()", V),
    ("nextval('s')", V),
    ("txid_current()", V),
    ("floor(random() * 10)", V),
    ("coalesce(now(), clock_timestamp())", V),
    ("my_function()", U),
    ("myschema.lower('x')", U),
]


@pytest.mark.parametrize(("expr", "expected"), DEFAULTS, ids=[d[0] for d in DEFAULTS])
def test_default_volatility(expr: str, expected: Volatility) -> None:
    (action,) = one(f"ALTER TABLE t ADD COLUMN c text DEFAULT {expr}").actions
    assert isinstance(action, AddColumn)
    assert action.column.has_default
    assert action.column.default_volatility is expected


def test_no_default() -> None:
    (action,) = one("ALTER TABLE t ADD COLUMN c text").actions
    assert isinstance(action, AddColumn)
    assert (action.column.has_default, action.column.default_volatility) == (False, None)
