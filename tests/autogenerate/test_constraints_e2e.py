"""Constraints on populated tables: a unique constraint through a concurrently built unique
index, foreign keys and CHECKs added NOT VALID and validated after their transaction, each
data check run before the step it protects; applied unedited, ``alembic check`` clean."""

from __future__ import annotations

from autogen_project import Project, body

CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s",
              "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
              "ck": "ck_%(table_name)s_%(constraint_name)s"}
#: Alembic compares CHECK constraints only with this plugin of its own
CHECKS = {"autogenerate_plugins": ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"]}

MODELS = '''
class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)


class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.BigInteger{fk})
    number: Mapped[str] = mapped_column(sa.Text{unique})
    amount: Mapped[int] = mapped_column()
    __table_args__ = ({check})
'''

V1 = MODELS.format(fk="", unique="", check="")
V2 = MODELS.format(fk=", sa.ForeignKey('users.id', ondelete='SET NULL')", unique=", unique=True",
                   check="sa.CheckConstraint('amount > 0', name='amount_positive'),")

UPGRADE = """\
op.create_foreign_key(op.f('fk_claims_user_id_users'), 'claims', 'users', ['user_id'], ['id'], \
ondelete='SET NULL', postgresql_not_valid=True)
op.create_check_constraint(op.f('ck_claims_amount_positive'), 'claims', 'amount > 0', \
postgresql_not_valid=True)
with op.get_context().autocommit_block():
    op.preflight_unique('claims', ['number'], protects='uq_claims_number')
    op.create_index(op.f('uq_claims_number'), 'claims', ['number'], unique=True, \
postgresql_concurrently=True)
    op.validate_constraint('fk_claims_user_id_users', 'claims')
    op.preflight_check('claims', 'amount > 0', protects='ck_claims_amount_positive')
    op.validate_constraint('ck_claims_amount_positive', 'claims')

op.add_constraint_using_index('uq_claims_number', 'claims', 'uq_claims_number')"""


def _populated(project: Project) -> None:
    project.models(V1, convention=CONVENTION, configure=CHECKS)
    project.autogenerate("tables")
    project.upgrade()
    project.execute("INSERT INTO users SELECT g FROM generate_series(1, 50) g",
                    "INSERT INTO claims (user_id, number, amount) SELECT mod(g, 50) + 1, "
                    "'n' || g, g FROM generate_series(1, 3000) g")


def _constraints(project: Project) -> dict[str, tuple[str, bool]]:
    return {name: (kind, valid) for name, kind, valid in project.rows(
        "SELECT conname, contype, convalidated FROM pg_constraint "
        "WHERE conrelid = 'claims'::regclass AND contype NOT IN ('p', 'n')")}  # 'n': 18's NOT NULL


def test_constraints_on_a_populated_table(project: Project) -> None:
    _populated(project)
    project.models(V2, convention=CONVENTION, configure=CHECKS)
    script = project.autogenerate("constraints")
    assert body(script) == UPGRADE
    linted = project.lint()  # the written migration passes the rules lint applies
    assert linted.returncode == 0, linted.stdout
    project.upgrade()
    assert _constraints(project) == {"fk_claims_user_id_users": ("f", True),
                                     "ck_claims_amount_positive": ("c", True),
                                     "uq_claims_number": ("u", True)}
    project.check()
    project.ok("downgrade", "-1")
    assert _constraints(project) == {}
    project.upgrade()
    project.check()
