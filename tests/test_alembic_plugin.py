"""The ``alembic.plugins`` entry point: Alembic finds and sets up alembic-safe's plugin."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from alembic_safe.autogenerate import plugin


def test_entry_point_names_the_plugin_module() -> None:
    (entry,) = [e for e in metadata.entry_points(group="alembic.plugins")
                if e.name == plugin.PLUGIN_NAME]
    assert entry.load() is plugin


def test_alembic_sets_the_plugin_up_at_import() -> None:
    # a fresh interpreter: Alembic runs its plugin set-up once, when it is imported
    code = ("import alembic.runtime.plugins as p, alembic.config; "
            "print(sorted(p._all_plugins))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert plugin.PLUGIN_NAME in out


def test_setting_up_registers_operations_renderers_and_the_comparator() -> None:
    from alembic.autogenerate.render import renderers
    from alembic.operations import Operations
    from alembic.runtime.plugins import _all_plugins
    from alembic.util import DispatchPriority

    from alembic_safe.autogenerate import ops
    from alembic_safe.autogenerate.compare import renames, safe_forms
    from alembic_safe.autogenerate.renames import ops as rename_ops

    for name in ("validate_constraint", "add_constraint_using_index", "add_not_null_constraint",
                 "preflight_unique", "preflight_not_null", "preflight_check"):
        assert callable(getattr(Operations, name))
    for op in (ops.AutocommitBlockOp, ops.NoteOp, ops.BackfillOp, ops.ValidateConstraintOp):
        assert renderers.dispatch(op) is not None
    for name in ("rename_index", "rename_constraint", "rename_sequence"):
        assert callable(getattr(Operations, name))
    for op in (rename_ops.RenameTableOp, rename_ops.RenameIndexOp,
               rename_ops.RenameConstraintOp, rename_ops.RenameSequenceOp):
        assert renderers.dispatch(op) is not None
    registry = _all_plugins[plugin.PLUGIN_NAME].autogenerate_comparators._registry
    registered = registry[("autogenerate", "postgresql", DispatchPriority.LAST)]
    # the comparators that add operations (renames...) run before the one that makes them safe
    assert registered[-1] == (safe_forms.safe_forms, None)
    assert (renames.renames, None) in registered[:-1]
