"""Renames in autogenerate: a column or table the model renamed is written as a rename, not
as a drop that loses its data and an add (see docs/renames.md).

- :mod:`.planner` puts it together for the comparator :mod:`..compare.renames`;
- :mod:`.hints` reads the model's ``info={"renamed_from": ...}``, :mod:`.similar` decides
  what is a probable rename;
- :mod:`.tables` and :mod:`.columns` turn a drop and an add into a rename, reading both sides
  through :mod:`.database`; :mod:`.mapping` holds the renames of a migration;
- :mod:`.pairs` (what Alembic compares) and :mod:`.dependents` (what it does not) rename the
  indexes, constraints and sequences named after the old names, as :mod:`.derived` works
  them out;
- :mod:`.notes` and :mod:`.source` write what the reviewer reads (the model line to change);
- :mod:`.ops`, :mod:`.render`, :mod:`.toimpl`: the rename operations and ``allow()`` blocks.
"""
