"""Autogenerate comparators, one module per concern, each with a ``setup(plugin)`` (the
layout of Alembic's own ``alembic.autogenerate.compare``).

:mod:`.safe_forms` runs last: it rewrites the operations the other comparators produced into
the forms the runtime guard accepts. A concern that finds differences of its own (enum values,
renames) is a module here that adds operations, registered before :mod:`.safe_forms` so its
operations are made safe too.
"""

from __future__ import annotations

from types import ModuleType

from alembic_safe.autogenerate.compare import enums, renames, safe_forms

#: the comparator modules, in registration order
COMPARATORS: tuple[ModuleType, ...] = (renames, enums, safe_forms)
