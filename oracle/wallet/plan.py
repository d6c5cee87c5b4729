"""What the wallet is about to send: a :class:`Plan` of transactions, each with its gas
estimate, shown to the user (or to a ``confirm`` callback) before anything leaves the machine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oracle.errors import WalletError


@dataclass(frozen=True)
class Step:
    """One transaction: a tournament method, its arguments and its estimated gas."""

    label: str
    method: str
    args: tuple[Any, ...]
    gas: int


@dataclass
class Plan:
    """What one wallet action will do (``lines``, for a person) and send (``steps``)."""

    action: str
    lines: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def gas(self) -> int:
        return sum(s.gas for s in self.steps)


#: Called with the plan before sending; False stops the action with nothing sent.
Confirm = Callable[[Plan], bool]


def always(_plan: Plan) -> bool:
    """The default of the Python client: calling the method is the decision to send."""
    return True


@dataclass(frozen=True)
class Sent:
    """A transaction the wallet sent and the chain included."""

    label: str
    tx_hash: str
    gas_used: int


def estimate(contract: Any, method: str, args: tuple[Any, ...], sender: Any) -> int:
    """The gas ``method(*args)`` would use from ``sender`` now, or the contract's own reason
    for refusing it (a one-line :class:`WalletError`)."""
    from ape.exceptions import ApeException

    from oracle.chain.reverts import explain_revert
    from oracle.errors import one_line

    try:
        return int(getattr(contract, method).estimate_gas_cost(*args, sender=sender))
    except ApeException as err:
        reason = explain_revert(err) or one_line(str(err))
        raise WalletError(f"the tournament would refuse {method}: {reason}") from None


#: Receipt polling: first after 2 ms, doubling to at most 50 ms between polls.
FIRST_POLL, LAST_POLL = 0.002, 0.05
RECEIPT_TIMEOUT = 300.0


def send(contract: Any, steps: list[Step], sender: Any) -> list[Sent]:
    """Send ``steps`` in order, waiting for each to be included; stops at the first failure.

    ape prepares and signs each transaction (nonce, fees, gas limit; any ape account). The
    wallet broadcasts it and polls for the receipt itself, from 2 ms on: web3's own wait
    sleeps 100 ms whenever the first poll comes before the block, which on a busy devnet
    was most of a submission's time.
    """
    provider = contract.provider
    sent = []
    for step in steps:
        txn = getattr(contract, step.method).as_transaction(*step.args, sender=sender, sign=True)
        tx_hash = (
            "0x" + bytes(provider.web3.eth.send_raw_transaction(txn.serialize_transaction())).hex()
        )
        _await_mined(provider, tx_hash)
        receipt = provider.get_receipt(tx_hash, transaction=txn)
        receipt.raise_for_status()
        sent.append(Sent(step.label, tx_hash, int(receipt.gas_used)))
    return sent


def _await_mined(provider: Any, tx_hash: str) -> None:
    import time

    pause, deadline = FIRST_POLL, time.monotonic() + RECEIPT_TIMEOUT
    while True:
        reply = provider.web3.provider.make_request("eth_getTransactionReceipt", [tx_hash])
        if reply.get("result"):
            return
        if time.monotonic() > deadline:
            raise WalletError(
                f"transaction {tx_hash} was not included within {RECEIPT_TIMEOUT:.0f} s: check "
                "it on the network before sending again"
            )
        time.sleep(pause)
        pause = min(pause * 2, LAST_POLL)
