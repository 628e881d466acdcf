"""Column renames through the real ``alembic`` command on populated tables: the model's hint
makes the drop and add a rename (with the opt-out naming the hint, the indexes, constraints
and sequence named after the old name renamed with it, the column's other changes in their
safe forms), applied by the guard unedited, ``alembic check`` clean, every row and value
kept, and the downgrade renaming back. Without a hint: suggest (the default) notes the
probable rename and the model line to change, hint-only writes nothing more, auto renames."""

from __future__ import annotations

from pathlib import Path

from autogen_project import Project, body

CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

USERS = '''
class User(Base):
    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("{email} <> ''", name="has_mail"),)
    id: Mapped[int] = mapped_column({id_column}primary_key=True)
    {email_line}
    nickname: Mapped[str | None] = mapped_column(sa.String(20){nick_hint})


sa.Index(None, sa.func.lower(User.{email}))


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_email: Mapped[str | None] = mapped_column(sa.ForeignKey("users.{email}"))
'''
EMAIL = 'email: Mapped[str] = mapped_column(sa.Text, unique=True)'
RENAMED = ('email_address: Mapped[str] = mapped_column(sa.Text, unique=True, '
           'info={"renamed_from": "email"})')


def _users(email: str = "email", email_line: str = EMAIL, id_column: str = "",
           nick_hint: str = "") -> str:
    return USERS.format(email=email, email_line=email_line, id_column=id_column,
                        nick_hint=nick_hint)


def _populated(project: Project, models: str) -> None:
    project.models(models, convention=CONVENTION)
    project.autogenerate("users")
    project.upgrade()
    project.execute(
        "INSERT INTO users (email, nickname) "
        "SELECT 'user' || g || '@example.com', 'n' || g FROM generate_series(1, 2000) g",
        "INSERT INTO orders (user_email) "
        "SELECT 'user' || (mod(g, 2000) + 1) || '@example.com' FROM generate_series(1, 3000) g")


def _fingerprint(project: Project, column: str) -> tuple[int, str]:
    return project.rows(f"SELECT count(*), md5(string_agg({column}, ',' ORDER BY id)) "
                        "FROM users")[0]  # type: ignore[return-value]


def _names(project: Project, table: str) -> list[str]:
    """The table's constraints, indexes and owned sequences, by name."""
    return [row[0] for row in project.rows(
        "SELECT conname FROM pg_constraint WHERE contype <> 'n' AND conrelid = "  # 'n': 18's
        f"'{table}'::regclass UNION SELECT indexrelid::regclass::text FROM pg_index "
        f"WHERE indrelid = '{table}'::regclass UNION SELECT s.relname FROM pg_depend d "
        "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
        f"WHERE d.refobjid = '{table}'::regclass ORDER BY 1")]


HINTED = """\
with alembic_safe.allow('AS506', reason="column renamed in the model: info={'renamed_from': \
'email'} on users.email_address"):
    op.alter_column('users', 'email',
               new_column_name='email_address')

op.rename_index('ix_users_email', 'ix_users_email_address')
op.rename_constraint('users', 'uq_users_email', 'uq_users_email_address')"""


def test_a_column_renamed_in_the_model_keeps_its_data(project: Project) -> None:
    _populated(project, _users(id_column=""))
    before = _fingerprint(project, "email")
    project.models(_users("email_address", RENAMED), convention=CONVENTION)
    script = project.autogenerate("rename email")
    assert "import alembic_safe" in script
    assert body(script) == HINTED
    linted = project.lint()  # lint reads the allow() block as the guard does
    assert linted.returncode == 0, linted.stdout
    assert body(script, "downgrade") == """\
op.rename_constraint('users', 'uq_users_email_address', 'uq_users_email')
op.rename_index('ix_users_email_address', 'ix_users_email')
with alembic_safe.allow('AS506', reason="column renamed in the model: info={'renamed_from': \
'email'} on users.email_address"):
    op.alter_column('users', 'email_address',
               new_column_name='email')"""
    out = project.upgrade()
    assert ("AS506 (rename-column) allowed by allow(): column renamed in the model: "
            "info={'renamed_from': 'email'} on users.email_address") in out
    assert _fingerprint(project, "email_address") == before
    assert project.scalar("SELECT count(*) FROM orders JOIN users "
                          "ON users.email_address = orders.user_email") == 3000
    assert _names(project, "users") == ["ck_users_has_mail", "ix_users_email_address",
                                        "pk_users", "uq_users_email_address", "users_id_seq"]
    assert "fk_orders_user_email_users" in _names(project, "orders")
    project.check()
    project.ok("downgrade", "-1")
    assert _fingerprint(project, "email") == before
    assert _names(project, "users") == ["ck_users_has_mail", "ix_users_email", "pk_users",
                                        "uq_users_email", "users_id_seq"]


def test_alembic_check_reports_a_rename_the_model_asks_for(project: Project) -> None:
    _populated(project, _users())
    project.models(_users("email_address", RENAMED), convention=CONVENTION)
    pending = project.alembic("check")
    assert pending.returncode != 0
    assert "('rename_column', None, 'users', 'email', 'email_address')" in pending.stdout
    assert "('rename_index', None, 'ix_users_email', 'ix_users_email_address')" in \
        pending.stdout


def test_the_sequence_of_a_renamed_serial_column_follows_it(project: Project) -> None:
    _populated(project, _users())
    project.models(_users().replace(
        "id: Mapped[int] = mapped_column(primary_key=True)\n    email",
        'id: Mapped[int] = mapped_column("user_id", primary_key=True, '
        'info={"renamed_from": "id"})\n    email'), convention=CONVENTION)
    script = project.autogenerate("rename id")
    assert body(script) == """\
with alembic_safe.allow('AS506', reason="column renamed in the model: info={'renamed_from': \
'id'} on users.user_id"):
    op.alter_column('users', 'id',
               new_column_name='user_id')

op.rename_sequence('users_id_seq', 'users_user_id_seq')"""
    project.upgrade()
    project.execute("INSERT INTO users (email) VALUES ('new@example.com')")
    assert project.scalar("SELECT max(user_id) FROM users") == 2001
    assert "users_user_id_seq" in _names(project, "users")
    project.check()


def test_the_renamed_columns_other_changes_come_in_their_safe_forms(project: Project) -> None:
    _populated(project, _users())
    before = project.rows("SELECT id, nickname FROM users ORDER BY id")
    project.models(_users(nick_hint=', info={"renamed_from": "nickname"}').replace(
        "nickname: Mapped[str | None] = mapped_column(sa.String(20)",
        "handle: Mapped[str] = mapped_column(sa.Text"), convention=CONVENTION)
    script = project.autogenerate("rename nickname")
    assert body(script) == """\
# alembic-safe: this commits before the autocommit block below; if the block fails, a re-run
# stops here (it exists already): undo it by hand, or move the block to a revision of its
# own, before running again
with alembic_safe.allow('AS506', reason="column renamed in the model: info={'renamed_from': \
'nickname'} on users.handle"):
    op.alter_column('users', 'nickname',
               new_column_name='handle')

op.alter_column('users', 'handle',
           existing_type=sa.VARCHAR(length=20),
           type_=sa.Text(),
           existing_nullable=True)
op.create_check_constraint(op.f('users_handle_not_null_check'), 'users', 'handle IS NOT NULL', \
postgresql_not_valid=True)
with op.get_context().autocommit_block():
    op.preflight_not_null('users', 'handle', protects='users_handle_not_null_check')
    op.validate_constraint('users_handle_not_null_check', 'users')

op.alter_column('users', 'handle',
           existing_type=sa.VARCHAR(length=20),
           nullable=False)
op.drop_constraint(op.f('users_handle_not_null_check'), 'users', if_exists=True)"""
    project.upgrade()
    assert project.rows("SELECT id, handle FROM users ORDER BY id") == before
    assert project.scalar("SELECT format_type(atttypid, atttypmod) || ' ' || attnotnull "
                          "FROM pg_attribute WHERE attrelid = 'users'::regclass "
                          "AND attname = 'handle'") == "text true"
    project.check()


def _model_line(project: Project, text: str) -> int:
    lines = (project.root / "models.py").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


SUGGESTION = """\
# alembic-safe: probable rename: users.nickname is dropped below and users.handle added, of
# a compatible type and nullability; the drop destroys the data of users.nickname. If the
# column was renamed, say so in the model, then delete this revision and run `alembic
# revision --autogenerate` again: it renames the column and keeps its data. The model line
# to change:
# models.py, line {line} (class User):
#     handle: Mapped[str | None] = mapped_column(sa.String(20), info={{"renamed_from": \
"nickname"}})
# alembic-safe AS502 drop-column: DROP COLUMN users.nickname breaks code still using it and
# destroys its data. The runtime guard refuses it.
# Instead: Remove nickname from the model and deploy first; then drop it in a later
# migration with an opt-out reason
op.drop_column('users', 'nickname')"""


def _handle(project: Project) -> None:
    project.models(_users().replace("nickname:", "handle:"), convention=CONVENTION)


def test_suggest_mode_notes_the_probable_rename_and_the_model_line(project: Project) -> None:
    _populated(project, _users())
    before = project.rows("SELECT id, nickname FROM users ORDER BY id")
    _handle(project)
    script = project.autogenerate("handle")
    line = _model_line(project, "handle: Mapped")
    assert body(script) == "op.add_column('users', sa.Column('handle', sa.String(length=20), " \
        "nullable=True))\n" + SUGGESTION.format(line=line)
    refused = project.alembic("upgrade", "head")  # the drop destroys data: refused
    assert refused.returncode != 0
    assert "AS502 drop-column" in refused.stdout
    assert project.rows("SELECT id, nickname FROM users ORDER BY id") == before


def test_hint_only_mode_writes_nothing_more(project: Project) -> None:
    _populated(project, _users())
    project.settings(renames="auto")  # the keyword of alembic_safe.configure wins
    project.models(_users().replace("nickname:", "handle:"), convention=CONVENTION,
                   configure={"renames": "hint-only"})
    script = project.autogenerate("handle")
    assert body(script) == "op.add_column('users', sa.Column('handle', sa.String(length=20), " \
        "nullable=True))\n" + SUGGESTION.split("\n", 7)[-1]


def test_auto_mode_renames_a_probable_pair(project: Project) -> None:
    _populated(project, _users())
    before = _fingerprint(project, "email")
    project.settings(renames="auto")
    project.models(_users("email_address", EMAIL.replace("email:", "email_address:")),
                   convention=CONVENTION)
    script = project.autogenerate("email address")
    assert body(script) == """\
# alembic-safe: renames = "auto" took users.email -> users.email_address for a rename (the
# model has no renamed_from hint for it). If it is not one, autogenerate this revision again
# with renames = "suggest": the old one is then dropped and the new one added.
with alembic_safe.allow('AS506', reason='column renamed (renames = "auto"): users.email \
dropped and users.email_address added with a compatible type and nullability'):
    op.alter_column('users', 'email',
               new_column_name='email_address')

op.rename_index('ix_users_email', 'ix_users_email_address')
op.rename_constraint('users', 'uq_users_email', 'uq_users_email_address')"""
    assert project.lint().returncode == 0
    project.upgrade()
    assert _fingerprint(project, "email_address") == before
    project.check()


def test_what_is_not_probable_stays_a_drop_and_an_add(project: Project) -> None:
    _populated(project, _users())
    project.settings(renames="auto")
    # two columns dropped, two added: which is which is not told by the model
    project.models(_users("email_address", EMAIL.replace("email:", "email_address:")).replace(
        "nickname:", "handle:"), convention=CONVENTION)
    script = project.autogenerate("two at once")
    assert "alembic_safe.allow" not in script and "probable rename" not in script
    (project.versions / next(p.name for p in project.versions.glob("*two_at_once.py"))).unlink()
    # an integer where text was: not the same values
    project.models(_users().replace("nickname: Mapped[str | None] = mapped_column(sa.String(20)",
                                    "rank: Mapped[int | None] = mapped_column(sa.Integer"),
                   convention=CONVENTION)
    script = project.autogenerate("rank")
    assert "alembic_safe.allow" not in script and "probable rename" not in script


def test_a_hint_naming_no_dropped_column_is_noted(project: Project) -> None:
    _populated(project, _users())
    project.models(_users(nick_hint="").replace(
        "    nickname:", '    alias: Mapped[str | None] = mapped_column(info={"renamed_from": '
        '"nick"})\n    nickname:'), convention=CONVENTION)
    script = project.autogenerate("alias")
    assert body(script) == """\
# alembic-safe: users.alias says info={'renamed_from': 'nick'}, but the database has no
# column users.nick: nothing is renamed, users.alias is added new.
op.add_column('users', sa.Column('alias', sa.String(), nullable=True))"""


def test_a_hint_that_is_not_a_name_stops_autogenerate_with_one_line(project: Project) -> None:
    _populated(project, _users())
    project.models(_users("email_address", RENAMED.replace('"email"', "3")),
                   convention=CONVENTION)
    failed = project.alembic("revision", "--autogenerate", "-m", "bad hint")
    assert failed.returncode != 0
    assert ("FAILED: users.email_address: info['renamed_from'] must be the old name as a "
            "non-empty string, got 3") in failed.stdout
    assert "Traceback" not in failed.stdout
    assert list(Path(project.versions).glob("*bad_hint.py")) == []
