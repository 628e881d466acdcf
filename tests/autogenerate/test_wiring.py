"""How autogenerate finds alembic-safe: ``alembic_safe.configure`` names the plugin in
``autogenerate_plugins`` (keeping the user's list), ``compare_metadata()`` and
``alembic check`` list the safe operations, and the PostgreSQL version the migration is
written for is the server's unless the project says otherwise."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from autogen_project import Project

from alembic_safe.autogenerate.options import ProjectSettings, options, with_plugin
from alembic_safe.config import Settings


def test_the_plugin_joins_the_users_list() -> None:
    assert with_plugin(None) == ["alembic.autogenerate.*", "alembic_safe"]
    mine = ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"]
    assert with_plugin(mine) == [*mine, "alembic_safe"]
    assert with_plugin(["alembic.autogenerate.*", "~alembic_safe"]) == [
        "alembic.autogenerate.*", "~alembic_safe"]  # excluded on purpose: left out


def _metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table("claims", metadata, sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("status", sa.Text, index=True))
    return metadata


def test_compare_metadata_lists_the_safe_operations(pg_engine: sa.Engine) -> None:
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE claims (id bigint PRIMARY KEY, status text)")
    with pg_engine.connect() as conn:
        plain = MigrationContext.configure(conn)
        assert [d[0] for d in compare_metadata(plain, _metadata())] == ["add_index"]
        context = MigrationContext.configure(
            conn, opts={"autogenerate_plugins": with_plugin(None)})
        (diff,) = compare_metadata(context, _metadata())
        assert diff[0] == "add_index"
        assert diff[1].dialect_kwargs["postgresql_concurrently"] is True


def test_pg_version_is_the_older_of_the_server_and_the_setting_unless_set(
        pg_engine: sa.Engine, capsys: object) -> None:
    with pg_engine.connect() as conn:
        server = conn.dialect.server_version_info[0]

        def written_for(version: int, explicit: bool) -> int:
            keys = frozenset({"pg_version"}) if explicit else frozenset()
            context = MigrationContext.configure(conn, opts={
                "alembic_safe_settings": ProjectSettings(Settings(pg_version=version), keys)})
            return options(context).pg_version

        assert written_for(12, explicit=False) == 12  # the default target is older: lint's
        assert written_for(18, explicit=False) == server  # the server is older: the server's
        assert capsys.readouterr().err == ""  # type: ignore[attr-defined]
        assert written_for(12, explicit=True) == 12
        assert capsys.readouterr().err == ""  # type: ignore[attr-defined]
        assert written_for(18, explicit=True) == 18
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    if server < 18:
        assert (f"alembic-safe: autogenerate writes for PostgreSQL 18 (pg_version) but the "
                f"database it compared against runs PostgreSQL {server}") in err
    else:
        assert err == ""


def test_alembic_check_names_what_the_revision_would_hold(project: Project) -> None:
    project.models(f'''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(sa.Text, index={False})
''')
    project.autogenerate("claims")
    project.upgrade()
    project.models('''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(sa.Text, index=True)
''')
    drift = project.alembic("check")
    assert drift.returncode != 0
    assert "New upgrade operations detected: [('add_index'" in drift.stdout


def test_an_unexpected_error_stops_autogenerate_with_one_line(
        pg_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic_safe.autogenerate import rewrite

    def broken(self: object, top: object) -> object:
        raise KeyError("boom")

    monkeypatch.setattr(rewrite.SafeForms, "rewrite", broken)
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE claims (id bigint PRIMARY KEY, status text)")
    with pg_engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"autogenerate_plugins": with_plugin(None)})
        with pytest.raises(CommandError) as failed:
            compare_metadata(context, _metadata())
    assert str(failed.value) == (
        "alembic-safe could not write the safe forms (KeyError: 'boom'), a bug: run again with "
        "ALEMBIC_SAFE_DEBUG=1 for the traceback, or leave the plugin out with "
        "autogenerate_plugins=[..., '~alembic_safe']")
