"""NOT NULL on populated tables: an existing column through a validated CHECK; a new column
written as the expand revision (nullable, filled by a batched backfill) whose NOT NULL the
next autogenerate writes as the contract revision; a constant server default in one step."""

from __future__ import annotations

import pytest
from autogen_project import Project, body

MODELS = '''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    payer: Mapped[str{payer_type}] = mapped_column(sa.Text, nullable={payer_nullable})
{extra}'''

V1 = MODELS.format(payer_type=" | None", payer_nullable=True, extra="")

SET_NOT_NULL = """\
op.create_check_constraint(op.f('claims_payer_not_null_check'), 'claims', 'payer IS NOT NULL', \
postgresql_not_valid=True)
with op.get_context().autocommit_block():
    op.preflight_not_null('claims', 'payer', protects='claims_payer_not_null_check')
    op.validate_constraint('claims_payer_not_null_check', 'claims')

op.alter_column('claims', 'payer',
           existing_type=sa.TEXT(),
           nullable=False)
op.drop_constraint(op.f('claims_payer_not_null_check'), 'claims', if_exists=True)"""

EXPAND = """\
# alembic-safe AS201: claims.region is added nullable: NOT NULL would fail on the rows the
# table has and reject the inserts of the application version still running.
# The backfill below fills the existing rows with the model's default.
# Once the application writes the column, run `alembic revision --autogenerate` again: it
# writes the NOT NULL revision, as:
#     op.create_check_constraint("claims_region_not_null_check", "claims", \
"region IS NOT NULL", postgresql_not_valid=True)
#     with op.get_context().autocommit_block():
#         op.preflight_not_null("claims", "region", protects="claims_region_not_null_check")
#         op.validate_constraint("claims_region_not_null_check", "claims")
#     op.alter_column("claims", "region", nullable=False)
#     op.drop_constraint("claims_region_not_null_check", "claims", if_exists=True)
op.add_column('claims', sa.Column('region', sa.String(length=8), nullable=True), \
if_not_exists=True)
with op.get_context().autocommit_block():
    alembic_safe.backfill(op.get_bind(), table='claims', set="region = 'eu'", \
where='region IS NULL')"""

CONTRACT = """\
op.create_check_constraint(op.f('claims_region_not_null_check'), 'claims', \
'region IS NOT NULL', postgresql_not_valid=True)
with op.get_context().autocommit_block():
    op.preflight_not_null('claims', 'region', protects='claims_region_not_null_check')
    op.validate_constraint('claims_region_not_null_check', 'claims')

op.alter_column('claims', 'region',
           existing_type=sa.VARCHAR(length=8),
           nullable=False)
op.drop_constraint(op.f('claims_region_not_null_check'), 'claims', if_exists=True)"""


def _populated(project: Project) -> None:
    project.models(V1)
    project.autogenerate("claims")
    project.upgrade()
    project.execute("INSERT INTO claims (payer) SELECT 'p' || g FROM generate_series(1, 3000) g")


def _not_null(project: Project, column: str) -> bool:
    return bool(project.scalar(
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'claims'::regclass "
        f"AND attname = '{column}'"))


def test_not_null_on_an_existing_column(project: Project) -> None:
    _populated(project)
    project.models(MODELS.format(payer_type="", payer_nullable=False, extra=""))
    script = project.autogenerate("payer not null")
    assert body(script) == SET_NOT_NULL
    assert body(script, "downgrade") == ("op.alter_column('claims', 'payer',\n"
                                         "           existing_type=sa.TEXT(),\n"
                                         "           nullable=True)")
    project.upgrade()
    assert _not_null(project, "payer")
    assert project.rows("SELECT conname FROM pg_constraint WHERE conrelid = "
                        "'claims'::regclass AND contype = 'c'") == []
    project.check()
    project.ok("downgrade", "-1")
    assert not _not_null(project, "payer")


def test_not_null_on_postgresql_18_is_its_own_not_valid_constraint(project: Project) -> None:
    if int(project.scalar("SHOW server_version_num")) < 180000:
        pytest.skip("NOT NULL ... NOT VALID is PostgreSQL 18's")
    project.settings(pg_version=18)
    _populated(project)
    project.models(MODELS.format(payer_type="", payer_nullable=False, extra=""))
    script = project.autogenerate("payer not null")
    assert "op.add_not_null_constraint('claims_payer_not_null', 'claims', 'payer', " \
        "not_valid=True)" in body(script)
    assert "op.validate_constraint('claims_payer_not_null', 'claims')" in body(script)
    assert project.lint().returncode == 0
    project.upgrade()
    assert _not_null(project, "payer")
    project.check()


def test_nulls_stop_not_null_before_the_validation(project: Project) -> None:
    _populated(project)
    project.execute("UPDATE claims SET payer = NULL WHERE id = 42")
    project.models(MODELS.format(payer_type="", payer_nullable=False, extra=""))
    project.autogenerate("payer not null")
    failed = project.alembic("upgrade", "head")
    assert failed.returncode != 0
    assert ("FAILED: alembic-safe pre-flight check: 1 row(s) with payer NULL in claims would "
            "make claims_payer_not_null_check fail, e.g. (id) 42: fix these rows") in failed.stdout
    assert not _not_null(project, "payer")


def test_new_not_null_column_expand_then_contract(project: Project) -> None:
    _populated(project)
    region = ("    region: Mapped[str] = mapped_column(sa.String(8), nullable=False, "
              "default='eu')\n")
    project.models(MODELS.format(payer_type=" | None", payer_nullable=True, extra=region))
    expand = project.autogenerate("region")
    assert "import alembic_safe" in expand
    assert body(expand) == EXPAND
    assert body(expand, "downgrade") == "op.drop_column('claims', 'region')"
    project.upgrade()
    assert project.scalar("SELECT count(*) FROM claims WHERE region = 'eu'") == 3000
    assert not _not_null(project, "region")
    pending = project.alembic("check")  # the NOT NULL the model asks for is still to come
    assert pending.returncode != 0
    assert "modify_nullable" in pending.stdout
    project.execute("INSERT INTO claims (payer, region) VALUES ('new app', 'us')")
    contract = project.autogenerate("region not null")
    assert body(contract) == CONTRACT
    project.upgrade()
    assert _not_null(project, "region")
    project.check()


def test_new_not_null_column_with_a_constant_server_default_is_one_step(project: Project
                                                                        ) -> None:
    _populated(project)
    region = ("    region: Mapped[str] = mapped_column(sa.Text, nullable=False, "
              "server_default='eu')\n")
    project.models(MODELS.format(payer_type=" | None", payer_nullable=True, extra=region))
    script = project.autogenerate("region")
    assert body(script) == ("op.add_column('claims', sa.Column('region', sa.Text(), "
                            "server_default='eu', nullable=False))")
    project.upgrade()
    assert _not_null(project, "region")
    project.check()
