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
    held: set[tuple[int, bytes]] = set()
    for h in ctx.reader.holdings(ctx.address, round_id):
        held.add((h.round_id, h.model_id))
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
    rounds = [round_id] if round_id is not None else ctx.reader.round_ids()
    for r in rounds:
        for model_id, saved in names_of.get(r, ctx.names(r)).items():
            if (r, model_id) not in held:
                rows.append(not_on_chain(ctx, saved))
    return sorted(rows, key=lambda row: (row.round, row.model_id))


def not_on_chain(ctx: WalletContext, saved: Submission) -> ModelPosition:
    """A submission the vault holds whose stake the chain does not (at the confirmation
    depth): never sent, still being confirmed, or dropped by a reorg."""
    depth = ctx.reader.confirmations
    return ModelPosition(
        round=saved.round,
        model=saved.model,
        model_id=saved.model_id,
        stake=0,
        commitment=saved.commitment,
        settled=None,
        payout=0,
        saved=True,
        note=(
            f"saved, but its stake is not on chain ({depth} block(s) deep): if it does not "
            f"appear within a few blocks, run `wallet submit --round {saved.round} --model "
            f"{saved.model}` with the same file again to re-send it"
        ),
    )


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
