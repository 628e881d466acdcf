"""The settings loader: ``[tool.alembic_safe]`` lookup, overrides, validation, durations."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from alembic_safe.config import (
    Settings,
    duration_ms,
    find_pyproject,
    load_pyproject,
    load_settings,
    merge,
)
from alembic_safe.errors import ConfigError


def write_pyproject(folder: Path, table: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(f"[project]\nname = 'app'\n\n[tool.alembic_safe]\n{table}\n", encoding="utf-8")
    return path


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    assert find_pyproject(tmp_path) is None  # nothing above the temp dir either
    settings = load_settings(tmp_path)
    assert settings == Settings()
    assert settings.lock_timeout_ms == 3000
    assert settings.statement_timeout_ms == 0
    assert settings.lock_retry_backoff_ms == 1000
    assert settings.pg_version == 15
    assert settings.drift_gate is True
    assert settings.protected is True  # safe by default: downgrades checked like upgrades
    assert settings.render == "ops"


def test_pyproject_found_above_start(tmp_path: Path) -> None:
    write_pyproject(tmp_path, 'lock_timeout = "5s"\npg_version = 16')
    nested = tmp_path / "migrations" / "versions"
    nested.mkdir(parents=True)
    assert find_pyproject(nested) == (tmp_path / "pyproject.toml").resolve()
    settings = load_settings(nested)
    assert settings.lock_timeout == "5s"
    assert settings.lock_timeout_ms == 5000
    assert settings.pg_version == 16


def test_nearest_pyproject_wins(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "pg_version = 13")
    write_pyproject(tmp_path / "app", "pg_version = 17")
    assert load_settings(tmp_path / "app").pg_version == 17


def test_pyproject_without_table_gives_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert load_settings(tmp_path) == Settings()


def test_example_app_settings() -> None:
    app = Path(__file__).resolve().parents[1] / "examples" / "billing"
    settings = load_settings(app)
    assert settings.lock_timeout_ms == 3000
    assert settings.pg_version == 15
    assert settings.lock_retries == 3


def test_overrides_win_over_file(tmp_path: Path) -> None:
    write_pyproject(tmp_path, 'lock_timeout = "5s"\nlock_retries = 1')
    settings = load_settings(tmp_path, lock_timeout="750ms", lock_retries=0)
    assert settings.lock_timeout_ms == 750
    assert settings.lock_retries == 0


def test_dashed_keys_are_accepted(tmp_path: Path) -> None:
    write_pyproject(tmp_path, 'lock-timeout = "2s"\ndrift-gate = false')
    settings = load_settings(tmp_path)
    assert settings.lock_timeout_ms == 2000
    assert settings.drift_gate is False


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, 'lock_timout = "3s"')
    with pytest.raises(ConfigError) as excinfo:
        load_settings(tmp_path)
    message = str(excinfo.value)
    assert "lock_timout" in message
    assert str(path.resolve()) in message
    assert "\n" not in message


def test_unknown_override_names_configure(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "")
    with pytest.raises(ConfigError, match=r"configure\(\): unknown setting 'lock_time'"):
        load_settings(tmp_path, lock_time="3s")


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('pg_version = "15"', r"pg_version must be an integer, got '15'"),
        ("lock_retries = true", r"lock_retries must be an integer, not a boolean"),
        ('drift_gate = "yes"', r"drift_gate must be true or false, got 'yes'"),
        ("protected = 0", r"protected must be true or false, got 0"),
        ('select = "AS101"', r"select must be a list"),
        ("select = [101]", r"select must be a list of rule codes or names"),
        ('extend_select = ["style", 3]', r"extend_select must be a list of rule codes or names"),
        ('render = "yaml"', r"render must be one of ops, sql, sql-files"),
        ('severity = { AS101 = "fatal" }', r"severity.AS101 must be one of error, warning, off"),
        ("small_table_rows = -1", r"small_table_rows must be 0 or more"),
        ("lock_timeout = [3]", r"lock_timeout must be a string or an integer"),
        ('renames = "always"', r"renames must be one of hint-only, suggest, auto, got 'always'"),
        ("renames = true", r"renames must be a string, not a boolean"),
    ],
)
def test_wrong_types_are_rejected(tmp_path: Path, table: str, expected: str) -> None:
    path = write_pyproject(tmp_path, table)
    with pytest.raises(ConfigError, match=expected) as excinfo:
        load_settings(tmp_path)
    assert str(path.resolve()) in str(excinfo.value)


@pytest.mark.parametrize("mode", ["hint-only", "suggest", "auto"])
def test_rename_modes(tmp_path: Path, mode: str) -> None:
    write_pyproject(tmp_path, f'renames = "{mode}"')
    assert load_settings(tmp_path).renames == mode
    assert load_settings(tmp_path, renames="suggest").renames == "suggest"


def test_renames_default_to_suggest(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "")
    assert load_settings(tmp_path).renames == "suggest"


@pytest.mark.parametrize(
    ("text", "ms"),
    [("3s", 3000), ("500ms", 500), ("2min", 120_000), ("0", 0), ("250", 250), ("1.5s", 1500),
     ("1h", 3_600_000), (" 10 s ", 10_000)],
)
def test_durations(text: str, ms: int) -> None:
    assert duration_ms(text) == ms


@pytest.mark.parametrize("text", ["3 seconds", "", "-1s", "s", "3sec"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ConfigError, match="is not a duration"):
        duration_ms(text, "lock_timeout")


def test_bad_duration_in_file_names_file_and_key(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, 'statement_timeout = "forever"')
    with pytest.raises(ConfigError) as excinfo:
        load_settings(tmp_path)
    message = str(excinfo.value)
    assert "statement_timeout" in message and str(path.resolve()) in message


def test_integer_duration_is_milliseconds(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "lock_timeout = 1500")
    settings = load_settings(tmp_path)
    assert settings.lock_timeout == "1500"
    assert settings.lock_timeout_ms == 1500


@pytest.mark.parametrize("version", [12, 15, 17, 18])
def test_supported_pg_versions(tmp_path: Path, version: int) -> None:
    write_pyproject(tmp_path, f"pg_version = {version}")
    assert load_settings(tmp_path).pg_version == version


@pytest.mark.parametrize("version", [11, 19, 9])
def test_unsupported_pg_versions(tmp_path: Path, version: int) -> None:
    write_pyproject(tmp_path, f"pg_version = {version}")
    with pytest.raises(ConfigError, match=f"pg_version must be 12 to 18, got {version}"):
        load_settings(tmp_path)


def test_lists_become_tuples_and_tables_dicts(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        'select = ["AS1", "AS2"]\nignore = ["AS801"]\nbaseline = "0002"\n'
        'extend-select = ["style"]\n'
        '[tool.alembic_safe.severity]\nAS101 = "warning"',
    )
    settings = load_settings(tmp_path)
    assert settings.select == ("AS1", "AS2")
    assert settings.extend_select == ("style",)
    assert settings.ignore == ("AS801",)
    assert settings.severity == {"AS101": "warning"}
    assert settings.baseline == "0002"


def test_invalid_toml_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.alembic_safe\nlock_timeout = 3s\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read it as TOML") as excinfo:
        load_pyproject(path)
    assert str(path) in str(excinfo.value)


def test_table_must_be_a_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool]\nalembic_safe = "on"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[tool.alembic_safe\] must be a table"):
        load_pyproject(path)


def test_merge_leaves_base_untouched() -> None:
    base = Settings()
    merged = merge(base, {"lock_retries": 7}, "test")
    assert merged.lock_retries == 7
    assert base.lock_retries == 3


def test_every_setting_is_validated() -> None:
    """Each Settings field has a type check (a new field without one would be accepted blindly)."""
    for field in fields(Settings):
        with pytest.raises(ConfigError, match=field.name):
            merge(Settings(), {field.name: object()}, "test")
