"""Autogenerate that writes the safe form (see docs/autogenerate.md).

Laid out like Alembic's own ``alembic.autogenerate`` and ``alembic.operations``:

- :mod:`.plugin`: the ``alembic.plugins`` entry point; registers what follows;
- :mod:`.ops`, :mod:`.render`, :mod:`.toimpl`: alembic-safe's operations (autocommit block,
  validate, pre-flight checks, USING INDEX, notes), how autogenerate writes them and what they
  run;
- :mod:`.compare`: the comparators, one module per concern, each with ``setup(plugin)``;
- :mod:`.rewrite` (with :mod:`.offline`, :mod:`.writers`, :mod:`.keys`, :mod:`.schedule`):
  the proposed operations rendered to SQL, checked like lint, each fix written back as
  operations and ordered into transactions and autocommit blocks;
- :mod:`.directives`: the safe downgrade, put in place after Alembic reversed the upgrade;
- :mod:`.options`: settings and the PostgreSQL version autogenerate writes for.
"""
