"""The connection ``op.get_bind()`` returns while a script is rendered offline.

Alembic's offline mode hands scripts a SQLAlchemy mock connection: what it executes is rendered
to SQL, and it returns nothing. :class:`OfflineConnection` keeps that and adds what a script
can use without a database: the target's URL (``postgresql://``, for dialect checks such as
``str(bind.engine.url).startswith("postgresql")``) and ``commit()``, which ends the migration's
transaction as it does online (SQLAlchemy begins the next one on the next statement). Anything
that needs an answer from the server (rows, a row count, a cursor) raises
:class:`NeedsDatabase` at the script's line, with what the script asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.engine.mock import MockConnection


class NeedsDatabase(AttributeError):
    """A script used the offline connection or a result as live ones; ``what`` says how.

    An AttributeError, so ``hasattr``/``getattr(..., default)`` probes keep working."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class OfflineResult:
    """What ``execute()`` returns offline: there are no rows, so any use of it fails clearly."""

    def __getattr__(self, name: str) -> NoReturn:
        raise NeedsDatabase(f"it reads the result of a query (.{name})")

    def __iter__(self) -> Iterator[Any]:
        raise NeedsDatabase("it iterates over the rows of a query")


class OfflineConnection(MockConnection):
    """A mock connection that renders through ``execute`` and ends transactions via ``commit``."""

    def __init__(self, dialect: Dialect, execute: Callable[..., Any],
                 commit: Callable[[], None]) -> None:
        super().__init__(dialect, execute)
        self._commit = commit

    @property
    def url(self) -> URL:
        """The target's URL without host or database: only the dialect is known offline."""
        return make_url(f"{self.dialect.name}://")

    def execute(self, obj: Any, parameters: Any = None,
                execution_options: Any = None) -> OfflineResult:
        super().execute(obj, parameters, execution_options)
        return OfflineResult()

    def commit(self) -> None:
        """End the migration's transaction here (a no-op inside ``autocommit_block()``)."""
        self._commit()

    def __getattr__(self, name: str) -> NoReturn:
        raise NeedsDatabase(f"it uses op.get_bind() as a live connection (.{name})")
