"""Catalog look-ups the demo shows: tables, enum values, indexes, the Alembic revision."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, create_engine, text


@dataclass(frozen=True)
class SchemaSummary:
    tables: tuple[str, ...]
    #: (index name, table name, indexed columns)
    indexes: tuple[tuple[str, str, str], ...]


@contextmanager
def _connect(url: str) -> Iterator[Connection]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def schema_summary(url: str) -> SchemaSummary:
    """Tables and indexes of the ``public`` schema."""
    with _connect(url) as connection:
        tables = connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )).scalars().all()
        indexes = connection.execute(text(
            "SELECT i.relname, t.relname,"
            " pg_get_indexdef(x.indexrelid, 0, true) AS definition"
            " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_class t ON t.oid = x.indrelid"
            " JOIN pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = 'public' ORDER BY t.relname, i.relname"
        )).all()
    return SchemaSummary(
        tables=tuple(tables),
        indexes=tuple((name, table, _columns(definition)) for name, table, definition in indexes),
    )


def _columns(definition: str) -> str:
    """The column list of an index definition (the text inside its last parentheses)."""
    return definition[definition.rindex("(") + 1 : definition.rindex(")")]


def enum_values(url: str, type_name: str) -> list[str]:
    """The labels of an enum type, in order."""
    with _connect(url) as connection:
        return list(connection.execute(text(
            "SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid"
            " WHERE t.typname = :name ORDER BY e.enumsortorder"
        ), {"name": type_name}).scalars())


def index_is_valid(url: str, index_name: str) -> bool | None:
    """``pg_index.indisvalid`` of an index in ``public``; None when it does not exist."""
    with _connect(url) as connection:
        valid = connection.execute(text(
            "SELECT x.indisvalid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_namespace n ON n.oid = i.relnamespace"
            " WHERE n.nspname = 'public' AND i.relname = :name"
        ), {"name": index_name}).scalar()
    return None if valid is None else bool(valid)


def alembic_revision(url: str) -> str | None:
    """The revision recorded in ``alembic_version`` (None before the first upgrade)."""
    with _connect(url) as connection:
        exists = connection.execute(text("SELECT to_regclass('public.alembic_version')")).scalar()
        if exists is None:
            return None
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if revision is None else str(revision)


def run_autocommit(url: str, statement: str) -> None:
    """Run one statement outside a transaction (CREATE INDEX CONCURRENTLY, as a migration's
    autocommit block does)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def seed_claims(url: str, count: int) -> None:
    """``count`` claims of one patient, one line item each: the app in use."""
    with _connect(url) as connection:
        for statement in (
            "INSERT INTO accounts (name, npi) VALUES ('Demo clinic', '1000000001')",
            "INSERT INTO payers (name, payer_code) VALUES ('Demo payer', 'DEMO')",
            "INSERT INTO patients (account_id, first_name, last_name, date_of_birth)"
            " SELECT id, 'Pat', 'Doe', DATE '1980-01-01' FROM accounts",
            "INSERT INTO claims (account_id, patient_id, payer_id, service_date)"
            " SELECT a.id, p.id, y.id, DATE '2026-01-01' + n FROM accounts a, patients p,"
            " payers y, generate_series(1, :count) AS n",
            "INSERT INTO claim_line_items (claim_id, cpt_code, amount)"
            " SELECT id, '99213', 75 FROM claims",
        ):
            connection.execute(text(statement), {"count": count})
        connection.commit()


def remove_claims(url: str) -> None:
    """Remove what :func:`seed_claims` inserted (line items go with their claims)."""
    with _connect(url) as connection:
        for table in ("claims", "patients", "payers", "accounts"):
            connection.execute(text(f"DELETE FROM {table}"))
        connection.commit()


def seed_untrimmed_payers(url: str, count: int) -> None:
    """``count`` payers whose names carry stray spaces (what the backfill step cleans)."""
    with _connect(url) as connection:
        connection.execute(text(
            "INSERT INTO payers (name, payer_code)"
            " SELECT '  Payer ' || n || ' ', 'P' || lpad(n::text, 6, '0')"
            " FROM generate_series(1, :count) AS n"
        ), {"count": count})
        connection.commit()


def column_fingerprint(url: str, table: str, column: str) -> tuple[int, str]:
    """How many rows ``table`` has, and a digest of ``column``'s values in key order."""
    with _connect(url) as connection:
        count, digest = connection.execute(text(
            f"SELECT count(*), md5(string_agg({column}::text, ',' ORDER BY id)) "
            f"FROM {table}")).one()
        return int(count), str(digest)


def untrimmed_payers(url: str) -> int:
    """How many payers' names still have leading or trailing spaces."""
    with _connect(url) as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM payers WHERE name <> btrim(name)")).scalar_one())
