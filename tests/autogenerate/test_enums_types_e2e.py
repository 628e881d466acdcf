"""Enum types follow the model through the alembic command: created once, before the first
column that uses them (also a column added to an existing, populated table, where plain Alembic
forgets the type); dropped after the last column that used them is gone; the downgrade mirrors
it. Each migration is applied by the runtime guard unedited, and ``alembic check`` is clean
after it."""

from __future__ import annotations

from autogen_project import Project, body
from enum_models import counts, labels, type_exists

CLAIMS = '''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    payer: Mapped[str] = mapped_column(sa.Text)
{extra}'''

KIND = '''    kind = mapped_column(sa.Enum("car", "home", "travel", name="claim_kind"),
                         nullable=True)
'''

ADD_KIND = """\
op.create_enum_type('claim_kind', ['car', 'home', 'travel'])
op.add_column('claims', sa.Column('kind', postgresql.ENUM('car', 'home', 'travel', \
name='claim_kind', create_type=False), nullable=True))"""


def _populated(project: Project) -> None:
    project.models(CLAIMS.format(extra=""))
    project.autogenerate("claims")
    project.upgrade()
    project.execute("INSERT INTO claims (payer) SELECT 'p' || g FROM generate_series(1, 2000) g")


def test_an_enum_column_added_to_a_populated_table_creates_its_type_first(
        project: Project) -> None:
    _populated(project)
    project.models(CLAIMS.format(extra=KIND))
    script = project.autogenerate("kind")
    assert body(script) == ADD_KIND
    assert body(script, "downgrade") == ("op.drop_column('claims', 'kind')\n"
                                         "op.drop_enum_type('claim_kind')")
    assert "from sqlalchemy.dialects import postgresql" in script
    project.upgrade()
    assert labels(project, "claim_kind") == ["car", "home", "travel"]
    project.execute("UPDATE claims SET kind = 'home' WHERE id <= 10")
    assert counts(project, "claims", "kind") == {"home": 10, None: 1990}
    project.check()
    project.settings(ignore=["drop-column"])  # the downgrade drops the column on purpose
    project.ok("downgrade", "-1")
    assert not type_exists(project, "claim_kind")
    assert project.scalar("SELECT count(*) FROM claims") == 2000


SHARED = '''
status = sa.Enum("new", "open", "closed", name="claim_status")


class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    status = mapped_column(status)
{more}'''

INVOICES = '''

class Invoice(Base):
    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    state = mapped_column(status)
    history = mapped_column(sa.ARRAY(status), nullable=True)
'''


def test_a_shared_enum_is_created_once_and_dropped_after_its_last_column(
        project: Project) -> None:
    project.models(SHARED.format(more=INVOICES))
    first = project.autogenerate("claims and invoices")
    assert first.count("create_enum_type") == 1
    assert body(first).startswith("op.create_enum_type('claim_status', ['new', 'open', "
                                  "'closed'])\nop.create_table('claims',")
    assert "sa.ARRAY(postgresql.ENUM('new', 'open', 'closed', name='claim_status', " \
        "create_type=False))" in first
    assert body(first, "downgrade").endswith("op.drop_enum_type('claim_status')")
    project.upgrade()
    project.execute("INSERT INTO claims (status) SELECT 'open' FROM generate_series(1, 500)",
                    "INSERT INTO invoices (state, history) SELECT 'new', '{new,open}' "
                    "FROM generate_series(1, 300)")
    project.check()
    project.settings(ignore=["drop-table"])  # dropping tables is the point here
    project.models(SHARED.format(more=""))
    dropped = project.autogenerate("no invoices")
    assert body(dropped) == "op.drop_table('invoices')"  # claims still uses the type
    project.upgrade()
    assert type_exists(project, "claim_status")
    project.check()
    project.models("")
    last = project.autogenerate("no claims")
    assert body(last) == "op.drop_table('claims')\nop.drop_enum_type('claim_status')"
    downgrade = body(last, "downgrade")
    assert downgrade.startswith("op.create_enum_type('claim_status', ['new', 'open', "
                                "'closed'])\nop.create_table('claims',")
    project.upgrade()
    assert not type_exists(project, "claim_status")
    project.check()
    project.ok("downgrade", "-1")  # the type comes back before its table
    assert labels(project, "claim_status") == ["new", "open", "closed"]
    assert project.scalar("SELECT count(*) FROM claims") == 0


def test_a_type_created_before_an_autocommit_block_is_rerunnable(project: Project) -> None:
    _populated(project)
    project.models(CLAIMS.format(extra=KIND.replace("nullable=True", "nullable=True, "
                                                    "index=True")))
    script = project.autogenerate("kind, indexed")
    assert body(script) == (
        "op.create_enum_type('claim_kind', ['car', 'home', 'travel'], if_not_exists=True)\n"
        "op.add_column('claims', sa.Column('kind', postgresql.ENUM('car', 'home', 'travel', "
        "name='claim_kind', create_type=False), nullable=True), if_not_exists=True)\n"
        "with op.get_context().autocommit_block():\n"
        "    op.create_index(op.f('ix_claims_kind'), 'claims', ['kind'], unique=False, "
        "postgresql_concurrently=True)")
    # a first run committed the type and the column, then the index build failed
    project.execute("CREATE TYPE claim_kind AS ENUM ('car', 'home', 'travel')",
                    "ALTER TABLE claims ADD COLUMN kind claim_kind")
    project.upgrade()  # the re-run passes over what exists
    assert project.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_claims_kind'")
    project.check()


def test_native_enum_false_and_create_type_false_are_left_alone(project: Project) -> None:
    project.execute("CREATE TYPE region AS ENUM ('eu', 'us')")
    models = '''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    flag = mapped_column(sa.Enum("y", "n", name="yes_no", native_enum=False), nullable=True)
    region = mapped_column(sa.Enum({regions}, name="region", create_type=False), nullable=True)
'''
    project.models(models.format(regions='"eu", "us"'))
    script = project.autogenerate("claims")
    assert "create_enum_type" not in script
    assert "sa.Column('flag', sa.Enum('y', 'n', name='yes_no', native_enum=False)" in script
    assert "postgresql.ENUM('eu', 'us', name='region', create_type=False)" in script
    project.upgrade()
    assert not type_exists(project, "yes_no")
    project.check()
    project.models(models.format(regions='"eu", "us", "apac"'))  # managed elsewhere
    project.check()
    project.execute("CREATE FUNCTION in_eu(r region) RETURNS boolean LANGUAGE sql "
                    "AS $$ SELECT r = 'eu' $$")
    project.models("")
    project.settings(ignore=["drop-table"])
    script = project.autogenerate("no claims")
    # the model no longer declares it, but a function still uses it
    assert body(script) == "op.drop_table('claims')"
    project.upgrade()
    assert type_exists(project, "region")
    project.check()


def test_a_text_column_turned_into_an_enum_gets_its_type_and_a_cast(project: Project) -> None:
    project.models(CLAIMS.format(extra="    kind = mapped_column(sa.Text, nullable=True)\n"))
    project.autogenerate("claims")
    project.upgrade()
    project.execute("INSERT INTO claims (payer, kind) SELECT 'p', (ARRAY['car', 'home'])"
                    "[1 + mod(g, 2)] FROM generate_series(1, 1000) g")
    project.models(CLAIMS.format(extra=KIND))
    script = project.autogenerate("kind enum")
    upgrade = body(script)
    assert upgrade.startswith("op.create_enum_type('claim_kind', ['car', 'home', 'travel'])\n"
                              "# alembic-safe AS205 alter-column-type: changing claims.kind "
                              "from text to claim_kind")
    assert upgrade.endswith("type_=postgresql.ENUM('car', 'home', 'travel', name='claim_kind', "
                            "create_type=False),\n           existing_nullable=True,\n"
                            "           postgresql_using='kind::text::claim_kind')")
    assert body(script, "downgrade").endswith("type_=sa.TEXT(),\n           "
                                              "existing_nullable=True)\n"
                                              "op.drop_enum_type('claim_kind')")
    refused = project.alembic("upgrade", "head")  # a rewrite: the user decides
    assert refused.returncode != 0 and "AS205 alter-column-type" in refused.stdout
    project.settings(ignore=["alter-column-type"])
    project.upgrade()
    assert counts(project, "claims", "kind") == {"car": 500, "home": 500}
    project.check()
    project.ok("downgrade", "-1")
    assert counts(project, "claims", "kind") == {"car": 500, "home": 500}
    assert not type_exists(project, "claim_kind")
