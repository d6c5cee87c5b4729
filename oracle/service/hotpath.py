"""The service's most frequent request, an account's leaves and proofs, answered from memory
before FastAPI's routing and parameter handling when the answer is already encoded.

Everything else, and every look-up whose answer is not in memory yet (or whose round's chain
facts are due a fresh read), goes on to the app unchanged: the route in
:mod:`.routes.results` computes, caches and answers it, and its errors (a bad address, a
round with no posted root) are the app's. An answer from here is the same bytes and headers
the route sends.
"""

from __future__ import annotations

import functools
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from oracle.service.schema import MAX_ROUND
from oracle.service.state import API
from oracle.service.views import TournamentView, checked_account

_LEAVES = re.compile(
    rf"{re.escape(API)}/rounds/([0-9]{{1,19}})/accounts/(0x[0-9a-fA-F]{{40}})/leaves\Z"
)
_JSON = b"application/json"


@functools.lru_cache(maxsize=65_536)
def _canonical(text: str) -> str:
    """The checksummed form of an address already known to be 0x and 40 hex digits (the
    checksum is a keccak256: remembered, since the same accounts ask again and again)."""
    return checked_account(text)


class CachedLeaves:
    """ASGI middleware: ``GET {API}/rounds/{round}/accounts/{account}/leaves`` from ``view``'s
    memory when it holds the answer, else on to ``app``."""

    def __init__(self, app: ASGIApp, view: TournamentView) -> None:
        self.app = app
        self.view = view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            found = _LEAVES.match(scope["path"])
            if found is not None and int(found[1]) <= MAX_ROUND:
                data = self.view.cached_leaves_json(int(found[1]), _canonical(found[2]))
                if data is not None:
                    headers = [
                        (b"content-length", str(len(data)).encode()),
                        (b"content-type", _JSON),
                    ]
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    await send({"type": "http.response.body", "body": data})
                    return
        await self.app(scope, receive, send)
