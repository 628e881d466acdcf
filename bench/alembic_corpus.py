"""A deterministic Alembic project with a long, realistic migration history.

Each revision script uses ``op.*`` calls the way a team writes them when it follows safe practice:
new tables (with identity keys, foreign keys to older tables and their indexes), nullable columns
and columns with constant server defaults, concurrent indexes inside ``autocommit_block()``,
foreign keys and checks added NOT VALID and validated by the next revision, column comments, and
seed rows in new lookup tables. Every statement is valid on PostgreSQL 13+ and applies to a fresh
database, so the same project serves the linter benchmark and the runtime guard benchmark.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

_TYPES = (
    ("sa.Text()", "''"), ("sa.Integer()", "0"), ("sa.BigInteger()", "0"),
    ("sa.Boolean()", "false"), ("sa.DateTime(timezone=True)", "now()"),
    ("sa.Numeric(12, 2)", "0"), ("postgresql.JSONB()", "'{}'::jsonb"), ("sa.Uuid()", None),
)
_NOUNS = (
    "account", "invoice", "payment", "customer", "purchase", "product", "shipment", "refund",
    "coupon", "session", "audit", "event", "ledger", "plan", "subscription", "address",
)
_WORDS = (
    "status", "amount", "label", "note", "region", "kind", "score", "source", "owner", "state",
    "currency", "priority", "channel", "version", "flag", "total", "code", "reason",
)

_SCRIPT = '''"""{message}

Revision ID: {revision}
Revises: {down_revision}
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = {revision!r}
down_revision = {down_revision!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''

_ENV = '''"""The benchmark's env.py: plain Alembic or the alembic-safe guard, same options."""
from alembic import context
from sqlalchemy import create_engine, pool

import alembic_safe

config = context.config
url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
guarded = bool(config.attributes.get("guard"))


def run_migrations_offline() -> None:
    options = {"url": url, "target_metadata": None, "literal_binds": True,
               "transaction_per_migration": True}
    if guarded:
        alembic_safe.configure(context, **options)
    else:
        context.configure(**options)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        options = {"connection": connection, "target_metadata": None,
                   "transaction_per_migration": True}
        if guarded:
            alembic_safe.configure(context, **options)
        else:
            context.configure(**options)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

_INI = """[alembic]
script_location = %(here)s/migrations
sqlalchemy.url = postgresql+psycopg://localhost/unused
"""


@dataclass
class _Table:
    name: str
    columns: list[str] = field(default_factory=list)


@dataclass
class _History:
    rng: random.Random
    tables: list[_Table] = field(default_factory=list)
    pending: list[tuple[str, str]] = field(default_factory=list)  # (table, constraint) to validate
    serial: int = 0

    def fresh(self, stem: str) -> str:
        self.serial += 1
        return f"{stem}_{self.serial}"


@dataclass
class _Script:
    up: list[str] = field(default_factory=list)
    down: list[str] = field(default_factory=list)


def _column(h: _History, name: str, *, constant_default: bool) -> str:
    typ, default = h.rng.choice(_TYPES)
    if constant_default and default is not None:
        nullable = h.rng.random() < 0.5
        return (
            f"sa.Column({name!r}, {typ}, nullable={nullable}, "
            f"server_default=sa.text({default!r}))"
        )
    return f"sa.Column({name!r}, {typ}, nullable=True)"


def _create_table(h: _History, s: _Script) -> None:
    table = _Table(h.fresh(h.rng.choice(_NOUNS)))
    cols = ["sa.Column('id', sa.BigInteger(), sa.Identity(), primary_key=True)"]
    for _ in range(h.rng.randint(2, 6)):
        name = h.fresh(h.rng.choice(_WORDS))
        cols.append(_column(h, name, constant_default=h.rng.random() < 0.4))
        table.columns.append(name)
    cols.append(
        "sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, "
        "server_default=sa.text('now()'))"
    )
    parent = h.rng.choice(h.tables) if h.tables and h.rng.random() < 0.5 else None
    if parent is not None:
        cols.append(
            f"sa.Column('{parent.name}_id', sa.BigInteger(), "
            f"sa.ForeignKey('{parent.name}.id'), nullable=True)"
        )
        table.columns.append(f"{parent.name}_id")
    inner = ",\n".join(f"        {c}" for c in cols)
    s.up.append(f"    op.create_table(\n        {table.name!r},\n{inner},\n    )")
    if parent is not None:
        ix = f"ix_{table.name}_{parent.name}_id"
        s.up.append(f"    op.create_index({ix!r}, {table.name!r}, ['{parent.name}_id'])")
    s.down.append(f"    op.drop_table({table.name!r})")
    h.tables.append(table)


def _add_column(h: _History, s: _Script) -> None:
    table = h.rng.choice(h.tables)
    name = h.fresh(h.rng.choice(_WORDS))
    column = _column(h, name, constant_default=h.rng.random() < 0.5)
    s.up.append(f"    op.add_column({table.name!r}, {column})")
    s.down.append(f"    op.drop_column({table.name!r}, {name!r})")
    table.columns.append(name)


def _concurrent_index(h: _History, s: _Script) -> None:
    table = h.rng.choice(h.tables)
    cols = h.rng.sample(table.columns, k=min(len(table.columns), h.rng.randint(1, 2)))
    if not cols:
        return
    name = h.fresh(f"ix_{table.name}")
    s.up.append(
        "    with op.get_context().autocommit_block():\n"
        f"        op.create_index({name!r}, {table.name!r}, {cols!r}, "
        "postgresql_concurrently=True, if_not_exists=True)"
    )
    s.down.append(
        "    with op.get_context().autocommit_block():\n"
        f"        op.drop_index({name!r}, table_name={table.name!r}, "
        "postgresql_concurrently=True, if_exists=True)"
    )


def _foreign_key(h: _History, s: _Script) -> None:
    child, parent = h.rng.choice(h.tables), h.rng.choice(h.tables)
    col, name = h.fresh(f"{parent.name}_ref"), h.fresh(f"fk_{child.name}")
    s.up.append(f"    op.add_column({child.name!r}, sa.Column({col!r}, sa.BigInteger()))")
    s.up.append(
        f"    op.create_foreign_key({name!r}, {child.name!r}, {parent.name!r}, [{col!r}], ['id'], "
        "postgresql_not_valid=True)"
    )
    s.down.append(f"    op.drop_column({child.name!r}, {col!r})")
    child.columns.append(col)
    h.pending.append((child.name, name))


def _check(h: _History, s: _Script) -> None:
    table = h.rng.choice(h.tables)
    col, name = h.fresh("quantity"), h.fresh(f"ck_{table.name}")
    s.up.append(f"    op.add_column({table.name!r}, sa.Column({col!r}, sa.Integer()))")
    s.up.append(
        f"    op.create_check_constraint({name!r}, {table.name!r}, "
        f"'{col} IS NULL OR {col} > 0', postgresql_not_valid=True)"
    )
    s.down.append(f"    op.drop_column({table.name!r}, {col!r})")
    table.columns.append(col)
    h.pending.append((table.name, name))


def _comment(h: _History, s: _Script) -> None:
    table = h.rng.choice(h.tables)
    if not table.columns:
        return
    col = h.rng.choice(table.columns)
    sql = f"COMMENT ON COLUMN {table.name}.{col} IS 'Kept for the billing report.'"
    s.up.append(f"    op.execute({sql!r})")


def _lookup(h: _History, s: _Script) -> None:
    name = h.fresh("lookup")
    s.up.append(
        f"    lookup = op.create_table(\n        {name!r},\n"
        "        sa.Column('code', sa.Text(), primary_key=True),\n"
        "        sa.Column('label', sa.Text(), nullable=False),\n    )"
    )
    rows = ", ".join(f"{{'code': 'c{i}', 'label': 'Label {i}'}}" for i in range(5))
    s.up.append(f"    op.bulk_insert(lookup, [{rows}])")
    s.down.append(f"    op.drop_table({name!r})")


def _script_body(h: _History, steps: int) -> _Script:
    s = _Script()
    for table, constraint in h.pending:
        s.up.append(f"    op.execute('ALTER TABLE {table} VALIDATE CONSTRAINT {constraint}')")
    h.pending = []
    for _ in range(steps):
        roll = h.rng.random()
        if not h.tables or roll < 0.2:
            _create_table(h, s)
        elif roll < 0.45:
            _add_column(h, s)
        elif roll < 0.65:
            _concurrent_index(h, s)
        elif roll < 0.75:
            _foreign_key(h, s)
        elif roll < 0.85:
            _check(h, s)
        elif roll < 0.95:
            _comment(h, s)
        else:
            _lookup(h, s)
    return s


def write_project(root: Path, migrations: int = 200, seed: int = 20261122) -> Path:
    """Write alembic.ini, migrations/env.py and ``migrations`` revision scripts under ``root``.

    Returns the path of alembic.ini. The same seed always gives the same scripts.
    """
    rng = random.Random(seed)
    h = _History(rng)
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (root / "alembic.ini").write_text(_INI, encoding="utf-8")
    (root / "migrations" / "env.py").write_text(_ENV, encoding="utf-8")
    (root / "migrations" / "script.py.mako").write_text("", encoding="utf-8")
    down: str | None = None
    for i in range(1, migrations + 1):
        revision = f"{i:04d}{rng.getrandbits(32):08x}"
        body = _script_body(h, rng.randint(3, 8))
        text = _SCRIPT.format(
            message=f"Billing schema change {i}",
            revision=revision,
            down_revision=down,
            upgrade="\n".join(body.up) or "    pass",
            downgrade="\n".join(reversed(body.down)) or "    pass",
        )
        (versions / f"{revision}_change_{i}.py").write_text(text, encoding="utf-8")
        down = revision
    return root / "alembic.ini"
