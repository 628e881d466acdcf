"""Autogenerate in process (no ``alembic`` subprocess): the operations alembic-safe proposes
for a model against a live database, rendered as Alembic renders a script's body."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext

from alembic_safe.autogenerate.directives import DOWNGRADE
from alembic_safe.autogenerate.options import with_plugin


@dataclass
class Proposal:
    upgrade: str
    downgrade: str
    upgrade_ops: ops.UpgradeOps


def _code(container: ops.OpContainer, context: MigrationContext) -> str:
    text = render_python_code(container, migration_context=context)
    kept = [line for line in text.splitlines() if not line.strip().startswith("# ###")]
    return textwrap.dedent("\n".join(line if line.startswith("    ") or not line else
                                      "    " + line for line in kept)).strip()


def propose(url: str, metadata: sa.MetaData, setup: Sequence[str] = (),
            **opts: Any) -> Proposal:
    """Run ``setup`` on the database, then autogenerate against ``metadata``."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in setup:
                conn.exec_driver_sql(statement)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "target_metadata": metadata, "autogenerate_plugins": with_plugin(None),
                "alembic_module_prefix": "op.", "sqlalchemy_module_prefix": "sa.", **opts})
            script = produce_migrations(context, metadata)
            assert script.upgrade_ops is not None and script.downgrade_ops is not None
            write = script.upgrade_ops.info.get(DOWNGRADE)
            safe = write() if write is not None else None
            down = ops.DowngradeOps(safe) if safe is not None else script.downgrade_ops
            return Proposal(_code(script.upgrade_ops, context), _code(down, context),
                            script.upgrade_ops)
    finally:
        engine.dispose()
