"""A merchant's API credential for one mode: test (sandbox gateways only, its data marked test) or live (real
money, only once the merchant's KYC is activated). The key id is public; its secrets are api_credential_secrets."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lightspeedpay.models.base import Base, created_at, sql_in, updated_at, uuid_pk


class Mode(StrEnum):
    """Which world a request, and everything it creates, belongs to."""

    TEST = "test"
    LIVE = "live"


class ApiCredential(Base):
    __tablename__ = "api_credentials"
    __table_args__ = (
        UniqueConstraint("client_id", "mode", name="uq_api_credentials_client_mode"),
        UniqueConstraint("key_id", name="uq_api_credentials_key_id"),
        CheckConstraint(f"mode IN {sql_in(Mode)}", name="ck_api_credentials_mode"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("clients.id", ondelete="CASCADE"), nullable=False
    )
    mode: Mapped[str] = mapped_column(String(4), nullable=False)
    # merchants from before modes keep their client_key as the live key id; new ones are lsp_live_… / lsp_test_…
    key_id: Mapped[str] = mapped_column(String(40), nullable=False)
    # CIDRs a request with this credential may come from; empty: anywhere
    ip_allowlist: Mapped[list[str]] = mapped_column(ARRAY(String(50)), nullable=False, server_default="{}")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
