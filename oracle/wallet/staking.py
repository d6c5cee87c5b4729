"""Staking plans: a submission (stake, replace or reduce, with the file and salt saved first),
a withdrawal, and the reveal of every staked file after close."""

from __future__ import annotations

from oracle.chain.permit import sign_permit_with
from oracle.errors import ServiceError, WalletError
from oracle.faults import crash_point
from oracle.protocol.units import format_amount
from oracle.times import utc_time
from oracle.wallet.answers import RevealAnswer, SubmitResult
from oracle.wallet.context import WalletContext
from oracle.wallet.inputs import Amount, Predictions, label, model_id, tokens
from oracle.wallet.plan import Plan, Sent

#: How long a signed permit stays valid (seconds of chain time).
PERMIT_LIFETIME = 3600


def submit(
    ctx: WalletContext, round_id: int, model: str, predictions: Predictions, stake: Amount
) -> SubmitResult:
    """Commit ``model``'s ``predictions`` for ``round_id`` with ``stake`` tokens in total
    (see :meth:`oracle.wallet.Wallet.submit`)."""
    model_key = model_id(model)
    info = ctx.open_round(round_id)
    units = tokens(stake)
    if units < info.min_stake:
        raise WalletError(
            f"a stake of {format_amount(units)} is below round {round_id}'s minimum of "
            f"{format_amount(info.min_stake)} tokens: stake more"
        )
    data = ctx.checked_predictions(round_id, predictions)
    ctx.require_gas()

    tournament = ctx.reader.address
    current = ctx.stake_of(round_id, model_key)
    on_chain = ctx.reader.commitment_of(round_id, ctx.address, model_key) if current else b""
    submission = ctx.vault.submission_for(
        ctx.chain_id, tournament, round_id, ctx.address, model, data
    )
    commit = submission.commitment_bytes
    need = max(units - current, 0)
    if need:
        have = ctx.token_balance()
        if have < need:
            short = format_amount(need - have)
            raise WalletError(
                f"account {ctx.address} holds {format_amount(have)} tokens; this stake "
                f"needs {format_amount(need)}, {short} more than it holds: get tokens "
                f"first (on the devnet: `ape run faucet {ctx.address} {short}`)"
            )
    # Saved before anything is sent: whatever happens next, the salt is on disk.
    ctx.vault.save_pending(submission, data)
    crash_point("wallet-after-save")

    plan = Plan(f"submit {model} to round {round_id}")
    plan.lines.append(
        f"model {model} (id {submission.model_id}), file {submission.predictions_hash}"
    )
    plan.lines.append(
        f"stake {format_amount(current)} -> {format_amount(units)} tokens, commitment "
        f"{submission.commitment}"
    )
    if need:
        v, r, s, deadline = permit(ctx, need)
        plan.steps.append(
            ctx.step(
                f"stakeWithPermit {format_amount(need)} tokens on {model}",
                "stakeWithPermit",
                round_id,
                model_key,
                need,
                commit,
                deadline,
                v,
                r,
                s,
            )
        )
    elif on_chain != commit:
        plan.steps.append(
            ctx.step(
                f"replaceCommitment of {model}", "replaceCommitment", round_id, model_key, commit
            )
        )
    if units < current:
        plan.steps.append(
            ctx.step(
                f"withdraw {format_amount(current - units)} tokens from {model}",
                "withdraw",
                round_id,
                model_key,
                current - units,
            )
        )
    sent = ctx.run(plan)
    if units:
        # Current only once the chain holds the commitment at the confirmation depth: until
        # then a reorg could drop the stake, and the previous file and salt are kept.
        ctx.wait_for_commitment(round_id, model_key, commit, model)
    ctx.vault.confirm(submission)
    return SubmitResult(submission, units, sent)


def permit(ctx: WalletContext, value: int) -> tuple[int, bytes, bytes, int]:
    """An EIP-2612 permit for the tournament to take ``value`` tokens: (v, r, s, deadline)."""
    token = ctx.token_views
    deadline = ctx.now() + PERMIT_LIFETIME
    v, r, s = sign_permit_with(
        ctx.account,
        token_name=str(token.call("name")),
        token_address=str(token.address),
        chain_id=ctx.chain_id,
        owner=ctx.address,
        spender=ctx.reader.address,
        value=value,
        nonce=int(token.call("nonces", ctx.address)),
        deadline=deadline,
    )
    return v, r, s, deadline


def withdraw(
    ctx: WalletContext, round_id: int, model: str, amount: Amount | None = None
) -> list[Sent]:
    """Take ``amount`` tokens (all by default) out of ``model``'s stake before close."""
    model_key = model_id(model)
    ctx.open_round(round_id)
    current = ctx.stake_of(round_id, model_key)
    if current == 0:
        raise WalletError(f"account {ctx.address} has no stake on {model} in round {round_id}")
    units = current if amount is None else tokens(amount)
    if units > current:
        raise WalletError(
            f"cannot withdraw {format_amount(units)}: {model} holds {format_amount(current)}"
        )
    ctx.require_gas()
    plan = Plan(f"withdraw from {model} in round {round_id}")
    plan.lines.append(f"stake {format_amount(current)} -> {format_amount(current - units)} tokens")
    plan.steps.append(
        ctx.step(
            f"withdraw {format_amount(units)} tokens from {model}",
            "withdraw",
            round_id,
            model_key,
            units,
        )
    )
    return ctx.run(plan)


def reveal(ctx: WalletContext, round_id: int) -> list[RevealAnswer]:
    """Send every staked model's file and salt of ``round_id`` to the service, after close.
    Sending again is harmless: the service gives the same answer."""
    info = ctx.round_info(round_id)
    now = ctx.now()
    if now < info.close_time:
        raise WalletError(
            f"round {round_id} is open for staking until {utc_time(info.close_time)} (chain "
            f"time {utc_time(now)}): reveal after close"
        )
    ctx.wait_deep_past(info.close_time, f"round {round_id}'s close")
    service = ctx.checked_service()
    names = ctx.names(round_id)
    answers = []
    # The positions as staking left them at close (withdrawn ones are not there).
    for h in ctx.reader.positions(round_id, ctx.address):
        found = ctx.saved_for(round_id, h.model_id, h.commitment, names)
        if found is None:
            answers.append(
                RevealAnswer(
                    label(names, h.model_id),
                    "0x" + h.model_id.hex(),
                    "not-saved",
                    "this wallet holds no file and salt for the position's commitment",
                )
            )
            continue
        submission, data = found
        try:
            reply = service.reveal(
                round_id, ctx.address, submission.model, submission.salt_bytes, data
            )
        except ServiceError as err:
            if err.status == 409:
                raise WalletError(_window_line(round_id, err)) from None
            if err.status is None or err.status >= 500:
                raise
            reply = {"status": "error", "reason": str(err)}
        answers.append(
            RevealAnswer(
                submission.model,
                submission.model_id,
                str(reply.get("status")),
                str(reply.get("reason", "")),
            )
        )
    if not answers:
        raise WalletError(f"account {ctx.address} has no stake in round {round_id} to reveal")
    return answers


def _window_line(round_id: int, err: ServiceError) -> str:
    facts = err.facts
    if {"close_time", "reveal_deadline", "chain_time"} <= facts.keys():
        return (
            f"round {round_id} takes reveals from {utc_time(int(facts['close_time']))} to "
            f"{utc_time(int(facts['reveal_deadline']))} (chain time "
            f"{utc_time(int(facts['chain_time']))}): {err}"
        )
    return str(err)
