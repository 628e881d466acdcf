"""Indexes and constraints around a renamed column, in process against a live database: what
the rename makes unnecessary goes, what is named after the old name is renamed, and what
really changed stays a drop and a create, after the rename."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from alembic.util import CommandError
from proposals import propose

SETUP = [
    "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, org bigint, "
    "CONSTRAINT users_email_key UNIQUE (email))",
    "CREATE INDEX users_org_email_idx ON users (org, lower(email)) WHERE email <> ''",
    "CREATE INDEX ix_users_email ON users (email)",
    "CREATE TABLE orders (id bigint PRIMARY KEY, user_email text, "
    "CONSTRAINT hand_named_fk FOREIGN KEY (user_email) REFERENCES users (email))",
]
RENAMED = {"renamed_from": "email"}


def _model(*, unique_index: bool = False, on_delete: str | None = None) -> sa.MetaData:
    metadata = sa.MetaData()
    users = sa.Table(
        "users", metadata, sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("mail", sa.Text, nullable=False, unique=True, info=RENAMED),
        sa.Column("org", sa.BigInteger))
    sa.Index("users_org_email_idx", users.c.org, sa.func.lower(users.c.mail),
             postgresql_where=users.c.mail != "")
    sa.Index("ix_users_email", users.c.mail, unique=unique_index)
    sa.Table("orders", metadata, sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("user_email", sa.Text, sa.ForeignKey(users.c.mail, ondelete=on_delete)))
    return metadata


RENAME = """\
with alembic_safe.allow('AS506', reason="column renamed in the model: info={'renamed_from': \
'email'} on users.mail"):
    op.alter_column('users', 'email',
               new_column_name='mail')
"""


def test_what_follows_the_column_needs_nothing(pg_url: str) -> None:
    proposal = propose(pg_url, _model(), SETUP)
    # the expression index and the hand-named index keep their names (a name given by hand
    # derives from nothing); PostgreSQL's name of the unique constraint follows the column;
    # the foreign key of orders keeps pointing at it
    assert proposal.upgrade == RENAME + "\n" + (
        "op.rename_constraint('users', 'users_email_key', 'users_mail_key')")


def test_what_really_changed_is_dropped_and_created_after_the_rename(pg_url: str) -> None:
    proposal = propose(pg_url, _model(unique_index=True, on_delete="CASCADE"), SETUP)
    upgrade = proposal.upgrade
    after = upgrade[upgrade.index(RENAME) + len(RENAME):]
    assert "op." not in upgrade[:upgrade.index(RENAME)]  # the rename comes first
    # an index made unique: built anew (concurrently) under its name, the old one dropped
    assert "op.drop_index(op.f('ix_users_email'), table_name='users', " \
        "postgresql_concurrently=True" in after
    assert "op.create_index('ix_users_email', 'users', ['mail'], unique=True, " \
        "postgresql_concurrently=True)" in after
    # a foreign key with a new ON DELETE: dropped by its own name, added on the renamed column
    assert "op.drop_constraint(op.f('hand_named_fk'), 'orders', type_='foreignkey')" in after
    assert "op.create_foreign_key(op.f('orders_user_email_fkey'), 'orders', 'users', " \
        "['user_email'], ['mail'], ondelete='CASCADE', postgresql_not_valid=True)" in after


def test_autogenerate_says_what_it_renamed(pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="alembic.autogenerate.alembic_safe"):
        propose(pg_url, _model(), SETUP)
    assert ("alembic-safe: column users.email renamed to mail (column renamed in the model: "
            "info={'renamed_from': 'email'} on users.mail)") in caplog.messages


def test_a_renamed_foreign_key_column_takes_its_names_along(pg_url: str) -> None:
    metadata = sa.MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s", "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"})
    users = sa.Table("users", metadata, sa.Column("id", sa.BigInteger, primary_key=True))
    sa.Table("orders", metadata, sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("buyer_id", sa.BigInteger, sa.ForeignKey(users.c.id), index=True,
                       info={"renamed_from": "user_id"}))
    proposal = propose(pg_url, metadata, [
        "CREATE TABLE users (id bigint CONSTRAINT pk_users PRIMARY KEY)",
        "CREATE TABLE orders (id bigint CONSTRAINT pk_orders PRIMARY KEY, user_id bigint "
        "CONSTRAINT fk_orders_user_id_users REFERENCES users)",
        "CREATE INDEX ix_orders_user_id ON orders (user_id)"])
    assert proposal.upgrade == """\
with alembic_safe.allow('AS506', reason="column renamed in the model: info={'renamed_from': \
'user_id'} on orders.buyer_id"):
    op.alter_column('orders', 'user_id',
               new_column_name='buyer_id')

op.rename_index('ix_orders_user_id', 'ix_orders_buyer_id')
op.rename_constraint('orders', 'fk_orders_user_id_users', 'fk_orders_buyer_id_users')"""


def test_two_columns_renamed_from_one_is_an_error(pg_url: str) -> None:
    metadata = sa.MetaData()
    sa.Table("users", metadata, sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("mail", sa.Text, info=RENAMED), sa.Column("address", sa.Text,
                                                                 info=RENAMED))
    with pytest.raises(CommandError) as raised:
        propose(pg_url, metadata, ["CREATE TABLE users (id bigint PRIMARY KEY, email text)"])
    assert str(raised.value) == ("users.mail and users.address both say they were renamed "
                                 "from 'email': keep one hint")
