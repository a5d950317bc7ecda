"""A minimal HTTP/1.1 keep-alive client for the benchmarks: httpx costs more CPU per request than the service
it measures."""
from __future__ import annotations

import asyncio
import contextlib


class KeepAlive:
    """A minimal HTTP/1.1 keep-alive client: httpx costs more CPU per request than the service it measures."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        for attempt in range(2):
            if self.writer is None:
                await self._connect()
            head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                    + "\r\n").encode()
            try:
                self.writer.write(head + body)
                await self.writer.drain()
                raw = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
                continue  # the server closed a kept-alive connection; a retry never counts twice (409)
            lines = raw.split(b"\r\n")
            status = int(lines[0].split()[1])
            length, close = 0, False
            for line in lines[1:]:
                k, _, v = line.partition(b":")
                k = k.strip().lower()
                if k == b"content-length":
                    length = int(v)
                elif k == b"connection" and b"close" in v.lower():
                    close = True
            data = await self.reader.readexactly(length) if length else b""
            if close:
                await self.close()
            return status, data
        raise ConnectionError("unreachable")
