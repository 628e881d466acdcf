"""Lock levels, as the PostgreSQL docs state them ("Explicit Locking" and each command's page).

``ALTER TABLE`` takes ACCESS EXCLUSIVE unless every subcommand is documented to take less; the
statement then takes the strongest of its subcommands. Subcommands not listed below take
ACCESS EXCLUSIVE.
"""

from __future__ import annotations

from pglast.enums.parsenodes import AlterTableType as AT

from alembic_safe.analysis.facts import LockMode

SUE = LockMode.SHARE_UPDATE_EXCLUSIVE
SRE = LockMode.SHARE_ROW_EXCLUSIVE
AE = LockMode.ACCESS_EXCLUSIVE

#: ALTER TABLE subcommands documented to take less than ACCESS EXCLUSIVE
ALTER_TABLE_LOCKS: dict[AT, LockMode] = {
    AT.AT_SetStatistics: SUE,
    AT.AT_SetOptions: SUE,
    AT.AT_ResetOptions: SUE,
    AT.AT_ClusterOn: SUE,
    AT.AT_DropCluster: SUE,
    AT.AT_ValidateConstraint: SUE,
    AT.AT_AttachPartition: SUE,
    AT.AT_DetachPartitionFinalize: SUE,
    AT.AT_EnableTrig: SRE,
    AT.AT_EnableAlwaysTrig: SRE,
    AT.AT_EnableReplicaTrig: SRE,
    AT.AT_DisableTrig: SRE,
    AT.AT_EnableTrigAll: SRE,
    AT.AT_DisableTrigAll: SRE,
    AT.AT_EnableTrigUser: SRE,
    AT.AT_DisableTrigUser: SRE,
}

#: storage parameters whose SET/RESET takes only SHARE UPDATE EXCLUSIVE (ALTER TABLE docs)
LIGHT_STORAGE_PARAMETERS = frozenset({
    "fillfactor", "parallel_workers", "toast_tuple_target", "vacuum_index_cleanup",
    "vacuum_truncate", "log_autovacuum_min_duration",
})
_LIGHT_PREFIXES = ("autovacuum_", "toast.autovacuum_", "toast.vacuum_", "toast.log_")


def storage_parameter_lock(names: list[str]) -> LockMode:
    """SET (...) / RESET (...): SHARE UPDATE EXCLUSIVE when every parameter is a light one."""
    light = all(n in LIGHT_STORAGE_PARAMETERS or n.startswith(_LIGHT_PREFIXES) for n in names)
    return SUE if names and light else AE


#: statement-level locks, for the documentation (analyzer code is the source of truth)
STATEMENT_LOCKS: tuple[tuple[str, str, str], ...] = (
    ("SELECT", "ACCESS SHARE", "every table read"),
    ("SELECT ... FOR UPDATE/SHARE", "ROW SHARE", "every table read"),
    ("INSERT / UPDATE / DELETE / MERGE / COPY FROM", "ROW EXCLUSIVE", "the target table"),
    ("CREATE INDEX", "SHARE", "the table"),
    ("CREATE INDEX CONCURRENTLY", "SHARE UPDATE EXCLUSIVE", "the table"),
    ("DROP INDEX", "ACCESS EXCLUSIVE", "the index (and its table, when created in the input)"),
    ("DROP INDEX CONCURRENTLY", "SHARE UPDATE EXCLUSIVE", "the index (and table, as above)"),
    ("REINDEX INDEX", "ACCESS EXCLUSIVE", "the index (SHARE on its table, when created in the "
     "input)"),
    ("REINDEX TABLE", "SHARE", "the table (ACCESS EXCLUSIVE on its indexes)"),
    ("REINDEX ... CONCURRENTLY", "SHARE UPDATE EXCLUSIVE", "the index or table"),
    ("ALTER TABLE (most subcommands)", "ACCESS EXCLUSIVE", "the table"),
    ("ALTER TABLE ... ADD FOREIGN KEY", "SHARE ROW EXCLUSIVE", "the table and the referenced "
     "table"),
    ("ALTER TABLE ... DROP CONSTRAINT / DROP COLUMN / ALTER COLUMN TYPE of a foreign key, "
     "DROP TABLE", "ACCESS EXCLUSIVE", "also the other table of each foreign key declared "
     "earlier that it drops or rebuilds (with CASCADE: the tables whose keys reference it)"),
    ("ALTER TABLE ... VALIDATE CONSTRAINT", "SHARE UPDATE EXCLUSIVE", "the table (ROW SHARE on "
     "the referenced table of a foreign key added in the input)"),
    ("ALTER TABLE ... SET STATISTICS / SET (attribute option) / CLUSTER ON / SET WITHOUT "
     "CLUSTER", "SHARE UPDATE EXCLUSIVE", "the table"),
    ("ALTER TABLE ... SET (fillfactor, autovacuum_*, parallel_workers, ...)",
     "SHARE UPDATE EXCLUSIVE", "the table (other storage parameters: ACCESS EXCLUSIVE)"),
    ("ALTER TABLE ... ENABLE/DISABLE TRIGGER", "SHARE ROW EXCLUSIVE", "the table"),
    ("ALTER TABLE ... ATTACH PARTITION", "SHARE UPDATE EXCLUSIVE", "the parent (ACCESS "
     "EXCLUSIVE on the partition)"),
    ("ALTER TABLE ... DETACH PARTITION", "ACCESS EXCLUSIVE", "the parent and the partition"),
    ("ALTER TABLE ... DETACH PARTITION CONCURRENTLY", "SHARE UPDATE EXCLUSIVE",
     "the parent and the partition"),
    ("ALTER INDEX ... RENAME", "SHARE UPDATE EXCLUSIVE", "the index"),
    ("ALTER TABLE / COLUMN / CONSTRAINT ... RENAME", "ACCESS EXCLUSIVE", "the table"),
    ("DROP TABLE / VIEW / MATERIALIZED VIEW / SEQUENCE", "ACCESS EXCLUSIVE", "the object"),
    ("TRUNCATE", "ACCESS EXCLUSIVE", "every table truncated (with CASCADE, also those whose "
     "foreign keys declared earlier reference them)"),
    ("LOCK TABLE", "the mode given (default ACCESS EXCLUSIVE)", "every table named"),
    ("VACUUM", "SHARE UPDATE EXCLUSIVE", "the table"),
    ("VACUUM FULL / CLUSTER", "ACCESS EXCLUSIVE", "the table"),
    ("ANALYZE", "SHARE UPDATE EXCLUSIVE", "the table"),
    ("REFRESH MATERIALIZED VIEW", "ACCESS EXCLUSIVE", "the view"),
    ("REFRESH MATERIALIZED VIEW CONCURRENTLY", "EXCLUSIVE", "the view"),
    ("CREATE TRIGGER", "SHARE ROW EXCLUSIVE", "the table"),
    ("DROP TRIGGER / CREATE [OR REPLACE] RULE / DROP RULE", "ACCESS EXCLUSIVE", "the table"),
    ("CREATE / ALTER / DROP POLICY", "ACCESS EXCLUSIVE", "the table"),
    ("CREATE STATISTICS", "SHARE UPDATE EXCLUSIVE", "the table"),
    ("CREATE / ALTER PUBLICATION ... TABLE", "SHARE UPDATE EXCLUSIVE", "each table named"),
    ("ALTER SEQUENCE", "SHARE ROW EXCLUSIVE", "the sequence (nextval() waits)"),
    ("CREATE TABLE ... REFERENCES", "SHARE ROW EXCLUSIVE", "the referenced table"),
    ("CREATE TABLE ... PARTITION OF", "ACCESS EXCLUSIVE", "the parent"),
    ("CREATE TABLE ... INHERITS", "SHARE UPDATE EXCLUSIVE", "each parent"),
    ("CREATE TABLE (LIKE ...) / CREATE VIEW / CREATE TABLE AS / CREATE MATERIALIZED VIEW",
     "ACCESS SHARE", "the tables it copies or reads"),
    ("CREATE OR REPLACE VIEW", "ACCESS EXCLUSIVE", "the view (ACCESS SHARE on what it reads)"),
    ("DO / CALL / SELECT of a function created in the input", "those of its statements",
     "what the PL/pgSQL or SQL body runs (see below)"),
    ("COMMENT ON TABLE / COLUMN / INDEX", "SHARE UPDATE EXCLUSIVE", "the object"),
    ("CREATE TABLE / TYPE / VIEW / FUNCTION, GRANT, SET, ...", "none", "no existing table"),
)


def lock_table_markdown() -> str:
    """:data:`STATEMENT_LOCKS` as a Markdown table (embedded in docs/analyzer.md)."""
    rows = ["| Statement | Lock | On |", "|---|---|---|"]
    rows += [f"| `{stmt}` | {mode} | {on} |" for stmt, mode, on in STATEMENT_LOCKS]
    return "\n".join(rows)
