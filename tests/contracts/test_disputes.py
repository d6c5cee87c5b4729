"""The bonded dispute: every path of ``dispute``, ``rule`` and ``expireDispute``, the oracle's
bond pool, and every balance they move (on ape's in-process chain)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.reverts import reverts
from tests.helpers.tournament import (
    BOND_DEPOSIT,
    DAY,
    DISPUTE_BOND,
    HOUR,
    ONE,
    RESOLUTION_BOND,
    RULING,
    LeafData,
    build_tree,
    model,
    open_round,
    predictions_hash,
    schedule,
    totals,
    warp,
)

pytestmark = pytest.mark.chain

PENDING, POSTED, FINALIZED, CANCELLED, DISPUTED = range(5)
C1 = b"\xc1" * 32
REASON = b"\xbe" * 32
ZERO32 = b"\x00" * 32
HALF_BOND = RESOLUTION_BOND // 2
HALF_DISPUTE = DISPUTE_BOND // 2


def post_round(
    tournament: Any, operator: Any, treasury: Any, alice: Any, bob: Any, oracle: Any, **sched: Any
) -> Any:
    """A funded round (1,000 tokens) with two positions and a posted resolution: alice earns
    0.5 on 10, bob loses 0.25 on 5 (``sched``: the schedule's arguments)."""
    round_id, s = open_round(tournament, operator, schedule(**sched))
    tournament.fundRound(round_id, 1_000 * ONE, sender=treasury)
    tournament.stake(round_id, model("a"), 10 * ONE, C1, sender=alice)
    tournament.stake(round_id, model("b"), 5 * ONE, C1, sender=bob)
    leaves = [
        LeafData(round_id, alice.address, model("a"), 10 * ONE, ONE // 2, 0, predictions_hash("a")),
        LeafData(round_id, bob.address, model("b"), 5 * ONE, 0, ONE // 4, predictions_hash("b")),
    ]
    tree = build_tree(leaves)
    warp(s.resolve_after)
    tournament.postResolution(round_id, tree.root, *totals(leaves), b"\x33" * 32, sender=oracle)
    return round_id, s, leaves, tree


@pytest.fixture
def posted(tournament: Any, operator: Any, treasury: Any, alice: Any, bob: Any, oracle: Any) -> Any:
    return post_round(tournament, operator, treasury, alice, bob, oracle)


def balances(token: Any, tournament: Any, *who: Any) -> tuple[int, ...]:
    return (
        token.totalSupply(),
        token.balanceOf(tournament),
        int(tournament.bondPool()),
        *(int(token.balanceOf(w)) for w in who),
    )


def test_post_locksTheResolutionBond_andFinalizeReleasesIt(
    tournament: Any, posted: Any, oracle: Any
) -> None:
    round_id, s, _, _ = posted
    assert tournament.bondPool() == BOND_DEPOSIT - RESOLUTION_BOND
    warp(s.resolve_after + s.challenge)
    tournament.finalize(round_id, sender=oracle)
    assert tournament.bondPool() == BOND_DEPOSIT


def test_post_refusedWhenThePoolIsShort(
    tournament: Any, operator: Any, oracle: Any, deployer: Any, alice: Any
) -> None:
    tournament.withdrawBond(BOND_DEPOSIT - RESOLUTION_BOND + 1, sender=deployer)
    round_id, s = open_round(tournament, operator)
    tournament.stake(round_id, model("a"), 10 * ONE, C1, sender=alice)
    warp(s.resolve_after)
    with reverts(
        tournament.InsufficientBond, required=RESOLUTION_BOND, available=RESOLUTION_BOND - 1
    ):
        tournament.postResolution(round_id, b"\x44" * 32, 10 * ONE, 0, 0, ZERO32, sender=oracle)


def test_withdrawBond_adminOnly_freePartOnly_toTheTreasury(
    tournament: Any, token: Any, posted: Any, deployer: Any, alice: Any, treasury: Any
) -> None:
    free = BOND_DEPOSIT - RESOLUTION_BOND
    with reverts(tournament.AccessControlUnauthorizedAccount):
        tournament.withdrawBond(ONE, sender=alice)
    with reverts(tournament.InsufficientBond, required=free + 1, available=free):
        tournament.withdrawBond(free + 1, sender=deployer)
    before = token.balanceOf(treasury)
    receipt = tournament.withdrawBond(free, sender=deployer)
    assert token.balanceOf(treasury) == before + free
    event = receipt.events.filter(tournament.BondWithdrawn)[0]
    assert (event.to, event.amount, event.pool) == (treasury.address, free, 0)


def test_dispute_byAnyoneInTheWindow_holdsTheRoundAndTheBond(
    tournament: Any, token: Any, posted: Any, carol: Any, oracle: Any
) -> None:
    round_id, s, _, tree = posted
    before = balances(token, tournament, carol)
    receipt = tournament.dispute(round_id, REASON, sender=carol)
    after = balances(token, tournament, carol)
    assert after[1] - before[1] == DISPUTE_BOND
    assert before[3] - after[3] == DISPUTE_BOND
    event = receipt.events.filter(tournament.ResolutionDisputed)[0]
    now = tournament.provider.get_block("latest").timestamp
    assert (
        event.round,
        event.disputer,
        event.root,
        event.reasonHash,
        event.bond,
        event.ruleBy,
    ) == (
        round_id,
        carol.address,
        tree.root,
        REASON,
        DISPUTE_BOND,
        now + RULING,
    )
    view = tournament.getRound(round_id)
    assert (view.status, view.disputer, view.ruleBy) == (DISPUTED, carol.address, now + RULING)
    warp(s.resolve_after + s.challenge)
    with reverts(tournament.WrongStatus, round=round_id, status=DISPUTED):
        tournament.finalize(round_id, sender=oracle)


def test_dispute_refusals(
    tournament: Any, token: Any, posted: Any, carol: Any, bob: Any, guardian: Any, accounts: Any
) -> None:
    round_id, _s, _, _ = posted
    with reverts(tournament.ZeroReason):
        tournament.dispute(round_id, ZERO32, sender=carol)
    stranger = accounts[8]  # holds no tokens: the bond cannot be moved
    with reverts(token.ERC20InsufficientAllowance):
        tournament.dispute(round_id, REASON, sender=stranger)
    tournament.dispute(round_id, REASON, sender=carol)
    with reverts(tournament.WrongStatus, round=round_id, status=DISPUTED):
        tournament.dispute(round_id, REASON, sender=bob)
    with reverts(tournament.WrongStatus, round=round_id, status=DISPUTED):
        tournament.veto(round_id, sender=guardian)
    with reverts(tournament.WrongStatus, round=round_id, status=DISPUTED):
        tournament.cancelRound(round_id, sender=guardian)


def test_dispute_afterTheWindow_orOfAVetoedOrFinalisedRound_refused(
    tournament: Any, posted: Any, carol: Any, oracle: Any, guardian: Any
) -> None:
    round_id, _s, leaves, tree = posted
    tournament.veto(round_id, sender=guardian)
    with reverts(tournament.WrongStatus, round=round_id, status=PENDING):
        tournament.dispute(round_id, REASON, sender=carol)
    tournament.postResolution(round_id, tree.root, *totals(leaves), b"\x33" * 32, sender=oracle)
    ends = tournament.getRound(round_id).challengeEnds
    warp(ends)
    with reverts(tournament.ChallengeWindowClosed, round=round_id, challengeEnds=ends):
        tournament.dispute(round_id, REASON, sender=carol)
    tournament.finalize(round_id, sender=oracle)
    with reverts(tournament.WrongStatus, round=round_id, status=FINALIZED):
        tournament.dispute(round_id, REASON, sender=carol)


def test_dispute_stillOpenWhilePaused(
    tournament: Any, posted: Any, carol: Any, guardian: Any
) -> None:
    round_id, _, _, _ = posted
    tournament.pause(sender=guardian)
    tournament.dispute(round_id, REASON, sender=carol)
    assert tournament.getRound(round_id).status == DISPUTED


def test_rule_onlyTheGuardian_once_andWithinTheRulingPeriod(
    tournament: Any, posted: Any, carol: Any, alice: Any, guardian: Any
) -> None:
    round_id, _, _, _ = posted
    with reverts(tournament.WrongStatus, round=round_id, status=POSTED):
        tournament.rule(round_id, True, sender=guardian)
    tournament.dispute(round_id, REASON, sender=carol)
    with reverts(tournament.AccessControlUnauthorizedAccount):
        tournament.rule(round_id, True, sender=alice)
    rule_by = tournament.getRound(round_id).ruleBy
    warp(rule_by + 1)
    with reverts(tournament.RulingPeriodOver, round=round_id, ruleBy=rule_by):
        tournament.rule(round_id, True, sender=guardian)
    warp(rule_by + 2)
    tournament.expireDispute(round_id, sender=alice)
    with reverts(tournament.WrongStatus, round=round_id, status=CANCELLED):
        tournament.rule(round_id, False, sender=guardian)


def test_ruleUphold_vetoesTheRoot_paysTheDisputer_burnsHalfTheOraclesBond(
    tournament: Any, token: Any, posted: Any, carol: Any, guardian: Any, oracle: Any
) -> None:
    round_id, _, leaves, tree = posted
    tournament.dispute(round_id, REASON, sender=carol)
    before = balances(token, tournament, carol)
    receipt = tournament.rule(round_id, True, sender=guardian)
    supply, held, pool, carol_now = balances(token, tournament, carol)
    assert carol_now - before[3] == DISPUTE_BOND + HALF_BOND  # its bond back plus half the oracle's
    assert before[0] - supply == RESOLUTION_BOND - HALF_BOND  # the rest is burned
    assert before[1] - held == DISPUTE_BOND + RESOLUTION_BOND
    assert pool == before[2]  # the locked bond is gone, the free pool untouched
    event = receipt.events.filter(tournament.DisputeUpheld)[0]
    assert (event.disputer, event.root, event.paid, event.burned) == (
        carol.address,
        tree.root,
        DISPUTE_BOND + HALF_BOND,
        RESOLUTION_BOND - HALF_BOND,
    )
    view = tournament.getRound(round_id)
    assert (view.status, view.root, view.disputer, view.ruleBy) == (
        PENDING,
        ZERO32,
        "0x" + "0" * 40,
        0,
    )
    with reverts(tournament.WrongStatus, round=round_id, status=PENDING):
        tournament.rule(round_id, True, sender=guardian)
    # The oracle may post again before the deadline, locking a new bond.
    tournament.postResolution(round_id, tree.root, *totals(leaves), b"\x33" * 32, sender=oracle)
    assert tournament.bondPool() == pool - RESOLUTION_BOND


def test_ruleReject_inTheWindow_halfTheBondToTheOracle_theRestBurned_thenFinalises(
    tournament: Any, token: Any, posted: Any, carol: Any, guardian: Any, oracle: Any
) -> None:
    round_id, s, leaves, tree = posted
    tournament.dispute(round_id, REASON, sender=carol)
    before = balances(token, tournament, carol)
    receipt = tournament.rule(round_id, False, sender=guardian)
    supply, held, pool, carol_now = balances(token, tournament, carol)
    assert carol_now == before[3]
    assert pool - before[2] == HALF_DISPUTE
    assert before[0] - supply == DISPUTE_BOND - HALF_DISPUTE
    assert before[1] - held == DISPUTE_BOND - HALF_DISPUTE
    event = receipt.events.filter(tournament.DisputeRejected)[0]
    assert (event.disputer, event.root, event.toOracle, event.burned) == (
        carol.address,
        tree.root,
        HALF_DISPUTE,
        DISPUTE_BOND - HALF_DISPUTE,
    )
    assert tournament.getRound(round_id).status == POSTED
    warp(s.resolve_after + s.challenge)
    tournament.finalize(round_id, sender=oracle)
    assert tournament.bondPool() == pool + RESOLUTION_BOND
    payout = tournament.claim(leaves[0].values(), tree.proof(0), sender=carol)
    assert payout.events.filter(tournament.Claimed)[0].payout == 10 * ONE + ONE // 2


def test_ruleReject_afterTheWindowAndDeadline_finalisesAtOnce(
    tournament: Any,
    token: Any,
    operator: Any,
    oracle: Any,
    carol: Any,
    guardian: Any,
    treasury: Any,
    alice: Any,
    bob: Any,
) -> None:
    # A short resolution window: a dispute late in the challenge window outlives the deadline.
    round_id, s, leaves, tree = post_round(
        tournament, operator, treasury, alice, bob, oracle, window=DAY + HOUR
    )
    warp(s.resolve_after + DAY - 60)
    tournament.dispute(round_id, REASON, sender=carol)
    assert tournament.getRound(round_id).ruleBy > s.resolve_by
    warp(s.resolve_by + 60)  # the dispute holds the round past its deadline
    with reverts(tournament.RefundsNotOpen, round=round_id):
        tournament.refund(round_id, bob, model("b"), sender=bob)
    treasury_before = token.balanceOf(treasury)
    receipt = tournament.rule(round_id, False, sender=guardian)
    assert tournament.getRound(round_id).status == FINALIZED
    unused = receipt.events.filter(tournament.RoundFinalized)[0].budgetReturned
    assert unused == 1_000 * ONE - ONE // 2
    assert token.balanceOf(treasury) == treasury_before + unused
    supply = token.totalSupply()
    tournament.claim(leaves[1].values(), tree.proof(1), sender=bob)
    assert supply - token.totalSupply() == ONE // 4  # bob's burn stands


def test_expireDispute_cancelsTheRound_returnsBothBondsAndTheBudget(
    tournament: Any, token: Any, posted: Any, carol: Any, alice: Any, treasury: Any
) -> None:
    round_id, _, _, _ = posted
    tournament.dispute(round_id, REASON, sender=carol)
    rule_by = tournament.getRound(round_id).ruleBy
    warp(rule_by - 1)
    with reverts(tournament.RulingPeriodOpen, round=round_id, ruleBy=rule_by):
        tournament.expireDispute(round_id, sender=alice)
    warp(rule_by)
    with reverts(tournament.RefundsNotOpen, round=round_id, opensAfter=rule_by):
        tournament.refund(round_id, alice, model("a"), sender=alice)
    warp(rule_by + 1)
    before = balances(token, tournament, carol, treasury)
    receipt = tournament.expireDispute(round_id, sender=alice)
    supply, held, pool, carol_now, treasury_now = balances(token, tournament, carol, treasury)
    assert supply == before[0]  # nothing burned
    assert carol_now - before[3] == DISPUTE_BOND
    assert treasury_now - before[4] == 1_000 * ONE
    assert pool - before[2] == RESOLUTION_BOND
    event = receipt.events.filter(tournament.DisputeExpired)[0]
    assert (event.disputer, event.budgetReturned) == (carol.address, 1_000 * ONE)
    assert tournament.getRound(round_id).status == CANCELLED
    alice_before = token.balanceOf(alice)
    tournament.refund(round_id, alice, model("a"), sender=alice)
    assert token.balanceOf(alice) - alice_before == 10 * ONE
    assert held - token.balanceOf(tournament) == 10 * ONE
    with reverts(tournament.WrongStatus, round=round_id, status=CANCELLED):
        tournament.expireDispute(round_id, sender=alice)


def test_refundsOfAnExpiredDispute_openBeforeAnyoneExpiresIt(
    tournament: Any, posted: Any, carol: Any, bob: Any
) -> None:
    round_id, _, _, _ = posted
    tournament.dispute(round_id, REASON, sender=carol)
    warp(tournament.getRound(round_id).ruleBy + 1)
    tournament.refund(round_id, bob, model("b"), sender=bob)
    assert tournament.refundsOpen(round_id)
    with reverts(tournament.WrongStatus, round=round_id, status=DISPUTED):
        tournament.releaseBudget(round_id, sender=bob)


def test_releaseBudget_ofATimedOutPost_returnsTheBondOnce(
    tournament: Any, token: Any, posted: Any, alice: Any
) -> None:
    round_id, s, _, _ = posted
    warp(s.resolve_by + 1)
    pool = tournament.bondPool()
    tournament.releaseBudget(round_id, sender=alice)
    assert tournament.bondPool() == pool + RESOLUTION_BOND
    assert tournament.getRound(round_id).status == CANCELLED
    with reverts(tournament.ZeroAmount):
        tournament.releaseBudget(round_id, sender=alice)
    assert tournament.bondPool() == pool + RESOLUTION_BOND
