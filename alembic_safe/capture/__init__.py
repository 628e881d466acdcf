"""Offline capture of the SQL an Alembic migration emits, and where in the script it came from.

Import the submodules: :mod:`.location` (the running script line, also used online by the runtime
guard), :mod:`.offline` (import and render a script offline; imports Alembic), :mod:`.connection`
(what ``op.get_bind()`` is offline), :mod:`.transactions` (whether an offline script is inside
its transaction) and :mod:`.errors`.
"""
