"""Small real documents (a PDF page, a PNG, a JPEG frame): the demo's KYC uploads, and the KYC tests' files."""

from __future__ import annotations

import io
import struct
import zlib


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


def png(width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (255, 255, 255)) -> bytes:
    """A PNG of one colour (1x1 white unless asked), with a darker one-pixel border when it is large enough."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    edge = bytes(max(0, c - 90) for c in rgb)
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            border = width > 2 and height > 2 and (x in (0, width - 1) or y in (0, height - 1))
            row += edge if border else bytes(rgb)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(rows))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg() -> bytes:
    """The frame of a JPEG (SOI, a JFIF APP0 segment, EOI): what a content check reads."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"
