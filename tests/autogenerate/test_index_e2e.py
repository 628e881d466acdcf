"""Indexes: autogenerate writes concurrent builds and drops in autocommit blocks, the guard
applies them unedited on populated tables, and ``alembic check`` is clean."""

from __future__ import annotations

from autogen_project import Project, body

V1 = '''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.Text)
    number: Mapped[str] = mapped_column(sa.Text, index={indexed})
'''


def test_index_on_populated_table(project: Project) -> None:
    project.models(V1.format(indexed=False))
    first = project.autogenerate("claims")
    assert "autocommit_block" not in first  # a new table: plain DDL
    project.upgrade()
    project.execute("INSERT INTO claims (status, number) SELECT 'new', 'n' || g "
                    "FROM generate_series(1, 500) g")
    project.models(V1.format(indexed=True))
    script = project.autogenerate("index number")
    print(script)
    assert body(script) == (
        "with op.get_context().autocommit_block():\n"
        "    op.create_index(op.f('ix_claims_number'), 'claims', ['number'], unique=False, "
        "postgresql_concurrently=True)")
    out = project.upgrade()
    print(out)
    project.check()
