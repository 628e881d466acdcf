"""Medical billing models: clinics bill payers (insurers) for their patients' claims."""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Identity,
    MetaData,
    Numeric,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata`` is Alembic's target metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {str: Text()}  # text, never varchar(n)


class ClaimStatus(enum.Enum):
    """Where a claim is in its life (PostgreSQL enum ``claim_status``)."""

    draft = "draft"
    submitted = "submitted"
    accepted = "accepted"
    denied = "denied"
    paid = "paid"


def _pk() -> Mapped[int]:
    return mapped_column(BigInteger, Identity(always=True), primary_key=True)


def _created_at() -> Mapped[datetime.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


class Account(Base):
    """A clinic or practice that sends claims."""

    __tablename__ = "accounts"

    id: Mapped[int] = _pk()
    name: Mapped[str]
    npi: Mapped[str] = mapped_column(unique=True)  # National Provider Identifier
    created_at: Mapped[datetime.datetime] = _created_at()

    patients: Mapped[list[Patient]] = relationship(back_populates="account")


class Patient(Base):
    """A patient of one clinic."""

    __tablename__ = "patients"

    id: Mapped[int] = _pk()
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    first_name: Mapped[str]
    last_name: Mapped[str]
    date_of_birth: Mapped[datetime.date] = mapped_column(Date)
    member_id: Mapped[str | None]  # the patient's id at their insurer
    created_at: Mapped[datetime.datetime] = _created_at()

    account: Mapped[Account] = relationship(back_populates="patients")


class Payer(Base):
    """An insurer (or government program) that pays claims."""

    __tablename__ = "payers"

    id: Mapped[int] = _pk()
    name: Mapped[str]
    payer_code: Mapped[str] = mapped_column(unique=True)
    created_at: Mapped[datetime.datetime] = _created_at()


class Claim(Base):
    """A bill for one patient visit, sent to one payer."""

    __tablename__ = "claims"

    id: Mapped[int] = _pk()
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("payers.id"), index=True)
    status: Mapped[ClaimStatus] = mapped_column(
        Enum(ClaimStatus, name="claim_status"), server_default="draft", index=True
    )
    service_date: Mapped[datetime.date] = mapped_column(Date)
    total_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), server_default="0")
    submitted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime.datetime] = _created_at()

    line_items: Mapped[list[ClaimLineItem]] = relationship(back_populates="claim")


class ClaimLineItem(Base):
    """One billed procedure of a claim."""

    __tablename__ = "claim_line_items"
    __table_args__ = (CheckConstraint("units > 0", name="units_positive"),)

    id: Mapped[int] = _pk()
    claim_id: Mapped[int] = mapped_column(
        ForeignKey("claims.id", ondelete="CASCADE"), index=True
    )
    cpt_code: Mapped[str]  # CPT/HCPCS procedure code, e.g. "99213"
    units: Mapped[int] = mapped_column(server_default="1")
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    claim: Mapped[Claim] = relationship(back_populates="line_items")
