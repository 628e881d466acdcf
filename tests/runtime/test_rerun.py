"""Re-runs: statements whose index, constraint or enum value already exists.

Each test makes the state an earlier, killed run would have left (by hand), then runs the
migration through the real ``alembic`` command.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from runtime_project import Project

SKIPPED = "skipped (re-run)"
INDEXES = """
SELECT string_agg(pg_get_indexdef(i.indexrelid) || ' ' || i.indisvalid, E'\\n'
                  ORDER BY c.relname)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = 'public'::regnamespace AND c.relname <> 'alembic_version_pkc'
"""
# PostgreSQL 18 also lists each column's NOT NULL here (contype 'n'), alembic_version's too
CONSTRAINTS = """
SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated, E'\\n'
                  ORDER BY conname)
FROM pg_constraint
WHERE connamespace = 'public'::regnamespace AND conname <> 'alembic_version_pkc'
  AND contype <> 'n'
"""


def said(result_stderr: str, line: str) -> bool:
    return f"alembic-safe: {line}" in result_stderr.splitlines()


def autocommit(*ops: str) -> str:
    return "with op.get_context().autocommit_block():\n" + "".join(
        f"    {op}\n" for op in ops)


# ------------------------------------------------------------------------------ indexes


def test_existing_identical_indexes_are_skipped_and_new_ones_built(project: Project) -> None:
    project.execute(
        "ALTER TABLE users ADD COLUMN status varchar(20);"
        'CREATE SCHEMA billing; CREATE TABLE billing."Accounts" ("Email" text);'
        "CREATE INDEX ix_users_email ON users (email);"
        "CREATE INDEX ix_users_lower ON users (lower(email) DESC);"
        # PostgreSQL stores the predicate as ((status)::text = 'active'::text)
        "CREATE UNIQUE INDEX ix_users_active ON users (email) WHERE status = 'active';"
        "CREATE INDEX ix_users_like ON users (email) WHERE email LIKE 'a%%';"
        'CREATE INDEX "Ix_Mixed" ON billing."Accounts" ("Email")')
    before = project.scalar(INDEXES)
    project.migration("a1", autocommit(
        'op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)',
        'op.create_index("ix_users_lower", "users", [sa.text("lower(email) DESC")], '
        "postgresql_concurrently=True)",
        'op.create_index("ix_users_active", "users", ["email"], unique=True, '
        "postgresql_where=sa.text(\"status = 'active'\"), postgresql_concurrently=True)",
        'op.execute("CREATE INDEX CONCURRENTLY ix_users_like ON users (email) '
        "WHERE email LIKE 'a%'\")",
        'op.create_index("Ix_Mixed", "Accounts", ["Email"], schema="billing", '
        "postgresql_concurrently=True)",
        'op.create_index("ix_users_status", "users", ["status"], postgresql_concurrently=True)',
    ))
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    for name in ("ix_users_email", "ix_users_lower", "ix_users_active", "ix_users_like",
                 "Ix_Mixed"):
        assert said(result.stderr, f"index {name} already exists, valid and identical: "
                    f"{SKIPPED}"), result.stderr
    assert "ix_users_status" not in result.stderr
    assert project.version() == "a1"
    after = str(project.scalar(INDEXES))
    assert after.replace("CREATE INDEX ix_users_status ON public.users USING btree (status) "
                         "true\n", "") == before


def test_existing_index_skipped_inside_the_transaction_and_in_part_of_a_text(
        project: Project) -> None:
    """A transactional CREATE INDEX (an earlier CONCURRENTLY version of the migration left
    the index), and one op.execute() text of two statements, one of them existing."""
    project.execute("CREATE TABLE tags (id int, name text);"
                    "CREATE INDEX ix_users_email ON users (email);"
                    "CREATE INDEX ix_tags_name ON tags (name)")
    project.migration("a1", """
        with alembic_safe.allow("AS101", reason="users and tags are tiny"):
            op.create_index("ix_users_email", "users", ["email"])
            op.execute("CREATE INDEX ix_tags_name ON tags (name); "
                       "CREATE INDEX ix_tags_id ON tags (id)")
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert said(result.stderr, f"index ix_users_email already exists, valid and identical: "
                f"{SKIPPED}")
    assert said(result.stderr, f"index ix_tags_name already exists, valid and identical: "
                f"{SKIPPED}")
    assert project.scalar("SELECT pg_get_indexdef('ix_tags_id'::regclass)") == \
        "CREATE INDEX ix_tags_id ON public.tags USING btree (id)"
    assert project.version() == "a1"


@pytest.mark.parametrize(("existing", "wanted"), [
    ("CREATE INDEX ix_x ON users (id)", 'op.create_index("ix_x", "users", ["email"], '
     "postgresql_concurrently=True)"),
    ("CREATE INDEX ix_x ON users (email)", 'op.create_index("ix_x", "users", ["email"], '
     "unique=True, postgresql_concurrently=True)"),
    ("CREATE INDEX ix_x ON users (email) WHERE id > 1", 'op.create_index("ix_x", "users", '
     '["email"], postgresql_where=sa.text("id > 2"), postgresql_concurrently=True)'),
    ("CREATE INDEX ix_x ON users USING hash (email)", 'op.create_index("ix_x", "users", '
     '["email"], postgresql_concurrently=True)'),
    ("CREATE INDEX ix_x ON users (email) INCLUDE (id)", 'op.create_index("ix_x", "users", '
     '["email"], postgresql_concurrently=True)'),
    ("CREATE TABLE others (email text); CREATE INDEX ix_x ON others (email)",
     'op.create_index("ix_x", "users", ["email"], postgresql_concurrently=True)'),
], ids=["columns", "unique", "predicate", "method", "include", "table"])
def test_existing_index_that_differs_is_an_error_and_nothing_is_dropped(
        project: Project, existing: str, wanted: str) -> None:
    project.execute(existing)
    before = project.scalar(INDEXES)
    path = project.migration("a1", autocommit(wanted))
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED:")]
    assert len(failed) == 1
    assert failed[0].startswith(f"FAILED: alembic-safe: revision a1 ({path.resolve()}:13): "
                                "index ix_x already exists and is not what the statement "
                                "builds: it is `CREATE ")
    assert "the statement asks for `CREATE" in failed[0]
    assert "Nothing was dropped" in failed[0]
    assert project.scalar(INDEXES) == before
    assert project.version() is None


def test_invalid_index_left_before_a_transactional_build_is_an_error(project: Project) -> None:
    project.execute("INSERT INTO users VALUES (4, 'a')")
    engine = sa.create_engine(project.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.exec_driver_sql("CREATE UNIQUE INDEX CONCURRENTLY ix_users_email ON users (email)")
    engine.dispose()
    project.execute("DELETE FROM users WHERE id = 4")
    project.migration("a1", """
        with alembic_safe.allow("AS101", reason="users is tiny"):
            op.create_index("ix_users_email", "users", ["email"], unique=True)
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "index ix_users_email already exists but is INVALID" in result.stderr
    assert "run DROP INDEX CONCURRENTLY ix_users_email" in result.stderr
    assert project.scalar("SELECT NOT indisvalid FROM pg_index "
                          "WHERE indexrelid = 'ix_users_email'::regclass") is True


def test_index_name_held_by_a_table_is_an_error(project: Project) -> None:
    project.execute("CREATE TABLE ix_x (id int)")
    project.migration("a1", autocommit(
        'op.create_index("ix_x", "users", ["email"], postgresql_concurrently=True)'))
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "ix_x already exists as a table, not an index; the statement asks for " \
        "`CREATE INDEX CONCURRENTLY ix_x ON users (email)`" in result.stderr
    assert project.scalar("SELECT to_regclass('ix_x') IS NOT NULL") is True


# ------------------------------------------------------------------------------ constraints


def test_existing_identical_constraints_are_skipped(project: Project) -> None:
    project.execute(
        "ALTER TABLE users ADD COLUMN status varchar(10);"
        "CREATE TABLE orders (id int PRIMARY KEY, user_id int, payer_id int);"
        "ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY (user_id) "
        "REFERENCES users (id) NOT VALID;"
        "ALTER TABLE orders ADD CONSTRAINT fk_orders_payer FOREIGN KEY (payer_id) "
        "REFERENCES users (id) ON DELETE SET NULL;"  # validated already
        # stored as CHECK (((status)::text = ANY ((ARRAY['a'::character varying, ...
        "ALTER TABLE users ADD CONSTRAINT ck_users_status CHECK (status IN ('a', 'b')) "
        "NOT VALID;"
        "ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE (email)")
    before = project.scalar(CONSTRAINTS)
    project.migration("a1", """
        op.create_foreign_key("fk_orders_user", "orders", "users", ["user_id"], ["id"],
                              postgresql_not_valid=True)
        op.execute("ALTER TABLE orders ADD CONSTRAINT fk_orders_payer FOREIGN KEY (payer_id) "
                   "REFERENCES users ON DELETE SET NULL NOT VALID")
        op.execute("ALTER TABLE users ADD CONSTRAINT ck_users_status "
                   "CHECK (status IN ('a', 'b')) NOT VALID")
        with alembic_safe.allow("AS303", reason="users is tiny"):
            op.create_unique_constraint("uq_users_email", "users", ["email"])
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert said(result.stderr, f"constraint fk_orders_user on orders already exists, "
                f"identical: {SKIPPED}")
    assert said(result.stderr, "constraint fk_orders_payer on orders already exists, "
                f"validated (the statement adds it NOT VALID): {SKIPPED}")
    assert said(result.stderr, f"constraint ck_users_status on users already exists, "
                f"identical: {SKIPPED}")
    assert said(result.stderr, f"constraint uq_users_email on users already exists, "
                f"identical: {SKIPPED}")
    assert project.scalar(CONSTRAINTS) == before
    assert project.version() == "a1"


@pytest.mark.parametrize(("existing", "wanted"), [
    ("FOREIGN KEY (user_id) REFERENCES users (id)",
     "FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID"),
    ("FOREIGN KEY (user_id) REFERENCES users (id)",
     "FOREIGN KEY (payer_id) REFERENCES users (id) NOT VALID"),
    ("FOREIGN KEY (user_id) REFERENCES users (id)",
     "FOREIGN KEY (user_id) REFERENCES payers (id) NOT VALID"),
    ("CHECK (user_id > 0)", "CHECK (user_id > 1) NOT VALID"),
    ("CHECK (user_id > 0)", "FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID"),
], ids=["on-delete", "columns", "referenced-table", "check", "kind"])
def test_existing_constraint_that_differs_is_an_error(
        project: Project, existing: str, wanted: str) -> None:
    project.execute("CREATE TABLE payers (id int PRIMARY KEY);"
                    "CREATE TABLE orders (id int PRIMARY KEY, user_id int, payer_id int);"
                    f"ALTER TABLE orders ADD CONSTRAINT c_x {existing}")
    before = project.scalar(CONSTRAINTS)
    project.migration("a1", f'op.execute("ALTER TABLE orders ADD CONSTRAINT c_x {wanted}")')
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "constraint c_x on orders already exists and is not what the statement adds: " \
        f"it is `{existing.replace(' (id)', '(id)')}`, the statement asks for " \
        f"`ALTER TABLE orders ADD CONSTRAINT c_x {wanted}`" in result.stderr.replace(
            "((user_id > 0))", "(user_id > 0)")
    assert project.scalar(CONSTRAINTS) == before
    assert project.version() is None


def test_not_valid_leftover_when_the_statement_validates_is_an_error(project: Project) -> None:
    """Decided: validating it instead would run a scan the migration did not write; the
    error gives the command."""
    project.execute("ALTER TABLE users ADD CONSTRAINT ck_id CHECK (id > 0) NOT VALID")
    project.migration("a1", """
        with alembic_safe.allow("AS302", reason="users is tiny"):
            op.create_check_constraint("ck_id", "users", "id > 0")
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "constraint ck_id on users already exists NOT VALID and the statement adds it " \
        "validated: validate it (ALTER TABLE users VALIDATE CONSTRAINT ck_id" in result.stderr
    assert project.scalar("SELECT convalidated FROM pg_constraint "
                          "WHERE conname = 'ck_id'") is False


def test_statement_that_does_more_than_the_existing_object_is_an_error(
        project: Project) -> None:
    project.execute("ALTER TABLE users ADD CONSTRAINT ck_id CHECK (id > 0) NOT VALID")
    project.migration("a1", 'op.execute("ALTER TABLE users ADD CONSTRAINT ck_id '
                      'CHECK (id > 0) NOT VALID, ADD COLUMN age int")')
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "constraint ck_id on users already exists, but the statement does more than " \
        "create it" in result.stderr
    assert project.scalar("SELECT count(*) FROM pg_attribute WHERE attname = 'age' "
                          "AND attrelid = 'users'::regclass") == 0


def test_text_with_parameters_that_exists_in_part_is_an_error(project: Project) -> None:
    project.execute("CREATE INDEX ix_users_email ON users (email)")
    project.migration("a1", """
        with alembic_safe.allow("AS101", reason="users is tiny"):
            op.execute(sa.text("CREATE INDEX ix_users_email ON users (email); "
                               "CREATE INDEX ix_users_id ON users (id) WHERE id > :low")
                       .bindparams(low=1))
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "part of this execution already exists and part does not, and it has bound " \
        "parameters: it cannot be sent in part; send each statement on its own" in result.stderr
    assert project.scalar("SELECT to_regclass('ix_users_id')") is None


# ------------------------------------------------------------------------------ USING INDEX

ATTACH = """
with op.get_context().autocommit_block():
    op.create_index("ix_users_email", "users", ["email"], unique=True,
                    postgresql_concurrently=True)
op.execute("ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE USING INDEX ix_users_email")
"""


def test_unique_index_attached_by_an_earlier_run_is_not_built_again(project: Project) -> None:
    project.execute("CREATE UNIQUE INDEX ix_users_email ON users (email);"
                    "ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE "
                    "USING INDEX ix_users_email")
    project.migration("a1", ATTACH)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert said(result.stderr, "index ix_users_email already exists, as the index of "
                "constraint uq_users_email (ADD CONSTRAINT ... USING INDEX renamed it in an "
                f"earlier run), valid and identical: {SKIPPED}")
    assert said(result.stderr, "constraint uq_users_email on users already exists, "
                f"identical, made from index ix_users_email by an earlier run: {SKIPPED}")
    assert project.scalar("SELECT to_regclass('ix_users_email')") is None
    assert project.scalar("SELECT count(*) FROM pg_index "
                          "WHERE indrelid = 'users'::regclass") == 2  # pkey, uq_users_email


def test_unique_index_attached_to_another_constraint_later_is_built(project: Project) -> None:
    """An identical constraint exists, but the migration attaches the new index to another
    one (replacing it): the build must run."""
    project.execute("ALTER TABLE users ADD CONSTRAINT uq_old UNIQUE (email)")
    project.migration("a1", """
        with op.get_context().autocommit_block():
            op.create_index("ix_users_email", "users", ["email"], unique=True,
                            postgresql_concurrently=True)
        op.drop_constraint("uq_old", "users")
        op.execute("ALTER TABLE users ADD CONSTRAINT uq_new UNIQUE USING INDEX ix_users_email")
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert SKIPPED not in result.stderr
    assert project.scalar(CONSTRAINTS) == "uq_new UNIQUE (email) true\nusers_pkey " \
        "PRIMARY KEY (id) true"


def test_using_index_whose_index_is_the_constraint_name_is_skipped(project: Project) -> None:
    project.execute("CREATE UNIQUE INDEX uq_users_email ON users (email);"
                    "ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE "
                    "USING INDEX uq_users_email")
    project.migration("a1", ATTACH.replace("ix_users_email", "uq_users_email"))
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert said(result.stderr, "index uq_users_email already exists, valid and identical: "
                f"{SKIPPED}")
    assert said(result.stderr, "constraint uq_users_email on users already exists, "
                f"identical, on index uq_users_email: {SKIPPED}")


def test_using_index_errors(project: Project) -> None:
    """The constraint exists and the migration does not build the index: it cannot be
    compared. Both exist: USING INDEX would have consumed the index."""
    project.execute("ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE (email)")
    project.migration("a1", 'op.execute("ALTER TABLE users ADD CONSTRAINT uq_users_email '
                      'UNIQUE USING INDEX ix_users_email")')
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "constraint uq_users_email on users already exists and index ix_users_email " \
        "(USING INDEX) does not" in result.stderr

    project.execute("CREATE UNIQUE INDEX ix_users_email ON users (email)")
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "constraint uq_users_email on users already exists, and so does index " \
        "ix_users_email (USING INDEX would have renamed ix_users_email to uq_users_email)" \
        in result.stderr
    assert project.scalar("SELECT to_regclass('ix_users_email') IS NOT NULL") is True


# ------------------------------------------------------------------------------ enum values


def test_existing_enum_values_are_skipped_at_their_position(project: Project) -> None:
    project.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
    project.migration("a1", autocommit(
        "op.execute(\"ALTER TYPE mood ADD VALUE 'ok' AFTER 'sad'\")",
        "op.execute(\"ALTER TYPE mood ADD VALUE 'sad' BEFORE 'happy'\")",
        "op.execute(\"ALTER TYPE mood ADD VALUE 'happy'\")",
        "op.execute(\"ALTER TYPE mood ADD VALUE 'great'\")",
    ))
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert said(result.stderr, f"enum value 'ok' of mood already exists, AFTER 'sad': {SKIPPED}")
    assert said(result.stderr, "enum value 'sad' of mood already exists, BEFORE 'happy': "
                f"{SKIPPED}")
    assert said(result.stderr, "enum value 'happy' of mood already exists, at the end (the "
                f"statement names no position): {SKIPPED}")
    assert project.scalar("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) "
                          "FROM pg_enum WHERE enumtypid = 'mood'::regtype") == \
        "sad,ok,happy,great"


def test_existing_enum_value_elsewhere_is_an_error(project: Project) -> None:
    project.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
    project.migration("a1", autocommit("op.execute(\"ALTER TYPE mood ADD VALUE 'ok' "
                                       "BEFORE 'sad'\")"))
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "enum value 'ok' of mood already exists, but not BEFORE 'sad' as the statement " \
        "asks: the values are 'sad', 'ok', 'happy'" in result.stderr
