"""AS3xx: adding and validating constraints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from alembic_safe.analysis.facts import (
    AddColumn,
    AddConstraint,
    ConstraintDef,
    ConstraintKind,
    Relation,
    StatementFacts,
    ValidateConstraint,
)
from alembic_safe.rules import fixes
from alembic_safe.rules.base import Category, Hit, Memo, RuleContext, rule
from alembic_safe.rules.helpers import actions

#: the actions :func:`_added` reads
_ADDS = (AddConstraint, AddColumn)


def _added(stmt: StatementFacts, kind: ConstraintKind) -> Iterator[tuple[Relation | None,
                                                                       ConstraintDef, bool]]:
    """Constraints of ``kind`` added to existing tables: ADD CONSTRAINT and inline in ADD COLUMN
    (the last item: True for ADD CONSTRAINT, whose fix replaces the statement)."""
    for action in actions(stmt, AddConstraint):
        if action.constraint.kind is kind and not action.on_domain:
            yield action.table, action.constraint, True
    for added in actions(stmt, AddColumn):
        for constraint in added.column.constraints:
            if constraint.kind is kind:
                cols = constraint.columns or (added.column.name,)
                yield added.table, replace(constraint, columns=cols), False
        if kind is ConstraintKind.PRIMARY_KEY and added.column.primary_key and not any(
            c.kind is kind for c in added.column.constraints
        ):
            yield added.table, ConstraintDef(kind, None, (added.column.name,)), False


def _name(table: Relation | None, constraint: ConstraintDef) -> str:
    """The constraint's name, or the one PostgreSQL gives it."""
    if table is None:
        return constraint.name or "constraint"
    return fixes.constraint_name(table, constraint)


@rule(
    code="AS301",
    name="add-foreign-key-without-not-valid",
    on=_ADDS,
    category=Category.LOCK,
    summary="FOREIGN KEY added to an existing table without NOT VALID",
    what=(
        "`ADD CONSTRAINT ... FOREIGN KEY` (or an inline `REFERENCES` in `ADD COLUMN`) on an "
        "existing table, without `NOT VALID`."
    ),
    why=(
        "PostgreSQL takes SHARE ROW EXCLUSIVE on both the table and the referenced table and "
        "checks every row while holding it: writes to both tables wait for the whole scan."
    ),
    instead=(
        "1. Add the constraint with `NOT VALID` (brief lock, no scan; new rows are checked).\n"
        "2. In a later transaction, `VALIDATE CONSTRAINT` (SHARE UPDATE EXCLUSIVE: writes keep "
        "working)."
    ),
    sql_example=(
        "ALTER TABLE claims ADD CONSTRAINT claims_user_fk FOREIGN KEY (user_id) "
        "REFERENCES users (id);", "",
    ),
    op_example=(
        'op.create_foreign_key("claims_user_fk", "claims", "users", ["user_id"], ["id"])', "",
    ),
    seen_in=("squawk adding-foreign-key-constraint", "strong_migrations add_foreign_key",
             "django-pg-zero-downtime-migrations", "Atlas PG305"),
)
def add_foreign_key(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for table, constraint, alone in _added(stmt, ConstraintKind.FOREIGN_KEY):
        if constraint.not_valid:
            continue
        fix = fixes.foreign_key_not_valid(table, constraint) if alone and table is not None \
            and constraint.references is not None else None
        yield Hit(
            message=f"foreign key {_name(table, constraint)} on {table} -> "
            f"{constraint.references} is validated while writes to both tables are blocked",
            fix=fix,
            help="" if fix is not None else "Add the column first, then the foreign key NOT VALID, "
            "and validate it in a later transaction",
        )


@rule(
    code="AS302",
    name="add-check-without-not-valid",
    on=_ADDS,
    category=Category.LOCK,
    summary="CHECK constraint added to an existing table without NOT VALID",
    what="`ADD CONSTRAINT ... CHECK (...)` on an existing table without `NOT VALID`.",
    why=(
        "PostgreSQL checks every row while holding ACCESS EXCLUSIVE: reads and writes wait for "
        "the whole scan."
    ),
    instead=(
        "1. Add the CHECK with `NOT VALID` (brief lock, no scan; new rows are checked).\n"
        "2. In a later transaction, `VALIDATE CONSTRAINT` (SHARE UPDATE EXCLUSIVE)."
    ),
    sql_example=(
        "ALTER TABLE claims ADD CONSTRAINT claims_amount_positive CHECK (amount > 0);", "",
    ),
    op_example=('op.create_check_constraint("claims_amount_positive", "claims", "amount > 0")',
                ""),
    seen_in=("squawk constraint-missing-not-valid", "strong_migrations add_check_constraint",
             "django-pg-zero-downtime-migrations", "Atlas PG305"),
)
def add_check(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for table, constraint, alone in _added(stmt, ConstraintKind.CHECK):
        if constraint.not_valid:
            continue
        fix = fixes.check_not_valid(table, constraint) if alone and table is not None \
            and constraint.expression is not None else None
        yield Hit(
            message=f"CHECK constraint {_name(table, constraint)} on {table} is validated under "
            "ACCESS EXCLUSIVE",
            fix=fix,
            help="" if fix is not None else "Add the column first, then the CHECK NOT VALID, and "
            "validate it in a later transaction",
        )


def _unique_or_pk(stmt: StatementFacts) -> Iterator[tuple[Relation | None, ConstraintDef,
                                                          bool]]:
    yield from _added(stmt, ConstraintKind.UNIQUE)
    yield from _added(stmt, ConstraintKind.PRIMARY_KEY)


@rule(
    code="AS303",
    name="add-unique-without-index",
    on=_ADDS,
    category=Category.LOCK,
    summary="UNIQUE or PRIMARY KEY added to an existing table without USING INDEX",
    what=(
        "`ADD CONSTRAINT ... UNIQUE|PRIMARY KEY (...)` (or an inline `UNIQUE`/`PRIMARY KEY` in "
        "`ADD COLUMN`) on an existing table, without `USING INDEX`."
    ),
    why=(
        "PostgreSQL builds the unique index while holding ACCESS EXCLUSIVE: reads and writes "
        "wait for the whole build. Duplicates abort it in production even when CI passed."
    ),
    instead=(
        "1. `CREATE UNIQUE INDEX CONCURRENTLY` outside a transaction; check it is valid.\n"
        "2. `ADD CONSTRAINT ... UNIQUE|PRIMARY KEY USING INDEX` (brief lock; for a primary key "
        "the columns must already be NOT NULL, else it scans)."
    ),
    sql_example=("ALTER TABLE claims ADD CONSTRAINT claims_number_key UNIQUE (number);", ""),
    op_example=('op.create_unique_constraint("claims_number_key", "claims", ["number"])', ""),
    seen_in=("squawk disallowed-unique-constraint", "squawk adding-primary-key-constraint",
             "strong_migrations add_unique_constraint", "django-pg-zero-downtime-migrations",
             "Atlas PG104/PG105"),
)
def add_unique_without_index(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for table, constraint, alone in _unique_or_pk(stmt):
        if constraint.using_index:
            continue
        word = "PRIMARY KEY" if constraint.kind is ConstraintKind.PRIMARY_KEY else "UNIQUE"
        # USING INDEX takes no DEFERRABLE index build options
        fix = fixes.unique_via_index(table, constraint) if alone and table is not None \
            and constraint.columns and not constraint.deferrable else None
        yield Hit(
            message=f"{word} {_name(table, constraint)} on {table} builds its index under "
            "ACCESS EXCLUSIVE",
            fix=fix,
            help="" if fix is not None else "Build the unique index concurrently first (add the "
            f"column on its own before), then attach it: ADD CONSTRAINT ... {word} USING INDEX",
        )


@rule(
    code="AS304",
    name="add-exclusion-constraint",
    on=_ADDS,
    category=Category.LOCK,
    summary="EXCLUDE constraint added to an existing table",
    what="`ADD CONSTRAINT ... EXCLUDE USING ...` on an existing table.",
    why=(
        "PostgreSQL builds the index and checks every row under ACCESS EXCLUSIVE, and there is "
        "no NOT VALID or USING INDEX form for exclusion constraints: no safe path exists."
    ),
    instead=(
        "Add it when the table is created, or during a maintenance window on a small table; "
        "otherwise enforce the rule in the application or with a trigger, and opt out with a "
        "reason when the table is known to be small."
    ),
    sql_example=(
        "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist "
        "(room WITH =, during WITH &&);",
        "CREATE TABLE bookings (room int, during tstzrange, "
        "EXCLUDE USING gist (room WITH =, during WITH &&));",
    ),
    op_example=(
        'op.create_exclude_constraint("no_overlap", "bookings", ("room", "="), ("during", "&&"))',
        'op.create_table("bookings", sa.Column("room", sa.Integer()), '
        'sa.Column("during", TSTZRANGE()), ExcludeConstraint(("room", "="), ("during", "&&")))',
    ),
    seen_in=("strong_migrations add_exclusion_constraint", "Eugene E8"),
)
def add_exclusion_constraint(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for table, constraint, _ in _added(stmt, ConstraintKind.EXCLUDE):
        label = f"EXCLUDE constraint {constraint.name}" if constraint.name else "EXCLUDE constraint"
        yield Hit(
            message=f"{label} on {table} builds and checks under ACCESS EXCLUSIVE; it has no "
            "safe online form",
            help="Add it when the table is created, or enforce it otherwise; if the table is "
            "small, opt out with a reason",
        )


class NotValidAdded(Memo):
    """Per transaction: (table, name) of the constraints added NOT VALID to existing tables."""

    def __init__(self) -> None:
        self.by_transaction: dict[int, set[tuple[Relation | None, str | None]]] = {}

    def observe(self, stmt: StatementFacts) -> None:
        if stmt.transaction_id is None:
            return
        added = [(a.table, a.constraint.name) for a in actions(stmt, AddConstraint)
                 if a.constraint.not_valid]
        if added:
            self.by_transaction.setdefault(stmt.transaction_id, set()).update(added)


@rule(
    code="AS305",
    name="validate-in-same-transaction",
    on=(ValidateConstraint,),
    category=Category.LOCK,
    summary="VALIDATE CONSTRAINT in the transaction that added it NOT VALID",
    what=(
        "`VALIDATE CONSTRAINT` in the same transaction as the `ADD CONSTRAINT ... NOT VALID` "
        "that created it."
    ),
    why=(
        "The ADD took SHARE ROW EXCLUSIVE or ACCESS EXCLUSIVE and that lock is held until the "
        "transaction commits, so the validation scan runs while writes are blocked: NOT VALID "
        "bought nothing."
    ),
    instead=(
        "Commit between the two: in SQL, `COMMIT` after the ADD; in Alembic, run the VALIDATE "
        "inside `autocommit_block()` or in the next migration."
    ),
    sql_example=(
        "BEGIN;\nALTER TABLE claims ADD CONSTRAINT claims_user_fk FOREIGN KEY (user_id) "
        "REFERENCES users (id) NOT VALID;\nALTER TABLE claims VALIDATE CONSTRAINT claims_user_fk;"
        "\nCOMMIT;",
        "",
    ),
    op_example=(
        'op.create_foreign_key("claims_user_fk", "claims", "users", ["user_id"], ["id"], '
        "postgresql_not_valid=True)\n"
        'op.execute("ALTER TABLE claims VALIDATE CONSTRAINT claims_user_fk")',
        "",
    ),
    seen_in=("strong_migrations validate_foreign_key / validate_check_constraint",),
    memos=(NotValidAdded,),
)
def validate_in_same_transaction(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    if stmt.transaction_id is None:
        return
    added = ctx.memo(NotValidAdded).by_transaction.get(stmt.transaction_id, set())
    for action in actions(stmt, ValidateConstraint):
        if (action.table, action.name) in added:
            yield Hit(
                message=f"VALIDATE CONSTRAINT {action.name} on {action.table} runs in "
                "the transaction that added it, while its lock still blocks writes",
                fix=fixes.validate_later(action.table, action.name)
                if action.table is not None else None,
                help="" if action.table is not None else "Commit before the validation",
            )
            return


@rule(
    code="AS306",
    name="alter-domain-add-constraint",
    on=(AddConstraint,),
    category=Category.LOCK,
    summary="ALTER DOMAIN ... ADD CONSTRAINT without NOT VALID",
    what="`ALTER DOMAIN ... ADD CONSTRAINT` (a CHECK on a domain) without `NOT VALID`.",
    why="PostgreSQL checks every row of every table with a column of the domain, and locks those "
    "tables against writes while it does: one statement can block several large tables.",
    instead="1. `ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID` (new values are checked).\n"
    "2. In a later transaction `ALTER DOMAIN ... VALIDATE CONSTRAINT ...`.",
    sql_example=("ALTER DOMAIN positive_amount ADD CONSTRAINT positive CHECK (VALUE > 0);", ""),
    op_example=(
        'op.execute("ALTER DOMAIN positive_amount ADD CONSTRAINT positive CHECK (VALUE > 0)")', "",
    ),
    seen_in=("squawk ban-alter-domain-with-add-constraint",),
)
def alter_domain_add_constraint(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, AddConstraint):
        con = action.constraint
        if not action.on_domain or con.not_valid:
            continue
        fix = fixes.domain_check_not_valid(action.table, con) if action.table is not None \
            and con.kind is ConstraintKind.CHECK and con.expression is not None else None
        yield Hit(
            message=f"constraint {con.name or con.kind.value} added to domain {action.table} is "
            "checked against every column of the domain while writes to those tables wait",
            fix=fix,
            help="" if fix is not None else "Only a CHECK can be added NOT VALID: add the rule "
            "as a CHECK (NOT NULL as CHECK (VALUE IS NOT NULL)) NOT VALID, then validate it in "
            "a later transaction",
        )
