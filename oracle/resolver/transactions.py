"""Send a transaction at most once, across crashes, and see it mined on a busy network.

The signed transaction is written to the store's journal before it is broadcast. A later run
finds it there and, instead of signing anew, waits for that very transaction: mined, it is
done; still pending, it is waited for; unknown to the node (the crash came before the
broadcast, or the node dropped it), the same signed bytes are broadcast again, and since they
carry the same nonce, the chain can never include two of them.

Fees are EIP-1559's as ape prices them, with the total fee per gas capped at
``$TOURNAMENT_MAX_FEE_GWEI``. A transaction still unmined after ``$TOURNAMENT_STUCK_SECONDS``
is replaced: the same call, the same nonce, both fees raised by a quarter (nodes want at least
a tenth), journalled before it is broadcast. Every version's hash stays in the journal, so
whichever of them is mined is found.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any

from oracle import settings
from oracle.audit.context import OracleContext
from oracle.errors import TournamentError, TransactionFailedError
from oracle.faults import crash_point

#: Seconds to wait for a transaction to be mined before the attempt gives up (the journal
#: keeps it; the next run waits again).
RECEIPT_TIMEOUT_SECONDS = 600
#: Each replacement multiplies both fees by this.
FEE_BUMP = 1.25
GWEI = 10**9

#: Broadcasts of this process: "first" sends, "again" (the same bytes re-sent) and
#: "replacement" (higher fees, same nonce).
STATS: Counter[str] = Counter()


def _receipt(web3: Any, tx_hash: str) -> Any | None:
    from web3.exceptions import TransactionNotFound

    try:
        return web3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return None


def _known(web3: Any, tx_hash: str) -> bool:
    from web3.exceptions import TransactionNotFound

    try:
        web3.eth.get_transaction(tx_hash)
    except TransactionNotFound:
        return False
    return True


def _sign(
    account: Any,
    method: Any,
    args: tuple[Any, ...],
    *,
    nonce: int | None = None,
    fees: tuple[int, int] | None = None,
    gas: int | None = None,
) -> dict[str, Any]:
    """Sign ``method(*args)`` (at ``nonce`` with ``fees`` and ``gas`` if given: a replacement
    is not estimated again) into a journal entry."""
    cap = settings.max_fee_gwei() * GWEI
    extra: dict[str, Any] = {}
    if nonce is not None:
        extra["nonce"] = nonce
    if fees is not None:
        extra["max_fee"], extra["max_priority_fee"] = fees
    if gas is not None:
        extra["gas_limit"] = gas
    txn = method.as_transaction(*args, sender=account, **extra)
    if txn.max_fee is not None and txn.max_fee > cap:
        txn.max_fee = cap
        txn.max_priority_fee = min(int(txn.max_priority_fee or 0), cap)
    signed = account.sign_transaction(txn)
    if signed is None:
        raise TournamentError(f"account {account.address} refused to sign the transaction")
    return {
        "tx_hash": "0x" + bytes(signed.txn_hash).hex(),
        "raw": "0x" + signed.serialize_transaction().hex(),
        "nonce": int(signed.nonce or 0),
        "max_fee": int(signed.max_fee or 0),
        "priority_fee": int(signed.max_priority_fee or 0),
        "gas": int(signed.gas_limit or 0),
    }


def _hashes(entry: dict[str, Any]) -> list[str]:
    return [str(h) for h in entry.get("sent", [])] or [str(entry["tx_hash"])]


def _mined(web3: Any, entry: dict[str, Any]) -> tuple[str, Any] | None:
    for tx_hash in _hashes(entry):
        receipt = _receipt(web3, tx_hash)
        if receipt is not None:
            return tx_hash, receipt
    return None


def _broadcast(web3: Any, entry: dict[str, Any], kind: str) -> None:
    try:
        web3.eth.send_raw_transaction(bytes.fromhex(entry["raw"][2:]))
    except ValueError as err:
        # "already known", "nonce too low" (a version was mined), "underpriced": the wait
        # below finds out which; anything else is the node's refusal of this transaction.
        text = str(err).lower()
        if not any(w in text for w in ("known", "nonce too low", "underpriced", "replacement")):
            raise
    STATS[kind] += 1


def send_once(
    ctx: OracleContext, journal: str, account: Any, method: Any, args: tuple[Any, ...]
) -> str:
    """Send ``method(*args)`` from ``account`` once under the journal name; return the hash of
    the version that was mined."""
    web3 = ctx.provider.web3
    entry = ctx.store.get_ref(journal)
    fresh = entry is None
    if entry is None:
        entry = _sign(account, method, args)
        entry["sent"] = [entry["tx_hash"]]
        ctx.store.put_ref(journal, entry)
    found = _mined(web3, entry)
    if found is None and not any(_known(web3, h) for h in _hashes(entry)):
        if web3.eth.get_transaction_count(account.address) > entry["nonce"]:
            # Never broadcast, and its nonce went to another transaction since: it can never
            # be mined, so a new one is signed.
            ctx.store.put_ref(journal + "-stale", entry)
            ctx.store.delete_ref(journal)
            return send_once(ctx, journal, account, method, args)
        _broadcast(web3, entry, "first" if fresh else "again")
        crash_point("after-broadcast")
    if found is None:
        found = _wait(ctx, journal, entry, account, method, args)
    tx_hash, receipt = found
    if int(receipt["status"]) != 1:
        raise TransactionFailedError(
            f"transaction {tx_hash} (journal {journal}) was mined but reverted: see the node's "
            "trace, fix the cause, then remove that journal record to send a new one"
        )
    return tx_hash


def _wait(
    ctx: OracleContext,
    journal: str,
    entry: dict[str, Any],
    account: Any,
    method: Any,
    args: tuple[Any, ...],
) -> tuple[str, Any]:
    """Poll until a version of ``entry`` is mined, replacing it with higher fees whenever it
    has waited ``$TOURNAMENT_STUCK_SECONDS``."""
    web3 = ctx.provider.web3
    stuck_after = settings.stuck_seconds()
    cap = settings.max_fee_gwei() * GWEI
    started = time.monotonic()
    replace_at = started + stuck_after
    pause = 0.01
    while True:
        found = _mined(web3, entry)
        if found is not None:
            return found
        now = time.monotonic()
        if now - started > RECEIPT_TIMEOUT_SECONDS:
            raise TournamentError(
                f"transaction {entry['tx_hash']} (journal {journal}) is not mined after "
                f"{RECEIPT_TIMEOUT_SECONDS} s, at {entry['max_fee'] / GWEI:g} gwei: the next run "
                f"waits for it again (raise {settings.MAX_FEE_GWEI} if fees rose above it)"
            )
        if now >= replace_at:
            replace_at = now + stuck_after
            fees = (
                math.ceil(entry["max_fee"] * FEE_BUMP),
                math.ceil(entry["priority_fee"] * FEE_BUMP),
            )
            if fees[0] <= cap:
                bumped = _sign(
                    account, method, args, nonce=entry["nonce"], fees=fees, gas=entry.get("gas")
                )
                entry = {**bumped, "sent": [*_hashes(entry), bumped["tx_hash"]]}
                ctx.store.put_ref(journal, entry)
                _broadcast(web3, entry, "replacement")
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
