"""Where every round stands, what is due next, and the keeper that does it.

``status`` reads the chain and the store only. ``run_once`` performs whatever is due for every
round (publish, resolve, finalize, settle); ``ape run oracle run`` repeats it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oracle.audit.context import OracleContext, manifest_of
from oracle.chain.events import RoundInfo, Status
from oracle.errors import TournamentError, first_line, one_line
from oracle.resolver.intake import ACCEPTED, REJECTED, publish_targets, published, reveal_records
from oracle.resolver.pipeline import expire_dispute, finalize, resolve, settle
from oracle.times import utc_time

#: Actions the keeper can take, in round order.
PUBLISH, RESOLVE, FINALIZE, SETTLE = "publish-targets", "resolve", "finalize", "settle"
#: Cancelling a disputed round the guardian did not rule on in time (anyone may).
EXPIRE = "expire-dispute"


@dataclass(frozen=True)
class RoundStatus:
    round_id: int
    phase: str
    positions: int
    accepted: int
    rejected: int
    staked: int
    budget: int
    reward: int
    burn: int
    settled: int
    #: The next step and the chain time from which it can be taken (None: nothing is due).
    next_action: str
    due: int | None


def round_status(
    ctx: OracleContext, round_id: int, now: int | None = None, settle_after: int = 0
) -> RoundStatus:
    """Where ``round_id`` stands at chain time ``now``; its leaves are due for settling
    ``settle_after`` seconds after its challenge period ends (time for stakers to claim
    themselves)."""
    info = ctx.reader.round_info(round_id)
    now = ctx.now() if now is None else now
    positions = ctx.reader.positions(round_id)
    reveals = reveal_records(ctx, round_id)
    accepted = sum(1 for r in reveals if r.status == ACCEPTED)
    rejected = sum(1 for r in reveals if r.status == REJECTED)
    settled = len(ctx.reader.settled(round_id)) if info.status != Status.PENDING else 0
    phase, action, due = _phase(ctx, info, now, len(positions), settled, settle_after)
    return RoundStatus(
        round_id,
        phase,
        len(positions),
        accepted,
        rejected,
        info.total_staked,
        info.budget,
        info.total_reward,
        info.total_burn,
        settled,
        action,
        due,
    )


def _phase(
    ctx: OracleContext, info: RoundInfo, now: int, positions: int, settled: int, settle_after: int
) -> tuple[str, str, int | None]:
    if info.status == Status.CANCELLED:
        return "cancelled", "refunds are open", None
    if info.status == Status.FINALIZED:
        unsettled = positions - settled
        if unsettled == 0:
            return "settled", "nothing", None
        if now > info.settle_by:
            return "past settlement", f"{unsettled} unsettled position(s) can take refunds", None
        return (
            "finalized",
            f"settle {unsettled} leaf(s)",
            max(now, info.challenge_ends + settle_after),
        )
    if info.status == Status.DISPUTED:
        if now > info.rule_by:
            return "dispute expired", EXPIRE, now
        return "disputed", f"the guardian rules by {utc_time(info.rule_by)}", info.rule_by + 1
    if now > info.resolve_by:
        return "timed out", "stakers can take refunds", None
    if info.status == Status.POSTED:
        return "posted", FINALIZE, max(now, info.challenge_ends)
    try:
        deadline = manifest_of(ctx, info).schedule.reveal_deadline
    except TournamentError:
        deadline = info.resolve_after
    if now < info.close_time:
        return "staking", "reveals open at close", info.close_time
    if now <= deadline:
        return "revealing", PUBLISH, deadline + 1
    if published(ctx, info.round) is None:
        return "awaiting targets", PUBLISH, now
    return "scoring", RESOLVE, max(now, info.resolve_after)


#: Phases after which nothing about a round changes for the keeper.
FINISHED = frozenset({"settled", "cancelled"})


def all_status(
    ctx: OracleContext, settle_after: int = 0, finished: dict[int, RoundStatus] | None = None
) -> list[RoundStatus]:
    """Every round's status; a round already in ``finished`` is not read again, and one that
    has just finished is added to it (so a long-running keeper's pass costs the live rounds'
    reads, not the whole history's)."""
    now = ctx.now()
    statuses = []
    for r in ctx.reader.round_ids():
        if finished is not None and r in finished:
            statuses.append(finished[r])
            continue
        status = round_status(ctx, r, now, settle_after)
        if finished is not None and status.phase in FINISHED:
            finished[r] = status
        statuses.append(status)
    return statuses


def run_once(
    ctx: OracleContext,
    oracle_account: Any,
    say: Callable[[str], None],
    stopped: threading.Event | None = None,
    settle_after: int = 0,
    finished: dict[int, RoundStatus] | None = None,
    statuses: list[RoundStatus] | None = None,
) -> list[str]:
    """Do every step that is due now, for every round; returns what was done.

    One round's failure (a refusal, the node failing, anything) is reported as
    ``round N: <step> failed: <why>`` and does not stop the others. With ``stopped`` set, no
    further round is begun. The rounds' statuses as the pass found them are put in
    ``statuses`` when given (for metrics, without reading them twice).
    """
    done: list[str] = []
    now = ctx.now()
    found = all_status(ctx, settle_after, finished)
    if statuses is not None:
        statuses[:] = found
    for status in found:
        r = status.round_id
        if status.due is None or status.due > now:
            continue
        if stopped is not None and stopped.is_set():
            break
        if status.next_action in (PUBLISH, RESOLVE):
            info = ctx.reader.round_info(r)
            if not ctx.reader.deep_past(info.close_time):
                continue  # the round's stakes are not final yet: a later pass acts
        try:
            if status.next_action == PUBLISH:
                if manifest_of(ctx, info).targets_commitment is None:
                    continue  # the operator supplies the targets of a round on own data
                publish_targets(ctx, r, say=say)
                done.append(f"round {r}: published the reveals and targets")
            elif status.next_action == RESOLVE:
                resolution = resolve(ctx, oracle_account, r, say=say)
                done.append(f"round {r}: posted root 0x{resolution.root.hex()}")
            elif status.next_action == EXPIRE:
                if expire_dispute(ctx, oracle_account, r):
                    done.append(f"round {r}: the dispute expired unruled: the round is cancelled")
            elif status.next_action == FINALIZE:
                if finalize(ctx, oracle_account, r):
                    done.append(f"round {r}: finalized")
            elif status.next_action.startswith("settle"):
                result = settle(ctx, oracle_account, r)
                done.append(
                    f"round {r}: settled {result.settled} leaf(s) in {result.transactions} "
                    "transaction(s)"
                )
        except TournamentError as err:
            done.append(f"round {r}: {status.next_action} failed: {one_line(str(err))}")
        except Exception as err:  # a bug or a library's surprise must not stop the others
            done.append(
                f"round {r}: {status.next_action} failed: {type(err).__name__}: {first_line(err)}"
            )
    return done
