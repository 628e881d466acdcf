"""Table renames through the real ``alembic`` command on populated tables: the hint on the
model's table makes the drop and create a rename (the opt-out naming the hint; the primary
key, indexes, constraints, foreign keys of other tables and the serial sequence named after
the old name renamed with it; what else changed compared as for any table), applied unedited,
``alembic check`` clean, every row kept, the downgrade renaming back. In a schema of its own
with quotes, backslashes and mixed case in every name; with PostgreSQL's own names; and
without a hint: suggested, or renamed by ``renames = "auto"``."""

from __future__ import annotations

from autogen_project import Project, body

CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

MODELS = '''
class User(Base):
    __tablename__ = "{table}"
    __table_args__ = (sa.CheckConstraint("email <> ''", name="has_mail"),{info})
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.Text, unique=True)
    boss_id: Mapped[int | None] = mapped_column(sa.ForeignKey("{table}.id"))
{extra}

sa.Index(None, sa.func.lower(User.email))


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id))
'''
HINT = ' {"info": {"renamed_from": "users"}}'


def _models(table: str = "users", info: str = "", extra: str = "") -> str:
    return MODELS.format(table=table, info=info, extra=extra)


def _populated(project: Project, convention: dict[str, str] | None = CONVENTION) -> None:
    project.models(_models(), convention=convention)
    project.autogenerate("users")
    project.upgrade()
    project.execute(
        "INSERT INTO users (email) SELECT 'user' || g || '@example.com' "
        "FROM generate_series(1, 2000) g",
        "UPDATE users SET boss_id = id - 1 WHERE id > 1",
        "INSERT INTO orders (user_id) SELECT mod(g, 2000) + 1 FROM generate_series(1, 3000) g")


def _fingerprint(project: Project, table: str) -> tuple[int, str]:
    return project.rows(f"SELECT count(*), md5(string_agg(id || email || coalesce(boss_id, 0), "
                        f"',' ORDER BY id)) FROM {table}")[0]  # type: ignore[return-value]


def _names(project: Project, table: str) -> list[str]:
    return [row[0] for row in project.rows(
        "SELECT conname FROM pg_constraint WHERE contype <> 'n' AND conrelid = "  # 'n': 18's
        f"'{table}'::regclass UNION SELECT indexrelid::regclass::text FROM pg_index "
        f"WHERE indrelid = '{table}'::regclass UNION SELECT s.relname FROM pg_depend d "
        "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
        f"WHERE d.refobjid = '{table}'::regclass ORDER BY 1")]


RENAMED = """\
with alembic_safe.allow('AS505', reason="table renamed in the model: info={'renamed_from': \
'users'} on accounts"):
    op.rename_table('users', 'accounts')

op.rename_constraint('accounts', 'pk_users', 'pk_accounts')
op.rename_constraint('accounts', 'ck_users_has_mail', 'ck_accounts_has_mail')
op.rename_sequence('users_id_seq', 'accounts_id_seq')
op.rename_index('ix_users_email', 'ix_accounts_email')
op.rename_constraint('accounts', 'uq_users_email', 'uq_accounts_email')
op.rename_constraint('accounts', 'fk_users_boss_id_users', 'fk_accounts_boss_id_accounts')
op.rename_constraint('orders', 'fk_orders_user_id_users', 'fk_orders_user_id_accounts')"""


def test_a_table_renamed_in_the_model_keeps_its_rows(project: Project) -> None:
    _populated(project)
    before = _fingerprint(project, "users")
    project.models(_models("accounts", HINT), convention=CONVENTION)
    script = project.autogenerate("rename users")
    assert body(script) == RENAMED
    linted = project.lint()  # lint reads the allow() block as the guard does
    assert linted.returncode == 0, linted.stdout
    assert body(script, "downgrade") == """\
op.rename_constraint('orders', 'fk_orders_user_id_accounts', 'fk_orders_user_id_users')
op.rename_constraint('accounts', 'fk_accounts_boss_id_accounts', 'fk_users_boss_id_users')
op.rename_constraint('accounts', 'uq_accounts_email', 'uq_users_email')
op.rename_index('ix_accounts_email', 'ix_users_email')
op.rename_sequence('accounts_id_seq', 'users_id_seq')
op.rename_constraint('accounts', 'ck_accounts_has_mail', 'ck_users_has_mail')
op.rename_constraint('accounts', 'pk_accounts', 'pk_users')
with alembic_safe.allow('AS505', reason="table renamed in the model: info={'renamed_from': \
'users'} on accounts"):
    op.rename_table('accounts', 'users')"""
    out = project.upgrade()
    assert ("AS505 (rename-table) allowed by allow(): table renamed in the model: "
            "info={'renamed_from': 'users'} on accounts") in out
    assert _fingerprint(project, "accounts") == before
    assert project.scalar("SELECT count(*) FROM orders JOIN accounts "
                          "ON accounts.id = orders.user_id") == 3000
    assert _names(project, "accounts") == [
        "accounts_id_seq", "ck_accounts_has_mail", "fk_accounts_boss_id_accounts",
        "ix_accounts_email", "pk_accounts", "uq_accounts_email"]
    assert _names(project, "orders") == ["fk_orders_user_id_accounts", "orders_id_seq",
                                         "pk_orders"]
    project.execute("INSERT INTO accounts (email) VALUES ('new@example.com')")
    project.check()
    project.ok("downgrade", "-1")
    assert _names(project, "users") == [
        "ck_users_has_mail", "fk_users_boss_id_users", "ix_users_email", "pk_users",
        "uq_users_email", "users_id_seq"]
    assert project.scalar("SELECT count(*) FROM users") == 2001


def test_postgresql_names_follow_the_table(project: Project) -> None:
    _populated(project, convention=None)
    before = _fingerprint(project, "users")
    project.models(_models("accounts", HINT))
    script = project.autogenerate("rename users")
    assert body(script) == """\
with alembic_safe.allow('AS505', reason="table renamed in the model: info={'renamed_from': \
'users'} on accounts"):
    op.rename_table('users', 'accounts')

op.rename_constraint('accounts', 'users_pkey', 'accounts_pkey')
op.rename_constraint('accounts', 'users_email_key', 'accounts_email_key')
op.rename_sequence('users_id_seq', 'accounts_id_seq')
op.rename_index('ix_users_email', 'ix_accounts_email')
op.rename_constraint('accounts', 'users_boss_id_fkey', 'accounts_boss_id_fkey')"""
    project.upgrade()
    assert _fingerprint(project, "accounts") == before
    assert _names(project, "accounts") == [
        "accounts_boss_id_fkey", "accounts_email_key", "accounts_id_seq", "accounts_pkey",
        "has_mail", "ix_accounts_email"]
    assert "orders_user_id_fkey" in _names(project, "orders")  # named after orders only
    project.check()


def test_what_else_changed_comes_out_after_the_rename(project: Project) -> None:
    _populated(project)
    project.models(_models("accounts", HINT, extra=(
        '    note: Mapped[str | None]\n'
        '    created: Mapped[int | None] = mapped_column(server_default="0")\n')).replace(
        "email: Mapped[str] = mapped_column(sa.Text, unique=True)",
        'address: Mapped[str] = mapped_column(sa.Text, unique=True, '
        'info={"renamed_from": "email"})').replace("User.email", "User.address").replace(
        "\"email <> ''\"", "\"address <> ''\""), convention=CONVENTION)
    script = project.autogenerate("accounts")
    assert body(script) == """\
with alembic_safe.allow('AS505', reason="table renamed in the model: info={'renamed_from': \
'users'} on accounts"):
    op.rename_table('users', 'accounts')

with alembic_safe.allow('AS506', reason="column renamed in the model: info={'renamed_from': \
'email'} on accounts.address"):
    op.alter_column('accounts', 'email',
               new_column_name='address')

op.rename_constraint('accounts', 'pk_users', 'pk_accounts')
op.rename_constraint('accounts', 'ck_users_has_mail', 'ck_accounts_has_mail')
op.rename_sequence('users_id_seq', 'accounts_id_seq')
op.add_column('accounts', sa.Column('note', sa.String(), nullable=True))
op.add_column('accounts', sa.Column('created', sa.Integer(), server_default='0', \
nullable=True))
op.rename_index('ix_users_email', 'ix_accounts_address')
op.rename_constraint('accounts', 'uq_users_email', 'uq_accounts_address')
op.rename_constraint('accounts', 'fk_users_boss_id_users', 'fk_accounts_boss_id_accounts')
op.rename_constraint('orders', 'fk_orders_user_id_users', 'fk_orders_user_id_accounts')"""
    project.upgrade()
    assert project.scalar("SELECT count(address) FROM accounts WHERE created = 0") == 2000
    project.check()


def test_suggest_and_auto_for_a_table_with_the_same_columns(project: Project) -> None:
    _populated(project)
    before = _fingerprint(project, "users")
    project.models(_models("accounts"), convention=CONVENTION)
    suggested = body(project.autogenerate("accounts"))
    line = next(n for n, text in enumerate(
        (project.root / "models.py").read_text().splitlines(), 1) if "__table_args__" in text)
    assert f"""\
# alembic-safe: probable rename: table users is dropped below and accounts created with the
# same columns; the drop destroys the rows of users. If the table was renamed, say so in the
# model, then delete this revision and run `alembic revision --autogenerate` again: it
# renames the table and keeps its rows. The model line to change:
# models.py, line {line} (class User):
#     __table_args__ = (sa.CheckConstraint("email <> ''", name="has_mail"), {{"info": \
{{"renamed_from": "users"}}}},)
# alembic-safe AS501 drop-table""" in suggested
    assert "op.drop_table('users')" in suggested
    for path in project.versions.glob("*_accounts.py"):
        path.unlink()
    project.settings(renames="auto")
    script = project.autogenerate("accounts")
    assert body(script).startswith("""\
# alembic-safe: renames = "auto" took users -> accounts for a rename (the model has no
# renamed_from hint for it). If it is not one, autogenerate this revision again with renames
# = "suggest": the old one is then dropped and the new one added.
with alembic_safe.allow('AS505', reason='table renamed (renames = "auto"): users dropped and \
accounts created with the same columns'):
    op.rename_table('users', 'accounts')
""")
    project.upgrade()
    assert _fingerprint(project, "accounts") == before
    project.check()


def test_a_table_hint_whose_old_table_is_still_in_the_model(project: Project) -> None:
    _populated(project)
    project.models(_models() + '''

class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = {"info": {"renamed_from": "users"}}
    id: Mapped[int] = mapped_column(primary_key=True)
''', convention=CONVENTION)
    script = project.autogenerate("accounts")
    assert body(script).startswith("""\
# alembic-safe: accounts says info={'renamed_from': 'users'}, but the model still has users:
# nothing is renamed, accounts is created new.
op.create_table('accounts',""")


SCHEMA = 'Bill "ing\\'
OLD_TABLE, NEW_TABLE = 'Pay"ers\\', 'Pa"yors\\'
OLD_COLUMN, NEW_COLUMN = "E mail", 'Mail"Address\\'


def _hostile(renamed: bool) -> str:
    table, column = (NEW_TABLE, NEW_COLUMN) if renamed else (OLD_TABLE, OLD_COLUMN)
    table_info = f', "info": {{"renamed_from": {OLD_TABLE!r}}}' if renamed else ""
    column_info = f', info={{"renamed_from": {OLD_COLUMN!r}}}' if renamed else ""
    check = '"' + column.replace('"', '""') + "\" <> ''"
    return f'''
SCHEMA = {SCHEMA!r}


class Payer(Base):
    __tablename__ = {table!r}
    __table_args__ = (sa.CheckConstraint({check!r}, name='has "mail'),
                      {{"schema": SCHEMA{table_info}}})
    id: Mapped[int] = mapped_column("Id", sa.BigInteger, sa.Identity(), primary_key=True)
    email: Mapped[str] = mapped_column({column!r}, sa.Text, index=True, unique=True{column_info})


class Claim(Base):
    __tablename__ = 'Cl"aims\\\\'
    __table_args__ = {{"schema": SCHEMA}}
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    payer_email: Mapped[str | None] = mapped_column("Payer\\\\Mail", sa.ForeignKey(Payer.email))
'''


def _quoted(*names: str) -> str:
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)


def test_hostile_names_in_a_schema(project: Project) -> None:
    project.execute(f"CREATE SCHEMA {_quoted(SCHEMA)}")
    project.models(_hostile(False), schemas=(SCHEMA,), convention=CONVENTION)
    project.autogenerate("payers")
    project.upgrade()
    payers, claims = _quoted(SCHEMA, OLD_TABLE), _quoted(SCHEMA, 'Cl"aims\\')
    project.execute(
        f'INSERT INTO {payers} ("E mail") SELECT \'m\' || g FROM generate_series(1, 500) g',
        f'INSERT INTO {claims} (id, "Payer\\Mail") SELECT g, \'m\' || g '
        "FROM generate_series(1, 500) g")
    mails = project.rows(f'SELECT "Id", "E mail" FROM {payers} ORDER BY 1')
    project.models(_hostile(True), schemas=(SCHEMA,), convention=CONVENTION)
    script = project.autogenerate("rename payers")
    compile(script, "script", "exec")
    linted = project.lint()  # lint reads the allow() block as the guard does
    assert linted.returncode == 0, linted.stdout
    assert body(script) == """\
with alembic_safe.allow('AS505', reason='table renamed in the model: info={\\'renamed_from\\': \
\\'Pay"ers\\\\\\\\\\'} on Bill "ing\\\\.Pa"yors\\\\'):
    op.rename_table('Pay"ers\\\\', 'Pa"yors\\\\', schema='Bill "ing\\\\')

with alembic_safe.allow('AS506', reason='column renamed in the model: info={\\'renamed_from\\': \
\\'E mail\\'} on Bill "ing\\\\.Pa"yors\\\\.Mail"Address\\\\'):
    op.alter_column('Pa"yors\\\\', 'E mail',
               new_column_name='Mail"Address\\\\',
               schema='Bill "ing\\\\')

op.rename_constraint('Pa"yors\\\\', 'pk_Pay"ers\\\\', 'pk_Pa"yors\\\\', schema='Bill "ing\\\\')
op.rename_constraint('Pa"yors\\\\', 'ck_Pay"ers\\\\_has "mail', 'ck_Pa"yors\\\\_has "mail', \
schema='Bill "ing\\\\')
op.rename_sequence('Pay"ers\\\\_Id_seq', 'Pa"yors\\\\_Id_seq', schema='Bill "ing\\\\')
op.rename_index('ix_Bill "ing\\\\_Pay"ers\\\\_E mail', \
'ix_Bill "ing\\\\_Pa"yors\\\\_Mail"Address\\\\', schema='Bill "ing\\\\')
op.rename_constraint('Cl"aims\\\\', 'fk_Cl"aims\\\\_Payer\\\\Mail_Pay"ers\\\\', \
'fk_Cl"aims\\\\_Payer\\\\Mail_Pa"yors\\\\', schema='Bill "ing\\\\')"""
    project.upgrade()
    renamed = _quoted(SCHEMA, NEW_TABLE)
    assert project.rows(f'SELECT "Id", "Mail""Address\\" FROM {renamed} ORDER BY 1') == mails
    namespace = _quoted(SCHEMA).replace("'", "''")
    assert [row[0] for row in project.rows(
        "SELECT relname FROM pg_class WHERE relnamespace = "
        f"'{namespace}'::regnamespace ORDER BY 1")] == [
        'Cl"aims\\', 'Cl"aims\\_id_seq', 'Pa"yors\\', 'Pa"yors\\_Id_seq',
        'ix_Bill "ing\\_Pa"yors\\_Mail"Address\\', 'pk_Cl"aims\\', 'pk_Pa"yors\\']
    project.check()
    project.ok("downgrade", "-1")
    assert project.rows(f'SELECT "Id", "E mail" FROM {payers} ORDER BY 1') == mails
