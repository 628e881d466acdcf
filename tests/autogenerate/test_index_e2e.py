"""Indexes: autogenerate writes concurrent builds and drops in autocommit blocks, the guard
applies them unedited on populated tables, ``alembic check`` is clean, and the downgrade
mirrors the upgrade."""

from __future__ import annotations

from autogen_project import Project, body

V1 = '''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(sa.Text, index=True)
    number: Mapped[str] = mapped_column(sa.Text)
    code: Mapped[str] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)
'''

V2 = '''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(sa.Text)
    number: Mapped[str] = mapped_column(sa.Text, index=True)
    code: Mapped[str] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)
    __table_args__ = (
        sa.Index("ix_claims_code", "code", unique=True),
        sa.Index("ix_claims_note_lower", sa.func.lower(sa.text("note")),
                 postgresql_where=sa.text("note IS NOT NULL")),
    )
'''

UPGRADE = """\
with op.get_context().autocommit_block():
    op.drop_index(op.f('ix_claims_status'), table_name='claims', postgresql_concurrently=True, \
if_exists=True)
    op.preflight_unique('claims', ['code'], protects='ix_claims_code')
    op.create_index('ix_claims_code', 'claims', ['code'], unique=True, \
postgresql_concurrently=True)
    op.create_index('ix_claims_note_lower', 'claims', [sa.literal_column('lower(note)')], \
unique=False, postgresql_where=sa.text('note IS NOT NULL'), postgresql_concurrently=True)
    op.create_index(op.f('ix_claims_number'), 'claims', ['number'], unique=False, \
postgresql_concurrently=True)"""

DOWNGRADE = """\
with op.get_context().autocommit_block():
    op.drop_index(op.f('ix_claims_number'), table_name='claims', \
postgresql_concurrently=True, if_exists=True)
    op.drop_index('ix_claims_note_lower', table_name='claims', \
postgresql_where=sa.text('note IS NOT NULL'), postgresql_concurrently=True, if_exists=True)
    op.drop_index('ix_claims_code', table_name='claims', postgresql_concurrently=True, \
if_exists=True)
    op.create_index(op.f('ix_claims_status'), 'claims', ['status'], unique=False, \
postgresql_concurrently=True)"""


def _indexes(project: Project) -> dict[str, bool]:
    return dict(project.rows(
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = 'claims'::regclass AND NOT i.indisprimary"))


def _populated(project: Project) -> None:
    project.models(V1)
    first = project.autogenerate("claims")
    assert "autocommit_block" not in first  # a new table: plain DDL in its transaction
    project.upgrade()
    project.execute("INSERT INTO claims (status, number, code, note) SELECT 'new', 'n' || g, "
                    "'c' || g, CASE WHEN mod(g, 2) = 0 THEN 'Note' END "
                    "FROM generate_series(1, 2000) g")


def test_index_changes_on_a_populated_table(project: Project) -> None:
    _populated(project)
    project.models(V2)
    script = project.autogenerate("indexes")
    assert body(script) == UPGRADE
    assert body(script, "downgrade") == DOWNGRADE
    linted = project.lint()  # the written migration passes the rules lint applies
    assert linted.returncode == 0, linted.stdout
    project.upgrade()
    assert _indexes(project) == {"ix_claims_number": True, "ix_claims_code": True,
                                 "ix_claims_note_lower": True}
    project.check()
    project.ok("downgrade", "-1")
    assert _indexes(project) == {"ix_claims_status": True}
    project.upgrade()
    project.check()


def test_duplicates_stop_a_unique_build_before_it_starts(project: Project) -> None:
    _populated(project)
    project.execute("UPDATE claims SET code = 'dup' WHERE id IN (7, 8, 9)")
    project.models(V2)
    project.autogenerate("indexes")
    failed = project.alembic("upgrade", "head")
    assert failed.returncode != 0
    assert ("alembic-safe pre-flight check: 1 duplicate value(s) of (code) in claims would "
            "make ix_claims_code fail, e.g. (code) dup: fix these rows") in failed.stdout
    assert "Traceback" not in failed.stdout
    assert "ix_claims_code" not in _indexes(project)  # nothing was built
    project.execute("UPDATE claims SET code = 'c' || id WHERE code = 'dup'")
    project.upgrade()  # the re-run passes over what the first run committed
    project.check()
