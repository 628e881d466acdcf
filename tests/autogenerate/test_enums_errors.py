"""What alembic-safe cannot turn into an enum migration stops autogenerate with one line that
says what to change: a type declared with two sets of values, a rename hint of the wrong shape
or that cannot apply, a bad ``enum_renames`` setting. Lint honors the opt-out that a hinted
rename carries."""

from __future__ import annotations

from pathlib import Path

import pytest
from autogen_project import Project

from alembic_safe.config import Settings, load_settings
from alembic_safe.errors import ConfigError
from alembic_safe.lint import lint_paths

TWO_WAYS = '''
class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    status = mapped_column(sa.Enum("new", "open", name="claim_status"){info})
    state = mapped_column(sa.Enum({values}, name="claim_status"))
'''


def _failed(project: Project) -> str:
    before = set(project.versions.glob("*.py"))
    result = project.alembic("revision", "--autogenerate", "-m", "x")
    assert result.returncode != 0
    assert "Traceback" not in result.stdout
    assert set(project.versions.glob("*.py")) == before  # no script written
    return result.stdout.strip()


@pytest.mark.parametrize(("values", "info", "message"), [
    ('"new", "closed"', "",
     "FAILED: alembic-safe: enum public.claim_status is declared with values ['new', 'open'] "
     "on claims.status and ['new', 'closed'] on claims.state: declare it once and share it"),
    ('"new", "open"', ', info={"renamed_values": ["open"]}',
     "FAILED: alembic-safe: info['renamed_values'] on claims.status must map each old value "
     "to its new value, e.g. {\"open\": \"pending\"}; got ['open']"),
])
def test_declarations_autogenerate_cannot_use(project: Project, values: str, info: str,
                                              message: str) -> None:
    project.models(TWO_WAYS.format(values=values, info=info))
    assert _failed(project) == message


def test_a_rename_hint_that_cannot_apply(project: Project) -> None:
    project.models(TWO_WAYS.format(values='"new", "open"', info=""))
    project.autogenerate("claims")
    project.upgrade()
    hint = ', info={"renamed_values": {"open": "pending"}}'
    project.models(TWO_WAYS.format(values='"new", "open"', info=hint))
    assert _failed(project) == (
        "FAILED: alembic-safe: enum claim_status: renames 'open' to 'pending', but the "
        "model's values do not include 'pending'")


def test_enum_renames_setting(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic_safe]\nenum_renames = {"billing.claim_status" = {open = "pending"}}\n')
    assert load_settings(tmp_path).enum_renames == {"billing.claim_status": {"open": "pending"}}
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic_safe]\nenum_renames = {claim_status = ["open"]}\n')
    with pytest.raises(ConfigError, match=r"enum_renames.claim_status must map each old value "
                       r"to its new value"):
        load_settings(tmp_path)


def test_lint_honors_the_opt_out_of_a_hinted_rename(tmp_path: Path) -> None:
    script = tmp_path / "0001_rename.py"
    script.write_text(
        "import alembic_safe\nfrom alembic import op\n\nrevision = '1'\ndown_revision = None\n\n"
        "\ndef upgrade():\n"
        "    with alembic_safe.allow('rename-enum-value', reason='hint on claims.status'):\n"
        "        op.rename_enum_type_value('claim_status', 'open', 'pending')\n"
        "    op.rename_enum_type_value('claim_status', 'new', 'fresh')\n")
    findings = lint_paths([script], Settings())
    assert [(f.rule, f.allowed_by.reason if f.allowed_by else None, f.line)
            for f in findings] == [("AS507", "hint on claims.status", 10),
                                          ("AS507", None, 11)]
