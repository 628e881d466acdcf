"""Values removed or reordered: the type swap (new type, every column converted through its
text, old type dropped, new one renamed), written with its note, stopped by the runtime guard
(a rewrite, AS205) until the user decides, and then applied with every row keeping its value;
rows holding a removed value stop it before the rewrite; what the swap cannot carry is named."""

from __future__ import annotations

from autogen_project import Project, body
from enum_models import counts, labels

MODEL = '''
STATUS = sa.Enum({values}, name="claim_status")


class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    status = mapped_column(STATUS, server_default="new")
    history = mapped_column(sa.ARRAY(STATUS), server_default="{{new}}")


class Invoice(Base):
    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    state = mapped_column(STATUS, nullable=True)
'''

SWAP = """\
# alembic-safe AS205: enum claim_status loses 'archived' and changes the order of its
# values. PostgreSQL cannot remove or reorder enum values, so the type is swapped: a new
# type, every column converted to it, the old type dropped and the new one renamed.
# Converting rewrites claims, invoices under ACCESS EXCLUSIVE, one after the other in one
# transaction (each stays locked until it ends: AS810): the runtime guard stops it until you
# decide. Run it when the rewrite is acceptable, inside alembic_safe.allow("AS205", "AS810",
# reason=...), or keep the values in the model: an unused value costs nothing.
# Rows that still hold a removed value stop the migration before the rewrite (the pre-flight
# checks name them).
op.preflight_check('claims', "status IS NULL OR status::text NOT IN ('archived')", \
protects='the swap of enum claim_status')
op.preflight_check('claims', "history IS NULL OR NOT (history::text[] && ARRAY['archived'])", \
protects='the swap of enum claim_status')
op.preflight_check('invoices', "state IS NULL OR state::text NOT IN ('archived')", \
protects='the swap of enum claim_status')
op.create_enum_type('claim_status_new', ['open', 'new', 'closed'])
op.convert_enum_columns('claims', ['status', 'history'], 'claim_status_new', \
arrays=['history'], defaults={'status': 'new', 'history': '{new}'})
op.convert_enum_columns('invoices', ['state'], 'claim_status_new')
op.drop_enum_type('claim_status')
op.rename_enum_type('claim_status_new', 'claim_status')"""


def _populated(project: Project) -> None:
    project.models(MODEL.format(values='"new", "open", "closed", "archived"'))
    project.autogenerate("claims")
    project.upgrade()
    project.execute(
        "INSERT INTO claims (status, history) SELECT (ARRAY['new', 'open', 'closed'])"
        "[1 + mod(g, 3)]::claim_status, '{open,closed}' FROM generate_series(1, 3000) g",
        "INSERT INTO invoices (state) SELECT 'closed' FROM generate_series(1, 500)")


def _allow_rewrite(project: Project, script: str) -> None:
    """The user's decision: the rewrite is fine here."""
    (path,) = [p for p in project.versions.glob("*.py") if p.read_text() == script]
    reason = "two small tables, in the maintenance window"
    path.write_text(script + f'\nalembic_safe_allow = {{"AS205": "{reason}", '
                    f'"AS810": "{reason}"}}\n')


def test_removed_and_reordered_values_swap_the_type_once_the_user_decides(
        project: Project) -> None:
    _populated(project)
    before = counts(project, "claims", "status")
    project.models(MODEL.format(values='"open", "new", "closed"'))
    script = project.autogenerate("swap")
    assert body(script) == SWAP
    downgrade = body(script, "downgrade")
    assert downgrade.startswith("# alembic-safe AS205: enum claim_status gets its former "
                                "values back.")
    assert downgrade.endswith(
        "op.rename_enum_type('claim_status', 'claim_status_new')\n"
        "op.create_enum_type('claim_status', ['new', 'open', 'closed', 'archived'])\n"
        "op.convert_enum_columns('invoices', ['state'], 'claim_status')\n"
        "op.convert_enum_columns('claims', ['status', 'history'], 'claim_status', "
        "arrays=['history'], defaults={'status': 'new', 'history': '{new}'})\n"
        "op.drop_enum_type('claim_status_new')")
    refused = project.alembic("upgrade", "head")
    assert refused.returncode != 0
    assert "FAILED: alembic-safe refused revision" in refused.stdout
    assert "AS205 alter-column-type" in refused.stdout
    assert labels(project, "claim_status") == ["new", "open", "closed", "archived"]
    assert counts(project, "claims", "status") == before
    _allow_rewrite(project, script)
    project.upgrade()
    assert labels(project, "claim_status") == ["open", "new", "closed"]
    assert counts(project, "claims", "status") == before
    assert counts(project, "invoices", "state") == {"closed": 500}
    assert project.scalar("SELECT count(*) FROM claims WHERE history = '{open,closed}'") == 3000
    assert project.rows("SELECT column_name, column_default FROM information_schema.columns "
                        "WHERE table_name = 'claims' AND column_default IS NOT NULL "
                        "AND column_name <> 'id' ORDER BY 1") == [
        ("history", "'{new}'::claim_status[]"), ("status", "'new'::claim_status")]
    project.check()


def test_rows_holding_a_removed_value_stop_the_swap_before_the_rewrite(
        project: Project) -> None:
    _populated(project)
    project.execute("UPDATE claims SET status = 'archived' WHERE id IN (7, 8)")
    project.models(MODEL.format(values='"new", "open", "closed"'))
    script = project.autogenerate("no archived")
    _allow_rewrite(project, script)
    failed = project.alembic("upgrade", "head")
    assert failed.returncode != 0
    assert ("FAILED: alembic-safe pre-flight check: 2 row(s) violating CHECK (status IS NULL "
            "OR status::text NOT IN ('archived')) in claims would make the swap of enum "
            "claim_status fail, e.g. (id) 7; 8: fix these rows") in failed.stdout
    assert "Traceback" not in failed.stdout
    assert "archived" in labels(project, "claim_status")
    assert counts(project, "claims", "status")["archived"] == 2


def test_what_the_swap_cannot_carry_is_named_in_its_note(project: Project) -> None:
    _populated(project)
    project.execute(
        "CREATE VIEW open_claims AS SELECT id FROM claims WHERE status = 'open'",
        "CREATE FUNCTION is_open(s claim_status) RETURNS boolean LANGUAGE sql "
        "AS $$ SELECT s = 'open' $$")
    project.models(MODEL.format(values='"new", "open", "closed"'))
    script = project.autogenerate("no archived")
    assert ("# The swap fails while these use the type: function is_open(claim_status); "
            "view open_claims.\n# Drop them before it and create them again after (in this "
            "migration, with op.execute).") in body(script)
