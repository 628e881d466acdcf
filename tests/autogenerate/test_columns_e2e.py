"""New columns whose plain form rewrites a populated table, through `alembic revision
--autogenerate` and `alembic upgrade` with the guard on: a volatile server default is written
as the column added plain, the default set for new rows and the existing rows filled in
batches; a stored computed column or an identity (another plan, not the same column) is
flagged in the script with its alternative; each applied script leaves `alembic check`
clean."""

from __future__ import annotations

from autogen_project import Project, body

MODELS = '''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    net: Mapped[int] = mapped_column(sa.Integer)
{extra}'''

TOKEN = """\
op.add_column('claims', sa.Column('token', sa.Uuid(), nullable=True), if_not_exists=True)
op.alter_column('claims', 'token',
           server_default=sa.text('gen_random_uuid()'))
with op.get_context().autocommit_block():
    alembic_safe.backfill(op.get_bind(), table='claims', set='token = gen_random_uuid()', \
where='token IS NULL')"""


def _populated(project: Project) -> None:
    project.models(MODELS.format(extra=""))
    project.autogenerate("claims")
    project.upgrade()
    project.execute("INSERT INTO claims (net) SELECT g FROM generate_series(1, 3000) g")


def test_volatile_default_is_added_then_filled_in_batches(project: Project) -> None:
    _populated(project)
    project.models(MODELS.format(extra='''\
    token = mapped_column(sa.Uuid, nullable=True, server_default=sa.text("gen_random_uuid()"))
'''))
    script = project.autogenerate("token")
    assert body(script) == TOKEN
    project.upgrade()
    assert project.scalar("SELECT count(DISTINCT token) FROM claims") == 3000
    project.execute("INSERT INTO claims (net) VALUES (0)")
    assert project.scalar("SELECT count(token) FROM claims") == 3001
    project.check()


def test_stored_computed_column_is_flagged_with_its_alternative(project: Project) -> None:
    _populated(project)
    project.models(MODELS.format(extra='''\
    double = mapped_column(sa.Integer, sa.Computed("net * 2", persisted=True))
'''))
    script = project.autogenerate("double")
    assert "# alembic-safe AS203 add-column-stored-generated:" in script
    assert "# Instead: Add a plain column and fill it in batches" in script
    assert ('#         alembic_safe.backfill(op.get_bind(), table="claims", '
            'set="double = net * 2"') in script
    assert "op.add_column('claims', sa.Column('double', sa.Integer(), sa.Computed(" in script


def test_volatile_default_not_null_is_proven_in_the_same_revision(project: Project) -> None:
    _populated(project)
    project.models(MODELS.format(extra='''\
    token = mapped_column(sa.Uuid, nullable=False, server_default=sa.text("gen_random_uuid()"))
'''))
    script = project.autogenerate("token")
    assert body(script).startswith(TOKEN)
    project.upgrade()
    assert project.scalar("SELECT attnotnull FROM pg_attribute WHERE attname = 'token' "
                          "AND attrelid = 'claims'::regclass")
    assert project.scalar("SELECT count(DISTINCT token) FROM claims") == 3000
    project.check()
