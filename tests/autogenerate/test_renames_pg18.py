"""PostgreSQL 18 names the NOT NULL constraint of each NOT NULL column
(``<table>_<column>_not_null``), and a rename leaves that name as it was. A migration written
for 18 (``pg_version = 18``) renames those named after the old table or column with it, as a
database created from the model would name them; one written for an older major, which must
run there too, leaves them. Through the real ``alembic`` command on a populated table."""

from __future__ import annotations

import pytest
from autogen_project import Project, body

MODELS = '''
class User(Base):
    __tablename__ = "{table}"
    __table_args__ = ({info})
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.Text)
    {name_line}
    code: Mapped[str] = mapped_column(sa.Text)
'''
NAME = "name: Mapped[str] = mapped_column(sa.Text)"
FULL_NAME = 'full_name: Mapped[str] = mapped_column(sa.Text, info={"renamed_from": "name"})'
HINT = '{"info": {"renamed_from": "users"}}'


def _models(table: str = "users", info: str = "", name_line: str = NAME) -> str:
    return MODELS.format(table=table, info=info, name_line=name_line)


def _not_null(project: Project, table: str) -> list[str]:
    return [row[0] for row in project.rows(
        "SELECT conname FROM pg_constraint WHERE contype = 'n' AND conrelid = "
        f"'{table}'::regclass ORDER BY 1")]


def _fingerprint(project: Project, table: str, name: str) -> tuple[int, str]:
    return project.rows(f"SELECT count(*), md5(string_agg(id || email || {name} || code, ',' "
                        f"ORDER BY id)) FROM {table}")[0]  # type: ignore[return-value]


@pytest.fixture
def populated(project: Project) -> Project:
    if int(project.scalar("SHOW server_version_num")) < 180000:
        pytest.skip("NOT NULL constraints with names are PostgreSQL 18's")
    project.models(_models())
    project.autogenerate("users")
    project.upgrade()
    project.execute(
        "INSERT INTO users (email, name, code) SELECT 'u' || g || '@example.com', "
        "'n' || g, 'c' || g FROM generate_series(1, 2000) g",
        # a name given by hand derives from nothing: it stays
        "ALTER TABLE users ALTER COLUMN code DROP NOT NULL",
        "ALTER TABLE users ADD CONSTRAINT code_present NOT NULL code")
    return project


def test_a_migration_for_18_renames_them_with_the_table_and_column(populated: Project) -> None:
    project = populated
    project.settings(pg_version=18)
    before = _fingerprint(project, "users", "name")
    project.models(_models("accounts", HINT, FULL_NAME))
    script = project.autogenerate("rename users")
    assert body(script) == """\
with alembic_safe.allow('AS505', reason="table renamed in the model: info={'renamed_from': \
'users'} on accounts"):
    op.rename_table('users', 'accounts')

with alembic_safe.allow('AS506', reason="column renamed in the model: info={'renamed_from': \
'name'} on accounts.full_name"):
    op.alter_column('accounts', 'name',
               new_column_name='full_name')

op.rename_constraint('accounts', 'users_pkey', 'accounts_pkey')
op.rename_constraint('accounts', 'users_id_not_null', 'accounts_id_not_null')
op.rename_constraint('accounts', 'users_email_not_null', 'accounts_email_not_null')
op.rename_constraint('accounts', 'users_name_not_null', 'accounts_full_name_not_null')
op.rename_sequence('users_id_seq', 'accounts_id_seq')"""
    project.upgrade()
    assert _fingerprint(project, "accounts", "full_name") == before
    assert _not_null(project, "accounts") == [
        "accounts_email_not_null", "accounts_full_name_not_null", "accounts_id_not_null",
        "code_present"]
    project.check()
    project.ok("downgrade", "-1")
    assert _not_null(project, "users") == [
        "code_present", "users_email_not_null", "users_id_not_null", "users_name_not_null"]
    assert _fingerprint(project, "users", "name") == before


def test_a_column_renamed_alone(populated: Project) -> None:
    project = populated
    project.settings(pg_version=18)
    project.models(_models(name_line=FULL_NAME))
    script = project.autogenerate("rename name")
    assert "op.rename_constraint('users', 'users_name_not_null', 'users_full_name_not_null')" \
        in body(script)
    project.upgrade()
    assert "users_full_name_not_null" in _not_null(project, "users")
    project.check()


def test_a_migration_for_an_older_major_leaves_them(populated: Project) -> None:
    project = populated  # pg_version left at its default, 15: written for 15
    project.models(_models("accounts", HINT, FULL_NAME))
    script = project.autogenerate("rename users")
    assert "not_null" not in script
    assert "op.rename_constraint('accounts', 'users_pkey', 'accounts_pkey')" in body(script)
    project.upgrade()
    assert _not_null(project, "accounts") == [
        "code_present", "users_email_not_null", "users_id_not_null", "users_name_not_null"]
    project.check()
