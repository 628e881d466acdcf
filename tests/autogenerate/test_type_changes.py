"""Column type changes: binary-coercible ones stay as Alembic proposes them; a rewrite stays
too (there is no safe form of the same change) but is flagged in the script with the
expand/contract alternative, and the guard refuses it."""

from __future__ import annotations

import sqlalchemy as sa
from proposals import propose

SETUP = ["CREATE TABLE claims (id bigint PRIMARY KEY, code varchar(20), amount integer)"]


def _model(code: sa.types.TypeEngine[object], amount: sa.types.TypeEngine[object]
           ) -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table("claims", metadata, sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("code", code), sa.Column("amount", amount))
    return metadata


def test_binary_coercible_changes_stay_as_proposed(pg_url: str) -> None:
    proposal = propose(pg_url, _model(sa.Text(), sa.Integer()), SETUP, compare_type=True)
    assert proposal.upgrade == (
        "op.alter_column('claims', 'code',\n"
        "           existing_type=sa.VARCHAR(length=20),\n"
        "           type_=sa.Text(),\n"
        "           existing_nullable=True)")


def test_a_rewrite_is_flagged_with_the_expand_contract_alternative(pg_url: str) -> None:
    proposal = propose(pg_url, _model(sa.String(20), sa.BigInteger()), SETUP, compare_type=True)
    lines = proposal.upgrade.splitlines()
    assert lines[:2] == [
        "# alembic-safe AS205 alter-column-type: changing claims.amount from integer to bigint",
        "# rewrites the table and its indexes under ACCESS EXCLUSIVE. The runtime guard refuses "
        "it."]
    assert "#     op.execute(\"ALTER TABLE claims ADD COLUMN amount_new bigint\")" in lines
    assert lines[-4:] == ["op.alter_column('claims', 'amount',",
                          "           existing_type=sa.INTEGER(),",
                          "           type_=sa.BigInteger(),",
                          "           existing_nullable=True)"]
