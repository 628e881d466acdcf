"""Where a probable-rename note tells the user to write the hint: the model statement that
defines the column or the table, rewritten with the hint (checked to be valid Python that
gives the model the hint)."""

from __future__ import annotations

import importlib.util
import itertools
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa

from alembic_safe.autogenerate.renames.source import column_place, table_place

_count = itertools.count()
HINT = '"renamed_from": "old"'
HEADER = """\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


"""


def _models(tmp_path: Path, source: str) -> ModuleType:
    name = f"_renames_models_{next(_count)}"
    path = tmp_path / f"{name}.py"
    path.write_text(HEADER + textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # inspect finds a class's source through its module
    spec.loader.exec_module(module)
    return module


def _line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(("attribute", "written"), [
    ('new: Mapped[str] = mapped_column(sa.Text, unique=True)',
     'new: Mapped[str] = mapped_column(sa.Text, unique=True, info={"renamed_from": "old"})'),
    ("new: Mapped[str] = mapped_column()",
     'new: Mapped[str] = mapped_column(info={"renamed_from": "old"})'),
    ("new: Mapped[str | None]",
     'new: Mapped[str | None] = mapped_column(info={"renamed_from": "old"})'),
    ('new: Mapped[str] = mapped_column(sa.Text, info={"doc": "x"})',
     'new: Mapped[str] = mapped_column(sa.Text, info={"renamed_from": "old", "doc": "x"})'),
    ("new: Mapped[str] = mapped_column(\n        sa.Text,\n        index=True,\n    )",
     'new: Mapped[str] = mapped_column(\n        sa.Text,\n        index=True, info={'
     '"renamed_from": "old"},\n    )'),
    ('new = sa.orm.mapped_column("New Name", sa.Text)',
     'new = sa.orm.mapped_column("New Name", sa.Text, info={"renamed_from": "old"})'),
])
def test_column_places(tmp_path: Path, attribute: str, written: str) -> None:
    module = _models(tmp_path, f"""
        class User(Base):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            {textwrap.indent(attribute, " " * 12).strip()}
    """)
    table = module.User.__table__
    column = next(c for c in table.c if c.name != "id")
    place = column_place(column, HINT)
    assert place is not None
    assert (place.line, place.owner, place.written) == (
        _line(Path(module.__file__ or ""), attribute.splitlines()[0]), "User", written)
    assert place.path.endswith(".py")
    rewritten = _models(tmp_path, f"""
        class User(Base):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            {textwrap.indent(written, " " * 12).strip()}
    """)
    hinted = next(c for c in rewritten.User.__table__.c if c.name != "id")
    assert hinted.info["renamed_from"] == "old"


@pytest.mark.parametrize(("table_args", "written"), [
    (None, '__table_args__ = {"info": {"renamed_from": "old"}}'),
    ('__table_args__ = {"schema": "s"}',
     '__table_args__ = {"info": {"renamed_from": "old"}, "schema": "s"}'),
    ('__table_args__ = {"info": {"doc": 1}}',
     '__table_args__ = {"info": {"renamed_from": "old", "doc": 1}}'),
    ('__table_args__ = (sa.UniqueConstraint("id"), {"schema": "s"})',
     '__table_args__ = (sa.UniqueConstraint("id"), {"info": {"renamed_from": "old"}, '
     '"schema": "s"})'),
    ('__table_args__ = (sa.UniqueConstraint("id"),)',
     '__table_args__ = (sa.UniqueConstraint("id"), {"info": {"renamed_from": "old"}},)'),
    ('__table_args__ = (sa.UniqueConstraint("id"), sa.CheckConstraint("id > 0"))',
     '__table_args__ = (sa.UniqueConstraint("id"), sa.CheckConstraint("id > 0"), '
     '{"info": {"renamed_from": "old"}})'),
])
def test_table_places(tmp_path: Path, table_args: str | None, written: str) -> None:
    args = f"\n            {table_args}" if table_args else ""
    source = f"""
        class Account(Base):
            __tablename__ = "accounts"{args}
            id: Mapped[int] = mapped_column(primary_key=True)
    """
    module = _models(tmp_path, source)
    place = table_place(module.Account.__table__, HINT)
    assert place is not None
    anchor = "__table_args__" if table_args else "__tablename__"
    assert (place.line, place.written) == (_line(Path(module.__file__ or ""), anchor), written)
    hinted = written if table_args else f'"accounts"\n            {written}'
    rewritten = _models(tmp_path, source.replace(table_args or '"accounts"', hinted))
    assert rewritten.Account.__table__.info["renamed_from"] == "old"


def test_core_tables_have_no_place() -> None:
    table = sa.Table("users", sa.MetaData(), sa.Column("new", sa.Text))
    assert column_place(table.c.new, HINT) is None
    assert table_place(table, HINT) is None
