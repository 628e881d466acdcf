"""A :class:`~alembic_safe.fix.model.Fix` as Alembic op code: what to write in ``upgrade()``.

Steps that run outside a transaction go inside ``with op.get_context().autocommit_block():``
(consecutive ones share a block). Steps with no Alembic operation are ``op.execute(...)``.
"""

from __future__ import annotations

from functools import singledispatch

from alembic_safe.fix.model import (
    AddConstraint,
    AddEnumValue,
    Backfill,
    BuildIndex,
    ConstraintType,
    DropConstraint,
    DropIndex,
    Fix,
    Preflight,
    PreflightKind,
    SetDefault,
    SetNotNull,
    Step,
    ValidateConstraint,
    runs_in_transaction,
)
from alembic_safe.fix.quoting import for_text, py
from alembic_safe.fix.sql import statement

BLOCK = "with op.get_context().autocommit_block():"


class _Code(str):
    """Python source that is passed through as is (e.g. ``sa.text(...)``)."""


def _call(function: str, *args: object, **kwargs: object) -> str:
    """``function(args..., key=value...)`` with every value quoted by :func:`py`; keyword
    arguments whose value is None are left out."""
    parts = [_source(a) for a in args]
    parts += [f"{k}={_source(_schema(v) if k.endswith('schema') else v)}"
              for k, v in kwargs.items() if v is not None]
    return f"{function}({', '.join(parts)})"


def _schema(value: object) -> object:
    """A schema name for an op call: Alembic splits a plain string at dots (``a.b`` would be
    two names), so a name with a dot is passed as ``sa.sql.quoted_name(..., quote=True)``."""
    if isinstance(value, str) and "." in value:
        return _Code(f"sa.sql.quoted_name({py(value)}, quote=True)")
    return value


def _source(value: object) -> str:
    return value if isinstance(value, _Code) else py(value)


def _text(sql: str) -> _Code:
    """``sa.text(...)`` of a SQL expression, run as it is."""
    return _Code(f"sa.text({py(for_text(sql))})")


def _condition(sql: str) -> object:
    """A CHECK condition for an op call: a plain string (which Alembic reads as ``text()``),
    or ``sa.text(...)`` of it escaped when ``text()`` would change it."""
    return sql if for_text(sql) == sql else _text(sql)


def execute(sql: str) -> str:
    """``op.execute(...)`` of ``sql`` (a triple-quoted string when it spans lines), run as it
    is (see :func:`~alembic_safe.fix.quoting.for_text`)."""
    sql = for_text(sql)
    if "\n" in sql and '"""' not in sql and "\\" not in sql and not sql.endswith('"'):
        return f'op.execute(\n    """\n{sql}\n    """\n)'
    return f"op.execute({py(sql)})"


@singledispatch
def call(step: Step) -> str:
    """One step as Alembic op code; ``op.execute`` of its SQL when no operation fits."""
    return execute(statement(step))


@call.register
def _(step: BuildIndex) -> str:
    if step.definition is not None or not step.columns:
        return execute(statement(step))
    where = _text(step.where) if step.where else None
    return _call("op.create_index", step.name, step.table.name, list(step.columns),
                 unique=True if step.unique else None, schema=step.table.schema,
                 postgresql_where=where, postgresql_concurrently=True)


@call.register
def _(step: DropIndex) -> str:
    return _call("op.drop_index", step.index.name,
                 table_name=step.table.name if step.table is not None else None,
                 schema=step.index.schema, postgresql_concurrently=True,
                 if_exists=True if step.if_exists else None)


@call.register
def _(step: AddConstraint) -> str:
    valid = True if step.not_valid else None
    table, schema = step.table.name, step.table.schema
    if step.using_index is not None:
        return _call("op.add_constraint_using_index", step.name, table, step.using_index,
                     primary_key=True if step.type is ConstraintType.PRIMARY_KEY else None,
                     schema=schema)
    if step.type is ConstraintType.NOT_NULL:
        return _call("op.add_not_null_constraint", step.name, table, step.columns[0],
                     not_valid=valid, schema=schema)
    if step.type is ConstraintType.FOREIGN_KEY and step.references is not None:
        return _call("op.create_foreign_key", step.name, table, step.references.name,
                     list(step.columns), list(step.referenced_columns), source_schema=schema,
                     referent_schema=step.references.schema, ondelete=step.on_delete,
                     onupdate=step.on_update, match="FULL" if step.match_full else None,
                     deferrable=True if step.deferrable else None,
                     initially="DEFERRED" if step.initially_deferred else None,
                     postgresql_not_valid=valid)
    if step.type is ConstraintType.CHECK and step.expression is not None:
        return _call("op.create_check_constraint", step.name, table, _condition(step.expression),
                     schema=schema, postgresql_not_valid=valid)
    if step.type is ConstraintType.UNIQUE:
        return _call("op.create_unique_constraint", step.name, table, list(step.columns),
                     schema=schema)
    return execute(statement(step))


@call.register
def _(step: ValidateConstraint) -> str:
    return _call("op.validate_constraint", step.name, step.table.name,
                 schema=step.table.schema)


@call.register
def _(step: SetNotNull) -> str:
    return _call("op.alter_column", step.table.name, step.column, nullable=False,
                 schema=step.table.schema)


@call.register
def _(step: DropConstraint) -> str:
    return _call("op.drop_constraint", step.name, step.table.name, schema=step.table.schema,
                 if_exists=True if step.if_exists else None)


@call.register
def _(step: SetDefault) -> str:
    return _call("op.alter_column", step.table.name, step.column,
                 server_default=_text(step.expression), schema=step.table.schema)


@call.register
def _(step: AddEnumValue) -> str:
    return _call("op.add_enum_type_value", step.enum.name, step.value, before=step.before,
                 after=step.after, schema=step.enum.schema)


@call.register
def _(step: Backfill) -> str:
    return _call("alembic_safe.backfill", _Code("op.get_bind()"), table=step.table.name,
                 set=step.assignments, where=step.where,
                 key=step.key if step.key != "id" else None, schema=step.table.schema)


_PREFLIGHT = {
    PreflightKind.UNIQUE: "op.preflight_unique",
    PreflightKind.NOT_NULL: "op.preflight_not_null",
    PreflightKind.CHECK: "op.preflight_check",
}


@call.register
def _(step: Preflight) -> str:
    target: object = (step.expression if step.kind is PreflightKind.CHECK
                      else step.columns[0] if step.kind is PreflightKind.NOT_NULL
                      else list(step.columns))
    return _call(_PREFLIGHT[step.kind], step.table.name, target, schema=step.table.schema,
                 protects=step.protects or None)


def _indented(code: str) -> str:
    return "\n".join("    " + line if line else line for line in code.splitlines())


def render_steps(steps: tuple[Step, ...]) -> str:
    """Op code for ``steps``: runs outside a transaction grouped in autocommit blocks."""
    out: list[str] = []
    block: list[str] = []
    for step in steps:
        code = call(step)
        if runs_in_transaction(step):
            if block:
                out.append(BLOCK + "\n" + _indented("\n".join(block)))
                block = []
            out.append(code)
        else:
            block.append(code)
    if block:
        out.append(BLOCK + "\n" + _indented("\n".join(block)))
    return "\n".join(out)


def render(fix: Fix) -> str:
    """The fix as the body of ``upgrade()`` (and, after a comment, what waits for later)."""
    code = render_steps(fix.steps)
    if fix.later:
        code += f"\n# in a later revision, {fix.later_when}:\n" + "\n".join(f"# {line}" for line in
                                             render_steps(fix.later).splitlines())
    return code
