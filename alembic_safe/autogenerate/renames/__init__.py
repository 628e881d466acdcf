"""Renames in autogenerate: a column or table the model renamed is written as a rename, not
as a drop that loses its data and an add (see docs/renames.md).

:mod:`.hints` reads the model's ``info={"renamed_from": ...}``, :mod:`.similar` decides what
is a probable rename, :mod:`.tables` and :mod:`.columns` turn the drop and the add into a
rename, :mod:`.pairs` and :mod:`.derived` carry the names derived from the old name (indexes,
constraints, sequences) along, :mod:`.notes` writes what the reviewer reads, and
:mod:`.planner` puts it together for the comparator :mod:`..compare.renames`.
"""
