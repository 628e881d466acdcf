"""The benchmark corpora are deterministic, parse, and apply to a real PostgreSQL database.

Run with ``pytest bench`` (the default test run covers ``tests/`` only).
"""

from __future__ import annotations

from pathlib import Path

import alembic_corpus
import pglast
import sql_corpus
import sqlalchemy as sa
from alembic import command
from alembic.config import Config


def test_sql_corpus_is_deterministic_and_sized() -> None:
    first = sql_corpus.generate(2_000, 50, seed=7)
    assert [f.text for f in first] == [f.text for f in sql_corpus.generate(2_000, 50, seed=7)]
    assert [f.text for f in first] != [f.text for f in sql_corpus.generate(2_000, 50, seed=8)]
    assert sum(f.statements for f in first) == 2_000
    assert 35 <= len(first) <= 45


def test_every_sql_statement_parses_and_is_counted() -> None:
    files = sql_corpus.generate(3_000, 50, seed=11)
    for item in files:
        assert len(pglast.parse_sql(item.text)) == item.statements, item.name
    text = "".join(f.text for f in files)
    for needle in ("CONCURRENTLY", "NOT VALID", "$body$", "BEGIN;", "UPDATE ", "/* step"):
        assert needle in text


def test_sql_corpus_applies_to_postgresql(pg_url: str, tmp_path: Path) -> None:
    paths = sql_corpus.write(tmp_path, sql_corpus.generate(1_500, 50, seed=3))
    engine = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for path in paths:  # one by one, as psql runs a file
                for statement in pglast.split(path.read_text(encoding="utf-8")):
                    conn.exec_driver_sql(statement)
            tables = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).scalar_one()
    finally:
        engine.dispose()
    assert tables > 20


def test_alembic_project_upgrades_and_downgrades(pg_url: str, tmp_path: Path) -> None:
    ini = alembic_corpus.write_project(tmp_path, migrations=40, seed=5)
    config = Config(str(ini))
    config.attributes.update(url=pg_url, guard=False)
    command.upgrade(config, "head")
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            invalid = conn.exec_driver_sql(
                "SELECT conname FROM pg_constraint WHERE NOT convalidated"
            ).scalars().all()
            indexes = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_indexes WHERE starts_with(indexname, 'ix_')"
            ).scalar_one()
        assert indexes > 5
        # every revision validates the constraints the one before added NOT VALID
        head = max((tmp_path / "migrations" / "versions").glob("*.py")).read_text()
        assert all(name in head for name in invalid)
        command.downgrade(config, "base")
        with engine.connect() as conn:
            left = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            ).scalar_one()
        assert left == 0
    finally:
        engine.dispose()
