"""What the wallet reads and sends nothing for: balances, the account's positions, a round's
status with its results."""

from __future__ import annotations

from typing import Any

from oracle.wallet.answers import Balance, ModelPosition, PositionStatus, RoundStatus
from oracle.wallet.context import WalletContext
from oracle.wallet.inputs import label
from oracle.wallet.vault import Submission


def balance(ctx: WalletContext) -> Balance:
    """Tokens and ether held, and tokens at stake in positions not yet settled."""
    staked = sum(h.stake for h in ctx.reader.holdings(ctx.address))
    return Balance(
        ctx.address,
        ctx.token_balance(),
        int(ctx.provider.get_balance(ctx.address)),
        staked,
    )


def models(ctx: WalletContext, round_id: int | None = None) -> list[ModelPosition]:
    """Every position of the account (in ``round_id``, or in every round), with the model's
    name when the vault knows it and whether the vault can reveal it."""
    rows = []
    names_of: dict[int, dict[bytes, Submission]] = {}
    for h in ctx.reader.holdings(ctx.address, round_id):
        names = names_of.setdefault(h.round_id, ctx.names(h.round_id))
        saved = names.get(h.model_id)
        rows.append(
            ModelPosition(
                round=h.round_id,
                model=saved.model if saved else "",
                model_id="0x" + h.model_id.hex(),
                stake=h.stake,
                commitment="0x" + h.commitment.hex(),
                settled=h.settled,
                payout=h.payout,
                saved=ctx.saved_for(h.round_id, h.model_id, h.commitment, names) is not None,
            )
        )
    return rows


def status(ctx: WalletContext, round_id: int) -> RoundStatus:
    """The round's phase and the account's positions in it, with their results once the
    oracle has posted them."""
    summary = ctx.checked_service().round(round_id)
    names = ctx.names(round_id)
    results: dict[str, dict[str, Any]] = {}
    if summary.get("results"):
        for leaf in ctx.service.leaves(round_id, ctx.address)["leaves"]:
            results[leaf["model_id"]] = leaf
    rows = []
    for h in ctx.reader.holdings(ctx.address, round_id):
        model_id = "0x" + h.model_id.hex()
        entry = results.get(model_id, {})
        rows.append(
            PositionStatus(
                model=label(names, h.model_id),
                model_id=model_id,
                stake=h.stake,
                settled=h.settled,
                saved=ctx.saved_for(round_id, h.model_id, h.commitment, names) is not None,
                result=entry.get("status"),
                reason=str(entry.get("reason", "")),
                scores=entry.get("scores"),
                reward=int(entry.get("reward", 0)),
                burn=int(entry.get("burn", 0)),
            )
        )
    return RoundStatus(
        round=round_id,
        phase=str(summary["phase"]),
        next_action=str(summary.get("next_action", "")),
        close_time=int(summary["close_time"]),
        reveal_deadline=int(summary["reveal_deadline"]),
        chain_time=ctx.now(),
        positions=rows,
    )
