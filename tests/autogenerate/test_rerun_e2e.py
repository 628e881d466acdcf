"""Re-runs after a failure in the middle of an autocommit step. Alembic records a revision only
when ``upgrade()`` returns, so a re-run repeats what a block already committed: every step
autogenerate writes runs again safely, and the plain re-run finishes.

Failures are injected where they happen in production: a lock another session holds (the
concurrent drop gives up after lock_timeout), a build or validation cut off by its statement
timeout (leaving an INVALID index or a NOT VALID constraint), rows a pre-flight check
stops at, a backfill batch that fails."""

from __future__ import annotations

import importlib.util

import pytest
import sqlalchemy as sa
from autogen_project import Project

ROWS = 200_000
INDEXED = '''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(sa.Text, index={status})
    number: Mapped[str] = mapped_column(sa.Text, index={number})
{extra}'''
USERS = '''

class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(sa.Text, index={index})
'''
#: the guard passes over a re-run's statement whose object exists already, identical
RERUN_GUARD = importlib.util.find_spec("alembic_safe.runtime.rerun") is not None


def _populated(project: Project, **settings: object) -> None:
    project.models(INDEXED.format(status=True, number=False, extra=""))
    project.autogenerate("claims")
    project.upgrade()
    project.execute(f"INSERT INTO claims (status, number) SELECT 'new', 'n' || g "
                    f"FROM generate_series(1, {ROWS}) g")
    project.settings(**settings)


def _valid(project: Project, index: str) -> bool | None:
    found = project.rows(f"SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON "
                         f"c.oid = i.indexrelid WHERE c.relname = '{index}'")
    return found[0][0] if found else None


class _Writer:
    """A session with an uncommitted UPDATE of one row: it holds ROW EXCLUSIVE on the table,
    which a concurrent build waits for after it created the index (the index stays INVALID
    when the build gives up) and a concurrent drop waits for."""

    def __init__(self, project: Project, table: str = "claims", row: int = 1) -> None:
        self.engine = sa.create_engine(project.url)
        self.connection = self.engine.connect()
        self.connection.exec_driver_sql(f"UPDATE {table} SET id = id WHERE id = {row}")

    def close(self) -> None:
        self.connection.rollback()
        self.connection.close()
        self.engine.dispose()


def test_an_interrupted_concurrent_build_is_rebuilt_on_rerun(project: Project) -> None:
    _populated(project, lock_timeout="500ms", lock_retries=0)
    project.models(INDEXED.format(status=True, number=True, extra=""))
    project.autogenerate("index number")
    writer = _Writer(project)
    try:
        first = project.alembic("upgrade", "head")
    finally:
        writer.close()
    assert first.returncode != 0 and "lock_timeout (500ms) reached" in first.stdout
    assert _valid(project, "ix_claims_number") is False  # the INVALID leftover
    second = project.upgrade()
    assert "dropping the INVALID index ix_claims_number" in second
    assert _valid(project, "ix_claims_number") is True
    project.check()


def test_a_failed_backfill_and_a_blocked_drop_finish_on_rerun(project: Project) -> None:
    _populated(project, lock_timeout="500ms", lock_retries=0)
    project.execute(  # a batch fails on one row, as a deploy killed mid-backfill would
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.id = 150000 THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; "
        "END $$",
        "CREATE TRIGGER refuse BEFORE UPDATE ON claims FOR EACH ROW EXECUTE FUNCTION refuse()")
    region = ("    region: Mapped[str] = mapped_column(sa.Text, nullable=False, "
              "default='eu')\n")
    users = USERS.format(index=True)
    project.models(INDEXED.format(status=True, number=False, extra="") + users)
    project.autogenerate("users")
    project.upgrade()
    project.execute("INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 1000) g")
    project.models(INDEXED.format(status=True, number=False, extra=region)
                   + USERS.format(index=False))
    script = project.autogenerate("region, no users.email index")
    assert "if_not_exists=True" in script  # committed before the block: runs again safely
    first = project.alembic("upgrade", "head")
    assert first.returncode != 0 and "injected failure" in first.stdout
    done = project.scalar("SELECT count(*) FROM claims WHERE region = 'eu'")
    assert 0 < done < ROWS  # the batches before the failure are committed
    project.execute("DROP TRIGGER refuse ON claims")
    writer = _Writer(project, "users")  # the drop of users' index waits for it
    try:
        second = project.alembic("upgrade", "head")
    finally:
        writer.close()
    assert second.returncode != 0 and "lock_timeout (500ms) reached" in second.stdout
    assert project.scalar("SELECT count(*) FROM claims WHERE region = 'eu'") == ROWS
    project.upgrade()
    assert _valid(project, "ix_users_email") is None
    assert project.scalar("SELECT count(*) FROM claims WHERE region = 'eu'") == ROWS


CHECKED = '''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(sa.Text)
    number: Mapped[str{number}] = mapped_column(sa.Text)
{table_args}'''
CHECKS = {"autogenerate_plugins": ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"]}


@pytest.mark.skipif(not RERUN_GUARD, reason="needs the guard's re-run support "
                    "(alembic_safe.runtime.rerun): constraints added before the block exist")
def test_constraints_rerun_after_a_failed_check_and_a_lock_wait_after_the_block(
        project: Project) -> None:
    project.models(CHECKED.format(number=" | None", table_args=""), configure=CHECKS)
    project.autogenerate("claims")
    project.upgrade()
    project.execute(f"INSERT INTO claims (status, number) SELECT 'new', 'n' || g "
                    f"FROM generate_series(1, {ROWS}) g",
                    "UPDATE claims SET number = NULL WHERE id = 77")
    project.models(CHECKED.format(number="", table_args=(
        "    __table_args__ = (sa.CheckConstraint(\"status <> ''\", name='status_set'),)\n")),
                   configure=CHECKS)
    project.autogenerate("constraints")
    first = project.alembic("upgrade", "head")  # the NULL check stops it
    assert first.returncode != 0 and "row(s) with number NULL" in first.stdout
    project.execute("UPDATE claims SET number = 'n77' WHERE id = 77")
    project.settings(lock_timeout="500ms", lock_retries=0)
    # the block validates both constraints; then SET NOT NULL waits for this writer, gives up
    writer = _Writer(project)
    try:
        second = project.alembic("upgrade", "head")
    finally:
        writer.close()
    assert second.returncode != 0 and "lock_timeout (500ms) reached" in second.stdout
    project.settings()
    third = project.upgrade()  # constraints committed by the earlier runs are passed over
    assert ("constraint status_set on claims already exists, validated (the statement adds it "
            "NOT VALID): skipped (re-run)") in third
    assert project.rows("SELECT conname, convalidated FROM pg_constraint WHERE conrelid = "
                        "'claims'::regclass AND contype = 'c'") == [("status_set", True)]
    assert project.scalar("SELECT attnotnull FROM pg_attribute WHERE attname = 'number' "
                          "AND attrelid = 'claims'::regclass") is True
    project.check()
