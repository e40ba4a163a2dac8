"""A person who logs in: operator staff (an `operator_role`) and/or merchant staff (memberships)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, updated_at, uuid_pk

OPERATOR_ROLE_NAMES = ("owner", "admin", "operations", "finance", "support", "viewer")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        # one account per address whatever its case
        Index("ux_users_email", func.lower("email"), unique=True),
        CheckConstraint(
            "operator_role IS NULL OR operator_role IN ('owner', 'admin', 'operations', 'finance', 'support', "
            "'viewer')",
            name="ck_users_operator_role",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    name: Mapped[str | None] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(Text)  # Argon2 (pwdlib); NULL until an invitee sets one
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    operator_role: Mapped[str | None] = mapped_column(String(20))  # NULL: not operator staff
    locale: Mapped[str] = mapped_column(String(10), nullable=False, server_default="en")
    time_zone: Mapped[str] = mapped_column(String(40), nullable=False, server_default="Asia/Kolkata")
    # TOTP: the secret is encrypted like every other secret; the last accepted time step refuses a code twice
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_timecode: Mapped[int | None] = mapped_column(BigInteger)
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
