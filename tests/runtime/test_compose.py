"""alembic_safe.configure keeps the user's context.configure options working."""

from __future__ import annotations

from runtime_project import ENV_PY, Project

USER_HOOKS = '''
def user_applied(*, ctx, step, heads, run_args):
    print("user on_version_apply:", step.up_revision_id)

def include_object(obj, name, type_, reflected, compare_to):
    return True
'''


def test_user_on_version_apply_and_settings_keywords(project: Project) -> None:
    env = ENV_PY.replace(
        "alembic_safe.configure(context, connection=connection, target_metadata=None)",
        "alembic_safe.configure(context, connection=connection, target_metadata=None, "
        "on_version_apply=user_applied, include_object=include_object, lock_timeout='250ms')",
    ).replace("url = os.environ", USER_HOOKS + "\nurl = os.environ")
    (project.root / "migrations" / "env.py").write_text(env)
    project.migration("a1", 'op.execute("SELECT 1")')
    project.migration("b2", """
        assert op.get_bind().exec_driver_sql("SHOW lock_timeout").scalar() == "250ms"
    """, down="a1")
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "user on_version_apply: a1" in result.stdout
    assert "user on_version_apply: b2" in result.stdout
    assert result.stderr.index("revision a1 (upgrade) applied") < result.stderr.index(
        "revision b2 (upgrade) applied")


def test_configure_outside_env_py_context_is_a_clear_error(project: Project) -> None:
    env = ENV_PY.replace("alembic_safe.configure(context, connection", "alembic_safe.configure("
                         "object(), connection")
    (project.root / "migrations" / "env.py").write_text(env)
    project.migration("a1", 'op.execute("SELECT 1")')
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "needs alembic's context" in result.stderr
    assert "Traceback" not in result.stderr

