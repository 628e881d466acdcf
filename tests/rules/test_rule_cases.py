"""Every rule on hand-built facts: what fires, what is the safe form, PostgreSQL versions."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rulefacts import USERS, Case, T, lock, run, stmt

from alembic_safe.analysis.facts import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    AlterEnum,
    ColumnDef,
    ConstraintDef,
    ConstraintKind,
    CreateIndex,
    CreateTable,
    DropColumn,
    DropConstraint,
    DropObject,
    LockMode,
    LockTable,
    ModifyRows,
    OpaqueCode,
    OtherStatement,
    Reindex,
    Relation,
    Rename,
    Requirement,
    SetNotNull,
    SetSetting,
    StatementFacts,
    TableRewriteCommand,
    TransactionControl,
    Truncate,
    ValidateConstraint,
    Volatility,
)
from alembic_safe.analysis.versions import TRANSACTION_TIMEOUT, VIRTUAL_COLUMN
from alembic_safe.report.finding import safe_way
from alembic_safe.rules import all_rules
from alembic_safe.rules.examples import safe_example

AE, SHARE, SRE, SUE = (LockMode.ACCESS_EXCLUSIVE, LockMode.SHARE, LockMode.SHARE_ROW_EXCLUSIVE,
                       LockMode.SHARE_UPDATE_EXCLUSIVE)
NEW = Relation("fresh")


def col(name: str = "c", type_name: str = "text", **kw: object) -> ColumnDef:
    return ColumnDef(name, type_name, **kw)


def add(column: ColumnDef, table: Relation = T, new: bool = False) -> StatementFacts:
    return stmt(AddColumn(table, column=column, is_new=new), locks=(lock(table, AE, new=new),))


def newer(required: Requirement) -> StatementFacts:
    """An ALTER TABLE that uses a feature of a newer major."""
    return replace(stmt(OtherStatement(T, command="ALTER"), locks=(lock(T),)), requires=required)


def constraint(kind: ConstraintKind, new: bool = False, **kw: object) -> StatementFacts:
    table = NEW if new else T
    mode = SRE if kind is ConstraintKind.FOREIGN_KEY else AE
    return stmt(AddConstraint(table, constraint=ConstraintDef(kind, **kw), is_new=new),
                locks=(lock(table, mode, new=new),))


def rewrite(command: str, concurrently: bool = False, new: bool = False) -> StatementFacts:
    table = NEW if new else T
    return stmt(TableRewriteCommand(table, command=command, concurrently=concurrently, is_new=new),
                locks=(lock(table, SUE if concurrently else AE, new=new),))


def create_new_table() -> StatementFacts:
    return stmt(CreateTable(NEW, columns=(col("id", "bigint"),), is_new=True), kind="CREATE TABLE")


def index(concurrently: bool = False, new: bool = False, txn: int | None = None,
          **kw: object) -> StatementFacts:
    table = NEW if new else T
    return stmt(CreateIndex(table, index="ix_claims_status", columns=("status",),
                            concurrently=concurrently, is_new=new, **kw),
                kind="CREATE INDEX", locks=(lock(table, SUE if concurrently else SHARE, new=new),),
                txn=txn)


def begin(txn: int) -> StatementFacts:
    return stmt(TransactionControl(None, command="BEGIN"), kind="BEGIN", txn=txn)


def set_timeout(value: str | None, local: bool = False, txn: int | None = None) -> StatementFacts:
    return stmt(SetSetting(None, name="lock_timeout", value=value, local=local), kind="SET",
                txn=txn)


def alter(txn: int | None = None) -> StatementFacts:
    return stmt(AddColumn(T, column=col("note")), locks=(lock(T, AE),), txn=txn)


def update(table: Relation = T, txn: int | None = None, **kw: object) -> StatementFacts:
    return stmt(ModifyRows(table, **kw), kind=str(kw.get("command", "UPDATE")),
                locks=(lock(table, LockMode.ROW_EXCLUSIVE),), txn=txn)


def fk(not_valid: bool, name: str = "claims_user_fk", txn: int | None = None) -> StatementFacts:
    definition = ConstraintDef(ConstraintKind.FOREIGN_KEY, name, ("user_id",), not_valid,
                               references=USERS)
    return stmt(AddConstraint(T, constraint=definition),
                locks=(lock(T, SRE), lock(USERS, SRE)), txn=txn)


def validate(name: str = "claims_user_fk", txn: int | None = None) -> StatementFacts:
    return stmt(ValidateConstraint(T, name=name), locks=(lock(T, SUE),), txn=txn)


def created(column: ColumnDef, **kw: object) -> StatementFacts:
    return stmt(CreateTable(NEW, columns=(column,), is_new=True, **kw), kind="CREATE TABLE")


def enum_add(txn: int | None, new: bool = False) -> StatementFacts:
    return stmt(AlterEnum(Relation("claim_status"), add_value="disputed", is_new=new),
                kind="ALTER TYPE", txn=txn)


K = ConstraintKind
CASES = [
    # AS001 parse-error
    Case("parse-error", "AS001", [stmt(kind="PARSE ERROR", parse_error="syntax error at or near "
                                       "\";\" at line 1, column 31")], True),
    Case("parsed", "AS001", [alter()], False),
    # AS004 needs-newer-postgres
    Case("virtual column on 17", "AS004", [newer(VIRTUAL_COLUMN)], True, pg_version=17),
    Case("virtual column on 18", "AS004", [newer(VIRTUAL_COLUMN)], False, pg_version=18),
    Case("transaction_timeout on 16", "AS004", [newer(TRANSACTION_TIMEOUT)], True, pg_version=16),
    Case("transaction_timeout on 17", "AS004", [newer(TRANSACTION_TIMEOUT)], False,
         pg_version=17),
    Case("a server newer than the catalog knows", "AS004", [newer(VIRTUAL_COLUMN)], False,
         pg_version=19),
    # AS101 create-index-not-concurrent
    Case("plain index", "AS101", [index()], True),
    Case("unique index", "AS101", [index(unique=True)], True),
    Case("concurrent index", "AS101", [index(concurrently=True)], False),
    Case("index on new table", "AS101", [create_new_table(), index(new=True)], False),
    Case("index on only parent", "AS101", [index(only=True)], False),
    # AS102 drop-index-not-concurrent
    Case("drop index", "AS102", [stmt(DropObject(Relation("ix"), object_kind="index"),
                                      kind="DROP INDEX", locks=(lock(T),))], True),
    Case("drop index concurrently", "AS102", [stmt(DropObject(Relation("ix"), object_kind="index",
                                                              concurrently=True))], False),
    Case("drop table is not drop index", "AS102", [stmt(DropObject(T), kind="DROP TABLE")], False),
    # AS103 concurrently-in-transaction
    Case("cic in transaction", "AS103",
         [begin(1), stmt(*index(concurrently=True).actions, kind="CREATE INDEX", txn=1,
                         requires_no_transaction=True)], True),
    Case("cic outside transaction", "AS103",
         [stmt(*index(concurrently=True).actions, requires_no_transaction=True)], False),
    Case("enum add value pre-12 left to AS701", "AS103",
         [stmt(*enum_add(1).actions, txn=1, requires_no_transaction=True)], False, pg_version=11),
    # AS104 reindex-not-concurrent
    Case("reindex", "AS104", [stmt(Reindex(Relation("ix")), kind="REINDEX")], True),
    Case("reindex table", "AS104", [stmt(Reindex(T, target_kind="table"), kind="REINDEX")], True),
    Case("reindex concurrently", "AS104",
         [stmt(Reindex(Relation("ix"), concurrently=True), kind="REINDEX")], False),
    # AS201 add-column-not-null-without-default
    Case("not null no default", "AS201", [add(col(not_null=True))], True),
    Case("not null with default", "AS201",
         [add(col(not_null=True, has_default=True, default_volatility=Volatility.CONSTANT))],
         False),
    Case("nullable", "AS201", [add(col())], False),
    Case("not null identity", "AS201", [add(col(not_null=True, identity=True))], False),
    Case("not null virtual generated", "AS201",
         [add(col(not_null=True, generated_virtual=True))], False, pg_version=18),
    Case("not null on new table", "AS201", [add(col(not_null=True), NEW, new=True)], False),
    # AS202 add-column-volatile-default
    Case("volatile default", "AS202",
         [add(col("token", "uuid", has_default=True, default_volatility=Volatility.VOLATILE))],
         True),
    Case("unknown default", "AS202",
         [add(col(has_default=True, default_volatility=Volatility.UNKNOWN))], True),
    Case("stable default", "AS202",
         [add(col(has_default=True, default_volatility=Volatility.STABLE))], False),
    Case("constant default", "AS202",
         [add(col(has_default=True, default_volatility=Volatility.CONSTANT))], False),
    Case("volatile default on new table", "AS202",
         [add(col(has_default=True, default_volatility=Volatility.VOLATILE), NEW, new=True)],
         False),
    # AS203 add-column-stored-generated
    Case("stored generated", "AS203", [add(col(generated_stored=True))], True),
    Case("plain column", "AS203", [add(col())], False),
    # AS204 add-column-serial-or-identity
    Case("serial", "AS204", [add(col("seq", "integer", serial=True))], True),
    Case("identity", "AS204", [add(col("seq", "bigint", identity=True))], True),
    Case("bigint", "AS204", [add(col("seq", "bigint"))], False),
    # AS205 alter-column-type
    Case("type change", "AS205", [stmt(AlterColumnType(T, column="amount", new_type="bigint"),
                                       locks=(lock(T),))], True),
    Case("rewrite-free type change", "AS205",
         [stmt(AlterColumnType(T, column="name", new_type="text", old_type="character varying(20)",
                               rewrite_free=True), locks=(lock(T),))], False),
    Case("type change on new table", "AS205",
         [stmt(AlterColumnType(NEW, column="a", new_type="bigint", is_new=True))], False),
    # AS206 set-not-null
    Case("set not null", "AS206", [stmt(SetNotNull(T, column="region"), locks=(lock(T),))], True),
    Case("set not null with validated check", "AS206",
         [stmt(SetNotNull(T, column="region", has_validated_not_null_check=True))], False),
    Case("not null constraint", "AS206", [constraint(K.NOT_NULL, columns=("region",))], True,
         pg_version=18),
    Case("not null constraint not valid", "AS206",
         [constraint(K.NOT_NULL, columns=("region",), not_valid=True)], False, pg_version=18),
    Case("not null constraint on new table", "AS206",
         [constraint(K.NOT_NULL, new=True, columns=("region",))], False, pg_version=18),
    Case("virtual column not null", "AS206",
         [add(col(not_null=True, generated_virtual=True))], True, pg_version=18),
    Case("virtual column nullable", "AS206", [add(col(generated_virtual=True))], False,
         pg_version=18),
    # AS301 add-foreign-key-without-not-valid
    Case("fk", "AS301", [fk(False)], True),
    Case("fk not valid", "AS301", [fk(True)], False),
    Case("inline references", "AS301",
         [add(col("user_id", "bigint", constraints=(ConstraintDef(K.FOREIGN_KEY,
                                                                  references=USERS),)))], True),
    Case("fk on new table", "AS301", [constraint(K.FOREIGN_KEY, new=True, references=USERS)],
         False),
    # AS302 add-check-without-not-valid
    Case("check", "AS302", [constraint(K.CHECK, name="amount_positive")], True),
    Case("check not valid", "AS302", [constraint(K.CHECK, not_valid=True)], False),
    Case("inline check", "AS302",
         [add(col(constraints=(ConstraintDef(K.CHECK),)))], True),
    # AS303 add-unique-without-index
    Case("unique", "AS303", [constraint(K.UNIQUE, columns=("number",))], True),
    Case("primary key", "AS303", [constraint(K.PRIMARY_KEY, columns=("id",))], True),
    Case("inline primary key", "AS303", [add(col("id", "bigint", primary_key=True))], True),
    Case("inline unique", "AS303", [add(col(constraints=(ConstraintDef(K.UNIQUE),)))], True),
    Case("unique using index", "AS303",
         [constraint(K.UNIQUE, name="k", using_index="k")], False),
    Case("unique on new table", "AS303", [constraint(K.UNIQUE, new=True)], False),
    # AS304 add-exclusion-constraint
    Case("exclude", "AS304", [constraint(K.EXCLUDE, name="no_overlap")], True),
    Case("exclude on new table", "AS304", [constraint(K.EXCLUDE, new=True)], False),
    # AS305 validate-in-same-transaction
    Case("validate in same transaction", "AS305",
         [begin(1), fk(True, txn=1), validate(txn=1)], True),
    Case("validate after commit", "AS305", [begin(1), fk(True, txn=1), validate()], False),
    Case("validate of another constraint", "AS305",
         [begin(1), fk(True, txn=1), validate("other", txn=1)], False),
    # AS306 alter-domain-add-constraint
    Case("domain check", "AS306",
         [stmt(AddConstraint(Relation("positive_amount"), on_domain=True,
                             constraint=ConstraintDef(K.CHECK, "positive")), kind="ALTER DOMAIN")],
         True),
    Case("domain check not valid", "AS306",
         [stmt(AddConstraint(Relation("positive_amount"), on_domain=True,
                             constraint=ConstraintDef(K.CHECK, "positive", not_valid=True)),
               kind="ALTER DOMAIN")], False),
    Case("domain check is not a table check", "AS302",
         [stmt(AddConstraint(Relation("positive_amount"), on_domain=True,
                             constraint=ConstraintDef(K.CHECK, "positive")), kind="ALTER DOMAIN")],
         False),
    Case("table check is not a domain check", "AS306", [constraint(K.CHECK)], False),
    # AS401-AS404, AS408 whole-table rewrites
    Case("vacuum full", "AS401", [rewrite("VACUUM FULL")], True),
    Case("vacuum full of new table", "AS401", [rewrite("VACUUM FULL", new=True)], False),
    Case("cluster", "AS402", [rewrite("CLUSTER")], True),
    Case("cluster new table", "AS402", [rewrite("CLUSTER", new=True)], False),
    Case("set logged", "AS403", [rewrite("SET LOGGED")], True),
    Case("set unlogged", "AS403", [rewrite("SET UNLOGGED")], True),
    Case("set unlogged on new table", "AS403", [rewrite("SET UNLOGGED", new=True)], False),
    Case("set tablespace", "AS404", [rewrite("SET TABLESPACE")], True),
    Case("set tablespace on new table", "AS404", [rewrite("SET TABLESPACE", new=True)], False),
    Case("detach", "AS408", [rewrite("DETACH PARTITION")], True, pg_version=14),
    Case("detach concurrently", "AS408", [rewrite("DETACH PARTITION", concurrently=True)], False,
         pg_version=14),
    Case("detach on 13 (no CONCURRENTLY there)", "AS408", [rewrite("DETACH PARTITION")], False,
         pg_version=13),
    # AS405 lock-table
    Case("lock table", "AS405", [stmt(LockTable(T), kind="LOCK", locks=(lock(T),))], True),
    Case("lock table share", "AS405",
         [stmt(LockTable(T, mode=SHARE), kind="LOCK", locks=(lock(T, SHARE),))], True),
    Case("lock share update exclusive", "AS405",
         [stmt(LockTable(T, mode=SUE), kind="LOCK", locks=(lock(T, SUE),))], False),
    # AS406 truncate / AS509 truncate-cascade
    Case("truncate", "AS406", [stmt(Truncate(T), kind="TRUNCATE", locks=(lock(T),))], True),
    Case("truncate new table", "AS406", [stmt(Truncate(NEW, is_new=True), kind="TRUNCATE")],
         False),
    Case("truncate cascade", "AS509", [stmt(Truncate(T, cascade=True), kind="TRUNCATE")], True),
    Case("truncate without cascade", "AS509", [stmt(Truncate(T), kind="TRUNCATE")], False),
    # AS407 refresh-materialized-view-not-concurrent
    Case("refresh", "AS407", [stmt(kind="REFRESH MATERIALIZED VIEW", locks=(lock(T),))], True),
    Case("refresh concurrently", "AS407",
         [stmt(kind="REFRESH MATERIALIZED VIEW", locks=(lock(T, LockMode.EXCLUSIVE),))], False),
    # AS501-AS508 destructive
    Case("drop table", "AS501", [stmt(DropObject(T), kind="DROP TABLE", locks=(lock(T),))], True),
    Case("drop view", "AS501", [stmt(DropObject(T, object_kind="view"), kind="DROP VIEW")], False),
    Case("drop new table", "AS501",
         [create_new_table(), stmt(DropObject(NEW, is_new=True, created_here=True),
                                   kind="DROP TABLE")], False),
    Case("drop new table cascade", "AS501",
         [create_new_table(), stmt(DropObject(NEW, is_new=True, created_here=True, cascade=True),
                                   kind="DROP TABLE")], True),
    Case("drop a table created earlier in the run", "AS501",
         [stmt(DropObject(NEW, is_new=True), kind="DROP TABLE")], True),
    Case("drop column", "AS502", [stmt(DropColumn(T, column="legacy"), locks=(lock(T),))], True),
    Case("add column", "AS502", [alter()], False),
    Case("drop column of a new table", "AS502",
         [create_new_table(), stmt(DropColumn(NEW, column="id", is_new=True, created_here=True),
                                   locks=(lock(NEW, new=True),))], False),
    Case("drop column of a new table, cascading", "AS502",
         [create_new_table(), stmt(DropColumn(NEW, column="id", cascade=True, is_new=True,
                                              created_here=True),
                                   locks=(lock(NEW, new=True),))], True),
    Case("drop type cascade", "AS503",
         [stmt(DropObject(Relation("claim_status"), object_kind="type", cascade=True))], True),
    Case("drop type", "AS503", [stmt(DropObject(Relation("claim_status"), object_kind="type"))],
         True),
    Case("drop domain is not drop type", "AS503",
         [stmt(DropObject(Relation("d"), object_kind="domain"))], False),
    Case("delete all", "AS504", [update(command="DELETE")], True),
    Case("delete where", "AS504", [update(command="DELETE", has_where=True)], False),
    Case("rename table", "AS505",
         [stmt(Rename(T, object_kind="table", old_name="claims", new_name="c2"))], True),
    Case("rename index", "AS505",
         [stmt(Rename(Relation("ix"), object_kind="index", old_name="ix", new_name="ix2"))], False),
    Case("rename column", "AS506",
         [stmt(Rename(T, object_kind="column", old_name="amount", new_name="total"))], True),
    Case("rename column of a new table", "AS506",
         [create_new_table(), stmt(Rename(NEW, object_kind="column", old_name="id",
                                          new_name="key", is_new=True))], False),
    Case("rename new table", "AS505",
         [create_new_table(), stmt(Rename(NEW, object_kind="table", old_name="fresh",
                                          new_name="f2", is_new=True))], False),
    Case("delete all of a new table", "AS504",
         [create_new_table(), stmt(ModifyRows(NEW, command="DELETE", is_new=True,
                                              created_here=True), kind="DELETE")], False),
    Case("rename table is not rename column", "AS506",
         [stmt(Rename(T, object_kind="table", old_name="claims", new_name="c2"))], False),
    Case("rename enum value", "AS507",
         [stmt(AlterEnum(Relation("s"), rename_value=("open", "pending")), kind="ALTER TYPE")],
         True),
    Case("rename enum value as Rename", "AS507",
         [stmt(Rename(Relation("s"), object_kind="enum value", old_name="a", new_name="b"))], True),
    Case("add enum value", "AS507", [enum_add(None)], False),
    Case("drop database", "AS508",
         [stmt(DropObject(Relation("reporting"), object_kind="database"), kind="DROP DATABASE")],
         True),
    Case("drop schema", "AS508",
         [stmt(DropObject(Relation("s"), object_kind="schema"), kind="DROP SCHEMA")], False),
    # AS510 drop-cascade
    Case("drop type cascade", "AS510",
         [stmt(DropObject(Relation("claim_status"), object_kind="type", cascade=True))], True),
    Case("drop schema cascade", "AS510",
         [stmt(DropObject(Relation("s"), object_kind="schema", cascade=True))], True),
    Case("drop column cascade", "AS510",
         [stmt(DropColumn(T, column="legacy", cascade=True), locks=(lock(T),))], True),
    Case("drop constraint cascade", "AS510",
         [stmt(DropConstraint(T, name="claims_pkey", cascade=True), locks=(lock(T),))], True),
    Case("drop without cascade", "AS510",
         [stmt(DropObject(Relation("s"), object_kind="schema")),
          stmt(DropColumn(T, column="legacy"), locks=(lock(T),))], False),
    Case("cascade drop of what the input created", "AS510",
         [stmt(DropObject(NEW, object_kind="table", cascade=True, is_new=True))], False),
    # AS601 backfill-in-ddl-transaction
    Case("backfill after ddl", "AS601", [begin(1), alter(txn=1), update(txn=1)], True),
    Case("insert select after ddl", "AS601",
         [begin(1), alter(txn=1), update(txn=1, command="INSERT", from_select=True)], True),
    Case("insert values after ddl", "AS601",
         [begin(1), alter(txn=1), update(txn=1, command="INSERT")], False),
    Case("backfill after commit", "AS601", [begin(1), alter(txn=1), update(txn=2)], False),
    Case("backfill of another table", "AS601",
         [begin(1), alter(txn=1), update(USERS, txn=1)], False),
    Case("backfill before ddl", "AS601", [begin(1), update(txn=1), alter(txn=1)], True),
    Case("delete before ddl", "AS601",
         [begin(1), update(txn=1, command="DELETE", has_where=True), index(txn=1)], True),
    Case("batched backfill before ddl", "AS601",
         [begin(1), update(txn=1, has_where=True, batched=True), alter(txn=1)], False),
    Case("insert select before ddl", "AS601",
         [begin(1), update(txn=1, command="INSERT", from_select=True), alter(txn=1)], False),
    Case("backfill committed before ddl", "AS601", [update(txn=1), alter(txn=2)], False),
    Case("backfill before a weak lock", "AS601",
         [begin(1), update(txn=1), index(concurrently=True, txn=1)], False),
    Case("backfill before ddl of another table", "AS601",
         [begin(1), update(USERS, txn=1), alter(txn=1)], False),
    # AS602 unbatched-backfill
    Case("update all", "AS602", [update()], True),
    Case("update batch", "AS602", [update(has_where=True, batched=True)], False),
    Case("update where", "AS602", [update(has_where=True)], False),
    Case("update new table", "AS602", [update(Relation("fresh"), is_new=True)], False),
    # AS701 / AS702 enums
    Case("add value in transaction on 11", "AS701", [begin(1), enum_add(1)], True, pg_version=11),
    Case("add value outside transaction on 11", "AS701", [enum_add(None)], False, pg_version=11),
    Case("add value in transaction on 12", "AS701", [begin(1), enum_add(1)], False, pg_version=12),
    Case("add value in transaction on 12+", "AS702", [begin(1), enum_add(1)], True, pg_version=12),
    Case("add value outside transaction", "AS702", [enum_add(None)], False),
    Case("add value to new enum", "AS702", [begin(1), enum_add(1, new=True)], False),
    # AS801 missing-lock-timeout
    Case("no timeout", "AS801", [alter()], True),
    Case("session timeout", "AS801", [set_timeout("'3s'"), alter()], False),
    Case("timeout zero", "AS801", [set_timeout("0"), alter()], True),
    Case("timeout reset", "AS801", [set_timeout("3s"), set_timeout(None), alter()], True),
    Case("local timeout same transaction", "AS801",
         [begin(1), set_timeout("3s", local=True, txn=1), alter(txn=1)], False),
    Case("local timeout does not survive commit", "AS801",
         [begin(1), set_timeout("3s", local=True, txn=1), alter(txn=2)], True),
    Case("managed by the guard", "AS801", [alter()], False, lock_timeout_managed=True),
    Case("weak lock", "AS801", [index(concurrently=True)], False),
    Case("share lock of create index", "AS801", [index()], True),
    Case("new table", "AS801", [create_new_table(), index(new=True)], False),
    # AS005 opaque-code
    Case("unknown function", "AS005",
         [stmt(OpaqueCode(None, code="migrate()", reason="unknown"), kind="SELECT")], True),
    Case("plain select", "AS005", [stmt(OtherStatement(None, command="SELECT"), kind="SELECT")],
         False),
    # AS802-AS806 column types
    Case("int pk", "AS802", [created(col("id", "integer", primary_key=True))], True),
    Case("serial pk by table constraint", "AS802",
         [created(col("id", "integer", serial=True),
                  constraints=(ConstraintDef(K.PRIMARY_KEY, columns=("id",)),))], True),
    Case("bigint pk", "AS802", [created(col("id", "bigint", primary_key=True))], False),
    Case("int non-pk", "AS802", [created(col("n", "integer"))], False),
    Case("varchar", "AS803", [created(col("n", "character varying(20)"))], True),
    Case("varchar on add column", "AS803", [add(col("n", "character varying(20)"))], True),
    Case("retype to varchar", "AS803",
         [stmt(AlterColumnType(T, column="n", new_type="character varying(5)"))], True),
    Case("unbounded varchar", "AS803", [created(col("n", "character varying"))], False),
    Case("text", "AS803", [created(col("n", "text"))], False),
    Case("timestamp", "AS804", [created(col("t", "timestamp without time zone"))], True),
    Case("timestamp(3)", "AS804", [created(col("t", "timestamp(3) without time zone"))], True),
    Case("timestamptz", "AS804", [created(col("t", "timestamp with time zone"))], False),
    Case("json", "AS805", [created(col("p", "json"))], True),
    Case("jsonb", "AS805", [created(col("p", "jsonb"))], False),
    Case("char", "AS806", [created(col("c", "character(2)"))], True),
    Case("bare char", "AS806", [created(col("c", "character"))], True),
    Case("varchar is not char", "AS806", [created(col("c", "character varying(2)"))], False),
    # AS807 transaction-nesting
    Case("nested begin", "AS807", [begin(1), alter(txn=1), begin(1)], True),
    Case("begin after commit", "AS807", [begin(1), alter(txn=1), begin(2)], False),
    # AS808 statements-after-access-exclusive
    Case("work after access exclusive", "AS808",
         [begin(1), alter(txn=1), update(USERS, txn=1, has_where=True)], True),
    Case("access exclusive last", "AS808",
         [begin(1), update(USERS, txn=1, has_where=True), alter(txn=1)], False),
    Case("only commit after", "AS808",
         [begin(1), alter(txn=1), stmt(TransactionControl(None, command="COMMIT"), txn=1)], False),
    Case("autocommit statements", "AS808", [alter(), update(USERS, has_where=True)], False),
    Case("backfill of the locked table is left to AS601", "AS808",
         [begin(1), alter(txn=1), update(txn=1, has_where=True)], False),
    Case("comment on the locked table is instant", "AS808",
         [begin(1), alter(txn=1), stmt(OtherStatement(T, command="COMMENT"), kind="COMMENT",
                                       locks=(lock(T, SUE),), txn=1)], False),
    Case("another column of the locked table is instant", "AS808",
         [begin(1), alter(txn=1), alter(txn=1)], False),
    Case("a catalog-only change waiting for another table's lock", "AS808",
         [begin(1), alter(txn=1), stmt(AddColumn(USERS, column=col("note")),
                                       locks=(lock(USERS, AE),), txn=1)], True),
    Case("index build on the locked table", "AS808",
         [begin(1), alter(txn=1), stmt(CreateIndex(T, index="ix", columns=("status",)),
                                       kind="CREATE INDEX", locks=(lock(T, SHARE),), txn=1)],
         True),
    Case("index build on another table is left to AS810", "AS808",
         [begin(1), alter(txn=1), stmt(CreateIndex(USERS, index="ix", columns=("email",)),
                                       kind="CREATE INDEX", locks=(lock(USERS, SHARE),), txn=1)],
         False),
    # AS810 long-work-after-access-exclusive
    Case("index build on another table", "AS810",
         [begin(1), alter(txn=1), stmt(CreateIndex(USERS, index="ix", columns=("email",)),
                                       kind="CREATE INDEX", locks=(lock(USERS, SHARE),), txn=1)],
         True),
    Case("full update of another table", "AS810",
         [begin(1), alter(txn=1), update(USERS, txn=1)], True),
    Case("insert ... select from another table", "AS810",
         [begin(1), alter(txn=1),
          stmt(ModifyRows(NEW, command="INSERT", from_select=True, is_new=True), kind="INSERT",
               locks=(lock(NEW, LockMode.ROW_EXCLUSIVE, new=True),
                      lock(USERS, LockMode.ACCESS_SHARE)), txn=1)], True),
    Case("rewrite of another table", "AS810",
         [begin(1), alter(txn=1),
          replace(stmt(TableRewriteCommand(USERS, command="SET LOGGED"), locks=(lock(USERS, AE),),
                       txn=1), rewrites=(USERS,))], True),
    Case("a few rows of another table", "AS810",
         [begin(1), alter(txn=1), update(USERS, txn=1, has_where=True)], False),
    Case("index build on the locked table is AS101's", "AS810",
         [begin(1), alter(txn=1), stmt(CreateIndex(T, index="ix", columns=("status",)),
                                       kind="CREATE INDEX", locks=(lock(T, SHARE),), txn=1)],
         False),
    Case("index build on a table created in the input", "AS810",
         [begin(1), alter(txn=1), stmt(CreateIndex(NEW, index="ix", columns=("a",), is_new=True),
                                       kind="CREATE INDEX", locks=(lock(NEW, SHARE, new=True),),
                                       txn=1)], False),
    Case("index build after commit", "AS810",
         [begin(1), alter(txn=1), stmt(CreateIndex(USERS, index="ix", columns=("email",)),
                                       kind="CREATE INDEX", locks=(lock(USERS, SHARE),), txn=2)],
         False),
    Case("the locked table under its new name is the same table", "AS810",
         [begin(1), stmt(Rename(T, object_kind="table", old_name="claims", new_name="bills"),
                         locks=(lock(T, AE),), txn=1),
          stmt(CreateIndex(Relation("bills"), index="ix", columns=("status",)),
               kind="CREATE INDEX", locks=(lock(Relation("bills"), SHARE),), txn=1)], False),
    Case("a column of the renamed table is instant", "AS808",
         [begin(1), stmt(Rename(T, object_kind="table", old_name="claims", new_name="bills"),
                         locks=(lock(T, AE),), txn=1),
          stmt(AddColumn(Relation("bills"), column=col("note")),
               locks=(lock(Relation("bills"), AE),), txn=1)], False),
    Case("another table after a rename", "AS808",
         [begin(1), stmt(Rename(T, object_kind="table", old_name="claims", new_name="bills"),
                         locks=(lock(T, AE),), txn=1),
          stmt(AddColumn(USERS, column=col("note")), locks=(lock(USERS, AE),), txn=1)], True),
    Case("unknown work after the lock", "AS808",
         [begin(1), alter(txn=1), stmt(OtherStatement(None, command="DO"), kind="DO", txn=1)],
         True),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.code}-{c.id}" for c in CASES])
def test_rule_case(case: Case) -> None:
    findings = run(case.stmts, pg_version=case.pg_version,
                   lock_timeout_managed=case.lock_timeout_managed)
    codes = [f.rule for f in findings]
    if case.fires:
        assert case.code in codes
        finding = next(f for f in findings if f.rule == case.code)
        assert finding.message and finding.advice
        assert finding.line == len(case.stmts)  # reported on the last statement
    else:
        assert case.code not in codes


def test_reported_once_per_transaction() -> None:
    findings = run([begin(1), alter(txn=1), update(USERS, txn=1, has_where=True),
                    update(USERS, txn=1, has_where=True)])
    assert [f.line for f in findings if f.rule == "AS808"] == [3]


def test_messages_name_the_objects() -> None:
    [finding] = [f for f in run([index()]) if f.rule == "AS101"]
    assert "ix_claims_status" in finding.message and "claims" in finding.message
    assert "CREATE INDEX CONCURRENTLY ix_claims_status ON claims (status)" in safe_way(finding)
    assert ('with op.get_context().autocommit_block():\n      op.create_index('
            '"ix_claims_status", "claims", ["status"], postgresql_concurrently=True)'
            ) in safe_way(finding)


def test_help_quotes_and_qualifies_names() -> None:
    table = Relation("Claims", "billing")
    statement = stmt(CreateIndex(table, index="ix", columns=("Status",)),
                     locks=(lock(table, SHARE),))
    [finding] = [f for f in run([statement]) if f.rule == "AS101"]
    assert 'ON billing."Claims" ("Status")' in safe_way(finding)
    assert 'op.create_index("ix", "Claims", ["Status"], schema="billing", ' in safe_way(finding)


FIRING = {c.code for c in CASES if c.fires}


def test_every_rule_has_docs_examples_and_a_firing_case() -> None:
    # AS002/AS003 fire from opt-outs, AS809 at the end of the input: see test_checker.py
    covered = FIRING | {"AS002", "AS003", "AS809"}
    for rule in all_rules():
        assert rule.summary and rule.what and rule.why and rule.instead, rule.code
        assert rule.sql_example[0] and rule.op_example[0], rule.code
        safe = safe_example(rule)
        assert safe.sql and safe.op, rule.code
        # the safe side is the fix rendered, or (no fix) written by hand: never both
        assert bool(rule.sql_example[1]) is bool(rule.op_example[1]) is not safe.rendered, \
            rule.code
        assert rule.seen_in, rule.code
        assert rule.code in covered, f"{rule.code} has no firing test"
