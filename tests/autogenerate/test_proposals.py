"""Autogenerate's rewrite in process, against a live database: cases that need no ``alembic``
subprocess to show what is written."""

from __future__ import annotations

import sqlalchemy as sa
from proposals import propose

SETUP = ["CREATE TABLE claims (id bigint PRIMARY KEY, code varchar(20), note text)",
         "CREATE TABLE users (id bigint PRIMARY KEY)"]


def _claims(*columns: sa.Column[object], **kw: object) -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table("users", metadata, sa.Column("id", sa.BigInteger, primary_key=True))
    sa.Table("claims", metadata, sa.Column("id", sa.BigInteger, primary_key=True), *columns, **kw)
    return metadata


def test_a_model_index_marked_concurrent_goes_into_a_block(pg_url: str) -> None:
    metadata = _claims(sa.Column("code", sa.String(20)), sa.Column("note", sa.Text))
    sa.Index("ix_note", metadata.tables["claims"].c.note, postgresql_concurrently=True)
    proposal = propose(pg_url, metadata, SETUP)
    assert proposal.upgrade == (
        "with op.get_context().autocommit_block():\n"
        "    op.create_index('ix_note', 'claims', ['note'], unique=False, "
        "postgresql_concurrently=True)")


def test_one_alter_column_is_split_into_its_changes(pg_url: str) -> None:
    metadata = _claims(sa.Column("code", sa.Text, nullable=False), sa.Column("note", sa.Text))
    proposal = propose(pg_url, metadata, SETUP, compare_type=True)
    lines = proposal.upgrade.splitlines()
    assert lines[:4] == [
        "op.alter_column('claims', 'code',",
        "           existing_type=sa.VARCHAR(length=20),",
        "           type_=sa.Text(),",
        "           existing_nullable=True)"]  # binary coercible: as proposed
    assert "op.preflight_not_null('claims', 'code', protects='claims_code_not_null_check')" \
        in proposal.upgrade
    assert lines[-1] == ("op.drop_constraint(op.f('claims_code_not_null_check'), 'claims', "
                         "if_exists=True)")


def test_an_error_without_a_safe_form_is_flagged_in_the_upgrade_only(pg_url: str) -> None:
    proposal = propose(pg_url, _claims(sa.Column("code", sa.String(20))), SETUP)
    assert proposal.upgrade.splitlines()[0].startswith(
        "# alembic-safe AS502 drop-column: DROP COLUMN claims.note")
    assert proposal.upgrade.splitlines()[-1] == "op.drop_column('claims', 'note')"
    # the downgrade adds the column back: nothing to flag there
    assert proposal.downgrade == ("op.add_column('claims', sa.Column('note', sa.TEXT(), "
                                  "autoincrement=False, nullable=True))")


def test_nothing_to_make_safe_leaves_alembics_proposal_as_it_is(pg_url: str) -> None:
    metadata = _claims(sa.Column("code", sa.String(20)), sa.Column("note", sa.Text),
                       sa.Column("extra", sa.Integer))
    sa.Table("new", metadata, sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("x", sa.Text, index=True))
    proposal = propose(pg_url, metadata, SETUP)
    assert "autocommit_block" not in proposal.upgrade
    assert "alembic-safe" not in proposal.upgrade
    assert "op.create_index(op.f('ix_new_x'), 'new', ['x'], unique=False)" in proposal.upgrade


def test_the_downgrade_adds_back_what_the_upgrade_drops_in_safe_forms(pg_url: str) -> None:
    setup = ["CREATE TABLE users (id bigint PRIMARY KEY)",
             "CREATE TABLE claims (id bigint PRIMARY KEY, code text NOT NULL, user_id bigint, "
             "CONSTRAINT claims_code_key UNIQUE (code), "
             "CONSTRAINT claims_user_fk FOREIGN KEY (user_id) REFERENCES users (id))"]
    metadata = sa.MetaData()
    sa.Table("users", metadata, sa.Column("id", sa.BigInteger, primary_key=True))
    sa.Table("claims", metadata, sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("code", sa.Text, nullable=True), sa.Column("user_id", sa.BigInteger))
    proposal = propose(pg_url, metadata, setup)
    assert "autocommit_block" not in proposal.upgrade  # drops and DROP NOT NULL are quick
    down = proposal.downgrade
    for safe in ("op.create_foreign_key(op.f('claims_user_fk'), 'claims', 'users', ['user_id'], "
                 "['id'], postgresql_not_valid=True)",
                 "op.preflight_unique('claims', ['code'], protects='claims_code_key')",
                 "op.create_index(op.f('claims_code_key'), 'claims', ['code'], unique=True, "
                 "postgresql_concurrently=True)",
                 "op.validate_constraint('claims_user_fk', 'claims')",
                 "op.preflight_not_null('claims', 'code', protects="
                 "'claims_code_not_null_check')",
                 "op.add_constraint_using_index('claims_code_key', 'claims', 'claims_code_key')"):
        assert safe in down, (safe, down)


def test_a_new_not_null_column_without_a_constant_default_says_how_to_fill_it(
        pg_url: str) -> None:
    metadata = _claims(sa.Column("code", sa.String(20)), sa.Column("note", sa.Text),
                       sa.Column("region", sa.Text, nullable=False, default=lambda: "eu"))
    proposal = propose(pg_url, metadata, SETUP)
    assert ("# The model gives no constant default: fill the existing rows before the NOT NULL"
            in proposal.upgrade)
    assert ("#     alembic_safe.backfill(op.get_bind(), table='claims', set='region = ...', "
            "where='region IS NULL')") in proposal.upgrade
    assert proposal.upgrade.splitlines()[-1] == (
        "op.add_column('claims', sa.Column('region', sa.Text(), nullable=True))")
