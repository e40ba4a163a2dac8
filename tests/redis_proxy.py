"""A Redis that stops answering, on demand: for tests of what the platform does when Redis accepts connections
but never replies."""

from __future__ import annotations

import asyncio


class FreezingRedisProxy:
    """A TCP proxy in front of the real Redis that stops forwarding (the connection hangs, as when Redis stops
    answering) from the first command that mentions `marker` on. It lets a test hold an API process right
    after its payment committed, at the push of the payment's job; an empty marker makes a Redis that never
    answers at all."""

    def __init__(self, marker: bytes, *, redis_url: str = "redis://127.0.0.1:6379/0") -> None:
        self.marker = marker
        host_port = redis_url.split("://", 1)[1].split("/", 1)[0]
        self.upstream = (host_port.rsplit(":", 1)[0], int(host_port.rsplit(":", 1)[1]))
        self.frozen = asyncio.Event()
        self.port = 0
        self._server: asyncio.Server | None = None

    def url(self, redis_url: str) -> str:
        """`redis_url` with this proxy in place of the server (the same database)."""
        return f"redis://127.0.0.1:{self.port}/{redis_url.rsplit('/', 1)[1]}"

    async def __aenter__(self) -> FreezingRedisProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)

        async def upstream() -> None:
            while chunk := await reader.read(65536):
                if self.marker in chunk:
                    self.frozen.set()
                if self.frozen.is_set():
                    continue  # swallowed: the caller waits for an answer that never comes
                up_writer.write(chunk)
                await up_writer.drain()

        async def downstream() -> None:
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
                await writer.drain()

        try:
            await asyncio.gather(upstream(), downstream())
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            up_writer.close()
