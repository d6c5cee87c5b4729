"""A JSON-RPC proxy that behaves like a hosted RPC in front of a real node: it refuses
``eth_getLogs`` over more than ``max_log_range`` blocks (as providers do, code -32005), answers a
share of requests with HTTP 429, adds latency, and counts what it was asked. ``down`` makes it
answer every request 503 (a provider outage)."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from oracle.chain.devnet import free_port


@dataclass
class Faults:
    """What the proxy does to requests: all adjustable while it runs."""

    max_log_range: int | None = 1000
    #: Share of requests answered 429 (seeded, so a run is repeatable).
    rate_limited: float = 0.2
    #: Seconds added to every answer.
    latency: float = 0.005
    #: Answer everything 503.
    down: bool = False
    seed: int = 5


@dataclass
class Proxy:
    """The proxy on ``url``, forwarding to ``upstream``."""

    upstream: str
    faults: Faults = field(default_factory=Faults)
    port: int = field(default_factory=free_port)
    counts: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Proxy:
        proxy = self
        chance = random.Random(self.faults.seed)
        lock = threading.Lock()
        session = requests.Session()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                faults = proxy.faults
                time.sleep(faults.latency)
                try:
                    message = json.loads(body)
                except ValueError:
                    self._answer(400, b'{"error": "not JSON"}')
                    return
                calls = message if isinstance(message, list) else [message]
                with lock:
                    for call in calls:
                        proxy.counts[str(call.get("method"))] += 1
                    limited = chance.random() < faults.rate_limited
                if faults.down:
                    proxy.refused["503"] += 1
                    self._answer(503, b'{"error": "service unavailable"}')
                    return
                if limited:
                    proxy.refused["429"] += 1
                    self._answer(429, b'{"error": "too many requests"}', {"Retry-After": "0"})
                    return
                refusal = proxy._log_refusal(calls, session)
                if refusal is not None:
                    proxy.refused["range"] += 1
                    self._answer(200, json.dumps(refusal).encode())
                    return
                reply = session.post(
                    proxy.upstream, data=body, headers={"Content-Type": "application/json"}
                )
                self._answer(reply.status_code, reply.content)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def _log_refusal(self, calls: list[dict[str, Any]], session: Any) -> dict[str, Any] | None:
        limit = self.faults.max_log_range
        if limit is None:
            return None
        for call in calls:
            if call.get("method") != "eth_getLogs":
                continue
            query = (call.get("params") or [{}])[0]
            if "blockHash" in query:
                continue
            start = self._block_number(query.get("fromBlock", "latest"), session)
            end = self._block_number(query.get("toBlock", "latest"), session)
            if end - start + 1 > limit:
                return {
                    "jsonrpc": "2.0",
                    "id": call.get("id"),
                    "error": {
                        "code": -32005,
                        "message": f"query exceeds max block range {limit}",
                    },
                }
        return None

    def _block_number(self, tag: Any, session: Any) -> int:
        if isinstance(tag, str) and tag.startswith("0x"):
            return int(tag, 16)
        if isinstance(tag, int):
            return tag
        if tag == "earliest":
            return 0
        reply = session.post(
            self.upstream,
            json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
        )
        return int(reply.json()["result"], 16)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
