"""``alembic-safe lint PATH...``: lint .sql files and Alembic migration scripts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from alembic_safe.checking import has_errors
from alembic_safe.cli.registry import USAGE_ERROR, Command, register
from alembic_safe.config import NEWEST_PG, OLDEST_PG, load_settings, merge
from alembic_safe.errors import UsageError
from alembic_safe.lint import changed_files, collect, lint_files
from alembic_safe.lint.alembic_ini import prepend_sys_path
from alembic_safe.report.formats import FORMATS

HELP = "Lint .sql files and Alembic migration scripts for locking and breaking hazards."


def _codes(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes (1 or more)")
    return jobs


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help=".sql files, Alembic migration scripts (.py) or folders")
    parser.add_argument("--format", choices=sorted(FORMATS), default="text",
                        help="report format (default: text)")
    parser.add_argument("--pg-version", type=int, metavar="N",
                        help=f"target PostgreSQL major version, {OLDEST_PG} to {NEWEST_PG} "
                        "(default: pg_version setting, 15)")
    parser.add_argument("--changed-since", metavar="REF",
                        help="lint only the files added or changed since this git ref, plus "
                        "uncommitted and untracked ones")
    parser.add_argument("--select", type=_codes, metavar="RULES",
                        help="comma-separated rules to run: codes, names, code prefixes (AS1), "
                        "categories (lock, style, ...) or ALL (replaces the select and "
                        "extend_select settings)")
    parser.add_argument("--extend-select", type=_codes, metavar="RULES",
                        help="comma-separated rules to run besides the selection, e.g. style "
                        "(added to the extend_select setting)")
    parser.add_argument("--ignore", type=_codes, metavar="RULES",
                        help="comma-separated rules to skip (added to the ignore setting)")
    parser.add_argument("--assume-in-transaction", action="store_true",
                        help=".sql files run as one transaction (as sql-migrate and Flyway do)")
    parser.add_argument("--downgrade", action="store_true",
                        help="lint the downgrade() of migration scripts too")
    parser.add_argument("--timeout", metavar="DURATION",
                        help="how long one migration script may run offline, e.g. 30s, 2min; "
                        "0: no limit (default: lint_timeout setting, 60s)")
    parser.add_argument("--jobs", type=_jobs, metavar="N",
                        help=".sql files linted by N processes (default: one per CPU when there "
                        "are 8 files or more; 1: no worker processes)")
    parser.add_argument("-c", "--config", type=Path, metavar="PATH",
                        help="alembic.ini whose project settings (pyproject.toml next to or "
                        "above it) apply (default: ./alembic.ini)")


def _settings_dir(config: Path | None) -> Path:
    if config is None:
        return Path.cwd()
    if not config.is_file():
        raise UsageError(f"-c/--config {config}: no such file")
    return config.resolve().parent


def run(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.pg_version is not None:
        overrides["pg_version"] = args.pg_version
    settings = load_settings(_settings_dir(args.config))
    if args.select is not None:
        overrides["select"] = args.select
        overrides["extend_select"] = []
    if args.extend_select:
        overrides["extend_select"] = [*overrides.get("extend_select", settings.extend_select),
                                      *args.extend_select]
    if args.timeout is not None:
        overrides["lint_timeout"] = args.timeout
    if args.ignore:
        overrides["ignore"] = [*settings.ignore, *args.ignore]
    settings = merge(settings, overrides, "command line")
    files = collect(args.paths)
    report = None
    if args.changed_since is not None:  # the earlier files are still read, for their facts
        changed = changed_files(args.changed_since, Path.cwd())
        report = [f for f in files if f.resolve() in changed]
        if not report:  # a clean run: the pull request changed no migration
            print(f"alembic-safe: note: no migration under {' '.join(map(str, args.paths))} "
                  f"changed since {args.changed_since}: nothing to lint", file=sys.stderr)
    if any(f.suffix == ".py" for f in (files if report is None else report)):
        prepend_sys_path(args.config or Path("alembic.ini"))
    result = lint_files(files, settings, assume_in_transaction=args.assume_in_transaction,
                        downgrade=args.downgrade, jobs=args.jobs, report=report)
    sys.stdout.write(FORMATS[args.format](result))
    for note in result.notes:
        print(f"alembic-safe: note: {note}", file=sys.stderr)
    for problem in result.problems:
        print(f"alembic-safe: {problem}", file=sys.stderr)
    if result.problems:
        return USAGE_ERROR
    return 1 if has_errors(result.findings) else 0


register(Command(name="lint", help=HELP, configure=configure, run=run))
