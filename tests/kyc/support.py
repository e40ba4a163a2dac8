"""People for the KYC tests: a merchant's team member or an operator of a given role, with an access token
(made the way login makes one: a refresh-token family and a JWT issued with it); and small real documents."""

from __future__ import annotations

import io
import struct
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

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


# ---- documents ------------------------------------------------------------------------------------------------


def pdf(size: int = 0) -> bytes:
    """A small valid PDF (one empty page), padded with a comment past `size` bytes if asked."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    if size:
        pad = max(0, size - out.tell())  # at least `size` bytes in all
        out.write(b"%" + b"x" * pad + b"\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def png() -> bytes:
    """A 1x1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg() -> bytes:
    """The frame of a JPEG (SOI, a JFIF APP0 segment, EOI): what a content check reads."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


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
