"""``alembic-safe``: the console script; subcommands come from :mod:`registry`.

Exit codes: the subcommand's (0 clean, 1 findings), 2 for usage and configuration errors, which
are printed as one line on stderr, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from alembic_safe.cli import lint_command
from alembic_safe.cli.registry import COMMANDS, USAGE_ERROR
from alembic_safe.errors import AlembicSafeError

_LOADED = (lint_command,)  # modules whose import registers their subcommands


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``alembic-safe lint: error: ...``) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``alembic-safe`` with ``argv`` (default: the process arguments)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return USAGE_ERROR
    try:
        code: int = args.run(args)
    except AlembicSafeError as exc:
        print(f"alembic-safe: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("alembic-safe: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
