"""What a revision's upgrade created, as the unprotected-downgrade relaxation reads it, and
which tables of a statement count for the empty-table relaxation (pure analysis)."""

from __future__ import annotations

from alembic_safe.analysis import analyze
from alembic_safe.runtime.created import CreatedObjects
from alembic_safe.runtime.relaxations import tables_that_matter

UPGRADE = [
    "CREATE TABLE audit (id bigint PRIMARY KEY)",
    "CREATE TYPE mood AS ENUM ('a', 'b')",
    "ALTER TABLE users ADD COLUMN age int",
    "ALTER TABLE users RENAME COLUMN email TO mail",
    "ALTER TABLE legacy RENAME TO archive",
    "CREATE INDEX ix_users_age ON users (age)",
]


def created() -> CreatedObjects:
    return CreatedObjects.of_upgrade(((sql, True, None) for sql in UPGRADE), "public")


def covering(sql: str) -> str | None:
    (stmt,) = analyze(sql)
    return created().covering(stmt)


def test_what_the_upgrade_created_is_covered() -> None:
    assert covering("DROP TABLE audit") == "audit"
    assert covering("DROP TYPE mood") == "mood"
    assert covering("ALTER TABLE users DROP COLUMN age") == "users.age"
    assert covering("ALTER TABLE users RENAME COLUMN mail TO email") == "users.mail"
    assert covering("ALTER TABLE archive RENAME TO legacy") == "archive"
    assert covering("DROP INDEX ix_users_age") == "ix_users_age"
    assert covering("TRUNCATE audit") == "audit"
    assert covering("DELETE FROM public.audit") == "public.audit"


def test_what_was_there_before_is_not() -> None:
    assert covering("ALTER TABLE users DROP COLUMN email") is None
    assert covering("DROP TABLE users") is None
    assert covering("ALTER TABLE users DROP COLUMN age, DROP COLUMN name") is None
    assert covering("DROP TABLE audit, users") is None
    assert covering("ALTER TABLE other.audit RENAME TO x") is None
    assert covering("ALTER TABLE users ADD COLUMN x int") is None  # drops nothing


def matter(sql: str) -> list[str]:
    (stmt,) = analyze(sql)
    return [t.qualified for t in tables_that_matter(stmt, "public")]


def test_a_foreign_key_counts_the_altered_table_not_the_referenced_one() -> None:
    assert matter("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (uid) "
                  "REFERENCES users (id)") == ["orders"]
    assert matter("ALTER TABLE orders ADD COLUMN uid int REFERENCES public.users") == ["orders"]
    # a table that references itself is the altered one
    assert matter("ALTER TABLE staff ADD FOREIGN KEY (boss) REFERENCES staff (id)") == ["staff"]
    assert matter("CREATE INDEX ix ON users (email)") == ["users"]
