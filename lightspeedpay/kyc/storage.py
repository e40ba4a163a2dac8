"""Where KYC documents' bytes live: a small interface (put, get, delete by key) with a local folder by default.

Production puts them in an S3-compatible bucket: a second `DocumentStorage` whose `put` is a PutObject (with the
SHA-256 as `x-amz-checksum-sha256`, server-side encryption on), `get` a GetObject and `delete` a DeleteObject,
chosen in `document_storage()` by a setting such as `LSP_KYC_STORAGE_URL=s3://bucket/prefix`. It is not written
yet (it needs an S3 client the project does not depend on); nothing else changes when it is. The documents are
never served from the storage directly: the API checks who asks and streams them."""

from __future__ import annotations

import asyncio
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from lightspeedpay.config import get_settings

_KEY = re.compile(r"^[a-z0-9][a-z0-9/_-]{0,199}$")


class DocumentStorage(Protocol):
    async def put(self, key: str, content: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...


class LocalFolderStorage:
    """One file per key under a folder (created 0700, files 0600); keys are ours (`kyc/<client>/<uuid>`), never
    a name an uploader chose, and are checked so that none can leave the folder."""

    def __init__(self, root: str) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key:
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def _write(self, path: Path, content: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # whole or not at all

    async def put(self, key: str, content: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(key), content)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)


@lru_cache
def document_storage() -> DocumentStorage:
    return LocalFolderStorage(get_settings().kyc_storage_dir)
