"""Subcommands of ``alembic-safe``: each registers its arguments and its run function."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

#: exit code of usage and configuration errors (and of files that could not be read or run)
USAGE_ERROR = 2


@dataclass(frozen=True)
class Command:
    """One subcommand: ``configure`` adds its arguments, ``run`` returns the exit code."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}


def register(command: Command) -> Command:
    """Add ``command`` to the ``alembic-safe`` subcommands."""
    if command.name in COMMANDS:
        raise ValueError(f"subcommand {command.name} is registered twice")
    COMMANDS[command.name] = command
    return command
