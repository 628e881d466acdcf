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


V2 = '''
class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.Text{email})


class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.Text, index={indexed})
    number: Mapped[str | None] = mapped_column(sa.Text{number})
    amount: Mapped[int | None] = mapped_column(nullable={nullable})
{extra}
'''


def test_scratch_everything(project: Project) -> None:
    conv = {"ix": "ix_%(table_name)s_%(column_0_name)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s"}
    project.models(V2.format(email="", indexed=True, number="", nullable=True, extra=""),
                   convention=conv)
    project.autogenerate("v1")
    project.upgrade()
    project.execute("INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 100) g",
                    "INSERT INTO claims (status, number, amount) SELECT 'new', 'n' || g, g "
                    "FROM generate_series(1, 500) g")
    project.models(V2.format(email=", unique=True", indexed=False, number=", unique=True",
                             nullable=False,
                             extra="    user_id: Mapped[int | None] = "
                                   "mapped_column(sa.ForeignKey('users.id'), index=True)\n"
                                   "    region: Mapped[str] = mapped_column(sa.Text, "
                                   "default='eu')\n"),
                   convention=conv)
    script = project.autogenerate("v2")
    print(script)
    out = project.alembic("upgrade", "head")
    print(out.stdout)
    out = project.alembic("check")
    print(out.stdout)
    out = project.alembic("downgrade", "-1")
    print(out.stdout)
