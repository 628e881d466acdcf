"""Settings: ``[tool.alembic_safe]`` in pyproject.toml, overridden by env.py keywords.

One place reads and validates every key; unknown keys and wrong types raise
:class:`~alembic_safe.errors.ConfigError` naming the key and the file.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from alembic_safe.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

RENDER_MODES = ("ops", "sql", "sql-files")
SEVERITIES = ("error", "warning", "off")
#: what autogenerate does with a column (table) dropped and another added in its place
RENAME_MODES = ("hint-only", "suggest", "auto")
#: the PostgreSQL majors alembic-safe knows; a newer live server is checked as NEWEST_PG
OLDEST_PG = 12
NEWEST_PG = 18
SUPPORTED_PG_VERSIONS = range(OLDEST_PG, NEWEST_PG + 1)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$")
_UNIT_MS = {
    "us": 0.001, "ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0, "d": 86_400_000.0,
}


def duration_ms(value: str, key: str = "duration") -> int:
    """Parse a PostgreSQL-style duration (``"3s"``, ``"500ms"``, ``"0"``) into milliseconds."""
    match = _DURATION.match(value)
    if not match:
        raise ConfigError(
            f"{key} = {value!r} is not a duration: write e.g. \"3s\", \"500ms\", \"2min\" or \"0\""
        )
    number, unit = match.groups()
    # PostgreSQL reads a bare number of lock_timeout/statement_timeout as milliseconds.
    return int(float(number) * _UNIT_MS[unit or "ms"])


@dataclass(frozen=True)
class Settings:
    """Every alembic-safe setting, with its default."""

    render: str = "ops"
    lock_timeout: str = "3s"
    statement_timeout: str = "0"
    #: statement_timeout for statements that build or validate without blocking writes
    #: (CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT): "0" means no limit.
    long_statement_timeout: str = "0"
    #: transaction_timeout (PostgreSQL 17+) for migration transactions: "0" means no limit,
    #: which also lifts a limit set for the role or the database
    transaction_timeout: str = "0"
    lock_retries: int = 3
    lock_retry_backoff: str = "1s"
    drift_gate: bool = True
    pg_version: int = 15
    #: rule selectors (codes, names, code prefixes, categories, "ALL"); empty: the default
    #: selection, every rule outside the style category (alembic_safe.rules.selection)
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    baseline: str | None = None
    small_table_rows: int = 0
    slow_statement_ms: int = 1000
    #: a database whose data must be kept (production): downgrades are checked like upgrades.
    #: False (a development database): a downgrade may drop what its own upgrade created.
    protected: bool = True
    #: autogenerate: renames of enum values, ``{"schema.type": {"old": "new"}}`` (a type of
    #: the default schema may be named alone)
    enum_renames: dict[str, dict[str, str]] = field(default_factory=dict)
    #: renames without a ``renamed_from`` hint in the model: "hint-only" (written as Alembic
    #: writes them, drop and add), "suggest" (drop and add, with a note naming the model line
    #: to change) or "auto" (a probable rename is written as a rename)
    renames: str = "suggest"
    #: how long ``alembic-safe lint`` lets one migration script run offline ("0": no limit)
    lint_timeout: str = "60s"

    @property
    def lock_timeout_ms(self) -> int:
        return duration_ms(self.lock_timeout, "lock_timeout")

    @property
    def statement_timeout_ms(self) -> int:
        return duration_ms(self.statement_timeout, "statement_timeout")

    @property
    def long_statement_timeout_ms(self) -> int:
        return duration_ms(self.long_statement_timeout, "long_statement_timeout")

    @property
    def transaction_timeout_ms(self) -> int:
        return duration_ms(self.transaction_timeout, "transaction_timeout")

    @property
    def lock_retry_backoff_ms(self) -> int:
        return duration_ms(self.lock_retry_backoff, "lock_retry_backoff")

    @property
    def lint_timeout_ms(self) -> int:
        return duration_ms(self.lint_timeout, "lint_timeout")


_TYPES: dict[str, tuple[type, ...]] = {
    "render": (str,),
    "lock_timeout": (str, int),
    "statement_timeout": (str, int),
    "long_statement_timeout": (str, int),
    "transaction_timeout": (str, int),
    "lock_retries": (int,),
    "lock_retry_backoff": (str, int),
    "drift_gate": (bool,),
    "pg_version": (int,),
    "select": (list, tuple),
    "extend_select": (list, tuple),
    "ignore": (list, tuple),
    "severity": (dict,),
    "baseline": (str, type(None)),
    "small_table_rows": (int,),
    "slow_statement_ms": (int,),
    "protected": (bool,),
    "enum_renames": (dict,),
    "renames": (str,),
    "lint_timeout": (str, int),
}
_DURATION_KEYS = (
    "lock_timeout", "statement_timeout", "long_statement_timeout", "transaction_timeout",
    "lock_retry_backoff", "lint_timeout",
)


def _check_value(key: str, value: Any, origin: str) -> Any:
    expected = _TYPES[key]
    if isinstance(value, bool) and bool not in expected:
        raise ConfigError(f"{origin}: {key} must be {_names(expected)}, not a boolean")
    if not any(isinstance(value, kind) for kind in expected):  # keeps value typed Any
        raise ConfigError(f"{origin}: {key} must be {_names(expected)}, got {value!r}")
    if key in _DURATION_KEYS:
        value = str(value)
        duration_ms(value, f"{origin}: {key}")
    elif key == "render" and value not in RENDER_MODES:
        raise ConfigError(
            f"{origin}: render must be one of {', '.join(RENDER_MODES)}, got {value!r}"
        )
    elif key == "renames" and value not in RENAME_MODES:
        raise ConfigError(
            f"{origin}: renames must be one of {', '.join(RENAME_MODES)}, got {value!r}"
        )
    elif key == "pg_version" and value not in SUPPORTED_PG_VERSIONS:
        raise ConfigError(
            f"{origin}: pg_version must be {OLDEST_PG} to {NEWEST_PG}, got {value}")
    elif key in ("lock_retries", "small_table_rows", "slow_statement_ms") and value < 0:
        raise ConfigError(f"{origin}: {key} must be 0 or more, got {value}")
    elif key in ("select", "extend_select", "ignore"):
        if not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{origin}: {key} must be a list of rule codes or names")
        value = tuple(value)
    elif key == "severity":
        for rule, level in value.items():
            if level not in SEVERITIES:
                raise ConfigError(
                    f"{origin}: severity.{rule} must be one of {', '.join(SEVERITIES)}, "
                    f"got {level!r}"
                )
        value = dict(value)
    elif key == "enum_renames":
        value = _enum_renames(value, origin)
    return value


def _enum_renames(value: dict[Any, Any], origin: str) -> dict[str, dict[str, str]]:
    for name, renames in value.items():
        if not isinstance(renames, dict) or not all(
                isinstance(old, str) and isinstance(new, str) for old, new in renames.items()):
            raise ConfigError(f"{origin}: enum_renames.{name} must map each old value to its "
                              f"new value, e.g. {{open = \"pending\"}}; got {renames!r}")
    return {str(name): dict(renames) for name, renames in value.items()}


def _names(types: tuple[type, ...]) -> str:
    words = {str: "a string", int: "an integer", bool: "true or false", list: "a list",
             tuple: "a list", dict: "a table", type(None): "unset"}
    return " or ".join(dict.fromkeys(words[t] for t in types))


def merge(base: Settings, overrides: dict[str, Any], origin: str) -> Settings:
    """Return ``base`` with ``overrides`` applied after validating each key."""
    known = {f.name for f in fields(Settings)}
    checked: dict[str, Any] = {}
    for key, value in overrides.items():
        normalized = key.replace("-", "_")
        if normalized not in known:
            raise ConfigError(
                f"{origin}: unknown setting {key!r}; known settings: {', '.join(sorted(known))}"
            )
        checked[normalized] = _check_value(normalized, value, origin)
    return replace(base, **checked)


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml in ``start`` or one of its parents."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_pyproject(path: Path) -> dict[str, Any]:
    """The ``[tool.alembic_safe]`` table of ``path`` (empty when absent)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it as TOML: {exc}") from None
    table = data.get("tool", {}).get("alembic_safe", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.alembic_safe] must be a table")
    return table


def load_settings(start: Path | str | None = None, **overrides: Any) -> Settings:
    """Settings from the pyproject.toml next to or above ``start``, then ``overrides``.

    Keyword overrides (from env.py or the command line) win over the file.
    """
    settings = Settings()
    pyproject = find_pyproject(Path(start) if start is not None else Path.cwd())
    if pyproject is not None:
        settings = merge(settings, load_pyproject(pyproject), str(pyproject))
    return merge(settings, overrides, "configure()") if overrides else settings
