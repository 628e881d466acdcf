"""A rule's safe way as data (:mod:`.model`), and its renderers: SQL (:mod:`.sql`) and Alembic
op code (:mod:`.ops`). Identifiers and literals are quoted in one place (:mod:`.quoting`)."""
