"""The two sides a rename is found between: the model (target metadata) and the database
autogenerate compared against, read through Alembic's autogenerate context."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy import event

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

#: the sequences owned by the columns of a table (serial and identity columns)
_OWNED_SEQUENCES = sa.text("""
SELECT a.attname, sn.nspname, s.relname
FROM pg_class t
JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = t.oid
    AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE tn.nspname = :schema AND t.relname = :table
ORDER BY a.attnum
""")
#: PostgreSQL 18's NOT NULL constraints of a table, by column (none before 18)
_NOT_NULL = sa.text("""
SELECT a.attname, k.conname
FROM pg_constraint k
JOIN pg_class t ON t.oid = k.conrelid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.conkey[1]
WHERE tn.nspname = :schema AND t.relname = :table AND k.contype = 'n'
ORDER BY a.attnum
""")


class Database:
    """The model and the database of one autogenerate run."""

    def __init__(self, autogen_context: AutogenContext, default_schema: str,
                 pg_version: int) -> None:
        self.autogen = autogen_context
        self.impl = autogen_context.migration_context.impl
        self.default_schema = default_schema
        #: the PostgreSQL major the migration is written for
        self.pg_version = pg_version
        self._tables = {(table.schema or default_schema, table.name): table
                        for table in autogen_context.sorted_tables}

    @property
    def dialect(self) -> sa.engine.Dialect:
        return self.impl.dialect

    def model_table(self, schema: str | None, name: str) -> sa.Table | None:
        """The model's table (``schema`` None: the default schema)."""
        return self._tables.get((schema or self.default_schema, name))

    def column_changes(self, schema: str | None, table: str, column: str,
                       conn: sa.Column[Any], model: sa.Column[Any]) -> ops.AlterColumnOp | None:
        """What Alembic's column comparators find between the database's column and the
        model's (type, nullability, default, comment...), on the column named ``column``."""
        alter = ops.AlterColumnOp(table, column, schema=schema)
        self.autogen.comparators.dispatch("column", qualifier=self.dialect.name)(
            self.autogen, alter, schema, table, column, conn, model)
        return alter if alter.has_changes() else None

    def compare_table(self, modify: ops.ModifyTableOps, schema: str | None, name: str,
                      conn: sa.Table, model: sa.Table) -> None:
        """Alembic's table comparators (indexes, unique constraints, foreign keys, comment,
        and those of other plugins) between a database table and a model table."""
        self.autogen.comparators.dispatch("table", qualifier=self.dialect.name)(
            self.autogen, modify, schema, name, conn, model)

    def reflect(self, schema: str | None, name: str) -> sa.Table:
        """The database's table as Alembic reflects it (serial defaults left out)."""
        table = sa.Table(name, sa.MetaData(), schema=schema)
        inspector = self.autogen.inspector

        def reflected(inspector: Any, table: sa.Table, info: Any) -> None:
            self.impl.autogen_column_reflect(inspector, table, info)  # type: ignore[no-untyped-call]

        event.listen(table, "column_reflect", reflected)
        inspector.reflect_table(table, None)
        return table

    def primary_key_name(self, schema: str | None, table: str) -> str | None:
        return self.autogen.inspector.get_pk_constraint(table, schema=schema).get("name")

    def check_names(self, schema: str | None, table: str) -> set[str]:
        return {str(c["name"]) for c in self.autogen.inspector.get_check_constraints(
            table, schema=schema) if c.get("name")}

    def unique_names(self, schema: str | None, table: str) -> set[str]:
        return {str(c["name"]) for c in self.autogen.inspector.get_unique_constraints(
            table, schema=schema) if c.get("name")}

    def not_null_constraints(self, schema: str | None, table: str) -> list[tuple[str, str]]:
        """(column, constraint) of each NOT NULL constraint of ``table`` (PostgreSQL 18)."""
        return self._rows(_NOT_NULL, schema, table)

    def owned_sequences(self, schema: str | None, table: str) -> list[tuple[str, str, str]]:
        """(column, sequence schema, sequence) of each sequence a column of ``table`` owns."""
        return self._rows(_OWNED_SEQUENCES, schema, table)

    def _rows(self, query: sa.TextClause, schema: str | None, table: str) -> list[Any]:
        connection = self.autogen.connection
        if connection is None:
            return []
        return [tuple(row) for row in connection.execute(
            query, {"schema": schema or self.default_schema, "table": table})]
