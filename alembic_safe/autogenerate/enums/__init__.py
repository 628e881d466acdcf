"""Native PostgreSQL enums in autogenerate: what the database has (:mod:`.catalog`), what the
model declares (:mod:`.declared`), how values change without a rewrite where PostgreSQL allows
it (:mod:`.plan`), and alembic-safe's enum operations (:mod:`.ops`, :mod:`.render`,
:mod:`.toimpl`, their SQL in :mod:`.sql`). The comparator that ties them together is
:mod:`alembic_safe.autogenerate.compare.enums`."""
