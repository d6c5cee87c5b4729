"""Blocks and logs from a node that limits what one request may ask for.

Hosted RPCs refuse an ``eth_getLogs`` over a few thousand blocks, or one whose answer would be
too large. :class:`PagedLogs` asks in pages no wider than ``$TOURNAMENT_LOG_RANGE``, halves the
page when the node refuses one for its size, and feels its way back up afterwards (bisecting
towards the smallest page ever refused), so a limited node costs a few extra requests, not a
failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oracle import settings
from oracle.chain import rpc
from oracle.errors import IncompleteLogsError, RpcRefusedError, TournamentError

#: Words in a node's refusal that mean "ask for less" (Alchemy, Infura, QuickNode, geth, ...).
_SIZE_WORDS = (
    "range",
    "too many",
    "too large",
    "exceed",
    "limit",
    "results",
    "response size",
    "block count",
)
#: Successful pages before a wider one is tried again.
_GROW_AFTER = 8


def is_size_refusal(err: RpcRefusedError) -> bool:
    """True when the node refused ``eth_getLogs`` for the size of the range or the answer (as
    opposed to a malformed request or a rate limit)."""
    text = err.message.lower()
    if "rate" in text and "limit" in text:
        return False
    return any(word in text for word in _SIZE_WORDS)


@dataclass(frozen=True)
class Block:
    """The facts of one block the readers need."""

    number: int
    hash: bytes
    parent: bytes
    timestamp: int


def block_at(provider: Any, tag: int | str) -> Block | None:
    """Block ``tag`` (a number, or "latest") through web3 ``provider``; None if the node has
    no such block (past its head, or not yet)."""
    at = hex(tag) if isinstance(tag, int) else tag
    found = rpc.request(provider, "eth_getBlockByNumber", [at, False])
    if not found:
        return None
    return Block(
        number=int(found["number"], 16),
        hash=bytes.fromhex(found["hash"][2:]),
        parent=bytes.fromhex(found["parentHash"][2:]),
        timestamp=int(found["timestamp"], 16),
    )


def latest_block(provider: Any) -> Block:
    """The node's head block."""
    head = block_at(provider, "latest")
    if head is None:
        raise TournamentError("the node did not return its latest block: check the node")
    return head


def block_interval(provider: Any, span: int = 64) -> float:
    """The chain's recent seconds per block (the mean over the last ``span`` blocks; 1 on a
    chain too young to tell)."""
    head = latest_block(provider)
    if head.number < 1:
        return 1.0
    past = block_at(provider, max(0, head.number - span))
    if past is None or past.number == head.number:
        return 1.0
    return max(0.0, (head.timestamp - past.timestamp) / (head.number - past.number))


class PagedLogs:
    """Every log of one contract over a block range, asked for in pages the node accepts."""

    def __init__(self, provider: Any, address: str, max_range: int | None = None) -> None:
        self.provider = provider
        self.address = address
        self.max_range = max_range or settings.log_range()
        #: The page asked for next, the widest that worked and the narrowest refused.
        self.span = self.max_range
        self.good = 0
        self.refused: int | None = None
        self._streak = 0
        #: Requests made and refused, for the benchmarks and metrics.
        self.requests = 0
        self.refusals = 0

    def fetch(self, start: int, end: int) -> list[dict[str, Any]]:
        """The raw logs of blocks ``start`` to ``end`` (both included), in chain order."""
        found: list[dict[str, Any]] = []
        at = start
        while at <= end:
            to = min(end, at + self.span - 1)
            try:
                self.requests += 1
                page = rpc.request(
                    self.provider,
                    "eth_getLogs",
                    [{"address": self.address, "fromBlock": hex(at), "toBlock": hex(to)}],
                )
            except RpcRefusedError as err:
                if not is_size_refusal(err):
                    raise
                self._refused(to - at + 1, at, err)
                continue
            found.extend(page or [])
            self._worked(to - at + 1)
            at = to + 1
        return found

    def _refused(self, size: int, at: int, err: RpcRefusedError) -> None:
        self.refusals += 1
        if size <= 1:
            raise IncompleteLogsError(
                f"the node refuses the logs of block {at} even alone ({err.message}): use an "
                "RPC that serves eth_getLogs without a results limit"
            )
        self.refused = size if self.refused is None else min(self.refused, size)
        if self.good >= size:
            self.good = size // 2
        self.span = self.good if 0 < self.good < size else max(1, size // 2)
        self._streak = 0

    def _worked(self, size: int) -> None:
        self.good = max(self.good, size)
        self._streak += 1
        if self._streak < _GROW_AFTER or self.span >= self.max_range:
            return
        self._streak = 0
        if self.refused is None:
            self.span = min(self.max_range, self.span * 2)
        elif self.refused - self.span > 1:
            self.span = min(self.max_range, (self.span + self.refused) // 2)
