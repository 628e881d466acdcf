"""Enum values follow the model through the alembic command, on populated tables: added in
place and in the model's order (never by recreating the type), renamed from an explicit hint
inside the guard's opt-out; ``alembic check`` fails on value drift and is clean after each
migration; no row loses its value."""

from __future__ import annotations

from autogen_project import Project, body
from enum_models import counts, labels

MODEL = '''
STATUS = sa.Enum({values}, name="claim_status")


class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    status = mapped_column(STATUS, server_default="new"{info})
    history = mapped_column(sa.ARRAY(STATUS), nullable=True)
{extra}'''


def _model(values: str, info: str = "", extra: str = "") -> str:
    return MODEL.format(values=values, info=info, extra=extra)


def _populated(project: Project) -> None:
    project.models(_model('"new", "open", "closed"'))
    project.autogenerate("claims")
    project.upgrade()
    project.execute(
        "INSERT INTO claims (status, history) SELECT (ARRAY['new', 'open', 'closed'])"
        "[1 + mod(g, 3)]::claim_status, '{new,open}' FROM generate_series(1, 3000) g")


def test_values_added_at_the_start_middle_and_end_keep_the_models_order(
        project: Project) -> None:
    _populated(project)
    before = counts(project, "claims", "status")
    project.models(_model('"draft", "new", "open", "review", "escalated", "closed", '
                          '"archived"'))
    drift = project.alembic("check")
    assert drift.returncode != 0
    assert "add_enum_type_value" in drift.stdout
    script = project.autogenerate("values")
    assert body(script) == """\
with op.get_context().autocommit_block():
    op.add_enum_type_value('claim_status', 'draft', before='new')
    op.add_enum_type_value('claim_status', 'review', after='open')
    op.add_enum_type_value('claim_status', 'escalated', after='review')
    op.add_enum_type_value('claim_status', 'archived', after='closed')"""
    assert body(script, "downgrade") == """\
# alembic-safe: the downgrade leaves 'draft', 'review', 'escalated', 'archived' in enum
# claim_status: removing a value recreates the type and rewrites every column that uses it,
# and rows may hold it by now; the older application never writes it.
pass"""
    assert "sync_enum_values" not in script and "drop_enum_type" not in script
    applied = project.upgrade()
    assert "AS70" not in applied  # no warning about the transaction: there is none
    assert labels(project, "claim_status") == ["draft", "new", "open", "review", "escalated",
                                               "closed", "archived"]
    assert counts(project, "claims", "status") == before
    project.execute("UPDATE claims SET status = 'escalated', history = '{draft,archived}' "
                    "WHERE id <= 5")
    project.check()
    project.ok("downgrade", "-1")
    assert "archived" in labels(project, "claim_status")  # the values stay
    project.upgrade()  # IF NOT EXISTS: applying it again passes over them
    project.check()


def test_a_value_the_same_migration_uses_is_committed_before_it(project: Project) -> None:
    _populated(project)
    extra = '''    priority = mapped_column(STATUS, nullable=False, server_default="urgent")
'''
    project.models(_model('"new", "open", "urgent", "closed"', extra=extra))
    script = project.autogenerate("urgent")
    assert body(script) == """\
with op.get_context().autocommit_block():
    op.add_enum_type_value('claim_status', 'urgent', after='open')

op.add_column('claims', sa.Column('priority', postgresql.ENUM('new', 'open', 'urgent', \
'closed', name='claim_status', create_type=False), server_default='urgent', nullable=False))"""
    project.upgrade()
    assert counts(project, "claims", "priority") == {"urgent": 3000}
    project.check()


def test_a_rename_hint_on_the_column_renames_the_value_in_place(project: Project) -> None:
    _populated(project)
    before = counts(project, "claims", "status")
    hint = ', info={"renamed_values": {"open": "pending"}}'
    project.models(_model('"new", "pending", "closed"', info=hint))
    script = project.autogenerate("pending")
    assert "import alembic_safe" in script
    reason = "asked for by info['renamed_values'] on claims.status"
    assert body(script) == (
        f"with alembic_safe.allow('rename-enum-value', reason={reason!r}):\n"
        "    op.rename_enum_type_value('claim_status', 'open', 'pending')")
    assert body(script, "downgrade") == (
        f"with alembic_safe.allow('rename-enum-value', reason={reason!r}):\n"
        "    op.rename_enum_type_value('claim_status', 'pending', 'open')")
    linted = project.alembic("check")  # lints the pending migration: the opt-out holds
    assert "AS507" not in linted.stdout.replace("allowed AS507", "")
    applied = project.upgrade()
    assert f"AS507 (rename-enum-value) allowed by allow(): {reason}" in applied
    assert labels(project, "claim_status") == ["new", "pending", "closed"]
    assert counts(project, "claims", "status") == {
        ("pending" if value == "open" else value): n for value, n in before.items()}
    assert project.scalar("SELECT count(*) FROM claims WHERE history = '{new,pending}'") == 3000
    project.check()  # the hint stays in the model: nothing left to do
    project.ok("downgrade", "-1")
    assert labels(project, "claim_status") == ["new", "open", "closed"]


def test_a_rename_from_the_settings_with_an_added_value(project: Project) -> None:
    _populated(project)
    (project.root / "pyproject.toml").write_text(
        '[tool.alembic_safe]\nenum_renames = {"public.claim_status" = {closed = "done"}}\n')
    project.models(_model('"new", "open", "review", "done"'))
    script = project.autogenerate("done")
    reason = "asked for by enum_renames['public.claim_status'] in the settings"
    assert body(script) == (
        f"with alembic_safe.allow('rename-enum-value', reason={reason!r}):\n"
        "    op.rename_enum_type_value('claim_status', 'closed', 'done')\n\n"
        "with op.get_context().autocommit_block():\n"
        "    op.add_enum_type_value('claim_status', 'review', after='open')")
    project.upgrade()
    assert labels(project, "claim_status") == ["new", "open", "review", "done"]
    assert counts(project, "claims", "status") == {"new": 1000, "open": 1000, "done": 1000}
    project.check()


def test_names_and_values_with_quotes_and_backslashes_in_another_schema(
        project: Project) -> None:
    models = '''
STATUS = sa.Enum({values}, name='Claim "Status"\\\\x', schema="billing")


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = {{"schema": "billing"}}
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    status = mapped_column(STATUS{info})
    history = mapped_column(sa.ARRAY(STATUS), nullable=True)
'''
    project.execute("CREATE SCHEMA billing")
    first = """"new", "it's", "back\\\\slash", 'say "hi"'"""
    project.models(models.format(values=first, info=""), schemas=("billing",))
    project.autogenerate("claims")
    project.upgrade()
    type_sql = 'billing."Claim ""Status""\\x"'
    assert labels(project, type_sql) == ["new", "it's", "back\\slash", 'say "hi"']
    project.execute("INSERT INTO billing.claims (status, history) VALUES "
                    "('it''s', ARRAY['back\\slash']::billing.\"Claim \"\"Status\"\"\\x\"[]), "
                    "('back\\slash', NULL), ('say \"hi\"', NULL)")
    second = """"new", "o'k\\\\", "it's", "back\\\\slash", 'say "bye"'"""
    hint = ''', info={"renamed_values": {'say "hi"': 'say "bye"'}}'''
    project.models(models.format(values=second, info=hint), schemas=("billing",))
    script = project.autogenerate("values")
    assert "op.add_enum_type_value('Claim \"Status\"\\\\x', \"o'k\\\\\", after='new', " \
        "schema='billing')" in script
    assert "op.rename_enum_type_value('Claim \"Status\"\\\\x', 'say \"hi\"', 'say \"bye\"', " \
        "schema='billing')" in script
    project.upgrade()
    assert labels(project, type_sql) == ["new", "o'k\\", "it's", "back\\slash", 'say "bye"']
    assert counts(project, "billing.claims", "status") == {
        "it's": 1, "back\\slash": 1, 'say "bye"': 1}
    assert project.scalar("SELECT history[1]::text FROM billing.claims WHERE status = 'it''s'"
                          ) == "back\\slash"
    project.check()


def test_alembic_check_fails_on_value_order_drift(project: Project) -> None:
    _populated(project)
    project.models(_model('"open", "new", "closed"'))
    drift = project.alembic("check")
    assert drift.returncode != 0
    assert "swap_enum" in drift.stdout or "convert_enum_columns" in drift.stdout
