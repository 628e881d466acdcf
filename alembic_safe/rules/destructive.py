"""AS5xx: statements that destroy data or break the application version still running."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_safe.analysis.facts import (
    AlterEnum,
    DropColumn,
    DropConstraint,
    DropObject,
    ModifyRows,
    Rename,
    StatementFacts,
    Truncate,
)
from alembic_safe.rules import fixes
from alembic_safe.rules.base import Category, Hit, RuleContext, rule
from alembic_safe.rules.helpers import actions

_EXPAND_CONTRACT = (
    "Expand and contract across releases: first deploy code that no longer uses the old name, "
    "then change the schema in a later migration."
)


def _drops(stmt: StatementFacts, kind: str) -> Iterator[DropObject]:
    """Drops of ``kind``, except of an object created earlier in the same input (it holds only
    what the input put in it) without CASCADE (which reaches further)."""
    for action in actions(stmt, DropObject, existing=False):
        if action.object_kind == kind and (not action.created_here or action.cascade):
            yield action


@rule(
    code="AS501",
    name="drop-table",
    on=(DropObject,),
    category=Category.DATA_LOSS,
    summary="DROP TABLE destroys data and breaks code that still uses the table",
    what="`DROP TABLE` of an existing table. One created earlier in the same migration or file "
    "is exempt (no code uses it, nothing is lost), unless the drop CASCADEs.",
    why="The data is gone once the transaction commits, and the application version still "
    "running during the deploy fails on every query of the table. The drop takes ACCESS "
    "EXCLUSIVE.",
    instead="1. Deploy code that no longer reads or writes the table (remove the model).\n"
    "2. Take a backup or rename the table aside if the data might be needed.\n"
    "3. Drop it in a later migration, and opt out with the reason (\"unused since release X\").",
    sql_example=("DROP TABLE legacy_claims;",
                 "-- alembic-safe: allow drop-table because unused since 2.4, backed up\n"
                 "DROP TABLE legacy_claims;"),
    op_example=('op.drop_table("legacy_claims")',
                'with alembic_safe.allow("drop-table", reason="unused since 2.4, backed up"):\n'
                '    op.drop_table("legacy_claims")'),
    seen_in=("squawk ban-drop-table", "Atlas DS102"),
)
def drop_table(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in _drops(stmt, "table"):
        yield Hit(
            message=f"DROP TABLE {action.table} destroys its data and breaks code still using it",
            help="Remove the model and deploy first; then drop it and opt out with the reason",
        )


@rule(
    code="AS502",
    name="drop-column",
    on=(DropColumn,),
    category=Category.DATA_LOSS,
    summary="DROP COLUMN breaks code that still uses the column",
    what="`ALTER TABLE ... DROP [COLUMN]` on an existing table. A table created earlier in the "
    "same migration or file is exempt (no code uses it, nothing is lost), unless the drop "
    "CASCADEs.",
    why="The running application version still selects and inserts the column (SQLAlchemy "
    "lists every mapped column), so its queries fail until the new version is out; the data "
    "is gone.",
    instead="1. Stop using the column: remove it from the model (or map it with "
    "`deferred()` / exclude it) and deploy.\n2. Drop it in a later migration.",
    sql_example=("ALTER TABLE claims DROP COLUMN legacy_code;",
                 "-- after a release without legacy_code in the model:\n"
                 "-- alembic-safe: allow drop-column because removed from the model in 2.4\n"
                 "ALTER TABLE claims DROP COLUMN legacy_code;"),
    op_example=('op.drop_column("claims", "legacy_code")',
                '# alembic_safe_allow = {"drop-column": "removed from the model in 2.4"}\n'
                'op.drop_column("claims", "legacy_code")'),
    seen_in=("squawk ban-drop-column", "strong_migrations remove_column", "Atlas BC102/DS103"),
)
def drop_column(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, DropColumn, existing=False):
        if action.created_here and not action.cascade:
            continue  # a table created earlier in the input: no code uses it, no data is lost
        yield Hit(
            message=f"DROP COLUMN {action.table}.{action.column} breaks code still using it and "
            "destroys its data",
            help=f"Remove {action.column} from the model and deploy first; then drop it in a "
            "later migration with an opt-out reason",
        )


@rule(
    code="AS503",
    name="drop-type",
    on=(DropObject,),
    category=Category.CONDITIONAL,
    summary="DROP TYPE of a type that columns or code may still use",
    what="`DROP TYPE` (for example an enum) of an existing type (one created earlier in the "
    "same migration or file is exempt, unless the drop CASCADEs).",
    why="Without CASCADE PostgreSQL refuses the drop while a column, function or other type "
    "still uses the type, so the migration fails where the analyzer cannot see a dependent; "
    "running code that casts to the type (`'open'::claim_status`, as SQLAlchemy's bind casts "
    "do) breaks. With CASCADE every column of the type is dropped with it: AS510 "
    "(drop-cascade) reports that as an error.",
    instead="1. Convert or drop the columns that use the type, and deploy code that no longer "
    "names it.\n2. Drop the type without CASCADE (it fails loudly if something still depends "
    "on it), with an opt-out naming the release that stopped using it.",
    sql_example=("DROP TYPE claim_status;",
                 "-- alembic-safe: allow drop-type because no column uses it since 2.4\n"
                 "DROP TYPE claim_status;"),
    op_example=('op.execute("DROP TYPE claim_status")',
                'with alembic_safe.allow("drop-type", reason="no column uses it since 2.4"):\n'
                '    sa.Enum(name="claim_status").drop(op.get_bind(), checkfirst=True)'),
    seen_in=("Atlas DS (destructive changes)", "alembic-postgresql-enum#67 (dependent types)"),
)
def drop_type(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in _drops(stmt, "type"):
        cascade = " (CASCADE: AS510 reports what it also drops)" if action.cascade else ""
        yield Hit(
            message=f"DROP TYPE {action.table} fails while columns use it and breaks code that "
            f"still names it{cascade}",
            help=f"Convert or drop the columns using {action.table} and deploy first; then "
            "drop the type without CASCADE, with an opt-out giving the reason",
        )


@rule(
    code="AS504",
    name="delete-without-where",
    on=(ModifyRows,),
    category=Category.DATA_LOSS,
    summary="DELETE without WHERE deletes every row",
    what="`DELETE FROM table` with no `WHERE` clause, on an existing table (one created "
    "earlier in the same migration or file is exempt).",
    why="Every row goes, in one long transaction that holds row locks on all of them and "
    "bloats the table.",
    instead="Delete only what must go, in batches by key range outside the DDL transaction "
    "(`alembic_safe.backfill(...)` runs batched statements). If the table must really be "
    "emptied, opt out with the reason.",
    sql_example=("DELETE FROM sessions;",
                 "DELETE FROM sessions WHERE expires_at < now() - interval '30 days';"),
    op_example=('op.execute("DELETE FROM sessions")',
                'op.execute("DELETE FROM sessions '
                'WHERE expires_at < now() - interval \'30 days\'")'),
    seen_in=("Atlas DS (destructive changes)",),
)
def delete_without_where(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, ModifyRows, existing=False):
        if action.command == "DELETE" and not action.has_where and not action.created_here:
            yield Hit(
                message=f"DELETE FROM {action.table} has no WHERE: it deletes every row",
                help="Add a WHERE clause and delete in batches, or opt out with the reason",
            )


def _renames(stmt: StatementFacts, kind: str) -> Iterator[Rename]:
    for action in actions(stmt, Rename):
        if action.object_kind == kind:
            yield action


@rule(
    code="AS505",
    name="rename-table",
    on=(Rename,),
    category=Category.COMPATIBILITY,
    summary="RENAME of a table breaks code that uses the old name",
    what="`ALTER TABLE ... RENAME TO ...` of an existing table (one created earlier in the "
    "same migration or file, or by an earlier revision of the same `alembic upgrade` run, is "
    "exempt: no running code uses it yet).",
    why="The application version still running queries the old name and fails until the new "
    "version is out. The rename takes ACCESS EXCLUSIVE.",
    instead=_EXPAND_CONTRACT + " For a table: create an updatable view with the new name "
    "(`CREATE VIEW new AS SELECT * FROM old`), deploy code that uses the new name, then in a "
    "later migration drop the view and rename the table (with an opt-out naming the release).",
    sql_example=("ALTER TABLE claims RENAME TO insurance_claims;", ""),
    op_example=('op.rename_table("claims", "insurance_claims")', ""),
    seen_in=("squawk renaming-table", "strong_migrations rename_table", "Atlas BC101"),
)
def rename_table(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in _renames(stmt, "table"):
        fix = fixes.view_before_rename(action.table, action.new_name) \
            if action.table is not None and len(stmt.actions) == 1 else None
        yield Hit(
            message=f"renaming table {action.table} to {action.new_name} breaks code that "
            "still uses the old name",
            fix=fix,
            help="" if fix is not None else "Create a view under the new name, deploy code "
            "using the new name, then rename in a later migration",
        )


@rule(
    code="AS506",
    name="rename-column",
    on=(Rename,),
    category=Category.COMPATIBILITY,
    summary="RENAME of a column breaks code that uses the old name",
    what="`ALTER TABLE ... RENAME [COLUMN] ... TO ...` on an existing table (a table created "
    "earlier in the same migration or file, or by an earlier revision of the same `alembic "
    "upgrade` run, is exempt: no running code uses it yet).",
    why="The application version still running selects and writes the old column name and "
    "fails until the new version is out.",
    instead=_EXPAND_CONTRACT + " For a column:\n1. Add the new column.\n2. Write both (trigger "
    "or code) and backfill with `alembic_safe.backfill(...)`.\n3. Switch reads to the new "
    "column, deploy.\n4. Drop the old column in a later migration. Or keep the database name "
    "and rename only the attribute: `new_name = mapped_column(\"old_name\", ...)`.",
    sql_example=("ALTER TABLE claims RENAME COLUMN amount TO total;",
                 "ALTER TABLE claims ADD COLUMN total numeric;"),
    op_example=('op.alter_column("claims", "amount", new_column_name="total")',
                'op.add_column("claims", sa.Column("total", sa.Numeric()))'),
    seen_in=("squawk renaming-column", "strong_migrations rename_column", "Atlas BC102"),
)
def rename_column(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in _renames(stmt, "column"):
        yield Hit(
            message=f"renaming column {action.table}.{action.old_name} to {action.new_name} "
            "breaks code that still uses the old name",
            help=f"Add {action.new_name}, backfill it, switch the code, drop "
            f"{action.old_name} later; or keep the column's name in the database and rename "
            "only the model's attribute (mapped_column with the old name)",
        )


@rule(
    code="AS507",
    name="rename-enum-value",
    on=(AlterEnum, Rename),
    category=Category.COMPATIBILITY,
    summary="ALTER TYPE ... RENAME VALUE breaks code that uses the old value",
    what="`ALTER TYPE ... RENAME VALUE 'old' TO 'new'` of an existing type (one created "
    "earlier in the same migration or file, or by an earlier revision of the same `alembic "
    "upgrade` run, is exempt).",
    why="Running code that writes or compares the old label fails (`invalid input value for "
    "enum`) until the new version is out.",
    instead="1. `ADD VALUE 'new'` and deploy code that accepts both.\n2. Update rows from the "
    "old value to the new one in batches.\n3. Stop using the old value; it can stay in the "
    "type (removing a value needs a new type).",
    sql_example=("ALTER TYPE claim_status RENAME VALUE 'open' TO 'pending';", ""),
    op_example=('op.execute("ALTER TYPE claim_status RENAME VALUE \'open\' TO \'pending\'")',
                ""),
    seen_in=("strong_migrations rename_enum_value",),
)
def rename_enum_type_value(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    renamed = {
        (action.table, *action.rename_value): None
        for action in actions(stmt, AlterEnum)
        if action.rename_value is not None
    }
    renamed.update({(a.table, a.old_name, a.new_name): None for a in _renames(stmt, "enum value")})
    for enum, old, new in renamed:
        yield Hit(
            message=f"renaming value {old!r} of {enum} to {new!r} breaks code that "
            "still uses the old value",
            fix=fixes.enum_value_beside(enum, old, new) if enum is not None else None,
            help="" if enum is not None else "Add the new value, move rows over in batches, "
            "stop using the old value",
        )


@rule(
    code="AS508",
    name="drop-database",
    on=(DropObject,),
    category=Category.DATA_LOSS,
    summary="DROP DATABASE in a migration",
    what="`DROP DATABASE`.",
    why="Everything in the database is gone; a migration is the wrong place for it.",
    instead="Drop databases by hand or with infrastructure tooling, never from a migration.",
    sql_example=("DROP DATABASE reporting;", "-- drop databases outside migrations"),
    op_example=('op.execute("DROP DATABASE reporting")', "# drop databases outside migrations"),
    seen_in=("squawk ban-drop-database",),
)
def drop_database(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in _drops(stmt, "database"):
        yield Hit(
            message=f"DROP DATABASE {action.table} destroys the whole database",
            help="Remove it from the migration; drop databases outside migrations",
        )


@rule(
    code="AS509",
    name="truncate-cascade",
    on=(Truncate,),
    category=Category.DATA_LOSS,
    summary="TRUNCATE ... CASCADE also empties every referencing table",
    what="`TRUNCATE ... CASCADE`.",
    why="It silently empties every table with a foreign key to this one (and tables that "
    "reference those), under ACCESS EXCLUSIVE on all of them.",
    instead="Name every table to empty explicitly, without CASCADE, so the review sees them.",
    sql_example=("TRUNCATE users CASCADE;", "TRUNCATE users, claims;"),
    op_example=('op.execute("TRUNCATE users CASCADE")', 'op.execute("TRUNCATE users, claims")'),
    seen_in=("squawk ban-truncate-cascade",),
)
def truncate_cascade(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, Truncate, existing=False):
        if action.cascade:
            yield Hit(
                message=f"TRUNCATE {action.table} CASCADE also empties every table referencing it",
                help="List the tables to empty explicitly and drop CASCADE",
            )


def _cascades(stmt: StatementFacts) -> Iterator[str]:
    """What each CASCADE drop of an existing object in ``stmt`` drops, as SQL-ish text."""
    for dropped in actions(stmt, DropObject):
        if dropped.cascade:
            yield f"DROP {dropped.object_kind.upper()} {dropped.table} CASCADE"
    for column in actions(stmt, DropColumn):
        if column.cascade:
            yield f"DROP COLUMN {column.table}.{column.column} CASCADE"
    for constraint in actions(stmt, DropConstraint):
        if constraint.cascade:
            yield f"DROP CONSTRAINT {constraint.name} ON {constraint.table} CASCADE"


@rule(
    code="AS510",
    name="drop-cascade",
    on=(DropObject, DropColumn, DropConstraint),
    category=Category.DATA_LOSS,
    summary="DROP ... CASCADE also drops everything that depends on the object",
    what="`DROP TABLE|VIEW|TYPE|DOMAIN|SCHEMA|FUNCTION|SEQUENCE|EXTENSION|... CASCADE`, and "
    "`ALTER TABLE ... DROP COLUMN|CONSTRAINT ... CASCADE`, of an existing object.",
    why="CASCADE drops every object that depends on the one named, and what depends on those, "
    "without naming any of them: the columns of a type or domain with their data, every table "
    "of a schema, the views over a table or column, the foreign keys that reference a "
    "constraint, the triggers and defaults that call a function. Nobody reviewing the "
    "migration sees what goes, and only a backup brings it back.",
    instead="Drop without CASCADE: PostgreSQL then refuses while anything depends on the object "
    "and names the dependents (`DETAIL: ... depends on ...`). Drop or change each of them "
    "explicitly first, so the migration states everything it destroys.",
    sql_example=("DROP SCHEMA reporting CASCADE;",
                 "DROP VIEW reporting.claim_totals;\nDROP SCHEMA reporting;"),
    op_example=('op.execute("DROP SCHEMA reporting CASCADE")',
                'op.execute("DROP VIEW reporting.claim_totals")\n'
                'op.execute("DROP SCHEMA reporting")'),
    seen_in=("squawk ban-truncate-cascade (the TRUNCATE form, AS509)",
             "Atlas DS101 (drop schema)"),
)
def drop_cascade(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for dropped in _cascades(stmt):
        yield Hit(
            message=f"{dropped} also drops every object that depends on it, unnamed and "
            "beyond restore",
            help="Drop it without CASCADE (PostgreSQL then names what still depends on it) "
            "and drop or change each dependent explicitly first",
        )
