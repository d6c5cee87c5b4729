"""Send a transaction at most once, across crashes.

The signed transaction is written to the store's journal before it is broadcast. A later run
finds it there and, instead of signing anew, waits for that very transaction: mined, it is
done; still pending, it is waited for; unknown to the node (the crash came before the
broadcast, or the node dropped it), the same signed bytes are broadcast again, and since they
carry the same nonce, the chain can never include two of them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from oracle.errors import TournamentError, TransactionFailedError
from oracle.faults import crash_point
from oracle.resolver.context import OracleContext

RECEIPT_TIMEOUT_SECONDS = 300

#: Broadcasts of this process: "first" sends and "again" (the same bytes re-sent).
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


def send_once(
    ctx: OracleContext, journal: str, account: Any, method: Any, args: tuple[Any, ...]
) -> str:
    """Send ``method(*args)`` from ``account`` once under the journal name; return its hash."""
    web3 = ctx.provider.web3
    entry = ctx.store.get_ref(journal)
    fresh = entry is None
    if entry is None:
        txn = method.as_transaction(*args, sender=account)
        signed = account.sign_transaction(txn)
        if signed is None:
            raise TournamentError(f"account {account.address} refused to sign the transaction")
        raw = signed.serialize_transaction()
        tx_hash = "0x" + bytes(signed.txn_hash).hex()
        entry = {"tx_hash": tx_hash, "raw": "0x" + raw.hex(), "nonce": int(signed.nonce or 0)}
        ctx.store.put_ref(journal, entry)
    tx_hash = str(entry["tx_hash"])
    receipt = _receipt(web3, tx_hash)
    if receipt is None and not _known(web3, tx_hash):
        if web3.eth.get_transaction_count(account.address) > entry["nonce"]:
            # Never broadcast, and its nonce went to another transaction since: it can never
            # be mined, so a new one is signed.
            ctx.store.put_ref(journal + "-stale", entry)
            ctx.store.delete_ref(journal)
            return send_once(ctx, journal, account, method, args)
        web3.eth.send_raw_transaction(bytes.fromhex(entry["raw"][2:]))
        STATS["first" if fresh else "again"] += 1
        crash_point("after-broadcast")
    if receipt is None:
        receipt = web3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT_SECONDS)
    if int(receipt["status"]) != 1:
        raise TransactionFailedError(
            f"transaction {tx_hash} (journal {journal}) was mined but reverted: see the node's "
            "trace, fix the cause, then remove that journal record to send a new one"
        )
    return tx_hash
