"""alembic-postgresql-enum imported in env.py as well: alembic-safe's enum support stands down
with one line on stderr, and the migration holds that plugin's enum operations only, never
both."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from autogen_project import body, make_project

from alembic_safe.autogenerate.compare.enums import STAND_DOWN

# never imported here: importing it registers its comparator and operations for the whole
# test process; only the alembic command's env.py imports it
pytestmark = pytest.mark.skipif(importlib.util.find_spec("alembic_postgresql_enum") is None,
                                reason="alembic-postgresql-enum is in the test extra")

MODEL = '''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    status = mapped_column(sa.Enum({values}, name="claim_status"))
'''


def test_alembic_postgresql_enum_writes_the_enum_changes_alone(tmp_path: Path,
                                                               pg_url: str) -> None:
    project = make_project(tmp_path / "app", pg_url, env_imports=("alembic_postgresql_enum",))
    project.models(MODEL.format(values='"new", "closed"'))
    project.autogenerate("claims")
    project.upgrade()
    project.models(MODEL.format(values='"new", "open", "closed"'))
    result = project.alembic("revision", "--autogenerate", "-m", "open")
    assert result.returncode == 0, result.stdout
    assert STAND_DOWN in result.stdout
    (path,) = [p for p in project.versions.glob("*_open.py")]
    script = body(path.read_text())
    assert "op.add_enum_value(" in script and "new_value='open'" in script
    for ours in ("add_enum_type_value", "create_enum_type", "autocommit_block"):
        assert ours not in script
