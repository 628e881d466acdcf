"""alembic-safe's operations in Alembic's operation model: callable as ``op.*`` in any script,
rendered by autogenerate, reversible, listed by ``as_diffs()``, and running exactly the SQL of
the fix model (which lint, ``--sql`` and the guard therefore see)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from alembic.autogenerate import render_python_code
from alembic.operations import Operations, ops
from alembic.runtime.migration import MigrationContext
from autogen_project import Project

from alembic_safe.autogenerate import ops as safe_ops
from alembic_safe.config import Settings
from alembic_safe.findings import Severity
from alembic_safe.fix import sql
from alembic_safe.lint import lint_paths

SCHEMA = 'Bill"ing'
OPERATIONS: list[tuple[safe_ops.MigrateOperation, str]] = [
    (safe_ops.ValidateConstraintOp("fk", 'Cl"aims', schema=SCHEMA),
     "op.validate_constraint('fk', 'Cl\"aims', schema='Bill\"ing')"),
    (safe_ops.AddConstraintUsingIndexOp("uq", "claims", "uq"),
     "op.add_constraint_using_index('uq', 'claims', 'uq')"),
    (safe_ops.AddConstraintUsingIndexOp("pk", "claims", "ix", primary_key=True),
     "op.add_constraint_using_index('pk', 'claims', 'ix', primary_key=True)"),
    (safe_ops.AddNotNullConstraintOp("nn", "claims", "a\\b", not_valid=True),
     "op.add_not_null_constraint('nn', 'claims', 'a\\\\b', not_valid=True)"),
    (safe_ops.PreflightUniqueOp("claims", ["a", "b"], protects="uq"),
     "op.preflight_unique('claims', ['a', 'b'], protects='uq')"),
    (safe_ops.PreflightNotNullOp("claims", "a", schema="s"),
     "op.preflight_not_null('claims', 'a', schema='s')"),
    (safe_ops.PreflightCheckOp("claims", "amount > 0 AND note <> 'x'"),
     "op.preflight_check('claims', \"amount > 0 AND note <> 'x'\")"),
]


def _render(*operations: ops.MigrateOperation) -> str:
    text = render_python_code(ops.UpgradeOps(list(operations)))
    return "\n".join(line.strip() for line in text.splitlines()
                     if line.strip() and not line.strip().startswith("# ###"))


def _offline(*operations: ops.MigrateOperation) -> str:
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql", dialect_opts={"paramstyle": "named"},
        opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True,
              "transactional_ddl": True})
    operations_ = Operations(context)
    for operation in operations:
        operations_.invoke(operation)
    return buffer.getvalue()


@pytest.mark.parametrize(("operation", "code"), OPERATIONS,
                         ids=[type(o).__name__ + str(n) for n, (o, _) in enumerate(OPERATIONS)])
def test_rendered_code_runs_the_fix_sql(operation: safe_ops._TableOp, code: str) -> None:
    assert _render(operation) == code
    name = code.removeprefix("op.").split("(")[0]
    assert callable(getattr(Operations, name))
    assert _offline(operation).strip() == sql.statement(operation.to_step()) + ";"


def test_autocommit_block_renders_a_with_block_and_commits_around_it() -> None:
    block = safe_ops.AutocommitBlockOp([
        safe_ops.PreflightNotNullOp("claims", "a"),
        ops.CreateIndexOp("ix", "claims", ["a"], postgresql_concurrently=True),
    ])
    assert _render(ops.AddColumnOp("claims", __import__("sqlalchemy").Column("a", __import__(
        "sqlalchemy").Integer())), block, safe_ops.ValidateConstraintOp("c", "claims")) == (
        "op.add_column('claims', sa.Column('a', sa.Integer(), nullable=True))\n"
        "with op.get_context().autocommit_block():\n"
        "op.preflight_not_null('claims', 'a')\n"
        "op.create_index('ix', 'claims', ['a'], unique=False, postgresql_concurrently=True)\n"
        "op.validate_constraint('c', 'claims')")
    emitted = _offline(ops.ExecuteSQLOp("SELECT 1"), block)
    order = ["SELECT 1;", "COMMIT;", "DO $alembic_safe$", "END $alembic_safe$;",
             "CREATE INDEX CONCURRENTLY ix ON claims (a);", "BEGIN;"]
    positions = [emitted.index(text) for text in order]
    assert positions == sorted(positions), emitted


def test_reverses_and_diffs() -> None:
    block = safe_ops.AutocommitBlockOp([
        safe_ops.PreflightUniqueOp("t", ["a"]),
        ops.CreateIndexOp("ix", "t", ["a"], unique=True, postgresql_concurrently=True),
        safe_ops.ValidateConstraintOp("fk", "t"),
    ])
    undone = block.reverse()
    assert [type(op).__name__ for op in undone.ops] == ["DropIndexOp"]
    assert undone.ops[0].kw["postgresql_concurrently"] is True
    assert safe_ops.NoteOp(["x"]).reverse().lines == []
    using = safe_ops.AddConstraintUsingIndexOp("uq", "t", "uq", schema="s").reverse()
    assert (using.constraint_name, using.table_name, using.constraint_type, using.schema) == (
        "uq", "t", "unique", "s")
    upgrade = ops.UpgradeOps([safe_ops.NoteOp(["a note"]), block])
    assert [diff[0] for diff in upgrade.as_diffs()] == [
        "preflight_unique", "add_index", "validate_constraint"]


MIGRATION = '''\
from alembic import op

revision = "r1"
down_revision = None


def upgrade():
    op.create_foreign_key("fk", "claims", "users", ["user_id"], ["id"],
                          postgresql_not_valid=True)
    {early}
    op.add_constraint_using_index("uq", "claims", "uq")
    with op.get_context().autocommit_block():
        op.preflight_check("claims", "amount > 0")
        op.validate_constraint("fk", "claims")


def downgrade():
    pass
'''


def test_lint_analyzes_the_sql_of_the_operations(tmp_path: Path) -> None:
    script = tmp_path / "r1.py"
    script.write_text(MIGRATION.format(early="pass"))
    clean = lint_paths([script], Settings())
    assert [f.rule for f in clean if f.severity is Severity.ERROR] == []
    # validating in the transaction that added the constraint NOT VALID: AS305
    script.write_text(MIGRATION.format(early='op.validate_constraint("fk", "claims")'))
    assert "AS305" in {f.rule for f in lint_paths([script], Settings())}


APPLIED = '''\
from alembic import op

revision = "r2"
down_revision = "r1"


def upgrade():
    op.create_foreign_key("claims_user_fk", "claims", "users", ["user_id"], ["id"],
                          postgresql_not_valid=True)
    with op.get_context().autocommit_block():
        op.preflight_unique("claims", ["number"], protects="claims_number_key")
        op.create_index("claims_number_key", "claims", ["number"], unique=True,
                        postgresql_concurrently=True)
        op.preflight_not_null("claims", "user_id")
        op.preflight_check("claims", "user_id > 0")
        op.validate_constraint("claims_user_fk", "claims")
    op.add_constraint_using_index("claims_number_key", "claims", "claims_number_key")


def downgrade():
    pass
'''


def test_the_guard_applies_them(project: Project) -> None:
    project.models("")
    (project.versions / "r1.py").write_text(
        'from alembic import op\nrevision = "r1"\ndown_revision = None\n\n\n'
        "def upgrade():\n"
        '    op.execute("CREATE TABLE users (id bigint PRIMARY KEY)")\n'
        '    op.execute("CREATE TABLE claims (id bigint PRIMARY KEY, user_id bigint, '
        'number text)")\n\n\ndef downgrade():\n    pass\n')
    project.ok("upgrade", "r1")
    project.execute("INSERT INTO users SELECT g FROM generate_series(1, 10) g",
                    "INSERT INTO claims SELECT g, mod(g, 10) + 1, 'n' || g "
                    "FROM generate_series(1, 100) g")
    (project.versions / "r2.py").write_text(APPLIED)
    out = project.upgrade()
    assert "refused" not in out
    assert project.rows("SELECT conname, contype, convalidated FROM pg_constraint WHERE "
                        "conrelid = 'claims'::regclass AND contype IN ('f', 'u') "
                        "ORDER BY conname") == [("claims_number_key", "u", True),
                                                ("claims_user_fk", "f", True)]


def test_index_operations_render_as_alembic_runs_them() -> None:
    """The quick path for index operations gives the SQL Alembic's own implementation does."""
    import sqlalchemy as sa

    from alembic_safe.autogenerate.offline import OperationSql

    metadata = sa.MetaData()
    table = sa.Table('Cl"aims', metadata, sa.Column("Num ber", sa.Text), sa.Column("b", sa.Text),
                     schema="s.x")
    cases = [
        ops.CreateIndexOp("ix", 'Cl"aims', [table.c["Num ber"], "b"], schema="s.x", unique=True,
                          postgresql_concurrently=True, postgresql_include=["b"]),
        ops.CreateIndexOp("ix2", "t", ["a"], if_not_exists=True,
                          postgresql_where=sa.text("a > 1")),
        ops.DropIndexOp.from_index(sa.Index("ix3", table.c.b, postgresql_concurrently=True)),
        ops.DropIndexOp("ix4", "t", schema="s", if_exists=True),
    ]
    rendering = OperationSql()  # one renderer: its tables are made once and reused
    for operation in [*cases, *cases]:
        assert rendering.statements(operation) == [_offline(operation).strip()]


def test_pg18_not_null_steps_become_operations() -> None:
    from alembic_safe.analysis.facts import Relation
    from alembic_safe.autogenerate.writers import step_op
    from alembic_safe.rules.fixes import set_not_null

    written = [step_op(step) for step in set_not_null(Relation("claims", "s"), "a", 18).steps]
    assert _render(*(op for op in written if op is not None)) == (
        "op.add_not_null_constraint('claims_a_not_null', 'claims', 'a', not_valid=True, "
        "schema='s')\n"
        "op.preflight_not_null('claims', 'a', schema='s', protects='claims_a_not_null')\n"
        "op.validate_constraint('claims_a_not_null', 'claims', schema='s')")
