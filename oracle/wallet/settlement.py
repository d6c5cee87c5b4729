"""Settlement: claims with the service's proofs (each checked against the on-chain root before
anything is sent), restakes of a payout into a later round, and refunds."""

from __future__ import annotations

from typing import Any

from oracle.chain.events import RoundInfo, Status
from oracle.errors import WalletError
from oracle.protocol.merkle import LEAF_ENCODING, leaf_hash, verify
from oracle.protocol.results import leaf_of
from oracle.protocol.units import format_amount
from oracle.times import utc_time
from oracle.wallet.answers import ClaimResult
from oracle.wallet.context import WalletContext
from oracle.wallet.inputs import Predictions, label, model_id
from oracle.wallet.plan import Plan, Sent
from oracle.wallet.vault import Submission

#: A claimable position: the model's label, its leaf values and their proof.
Claimable = tuple[str, tuple[Any, ...], list[bytes]]


def checked_leaves(
    ctx: WalletContext, round_id: int, info: RoundInfo, wanted: bytes | None
) -> tuple[list[dict[str, Any]], list[Claimable]]:
    """The account's leaves of ``round_id`` from the service, and those still to claim (only
    ``wanted``'s if given), each proof checked against the on-chain root."""
    leaves = ctx.checked_service().leaves(round_id, ctx.address)["leaves"]
    names = ctx.names(round_id)
    chosen = []
    for entry in leaves:
        values = leaf_of(round_id, entry)
        if wanted is not None and values[2] != wanted:
            continue
        proof = [bytes.fromhex(p[2:]) for p in entry["proof"]]
        if not verify(info.root, leaf_hash(LEAF_ENCODING, values), proof):
            raise WalletError(
                f"the service's proof for {entry['model_id']} does not reach round {round_id}'s "
                "root on chain: do not trust this service; ask its operator"
            )
        if ctx.stake_of(round_id, values[2]) != values[3]:
            continue  # settled already
        chosen.append((label(names, values[2]), values, proof))
    return leaves, chosen


def claim(
    ctx: WalletContext,
    round_id: int,
    restake_into: int | None = None,
    model: str | None = None,
    predictions: Predictions | None = None,
) -> ClaimResult:
    """Claim the account's positions of a finalised round (see
    :meth:`oracle.wallet.Wallet.claim`)."""
    info = ctx.round_info(round_id)
    if info.status != Status.FINALIZED:
        after = f" (from {utc_time(info.challenge_ends)})" if info.challenge_ends else ""
        raise WalletError(
            f"round {round_id} is {info.status.name.lower()}: claims open once it is "
            f"finalized{after}"
        )
    if predictions is not None and (restake_into is None or model is None):
        raise WalletError("predictions for a restake need restake_into and one model")
    wanted = model_id(model) if model is not None else None
    leaves, chosen = checked_leaves(ctx, round_id, info, wanted)
    if wanted is not None and all(leaf_of(round_id, e)[2] != wanted for e in leaves):
        names = ctx.names(round_id)
        yours = sorted({label(names, leaf_of(round_id, e)[2]) for e in leaves})
        raise WalletError(
            f"account {ctx.address} has no model {model!r} in round {round_id}; its models "
            f"there are: {', '.join(yours) or 'none'}"
        )
    if not chosen:
        which = f"{model} in round {round_id}" if model else f"round {round_id}"
        raise WalletError(f"account {ctx.address} has nothing left to claim in {which}")
    ctx.require_gas()

    plan = Plan(f"claim round {round_id}")
    pending: list[Submission] = []
    claimed = [(name, v[3] + v[4] - v[5]) for name, v, _ in chosen]
    for name, payout in claimed:
        plan.lines.append(f"{name}: payout {format_amount(payout)} tokens")
    if restake_into is None:
        plan.steps.append(
            ctx.step(
                f"claimMany {len(chosen)} position(s)",
                "claimMany",
                [v for _, v, _ in chosen],
                [p for _, _, p in chosen],
            )
        )
    else:
        ctx.open_round(restake_into)
        for (name, values, proof), (_, payout) in zip(chosen, claimed, strict=True):
            commit, submission = restake_commitment(ctx, restake_into, name, values[2], predictions)
            if submission is not None:
                pending.append(submission)
            plan.lines.append(
                f"{name}: restake {format_amount(payout)} tokens into round {restake_into}"
            )
            plan.steps.append(
                ctx.step(
                    f"claimAndRestake {name} into round {restake_into}",
                    "claimAndRestake",
                    values,
                    proof,
                    restake_into,
                    values[2],
                    commit,
                )
            )
    sent = ctx.run(plan)
    for submission in pending:
        ctx.vault.confirm(submission)
    return ClaimResult(claimed, restake_into, sent)


def restake_commitment(
    ctx: WalletContext,
    round_id: int,
    name: str,
    model: bytes,
    predictions: Predictions | None,
) -> tuple[bytes, Submission | None]:
    """The commitment a restake into ``round_id`` binds, and the new submission to confirm
    afterwards if ``predictions`` made one."""
    if predictions is not None:
        data = ctx.checked_predictions(round_id, predictions)
        submission = ctx.vault.submission_for(
            ctx.chain_id, ctx.reader.address, round_id, ctx.address, name, data
        )
        ctx.vault.save_pending(submission, data)
        return submission.commitment_bytes, submission
    if ctx.stake_of(round_id, model):
        commit = ctx.reader.commitment_of(round_id, ctx.address, model)
        saved = ctx.vault.for_commitment(
            ctx.chain_id, ctx.reader.address, round_id, ctx.address, name, commit
        )
        if saved is not None:
            return commit, None
    raise WalletError(
        f"{name} has no saved submission in round {round_id} to restake into: submit its "
        f"predictions for round {round_id} first, or pass them to the claim"
    )


def refund(ctx: WalletContext, round_id: int) -> list[Sent]:
    """Take back every stake of the account in a cancelled or timed-out ``round_id``."""
    if not bool(ctx.reader.views.call("refundsOpen", round_id)):
        info = ctx.round_info(round_id)
        if info.disputed:
            raise WalletError(
                f"round {round_id}'s root is disputed: refunds open only if the guardian does "
                f"not rule by {utc_time(info.rule_by)}"
            )
        raise WalletError(
            f"refunds of round {round_id} open only if it is cancelled or not resolved by "
            f"{utc_time(info.resolve_by)}: claim it once finalized instead"
        )
    names = ctx.names(round_id)
    held = [h for h in ctx.reader.holdings(ctx.address, round_id) if h.stake]
    if not held:
        raise WalletError(f"account {ctx.address} has nothing to refund in round {round_id}")
    ctx.require_gas()
    plan = Plan(f"refund round {round_id}")
    for h in held:
        name = label(names, h.model_id)
        plan.lines.append(f"{name}: refund {format_amount(h.stake)} tokens")
        plan.steps.append(ctx.step(f"refund {name}", "refund", round_id, ctx.address, h.model_id))
    return ctx.run(plan)
