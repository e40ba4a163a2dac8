"""People for the KYC tests: a merchant's team member or an operator of a given role, with an access token
(made the way login makes one: a refresh-token family and a JWT issued with it); and small real documents."""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from lightspeedpay.devtools.documents import jpeg, pdf, png
from lightspeedpay.models import MerchantMembership, User
from tests.people.support import access_token


async def member(session: AsyncSession, client_id: uuid.UUID, role: str = "owner") -> tuple[User, str]:
    user, token = await access_token(session)
    session.add(MerchantMembership(id=uuid.uuid4(), user_id=user.id, client_id=client_id, role=role))
    await session.commit()
    return user, token


async def operator(session: AsyncSession, role: str) -> str:
    _, token = await access_token(session, operator_role=role)
    await session.commit()
    return token


@dataclass
class Team:
    """A person of a merchant's team, calling the merchant KYC API with their access token."""

    http: httpx.AsyncClient
    base_url: str
    token: str
    email: str

    def _headers(self, rid: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if rid:
            headers["X-Request-Id"] = rid
        return headers

    async def request(
        self, method: str, path: str, body: Any = None, *, rid: str | None = None
    ) -> httpx.Response:
        return await self.http.request(method, self.base_url + path, json=body, headers=self._headers(rid))

    async def upload(
        self,
        kind: str,
        content: bytes,
        filename: str = "doc.pdf",
        content_type: str = "application/pdf",
        *,
        rid: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return await self.http.post(
            self.base_url + "/api/v1/merchant/kyc/documents",
            data={"kind": kind},
            files={"file": (filename, content, content_type)},
            headers={**self._headers(rid), **(headers or {})},
        )


# ---- documents (pdf, png and jpeg come from the demo's own) -----------------------------------------------------

__all__ = ["Team", "docx", "jpeg", "member", "operator", "pdf", "png", "zip_archive"]


def zip_archive(files: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in (files or {"scan.pdf": pdf()}).items():
            z.writestr(name, data)
    return out.getvalue()


def docx() -> bytes:
    return zip_archive(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
            "word/document.xml": b"<w:document/>",
        }
    )
