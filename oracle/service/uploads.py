"""Upload limits, enforced while the bytes arrive: a request body larger than the limit is
refused (413) as soon as it is declared or received, and a predictions file with more ids
than allowed is refused before it is parsed."""

from __future__ import annotations

import asyncio
from typing import BinaryIO

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oracle.scoring.bounded import rows_of

CHUNK = 64 * 1024
PARQUET_MAGIC = b"PAR1"


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        413, f"the request is larger than the service's limit of {limit:,} bytes: send less"
    )


class BodyLimit:
    """ASGI middleware: bound what a request body may cost the service.

    - Size: a declared ``Content-Length`` over ``max_bytes`` is refused before anything is
      read; an undeclared (chunked) body is counted as it is received and refused when it
      passes the limit, so the service never holds more than the limit of one request.
    - Time: each part of the body must arrive within ``idle_timeout`` seconds of the last, and
      the whole body within ``body_timeout`` seconds; a slow or stalled body is answered 408
      and its connection closed, so a trickling client cannot hold a connection open.
    - Concurrency: at most ``max_uploads`` bodies are read at once (per process); one more
      is answered 503 with ``Retry-After`` at once instead of waiting.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        body_timeout: float = 30.0,
        idle_timeout: float = 10.0,
        max_uploads: int = 64,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout = body_timeout
        self.idle_timeout = min(idle_timeout, body_timeout)
        self.max_uploads = max_uploads
        self.uploads = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _answer(scope, receive, send, _too_large(self.max_bytes))
            return
        if self.uploads >= self.max_uploads:
            busy = HTTPException(
                503,
                f"the service is reading {self.uploads} uploads already: retry in a second",
                headers={"Retry-After": "1"},
            )
            await _answer(scope, receive, send, busy)
            return
        received = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        done = False
        # Counted while its body is being read, not while it is answered: a burst of fast
        # uploads that queue for the worker threads is not refused.
        self.uploads += 1

        def finished() -> None:
            nonlocal done
            if not done:
                done = True
                self.uploads -= 1

        async def bounded() -> Message:
            nonlocal received
            if done:  # the body is read: what follows is a disconnect, waited for without limit
                return await receive()
            left = deadline - loop.time()
            try:
                message = await asyncio.wait_for(receive(), min(self.idle_timeout, left))
            except TimeoutError:
                # Raised inside the route, where the app's handler answers it (408).
                raise HTTPException(
                    408,
                    f"the request body did not arrive within {self.body_timeout:g} s (or paused "
                    f"over {self.idle_timeout:g} s): send it at once",
                    headers={"Connection": "close"},
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _too_large(self.max_bytes)
                if not message.get("more_body", False):
                    finished()
            else:
                finished()  # the client went away
            return message

        try:
            await self.app(scope, bounded, send)
        finally:
            finished()


async def _answer(scope: Scope, receive: Receive, send: Send, error: HTTPException) -> None:
    from starlette.responses import JSONResponse

    response = JSONResponse({"error": error.detail}, status_code=error.status_code)
    # The body is not read: the connection cannot carry another request.
    response.headers.update({**(error.headers or {}), "Connection": "close"})
    await response(scope, receive, send)


def read_upload(handle: BinaryIO, max_bytes: int, max_ids: int) -> bytes:
    """The uploaded file's bytes, refused (413) past ``max_bytes`` or ``max_ids`` ids: a csv's
    lines are counted chunk by chunk as it is read, a parquet file's rows from its footer."""
    chunks: list[bytes] = []
    size = lines = 0
    parquet = False
    while True:
        chunk = handle.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        if not chunks:
            parquet = chunk.startswith(PARQUET_MAGIC)
        chunks.append(chunk)
        if not parquet:
            lines += chunk.count(b"\n")
            # A csv has a header line, then one line per id.
            if lines - 1 > max_ids:
                raise _too_many(max_ids)
    data = b"".join(chunks)
    if parquet:
        rows = rows_of(data)
        if rows is not None and rows > max_ids:
            raise _too_many(max_ids)
    elif data and not data.endswith(b"\n") and lines > max_ids:
        raise _too_many(max_ids)
    return data


def _too_many(limit: int) -> HTTPException:
    return HTTPException(413, f"the file holds more than {limit:,} ids, the service's limit")
