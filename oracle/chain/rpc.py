"""Talking to a node that limits, fails and rate-limits, as hosted RPCs do.

* Every HTTP request to the node (ape's own connection check included) goes through one
  ``requests`` session whose urllib3 :class:`~urllib3.util.Retry` retries 429 and 5xx answers,
  refused connections and timeouts with exponential backoff, jitter and ``Retry-After``
  (:func:`harden`, :func:`connect`).
* What still fails after the retries becomes one :class:`~oracle.errors.RpcUnavailableError`
  line naming the node and what it did ("is rate-limiting", "is unreachable", ...), raised from
  web3's request path by a middleware and from the project's raw requests by :func:`request`;
  every command's boundary already turns a ``TournamentError`` into one line.
* :data:`STATS` counts requests, retries and failures for the keeper's metrics and the RPC
  benchmark.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oracle import settings
from oracle.errors import RpcRefusedError, RpcUnavailableError

#: HTTP answers worth another try: rate limits and a gateway's or node's passing failures.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``attempts`` in all, sleeping ``base * 2**n`` (at most ``cap``) plus up
    to ``jitter`` of that again between them, and ``timeout`` seconds per request."""

    attempts: int = 8
    base: float = 0.25
    cap: float = 8.0
    jitter: float = 0.5
    timeout: float = 30.0

    @classmethod
    def from_environment(cls) -> RetryPolicy:
        """The default policy, with ``TOURNAMENT_RPC_ATTEMPTS`` and ``TOURNAMENT_RPC_TIMEOUT``
        applied."""
        return cls(attempts=settings.rpc_attempts(), timeout=settings.rpc_timeout())

    def pause(self, attempt: int) -> float:
        """Seconds to sleep before try ``attempt + 1`` (``attempt`` counts from 0)."""
        delay = min(self.cap, self.base * 2.0**attempt)
        return float(delay * (1 + self.jitter * random.random()))


@dataclass
class RpcStats:
    """What this process asked of its nodes, by JSON-RPC method."""

    requests: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    failures: int = 0

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def reset(self) -> None:
        self.requests.clear()
        self.retries = self.failures = 0


#: This process's counts.
STATS = RpcStats()


def _retry_class() -> type:
    from urllib3.util import Retry

    class CountedRetry(Retry):  # type: ignore[misc]
        """urllib3's Retry, counting every retry it grants in :data:`STATS`."""

        def increment(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            STATS.retries += 1
            return super().increment(*args, **kwargs)

    return CountedRetry


def session(policy: RetryPolicy) -> Any:
    """A ``requests`` session that retries what :data:`RETRY_STATUSES`, refused connections
    and timeouts as ``policy`` says; JSON-RPC is POST, so POST is retried (a read is
    idempotent, and a signed transaction sent twice is the same transaction)."""
    import requests
    from requests.adapters import HTTPAdapter

    retry = _retry_class()(
        total=policy.attempts - 1,
        # A refused connection is retried twice only: a node that is not there (a wrong port)
        # is said so in a second, while rate limits and timeouts get every try.
        connect=min(2, policy.attempts - 1),
        read=policy.attempts - 1,
        status=policy.attempts - 1,
        other=0,
        allowed_methods=frozenset({"POST"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=policy.base,
        backoff_max=policy.cap,
        backoff_jitter=policy.base * policy.jitter,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    s = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


def node_uri(provider: Any) -> str | None:
    """The HTTP(S) address of ``provider``'s node, or None (ape's in-process chain, IPC)."""
    uri = getattr(provider, "http_uri", None)
    return str(uri) if uri and str(uri).startswith(("http://", "https://")) else None


def describe(err: BaseException, uri: str | None) -> str:
    """One line saying what the node did: rate-limiting, failing, unreachable or slow."""
    import requests

    where = f"the node at {uri}" if uri else "the node"
    if isinstance(err, requests.HTTPError) and err.response is not None:
        status = err.response.status_code
        if status == 429:
            return (
                f"{where} is rate-limiting (HTTP 429 after retries): wait a minute, lower the "
                "request rate or use an RPC with a higher quota"
            )
        return (
            f"{where} is failing (HTTP {status} after retries): try again later or use another RPC"
        )
    if isinstance(err, requests.Timeout):
        return f"{where} did not answer in time (after retries): check the node or use another RPC"
    if isinstance(err, requests.ConnectionError):
        return (
            f"{where} is unreachable (connection refused or dropped after retries): check "
            "--network and that the node is running"
        )
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return f"{where} failed: {text}"


def transport_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean the request did not get an answer."""
    import requests

    return (requests.RequestException, ConnectionError, TimeoutError)


def request(provider: Any, method: str, params: list[Any]) -> Any:
    """One raw JSON-RPC request through ``provider`` (a web3 provider): its result, or
    :class:`RpcRefusedError` with the node's error, or :class:`RpcUnavailableError`."""
    STATS.requests[method] += 1
    try:
        reply = provider.make_request(method, params)
    except transport_errors() as err:
        STATS.failures += 1
        raise RpcUnavailableError(describe(err, getattr(provider, "endpoint_uri", None))) from err
    if "error" in reply:
        error = reply["error"]
        if isinstance(error, dict):
            raise RpcRefusedError(method, int(error.get("code", 0)), str(error.get("message", "")))
        raise RpcRefusedError(method, 0, str(error))
    return reply.get("result")


def _middleware() -> type:
    from web3.middleware import Web3Middleware

    class RpcFailures(Web3Middleware):  # type: ignore[misc]
        """Counts web3's requests and turns a request that got no answer into one line."""

        def wrap_make_request(self, make_request: Callable[..., Any]) -> Callable[..., Any]:
            def counted(method: str, params: Any) -> Any:
                STATS.requests[str(method)] += 1
                try:
                    return make_request(method, params)
                except transport_errors() as err:
                    STATS.failures += 1
                    uri = getattr(self._w3.provider, "endpoint_uri", None)
                    raise RpcUnavailableError(describe(err, uri)) from err

            return counted

    return RpcFailures


def harden(provider: Any, policy: RetryPolicy | None = None) -> None:
    """Route every request of connected ``provider`` through a retrying session, with a timeout
    per request instead of ape's half hour; a no-op for a chain without an HTTP node."""
    from web3 import HTTPProvider

    uri = node_uri(provider)
    web3 = getattr(provider, "_web3", None)
    if uri is None or web3 is None:
        return
    if "rpc-failures" in web3.middleware_onion:
        return
    policy = policy or RetryPolicy.from_environment()
    http = HTTPProvider(
        uri,
        request_kwargs={"timeout": policy.timeout},
        session=session(policy),
        exception_retry_configuration=None,
    )
    web3.provider = http
    web3.middleware_onion.add(_middleware(), name="rpc-failures")


def probe(uri: str, policy: RetryPolicy) -> None:
    """Ask the node at ``uri`` for its client version through the retrying session; raise one
    line if it never answers."""
    import json

    s = session(policy)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "web3_clientVersion", "params": []})
    STATS.requests["web3_clientVersion"] += 1
    try:
        reply = s.post(
            uri,
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=policy.timeout,
        )
        reply.raise_for_status()
    except transport_errors() as err:
        STATS.failures += 1
        raise RpcUnavailableError(describe(err, uri)) from None
    finally:
        s.close()


def connect(provider: Any, policy: RetryPolicy | None = None) -> None:
    """Connect ``provider`` as ape does, but through a node that refuses now and then: the node
    is probed with retries first (so a 429 is reported as one, never as "no node found"),
    ape's connect is tried again on a passing failure, and the connection is then
    :func:`harden`-ed."""
    from ape.exceptions import ProviderError
    from web3.exceptions import CannotHandleRequest

    policy = policy or RetryPolicy.from_environment()
    uri = node_uri(provider)
    if uri is None or provider.is_connected:
        harden(provider, policy)
        return
    probe(uri, policy)
    # ape's connect asks through web3's AutoProvider, whose 429 surfaces as "no node found"
    # (ProviderError) or "could not discover provider" (CannotHandleRequest).
    passing: tuple[type[BaseException], ...] = (
        ProviderError,
        CannotHandleRequest,
        *transport_errors(),
    )
    for attempt in range(policy.attempts):
        try:
            provider.connect()
            break
        except passing as err:
            if attempt == policy.attempts - 1:
                raise RpcUnavailableError(describe(err, uri)) from None
            STATS.retries += 1
            time.sleep(policy.pause(attempt))
    harden(provider, policy)


__all__ = [
    "RETRY_STATUSES",
    "STATS",
    "RetryPolicy",
    "RpcStats",
    "connect",
    "describe",
    "harden",
    "node_uri",
    "request",
]
