"""Runtime guard overhead: ``alembic upgrade head`` with and without ``alembic_safe.configure``.

    python bench/guard_overhead.py [--migrations N] [--rounds N] [--json FILE] [--keep DIR]

Generates an Alembic project with a long history (``alembic_corpus``: tables, columns, concurrent
indexes in autocommit blocks, NOT VALID foreign keys and checks validated by the next revision,
seed rows) and upgrades a fresh database to head, in-process with ``alembic.command.upgrade``,
once with env.py calling ``context.configure`` (plain) and once calling
``alembic_safe.configure`` (guard). Both use the same options, ``transaction_per_migration=True``
included, so the difference is the guard's work alone. Runs are interleaved (the order alternates
every round) after one untimed warm-up of each. Prints the median times and guard/plain (goal:
under 1.05). The server is the embedded one, or the one ``DATABASE_URL`` names.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import alembic_corpus
from timing import machine, median, table, timed, write_json

GOAL_RATIO = 1.05


class UrlServer:
    """An existing server (``DATABASE_URL``): creates and drops the benchmark's databases there."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine, make_url

        parsed = make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        self._base = parsed
        self._engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
        self.url = parsed.render_as_string(hide_password=True)

    def create_database(self, name: str) -> str:
        with self._engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        return self._base.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, name: str) -> None:
        with self._engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self._engine.dispose()


def _server() -> Any:
    url = os.environ.get("DATABASE_URL")
    if url:
        return UrlServer(url)
    from alembic_safe.testing import embedded_server

    return embedded_server()


def _upgrade(server: Any, ini: Path, guard: bool) -> tuple[float, str]:
    """Seconds ``alembic upgrade head`` takes on a fresh database, and what it printed."""
    from alembic import command
    from alembic.config import Config

    name = f"bench_{uuid.uuid4().hex[:12]}"
    url = server.create_database(name)
    config = Config(str(ini))
    config.attributes.update(url=url, guard=guard)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            seconds = timed(lambda: command.upgrade(config, "head"))
    except (Exception, SystemExit) as exc:
        variant = "guard" if guard else "plain"
        raise SystemExit(
            f"the {variant} upgrade failed ({type(exc).__name__}: {exc}); its output:\n"
            + printed.getvalue()[-2000:]
        ) from None
    finally:
        server.drop_database(name)
    return seconds, printed.getvalue()


def _measure(server: Any, ini: Path, rounds: int) -> dict[str, Any]:
    _upgrade(server, ini, False)
    _, guard_output = _upgrade(server, ini, True)
    times: dict[str, list[float]] = {"plain": [], "guard": []}
    for r in range(rounds):
        order = (False, True) if r % 2 == 0 else (True, False)
        for guard in order:
            seconds, _ = _upgrade(server, ini, guard)
            times["guard" if guard else "plain"].append(seconds)
            print(f"round {r + 1}/{rounds} {'guard' if guard else 'plain'}: {seconds:.3f} s",
                  flush=True)
    return {"times": times, "guard_output_lines": len(guard_output.splitlines()),
            "guard_output_sample": guard_output.splitlines()[:5]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--migrations", type=int, default=200, help="length of the history")
    parser.add_argument("--rounds", type=int, default=5, help="timed upgrades of each variant")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    parser.add_argument("--keep", metavar="DIR", help="generate the project into DIR and keep it")
    args = parser.parse_args(argv)
    if args.migrations < 1 or args.rounds < 1:
        parser.error("--migrations and --rounds must be positive")
    server = _server()
    try:
        with tempfile.TemporaryDirectory(prefix="alembic-safe-guard-bench-") as tmp:
            root = Path(args.keep) if args.keep else Path(tmp)
            ini = alembic_corpus.write_project(root, args.migrations, args.seed)
            print(f"project: {args.migrations} migrations; server: {server.url}; "
                  f"{args.rounds} rounds after one warm-up each", flush=True)
            result = _measure(server, ini, args.rounds)
    finally:
        server.stop()
    plain, guard = median(result["times"]["plain"]), median(result["times"]["guard"])
    ratio = guard / plain
    figures = {
        "machine": machine(), "migrations": args.migrations, "rounds": args.rounds,
        **{
            variant: {"median_s": round(median(runs), 4), "runs_s": [round(t, 4) for t in runs]}
            for variant, runs in result["times"].items()
        },
        "ratio": round(ratio, 3),
        "guard_ms_per_migration": round((guard - plain) * 1000 / args.migrations, 2),
        "guard_output_lines": result["guard_output_lines"],
    }
    print()
    print(table([
        ["variant", "median s", "migrations/s", "runs (s)"],
        ["plain context.configure", f"{plain:.3f}", f"{args.migrations / plain:.1f}",
         " ".join(f"{t:.2f}" for t in result["times"]["plain"])],
        ["alembic_safe.configure", f"{guard:.3f}", f"{args.migrations / guard:.1f}",
         " ".join(f"{t:.2f}" for t in result["times"]["guard"])],
    ]))
    print(f"guard/plain: {ratio:.3f}x ({figures['guard_ms_per_migration']} ms per migration); "
          f"goal under {GOAL_RATIO}x -> {'met' if ratio < GOAL_RATIO else 'MISSED'}")
    print(f"the guard printed {result['guard_output_lines']} lines per upgrade, e.g.:")
    for line in result["guard_output_sample"]:
        print(f"    {line}")
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
