"""Autogenerate with and without alembic-safe's plugin, on a large model.

    python bench/autogenerate_overhead.py [--tables N] [--changed N] [--rounds N] [--json FILE]

Builds a database from a model of ``--tables`` tables (columns of common types, foreign keys to
earlier tables, indexes, unique constraints), then changes the model, in two scenarios: a
usual revision (``--changed`` tables changed, default 10) and the worst case (every table
changed). The changes cycle through an index added, a foreign key added, a column made NOT
NULL, a unique constraint added, an index dropped and a NOT NULL column added with a default
(each one the plugin rewrites: the cost is the plugin's full work). Each scenario runs
autogenerate as ``alembic revision --autogenerate`` does (compare, then render the script
body), in-process, once with Alembic's own comparators and once with alembic-safe's plugin
added. Runs are interleaved after one untimed warm-up of each. Prints the median times, the
ratio (goal: under 1.15x) and the catalog queries each run sent: the plugin sends one, the
enum catalog (it treats every table as populated and asks the server nothing else), whatever
the number of tables.
The server is the embedded one, or the one ``DATABASE_URL`` names.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from guard_overhead import _server
from timing import machine, median, table, timed, write_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GOAL_RATIO = 1.15
CHANGES = ("index added", "foreign key added", "NOT NULL set", "unique added", "index dropped",
           "NOT NULL column added")


def model(tables: int, changed: int) -> sa.MetaData:
    """The model: ``tables`` tables; the first ``changed`` with the change their number
    picks."""
    metadata = sa.MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"})
    for n in range(tables):
        change = CHANGES[n % len(CHANGES)] if n < changed else ""
        columns: list[Any] = [
            sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
            sa.Column("name", sa.Text, nullable=change != "NOT NULL set"),
            sa.Column("code", sa.String(32), index=change != "index dropped",
                      unique=change == "unique added"),
            sa.Column("amount", sa.Numeric(12, 2), server_default="0", nullable=False),
            sa.Column("status", sa.Text, index=change == "index added"),
            sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        ]
        if n:
            parent = sa.ForeignKey(f"t{n - 1}.id") if change == "foreign key added" else None
            columns.append(sa.Column("parent_id", sa.BigInteger, *([parent] if parent else [])))
        if change == "NOT NULL column added":
            columns.append(sa.Column("region", sa.Text, nullable=False, server_default="eu"))
        sa.Table(f"t{n}", metadata, *columns)
    return metadata


def autogenerate(url: str, metadata: sa.MetaData, plugin: bool) -> tuple[float, int, int]:
    """(seconds, queries sent, lines of the upgrade) of one autogenerate run."""
    from alembic.autogenerate import produce_migrations, render_python_code
    from alembic.runtime.migration import MigrationContext

    from alembic_safe.autogenerate.options import with_plugin

    engine = sa.create_engine(url)
    queries = [0]
    sa.event.listen(engine, "before_cursor_execute",
                    lambda *args: queries.__setitem__(0, queries[0] + 1))
    lines = [0]
    try:
        with engine.connect() as conn:
            opts = {"target_metadata": metadata, "alembic_module_prefix": "op.",
                    "sqlalchemy_module_prefix": "sa."}
            if plugin:
                opts["autogenerate_plugins"] = with_plugin(None)

            def run() -> None:
                context = MigrationContext.configure(conn, opts=opts)
                script = produce_migrations(context, metadata)
                hook = context.opts.get("process_revision_directives")
                if hook is not None:  # as `alembic revision --autogenerate` runs it
                    hook(context, ("head",), [script])
                assert script.upgrade_ops is not None and script.downgrade_ops is not None
                code = render_python_code(script.upgrade_ops, migration_context=context)
                render_python_code(script.downgrade_ops, migration_context=context)
                lines[0] = code.count("\n")

            queries[0] = 0
            seconds = timed(run)
    finally:
        engine.dispose()
    return seconds, queries[0], lines[0]


def scenario(url: str, tables: int, changed: int, rounds: int) -> dict[str, Any]:
    """Interleaved runs with and without the plugin (after one warm-up of each)."""
    metadata = model(tables, changed)
    autogenerate(url, metadata, plugin=False)  # warm-up: imports, reflection caches
    autogenerate(url, metadata, plugin=True)
    runs: dict[bool, list[float]] = {False: [], True: []}
    queries: dict[bool, int] = {}
    lines: dict[bool, int] = {}
    for n in range(rounds):
        for plugin in ((False, True) if n % 2 == 0 else (True, False)):
            seconds, queries[plugin], lines[plugin] = autogenerate(url, metadata, plugin)
            runs[plugin].append(seconds)
    plain, safe = median(runs[False]), median(runs[True])
    print(f"\nautogenerate, {tables} tables, {changed} changed, {rounds} rounds")
    print(table([
        ["autogenerate", "median s", "runs", "catalog queries", "upgrade lines"],
        ["Alembic's comparators", f"{plain:.3f}", " ".join(f"{s:.2f}" for s in runs[False]),
         str(queries[False]), str(lines[False])],
        ["with alembic-safe", f"{safe:.3f}", " ".join(f"{s:.2f}" for s in runs[True]),
         str(queries[True]), str(lines[True])],
    ]))
    print(f"with/without: {safe / plain:.3f}x (goal under {GOAL_RATIO}x); extra catalog "
          f"queries: {queries[True] - queries[False]}")
    return {"tables": tables, "changed": changed, "plain": runs[False], "safe": runs[True],
            "ratio": safe / plain, "queries": {"plain": queries[False], "safe": queries[True]}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    server = _server()
    name = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        url = server.create_database(name)
        engine = sa.create_engine(url)
        model(args.tables, changed=0).create_all(engine)
        engine.dispose()
        print(f"changes: {', '.join(CHANGES)}")
        results = [scenario(url, args.tables, changed, args.rounds)
                   for changed in (args.changed, args.tables)]
        server.drop_database(name)
    finally:
        server.stop()
    write_json(str(args.json) if args.json else None,
               {"rounds": args.rounds, "scenarios": results, "machine": machine()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
