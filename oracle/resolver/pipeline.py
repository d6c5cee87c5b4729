"""The operator's side of a round after its reveals: resolve, finalize, settle (opening is
:mod:`.opening`, reveal intake and publishing :mod:`.intake`).

Every step derives what is done from the chain and the store, so running it again is safe:
a step that already happened is reported, not repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from oracle.audit.context import OracleContext, Say, quiet
from oracle.audit.inputs import round_inputs
from oracle.audit.results import (
    Results,
    compute_results,
)
from oracle.chain.events import RoundInfo, Status
from oracle.errors import (
    IncompleteLogsError,
    RoundStateError,
)
from oracle.faults import crash_point
from oracle.protocol.manifest import (
    load_json,
)
from oracle.protocol.results import leaf_of
from oracle.resolver.intake import publish_targets, published
from oracle.resolver.transactions import send_once
from oracle.times import utc_time

# ---------------------------------------------------------------------------------- resolve


@dataclass(frozen=True)
class Resolution:
    round_id: int
    root: bytes
    results_hash: str
    totals: tuple[int, int, int]
    results: Results | None
    posted_now: bool
    tx_hash: str | None


def resolve(
    ctx: OracleContext,
    oracle_account: Any,
    round_id: int,
    say: Say = quiet,
    *,
    misstate: bool = False,
) -> Resolution:
    """Score the round, store its results file and post its root (once).

    Safe to run again at any point: a posted round is reported; a results file already
    stored is the same bytes; a post already broadcast is found and waited for. After a
    veto or an upheld dispute the round is posted again (the honest results again).

    ``misstate`` posts a deliberately wrong resolution (one position's payout changed, see
    :mod:`.faulty`): for the demo and the tests of disputes only.
    """
    info = ctx.reader.round_info(round_id)
    if info.status == Status.DISPUTED:
        raise RoundStateError(
            f"round {round_id}'s root is disputed: the guardian rules by {utc_time(info.rule_by)}"
        )
    if info.status in (Status.POSTED, Status.FINALIZED):
        return Resolution(
            round_id,
            info.root,
            "0x" + info.results_hash.hex(),
            (info.total_staked, info.total_reward, info.total_burn),
            None,
            False,
            None,
        )
    if info.status == Status.CANCELLED:
        raise RoundStateError(f"round {round_id} was cancelled: its stakes are refunded")
    now = ctx.now()
    if now > info.resolve_by - info.challenge_period:
        raise RoundStateError(
            f"round {round_id} can no longer be resolved (deadline {utc_time(info.resolve_by)}): "
            "stakers take refunds"
        )
    if not ctx.reader.deep_past(info.close_time):
        raise RoundStateError(ctx.reader.depth_line(f"round {round_id}'s close", info.close_time))
    done = published(ctx, round_id) or publish_targets(ctx, round_id, say=say)
    inputs = round_inputs(
        ctx, info, done.targets, done.reveals, public_only=False, budget=info.budget
    )
    staked = sum(p.stake for p in inputs.positions)
    if staked != info.total_staked:
        raise IncompleteLogsError(
            f"the positions from the chain's events add up to {staked}, but the round records "
            f"{info.total_staked}: is the node missing logs?"
        )
    results = compute_results(inputs, progress=say)
    if misstate:
        from oracle.resolver.faulty import misstated

        results = misstated(results)
    crash_point("before-store")
    results_hash = ctx.store.put(results.data, public=True)
    crash_point("after-store")
    if now < info.resolve_after:
        raise RoundStateError(
            f"round {round_id}'s results are stored ({results_hash}); it can be posted from "
            f"{utc_time(info.resolve_after)} (it is {utc_time(now)})"
        )
    total_staked, reward, burn = results.totals
    # One journal entry per post: a veto or an upheld dispute makes the next post a new one.
    dropped = len(ctx.reader.events("ResolutionVetoed", round_id)) + len(
        ctx.reader.events("DisputeUpheld", round_id)
    )
    _require_bond(ctx, round_id)
    say(f"posting root 0x{results.root.hex()}")
    tx_hash = send_once(
        ctx,
        ctx.ref(round_id, f"post-{dropped}"),
        oracle_account,
        ctx.contract.postResolution,
        (round_id, results.root, total_staked, reward, burn, bytes.fromhex(results_hash[2:])),
    )
    crash_point("after-receipt")
    return Resolution(
        round_id,
        results.root,
        results_hash,
        results.totals,
        results,
        True,
        tx_hash,
    )


def _require_bond(ctx: OracleContext, round_id: int) -> None:
    """A post locks the resolution bond: say how to deposit it when the pool is short."""
    from oracle.protocol.units import format_amount

    bond = int(ctx.reader.views.call("resolutionBond"))
    pool = int(ctx.reader.views.call("bondPool"))
    if pool < bond:
        raise RoundStateError(
            f"round {round_id} cannot be posted: the oracle's bond pool holds "
            f"{format_amount(pool)} tokens and a post locks {format_amount(bond)}: deposit with "
            "`ape run treasury bond AMOUNT`"
        )


def expire_dispute(ctx: OracleContext, account: Any, round_id: int) -> bool:
    """Cancel a disputed round whose ruling period passed unruled; False if nothing to do."""
    info = ctx.reader.round_info(round_id)
    if info.status != Status.DISPUTED:
        return False
    now = ctx.now()
    if now <= info.rule_by:
        raise RoundStateError(
            f"round {round_id}'s dispute can be ruled on until {utc_time(info.rule_by)} "
            f"(it is {utc_time(now)})"
        )
    send_once(
        ctx, ctx.ref(round_id, "expire-dispute"), account, ctx.contract.expireDispute, (round_id,)
    )
    return True


def results_of(ctx: OracleContext, info: RoundInfo, *, public_only: bool = False) -> dict[str, Any]:
    """The posted results file of a round, parsed."""
    if info.results_hash == b"\x00" * 32:
        raise RoundStateError(f"round {info.round} has no posted resolution")
    return load_json(ctx.store.get(info.results_hash, public_only=public_only), "the results file")


# ------------------------------------------------------------------------- finalize / settle


def finalize(ctx: OracleContext, account: Any, round_id: int) -> bool:
    """Finalise a posted round once its challenge window has passed; False if nothing to do."""
    info = ctx.reader.round_info(round_id)
    if info.status == Status.FINALIZED:
        return False
    if info.status != Status.POSTED:
        raise RoundStateError(f"round {round_id} has no posted resolution to finalise")
    now = ctx.now()
    if now < info.challenge_ends:
        raise RoundStateError(
            f"round {round_id}'s challenge window is open until {utc_time(info.challenge_ends)} "
            f"(it is {utc_time(now)})"
        )
    send_once(ctx, ctx.ref(round_id, "finalize"), account, ctx.contract.finalize, (round_id,))
    return True


@dataclass(frozen=True)
class Settlement:
    settled: int
    skipped: int
    transactions: int
    gas_used: int


def settle(
    ctx: OracleContext,
    account: Any,
    round_id: int,
    *,
    max_batch: int | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> Settlement:
    """Claim every unsettled leaf of a finalised round on behalf of its owner with
    ``claimMany``, in batches sized to the block gas limit."""
    info = ctx.reader.round_info(round_id)
    if info.status != Status.FINALIZED:
        raise RoundStateError(f"round {round_id} is not finalised: nothing to settle yet")
    document = results_of(ctx, info)
    # Settled as of the head, not the confirmation depth: a claim just made must not be
    # claimed again (a batch holding a settled leaf would revert whole).
    done = ctx.reader.settled(round_id, at_head=True)
    pending = []
    for entry in document["positions"]:
        leaf = leaf_of(round_id, entry)
        if (leaf[1], leaf[2]) in done:
            continue
        pending.append((leaf, [bytes.fromhex(p[2:]) for p in entry["proof"]]))
    skipped = len(document["positions"]) - len(pending)
    if not pending:
        return Settlement(0, skipped, 0, 0)
    batch = max_batch or _batch_size(ctx, account, pending)
    transactions = gas = settled = 0
    for start in range(0, len(pending), batch):
        part = pending[start : start + batch]
        keys = b"".join(bytes.fromhex(leaf[1][2:]) + bytes(leaf[2]) for leaf, _ in part)
        tx_hash = send_once(
            ctx,
            ctx.ref(round_id, f"settle-{keccak(keys).hex()[:16]}"),
            account,
            ctx.contract.claimMany,
            ([leaf for leaf, _ in part], [proof for _, proof in part]),
        )
        receipt = ctx.provider.web3.eth.get_transaction_receipt(tx_hash)
        transactions += 1
        gas += int(receipt["gasUsed"])
        settled += len(part)
        if on_batch:
            on_batch(settled, len(pending))
    return Settlement(settled, skipped, transactions, gas)


def _batch_size(ctx: OracleContext, account: Any, pending: list[Any]) -> int:
    """Leaves per ``claimMany``: what half a block's gas pays for, from an estimate of a
    sample batch (the other half leaves room for everyone else's transactions)."""
    sample = pending[: min(len(pending), 32)]
    estimate = ctx.contract.claimMany.estimate_gas_cost(
        [leaf for leaf, _ in sample], [proof for _, proof in sample], sender=account
    )
    per_leaf = max(1, int(estimate) // len(sample))
    block_limit = int(ctx.provider.web3.eth.get_block("latest")["gasLimit"])
    return max(1, min(len(pending), block_limit // 2 // per_leaf))
