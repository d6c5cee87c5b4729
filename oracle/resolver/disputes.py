"""The bonded dispute from the command line: raise one on a mismatch, rule on one (the
guardian), and the watcher anyone can run that verifies every posted root and disputes a
wrong one, once.

A dispute's reason hash is the content hash of its report (:func:`~.verify.report_of`):
canonical JSON of the round, the root and the verify line, stored public in the disputer's
store. Anyone who runs ``verify`` on the same round gets the same bytes, so the guardian can
check the reason before ruling. Every transaction goes through the store's journal
(:func:`~.transactions.send_once`): a watcher killed at any point never disputes twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oracle.audit.context import OracleContext
from oracle.audit.verify import Verdict, report_of, verify_round
from oracle.chain.events import RoundInfo, Status
from oracle.errors import AccountError, RoundStateError, TournamentError, one_line
from oracle.protocol.units import format_amount
from oracle.resolver.transactions import send_once
from oracle.times import utc_time


@dataclass(frozen=True)
class DisputePlan:
    """What a dispute of a round's standing root sends."""

    round_id: int
    root: str
    reason: str
    report: bytes
    bond: int
    approve: bool
    challenge_ends: int

    def lines(self, account: str) -> list[str]:
        lines = [
            f"dispute round {self.round_id}'s root {self.root} from {account}",
            f"  bond {format_amount(self.bond)} tokens (back with half the oracle's bond if "
            "upheld; lost if rejected)",
            f"  reason {self.reason} (the mismatch report, stored public)",
            f"  the challenge window closes {utc_time(self.challenge_ends)}",
        ]
        if self.approve:
            lines.insert(1, "  approve the tournament for the bond first")
        return lines


def _token(ctx: OracleContext) -> Any:
    from ape import project

    return project.TournamentToken.at(ctx.reader.token_views.address)


def _open_post(ctx: OracleContext, round_id: int) -> RoundInfo:
    info = ctx.reader.round_info(round_id)
    if info.status != Status.POSTED:
        raise RoundStateError(
            f"round {round_id} is {info.status.name.lower()}: only a posted root in its "
            "challenge window can be disputed"
        )
    now = ctx.now()
    if now >= info.challenge_ends:
        raise RoundStateError(
            f"round {round_id}'s challenge window closed at {utc_time(info.challenge_ends)}: "
            "too late to dispute"
        )
    return info


def plan_dispute(ctx: OracleContext, account: Any, verdict: Verdict) -> DisputePlan:
    """The dispute of ``verdict``'s round, checked: a MISMATCH, in the window, bond held."""
    if verdict.ok:
        raise TournamentError(
            f"not disputed: {verdict.line()} (the posted root is what the artefacts give)"
        )
    info = _open_post(ctx, verdict.round_id)
    if "0x" + info.root.hex() != verdict.root:
        raise RoundStateError(
            f"round {verdict.round_id}'s root changed since it was verified: verify again"
        )
    report = report_of(ctx, verdict)
    reason = ctx.store.put(report, public=True)
    bond = int(ctx.reader.views.call("disputeBond"))
    token = ctx.reader.token_views
    held = int(token.call("balanceOf", str(account.address)))
    if held < bond:
        raise AccountError(
            f"{account.address} holds {format_amount(held)} tokens; a dispute bonds "
            f"{format_amount(bond)}: fund the account first"
        )
    allowance = int(token.call("allowance", str(account.address), ctx.tournament))
    return DisputePlan(
        verdict.round_id, verdict.root, reason, report, bond, allowance < bond, info.challenge_ends
    )


def send_dispute(ctx: OracleContext, account: Any, plan: DisputePlan) -> str:
    """Approve (if needed) and dispute, each once under the store's journal; the hash of the
    dispute transaction."""
    key = f"{plan.root[2:18]}"
    if plan.approve:
        send_once(
            ctx,
            ctx.ref(plan.round_id, f"dispute-approve-{key}"),
            account,
            _token(ctx).approve,
            (ctx.tournament, plan.bond),
        )
    return send_once(
        ctx,
        ctx.ref(plan.round_id, f"dispute-{key}"),
        account,
        ctx.contract.dispute,
        (plan.round_id, bytes.fromhex(plan.reason[2:])),
    )


def rule(ctx: OracleContext, guardian: Any, round_id: int, uphold: bool) -> str:
    """The guardian's ruling on the standing dispute of ``round_id``, once."""
    info = ctx.reader.round_info(round_id)
    if info.status != Status.DISPUTED:
        raise RoundStateError(
            f"round {round_id} is {info.status.name.lower()}: there is no dispute to rule on"
        )
    now = ctx.now()
    if now > info.rule_by:
        raise RoundStateError(
            f"round {round_id}'s ruling period ended at {utc_time(info.rule_by)}: anyone may "
            "now cancel it (`oracle run` does)"
        )
    return send_once(
        ctx,
        ctx.ref(round_id, f"rule-{info.disputer[2:10]}-{info.rule_by}"),
        guardian,
        ctx.contract.rule,
        (round_id, uphold),
    )


def reason_of(ctx: OracleContext, round_id: int) -> str | None:
    """The reason hash of the standing dispute of ``round_id`` (from its event)."""
    events = ctx.reader.events("ResolutionDisputed", round_id)
    return "0x" + bytes(events[-1]["reasonHash"]).hex() if events else None


def check_reason(ctx: OracleContext, round_id: int) -> str:
    """What this store's ``verify`` says of the disputed root, and whether its report is the
    one the dispute names (then the report is stored public, for the pages to link)."""
    info = ctx.reader.round_info(round_id)
    reason = reason_of(ctx, round_id)
    try:
        verdict = verify_round(ctx, round_id)
    except TournamentError as err:
        return f"cannot verify ({one_line(str(err))})"
    report = report_of(ctx, verdict)
    from oracle.store import content_hash

    if content_hash(report) == reason and "0x" + info.root.hex() == verdict.root:
        ctx.store.put(report, public=True)
        return f"{verdict.line()} (the dispute's report, reproduced)"
    return f"{verdict.line()} (not the dispute's report)"


def _watched(ctx: OracleContext, round_id: int, root: str) -> str:
    return ctx.ref(round_id, f"watch-{root[2:18]}")


def watch_once(
    ctx: OracleContext, account: Any, say: Callable[[str], None] | None = None
) -> list[str]:
    """One pass of the watcher: verify every root in its challenge window not yet checked, and
    dispute each MISMATCH (once). Returns what it did, a line each."""
    done: list[str] = []
    now = ctx.now()
    for round_id in ctx.reader.round_ids():
        info = ctx.reader.round_info(round_id)
        if info.status != Status.POSTED or now >= info.challenge_ends:
            continue
        root = "0x" + info.root.hex()
        seen = ctx.store.get_ref(_watched(ctx, round_id, root))
        if seen is not None and (seen["ok"] or seen.get("disputed")):
            continue
        if seen is None:
            try:
                verdict = verify_round(ctx, round_id)
            except TournamentError as err:
                done.append(f"round {round_id}: cannot verify yet: {one_line(str(err))}")
                continue
            seen = {
                "ok": verdict.ok,
                "root": root,
                "difference": verdict.difference,
                "line": verdict.line(),
            }
            ctx.store.put_ref(_watched(ctx, round_id, root), seen)
            done.append(verdict.line())
            if say:
                say(verdict.line())
        if seen["ok"]:
            continue
        try:
            plan = plan_dispute(ctx, account, Verdict(False, round_id, root, seen["difference"]))
            tx = send_dispute(ctx, account, plan)
        except TournamentError as err:
            done.append(f"round {round_id}: dispute failed: {one_line(str(err))}")
            continue
        ctx.store.put_ref(_watched(ctx, round_id, root), {**seen, "disputed": tx})
        done.append(f"round {round_id}: disputed root {root} in {tx} (reason {plan.reason})")
    return done
