"""A lying oracle service: an HTTP proxy in front of a real one that changes what it serves.
Each lie is set while it runs: flip one byte of an artefact, serve another artefact's bytes in
its place (a stale or foreign file), withhold an artefact (404), or name another tournament."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from oracle.chain.devnet import free_port

ARTEFACTS = "/api/v1/artefacts/"


@dataclass
class Lies:
    """What the proxy changes (all empty: an honest proxy)."""

    #: Artefacts (by hash) served with one byte flipped.
    flipped: set[str] = field(default_factory=set)
    #: Artefact hash -> the hash whose bytes are served instead.
    swapped: dict[str, str] = field(default_factory=dict)
    #: Artefacts answered 404.
    withheld: set[str] = field(default_factory=set)
    #: Fields of ``GET /api/v1`` replaced (``tournament``: another tournament's service).
    info: dict[str, Any] = field(default_factory=dict)

    def clear(self) -> None:
        self.flipped.clear()
        self.swapped.clear()
        self.withheld.clear()
        self.info.clear()


@dataclass
class TamperingProxy:
    """The proxy on :attr:`url`, forwarding GETs to ``upstream``."""

    upstream: str
    lies: Lies = field(default_factory=Lies)
    port: int = field(default_factory=free_port)
    served: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> TamperingProxy:
        proxy = self
        session = requests.Session()
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path
                with lock:
                    proxy.served.append(path)
                lies = proxy.lies
                digest = path[len(ARTEFACTS) :] if path.startswith(ARTEFACTS) else ""
                if digest in lies.withheld:
                    self._answer(404, b'{"detail": "not found"}')
                    return
                upstream_path = ARTEFACTS + lies.swapped[digest] if digest in lies.swapped else path
                answer = session.get(proxy.upstream + upstream_path, timeout=60)
                body = answer.content
                if digest in lies.flipped and body:
                    changed = bytearray(body)
                    changed[len(changed) // 2] ^= 0x01
                    body = bytes(changed)
                if path.rstrip("/") == "/api/v1" and lies.info and answer.status_code == 200:
                    body = json.dumps({**answer.json(), **lies.info}).encode()
                self._answer(answer.status_code, body)

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
