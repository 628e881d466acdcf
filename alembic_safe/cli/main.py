"""``alembic-safe``: the console script; subcommands come from :mod:`registry`.

Exit codes: the subcommand's (0 clean, 1 findings), 2 for usage and configuration errors, which
are printed as one line on stderr, never as a traceback. An unexpected error (a bug, a broken
installation) is exit 2 as well, never 1, which CI reads as findings: one line on stderr, and
the traceback with ``ALEMBIC_SAFE_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from alembic_safe.cli.registry import COMMANDS, USAGE_ERROR
from alembic_safe.errors import AlembicSafeError

#: modules whose import registers their subcommands (imported inside main's error handling)
COMMAND_MODULES = ("alembic_safe.cli.lint_command",)
DEBUG_VARIABLE = "ALEMBIC_SAFE_DEBUG"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``alembic-safe lint: error: ...``) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    parser = _Parser(
        prog="alembic-safe",
        description="Safe-by-default Alembic migrations for PostgreSQL.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND",
                                       parser_class=_Parser)
    for command in COMMANDS.values():
        sub = subparsers.add_parser(command.name, help=command.help,
                                    description=command.help)
        command.configure(sub)
        sub.set_defaults(run=command.run)
    return parser


def _debugging() -> bool:
    return os.environ.get(DEBUG_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


def _internal_error(exc: Exception) -> int:
    """One line (the traceback too with ALEMBIC_SAFE_DEBUG=1); exit 2, never 1."""
    if _debugging():
        traceback.print_exc()
    lines = str(exc).strip().splitlines()
    what = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    hint = "" if _debugging() else f"; run again with {DEBUG_VARIABLE}=1 for the traceback"
    print(f"alembic-safe: unexpected error (a bug or a broken installation): {what}{hint}",
          file=sys.stderr)
    return USAGE_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``alembic-safe`` with ``argv`` (default: the process arguments)."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "run", None) is None:
            parser.print_help(sys.stderr)
            return USAGE_ERROR
        code: int = args.run(args)
    except AlembicSafeError as exc:
        print(f"alembic-safe: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("alembic-safe: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or a broken environment, not a finding
        return _internal_error(exc)
    return code


if __name__ == "__main__":
    sys.exit(main())
