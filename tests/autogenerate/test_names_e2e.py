"""Schema-qualified tables and hostile names (quotes, backslashes, mixed case, spaces): the
script is valid Python, its SQL is valid, and the guard applies it unedited."""

from __future__ import annotations

from autogen_project import Project

SCHEMA = 'Bill "ing\\\\'
MODELS = '''
SCHEMA = {schema!r}


class Payer(Base):
    __tablename__ = 'Pay"ers\\\\'
    __table_args__ = {{"schema": SCHEMA}}
    id: Mapped[int] = mapped_column("Id", sa.BigInteger, primary_key=True)


class Claim(Base):
    __tablename__ = 'Cl"aims\\\\'
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column('Num"ber', sa.Text{unique})
    payer_id: Mapped[int | None] = mapped_column("Payer\\\\Id", sa.BigInteger{fk})
    status: Mapped[str{status_type}] = mapped_column("Sta tus", sa.Text, index={index},
                                                    nullable={nullable})
    __table_args__ = {{"schema": SCHEMA}}
'''


def _models(done: bool) -> str:
    return MODELS.format(
        schema=SCHEMA, unique=", unique=True" if done else "",
        fk=", sa.ForeignKey(Payer.id)" if done else "", status_type="" if done else " | None",
        index=done, nullable=not done)


def test_hostile_names_in_a_schema(project: Project) -> None:
    quoted = '"' + SCHEMA.replace('"', '""') + '"'
    project.execute(f"CREATE SCHEMA {quoted}")
    project.models(_models(False), schemas=(SCHEMA,))
    project.autogenerate("tables")
    project.upgrade()
    claims = f'{quoted}."Cl""aims\\"'
    project.execute(f'INSERT INTO {quoted}."Pay""ers\\" SELECT g FROM generate_series(1, 20) g',
                    f'INSERT INTO {claims} ("Num""ber", "Payer\\Id", "Sta tus") '
                    "SELECT 'n' || g, mod(g, 20) + 1, 'ok' FROM generate_series(1, 1000) g")
    project.models(_models(True), schemas=(SCHEMA,))
    script = project.autogenerate("constraints")
    compile(script, "script", "exec")
    for safe in ("postgresql_concurrently=True", "postgresql_not_valid=True",
                 "op.validate_constraint(", "op.preflight_unique(", "op.preflight_not_null(",
                 "op.add_constraint_using_index("):
        assert safe in script, safe
    linted = project.lint()  # the written migration passes the rules lint applies
    assert linted.returncode == 0, linted.stdout
    project.upgrade()
    assert project.rows(
        "SELECT conname, contype, convalidated FROM pg_constraint WHERE conrelid = "
        f"'{claims.replace(chr(39), chr(39) * 2)}'::regclass AND contype NOT IN ('p', 'n') "
        "ORDER BY conname") == [
        ('Cl"aims\\_Num"ber_key', "u", True),
        ('Cl"aims\\_Payer\\Id_fkey', "f", True),
    ]
    assert project.scalar(
        "SELECT attnotnull FROM pg_attribute WHERE attname = 'Sta tus' AND attrelid = "
        f"'{claims.replace(chr(39), chr(39) * 2)}'::regclass") is True
    project.check()
