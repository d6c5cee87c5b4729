"""Upload limits, enforced while the bytes arrive: a request body larger than the limit is
refused (413) as soon as it is declared or received, and a predictions file with more ids
than allowed is refused before it is parsed."""

from __future__ import annotations

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
    """ASGI middleware: refuse a request whose body exceeds ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before anything is read; an
    undeclared (chunked) body is counted as it is received and refused when it passes the
    limit, so the service never holds more than the limit of one request.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route, where the app's handler answers it (413).
                    raise _too_large(self.max_bytes)
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.responses import JSONResponse

        error = _too_large(self.max_bytes)
        response = JSONResponse({"error": error.detail}, status_code=413)
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
