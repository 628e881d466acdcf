"""Offline capture of the SQL an Alembic migration emits, and where in the script it came from.

Import the submodules: :mod:`.location` (the running script line, also used online by the runtime
guard), :mod:`.offline` (render ``upgrade()``/``downgrade()`` offline; imports Alembic) and
:mod:`.errors`.
"""
