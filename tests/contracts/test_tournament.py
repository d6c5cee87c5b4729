"""Tournament on ape's in-process chain: every function and every revert path."""

from __future__ import annotations

import os
from typing import Any

import ape
import pytest

from oracle.protocol.merkle import LEAF_ENCODING, leaf_hash
from tests.helpers.permits import sign_permit
from tests.helpers.reverts import reverts
from tests.helpers.tournament import (
    BOND_DEPOSIT,
    DAY,
    DISPUTE_BOND,
    ONE,
    PERIODS_AND_BONDS,
    PPM,
    RESOLUTION_BOND,
    RULING,
    SETTLEMENT,
    LeafData,
    build_tree,
    commitment,
    model,
    open_round,
    predictions_hash,
    round_params,
    schedule,
    totals,
    warp,
)

pytestmark = pytest.mark.chain

PENDING, POSTED, FINALIZED, CANCELLED = range(4)
C1 = b"\xc1" * 32
C2 = b"\xc2" * 32
ZERO32 = b"\x00" * 32


@pytest.fixture
def funded_round(tournament: Any, operator: Any, treasury: Any) -> tuple[int, Any]:
    """An open round with a 1,000-token budget."""
    round_id, s = open_round(tournament, operator)
    tournament.fundRound(round_id, 1_000 * ONE, sender=treasury)
    return round_id, s


def staked(tournament: Any, round_id: int, stakes: list[tuple[Any, str, int]]) -> list[LeafData]:
    """Stake each (account, model name, amount) and return zero-payout leaves for them."""
    leaves = []
    for account, name, amount in stakes:
        tournament.stake(round_id, model(name), amount, C1, sender=account)
        leaves.append(
            LeafData(round_id, account.address, model(name), amount, 0, 0, predictions_hash(name))
        )
    return leaves


def post(tournament: Any, oracle: Any, round_id: int, s: Any, leaves: list[LeafData]) -> Any:
    warp(s.resolve_after)
    tree = build_tree(leaves)
    staked_total, reward, burn = totals(leaves)
    tournament.postResolution(
        round_id, tree.root, staked_total, reward, burn, b"\x33" * 32, sender=oracle
    )
    return tree


def resolve(tournament: Any, oracle: Any, round_id: int, s: Any, leaves: list[LeafData]) -> Any:
    tree = post(tournament, oracle, round_id, s, leaves)
    warp(s.resolve_after + s.challenge + 1)
    tournament.finalize(round_id, sender=oracle)
    return tree


def as_leaf(leaf: LeafData) -> tuple[Any, ...]:
    return leaf.values()


# ------------------------------------------------------------------ construction and roles


def test_constructor_setsRolesTokenAndTreasury(
    tournament: Any,
    token: Any,
    deployer: Any,
    treasury: Any,
    operator: Any,
    oracle: Any,
    guardian: Any,
) -> None:
    assert tournament.token() == token.address
    assert tournament.treasury() == treasury.address
    assert tournament.nextRound() == 1
    assert tournament.hasRole(tournament.DEFAULT_ADMIN_ROLE(), deployer)
    assert tournament.hasRole(tournament.OPERATOR_ROLE(), operator)
    assert tournament.hasRole(tournament.ORACLE_ROLE(), oracle)
    assert tournament.hasRole(tournament.GUARDIAN_ROLE(), guardian)


def test_constructor_rejectsZeroAddress(project: Any, token: Any, deployer: Any) -> None:
    zero = ape.utils.ZERO_ADDRESS
    with reverts(project.Tournament.ZeroAddress):
        project.Tournament.deploy(
            token, zero, deployer, deployer, deployer, deployer, *PERIODS_AND_BONDS, sender=deployer
        )


def test_constructor_rejectsZeroSettlementPeriod(
    project: Any, token: Any, deployer: Any, treasury: Any
) -> None:
    with reverts(project.Tournament.InvalidSettlementPeriod):
        project.Tournament.deploy(
            token, treasury, deployer, deployer, deployer, deployer, 0, 1, 1, 1, sender=deployer
        )


@pytest.mark.parametrize(
    ("bonds", "error"),
    [
        ((SETTLEMENT, RESOLUTION_BOND, DISPUTE_BOND, 0), "InvalidRulingPeriod"),
        ((SETTLEMENT, RESOLUTION_BOND, DISPUTE_BOND, SETTLEMENT), "InvalidRulingPeriod"),
        ((SETTLEMENT, RESOLUTION_BOND, 0, RULING), "InvalidBond"),
        ((SETTLEMENT, 2**96, DISPUTE_BOND, RULING), "InvalidBond"),
    ],
)
def test_constructor_rejectsBadBondsAndRulingPeriods(
    project: Any, token: Any, deployer: Any, treasury: Any, bonds: Any, error: str
) -> None:
    with reverts(getattr(project.Tournament, error)):
        project.Tournament.deploy(
            token, treasury, deployer, deployer, deployer, deployer, *bonds, sender=deployer
        )


def test_reverts_helperTellsErrorsAndValuesApart(
    tournament: Any, token: Any, funded_round: Any, alice: Any, carol: Any
) -> None:
    """The revert helper fails on the wrong error, on a wrong value, and on no revert, also
    for errors ape leaves undecoded (the token's, rising through the tournament)."""
    round_id, _ = funded_round
    with (
        pytest.raises(AssertionError, match="expected revert ZeroAmount, got ZeroCommitment"),
        reverts(tournament.ZeroAmount),
    ):
        tournament.stake(round_id, model("a"), ONE, ZERO32, sender=alice)
    with (
        pytest.raises(AssertionError, match="expected round=2"),
        reverts(tournament.UnknownRound, round=2),
    ):
        tournament.stake(99, model("a"), ONE, C1, sender=alice)
    token.approve(tournament, 0, sender=carol)
    with reverts(token.ERC20InsufficientAllowance, spender=tournament, allowance=0, needed=ONE):
        tournament.stake(round_id, model("c"), ONE, C1, sender=carol)
    with (
        pytest.raises(AssertionError, match="expected needed=2"),
        reverts(token.ERC20InsufficientAllowance, needed=2 * ONE),
    ):
        tournament.stake(round_id, model("c"), ONE, C1, sender=carol)
    with (
        pytest.raises(AssertionError, match="got ERC20InsufficientAllowance"),
        reverts(tournament.StakingClosed),
    ):
        tournament.stake(round_id, model("c"), ONE, C1, sender=carol)
    with (
        pytest.raises(AssertionError, match="nothing reverted"),
        reverts(tournament.ZeroAmount),
    ):
        tournament.stake(round_id, model("a"), ONE, C1, sender=alice)


def test_setTreasury_onlyAdminAndNotZero(tournament: Any, deployer: Any, alice: Any) -> None:
    with reverts(tournament.AccessControlUnauthorizedAccount):
        tournament.setTreasury(alice, sender=alice)
    with reverts(tournament.ZeroAddress):
        tournament.setTreasury(ape.utils.ZERO_ADDRESS, sender=deployer)
    receipt = tournament.setTreasury(alice, sender=deployer)
    assert tournament.treasury() == alice.address
    assert receipt.events[0].treasury == alice.address


# ------------------------------------------------------------------ openRound and fundRound


def test_openRound_storesParamsAndEmits(tournament: Any, operator: Any) -> None:
    s = schedule()
    receipt = tournament.openRound(
        round_params(s, clip_ppm=60_000, min_stake=2 * ONE), sender=operator
    )
    assert receipt.events.filter(tournament.RoundOpened)[0].round == 1
    assert tournament.nextRound() == 2
    view = tournament.getRound(1)
    assert view.params.closeTime == s.close
    assert view.params.resolveAfter == s.resolve_after
    assert view.params.resolveBy == s.resolve_by
    assert view.params.challengePeriod == s.challenge
    assert view.params.clipPpm == 60_000
    assert view.params.minStake == 2 * ONE
    assert view.params.liveDataHash == b"\x11" * 32
    assert view.status == PENDING
    assert receipt.events[0].round == 1


def test_openRound_onlyOperator(tournament: Any, alice: Any) -> None:
    with reverts(tournament.AccessControlUnauthorizedAccount):
        tournament.openRound(round_params(schedule()), sender=alice)


@pytest.mark.parametrize(
    "change",
    [
        {"close": -10 * DAY},  # close in the past
        {"resolve_after": -2 * DAY},  # resolution before close
        {"challenge": -DAY},  # no challenge period
        {"resolve_by": -7 * DAY},  # window shorter than the challenge period
    ],
)
def test_openRound_rejectsBadSchedule(
    tournament: Any, operator: Any, change: dict[str, int]
) -> None:
    s = schedule()
    for field, delta in change.items():
        setattr(s, field, getattr(s, field) + delta)
    with reverts(tournament.InvalidSchedule):
        tournament.openRound(round_params(s), sender=operator)


@pytest.mark.parametrize("clip", [0, PPM + 1])
def test_openRound_rejectsBadClip(tournament: Any, operator: Any, clip: int) -> None:
    with reverts(tournament.InvalidClip, clipPpm=clip):
        tournament.openRound(round_params(schedule(), clip_ppm=clip), sender=operator)


def test_openRound_rejectsZeroMinStake(tournament: Any, operator: Any) -> None:
    with reverts(tournament.InvalidMinStake):
        tournament.openRound(round_params(schedule(), min_stake=0), sender=operator)


def test_fundRound_movesTokensIntoBudget(
    tournament: Any, token: Any, operator: Any, treasury: Any
) -> None:
    round_id, _ = open_round(tournament, operator)
    receipt = tournament.fundRound(round_id, 500 * ONE, sender=treasury)
    assert tournament.getRound(round_id).budget == 500 * ONE
    assert token.balanceOf(tournament) == 500 * ONE + tournament.bondPool()
    event = receipt.events.filter(tournament.RoundFunded)[0]
    assert (event.round, event.funder, event.amount, event.budget) == (
        round_id,
        treasury.address,
        500 * ONE,
        500 * ONE,
    )


def test_fundRound_rejectsZeroUnknownAndLate(
    tournament: Any, operator: Any, treasury: Any, guardian: Any
) -> None:
    round_id, s = open_round(tournament, operator)
    with reverts(tournament.ZeroAmount):
        tournament.fundRound(round_id, 0, sender=treasury)
    with reverts(tournament.UnknownRound, round=99):
        tournament.fundRound(99, ONE, sender=treasury)
    warp(s.resolve_by + 1)
    with reverts(tournament.ResolutionDeadlinePassed):
        tournament.fundRound(round_id, ONE, sender=treasury)
    other, _ = open_round(tournament, operator)
    tournament.cancelRound(other, sender=guardian)
    with reverts(tournament.WrongStatus, round=other, status=CANCELLED):
        tournament.fundRound(other, ONE, sender=treasury)


# ------------------------------------------------------------------ staking


def test_stake_recordsPositionAndEmitsCommitment(
    tournament: Any, token: Any, funded_round: Any, alice: Any
) -> None:
    round_id, _ = funded_round
    c = commitment(
        tournament, round_id, alice.address, model("a"), predictions_hash("a"), b"\x01" * 32
    )
    assert (
        tournament.commitmentOf(round_id, alice, model("a"), predictions_hash("a"), b"\x01" * 32)
        == c
    )
    receipt = tournament.stake(round_id, model("a"), 5 * ONE, c, sender=alice)
    assert tournament.stakeOf(round_id, alice, model("a")) == 5 * ONE
    assert tournament.getRound(round_id).totalStaked == 5 * ONE
    assert token.balanceOf(tournament) == 1_005 * ONE + tournament.bondPool()
    event = receipt.events.filter(tournament.Staked)[0]
    assert (event.round, event.account, event.modelId) == (round_id, alice.address, model("a"))
    assert (event.amount, event.stake, event.commitment) == (5 * ONE, 5 * ONE, c)


def test_stake_addsToPositionAndSupportsSeveralModels(
    tournament: Any, funded_round: Any, alice: Any
) -> None:
    round_id, _ = funded_round
    tournament.stake(round_id, model("a"), 2 * ONE, C1, sender=alice)
    receipt = tournament.stake(round_id, model("a"), 3 * ONE, C2, sender=alice)
    tournament.stake(round_id, model("b"), 4 * ONE, C1, sender=alice)
    assert tournament.stakeOf(round_id, alice, model("a")) == 5 * ONE
    assert tournament.stakeOf(round_id, alice, model("b")) == 4 * ONE
    assert tournament.getRound(round_id).totalStaked == 9 * ONE
    assert receipt.events.filter(tournament.Staked)[0].commitment == C2


def test_stake_rejectsBelowMinimumZeroAndUnknown(
    tournament: Any, funded_round: Any, alice: Any
) -> None:
    round_id, _ = funded_round
    with reverts(tournament.StakeBelowMinimum, stake=ONE - 1, minimum=ONE):
        tournament.stake(round_id, model("a"), ONE - 1, C1, sender=alice)
    with reverts(tournament.ZeroAmount):
        tournament.stake(round_id, model("a"), 0, C1, sender=alice)
    with reverts(tournament.ZeroCommitment):
        tournament.stake(round_id, model("a"), ONE, ZERO32, sender=alice)
    with reverts(tournament.UnknownRound, round=77):
        tournament.stake(77, model("a"), ONE, C1, sender=alice)


def test_stake_rejectedAfterClose(tournament: Any, funded_round: Any, alice: Any) -> None:
    round_id, s = funded_round
    warp(s.close)
    with reverts(tournament.StakingClosed, round=round_id, closeTime=s.close):
        tournament.stake(round_id, model("a"), ONE, C1, sender=alice)


def test_stake_rejectedWhilePaused(
    tournament: Any, funded_round: Any, alice: Any, guardian: Any
) -> None:
    round_id, _ = funded_round
    tournament.pause(sender=guardian)
    with reverts(tournament.EnforcedPause):
        tournament.stake(round_id, model("a"), ONE, C1, sender=alice)
    with reverts(tournament.AccessControlUnauthorizedAccount):
        tournament.unpause(sender=alice)
    tournament.unpause(sender=guardian)
    tournament.stake(round_id, model("a"), ONE, C1, sender=alice)


def test_stakeWithPermit_approvesAndStakesInOneCall(
    tournament: Any, token: Any, funded_round: Any, treasury: Any
) -> None:
    round_id, _ = funded_round
    signer = ape.accounts.test_accounts.generate_test_account()
    token.transfer(signer, 10 * ONE, sender=treasury)
    treasury.transfer(signer, 10**18)
    deadline = ape.chain.pending_timestamp + 3600
    key = signer.private_key
    v, r, s = sign_permit(token, key, signer.address, str(tournament.address), 3 * ONE, 0, deadline)
    tournament.stakeWithPermit(round_id, model("p"), 3 * ONE, C1, deadline, v, r, s, sender=signer)
    assert tournament.stakeOf(round_id, signer, model("p")) == 3 * ONE
    assert token.nonces(signer) == 1
    # The same permit again (as if front-run) is ignored; the stake fails for lack of allowance.
    with reverts(token.ERC20InsufficientAllowance):
        tournament.stakeWithPermit(
            round_id, model("p"), 3 * ONE, C1, deadline, v, r, s, sender=signer
        )


def test_replaceCommitment_emitsTheNewOne(
    tournament: Any, funded_round: Any, alice: Any, bob: Any
) -> None:
    round_id, s = funded_round
    tournament.stake(round_id, model("a"), ONE, C1, sender=alice)
    receipt = tournament.replaceCommitment(round_id, model("a"), C2, sender=alice)
    event = receipt.events.filter(tournament.CommitmentReplaced)[0]
    assert (event.round, event.account, event.modelId, event.commitment) == (
        round_id,
        alice.address,
        model("a"),
        C2,
    )
    with reverts(tournament.NoPosition, round=round_id, account=bob.address, modelId=model("a")):
        tournament.replaceCommitment(round_id, model("a"), C2, sender=bob)
    with reverts(tournament.ZeroCommitment):
        tournament.replaceCommitment(round_id, model("a"), ZERO32, sender=alice)
    warp(s.close)
    with reverts(tournament.StakingClosed):
        tournament.replaceCommitment(round_id, model("a"), C2, sender=alice)


def test_withdraw_partialAndFullEvenWhilePaused(
    tournament: Any, token: Any, funded_round: Any, alice: Any, guardian: Any
) -> None:
    round_id, _ = funded_round
    tournament.stake(round_id, model("a"), 5 * ONE, C1, sender=alice)
    before = token.balanceOf(alice)
    tournament.pause(sender=guardian)
    receipt = tournament.withdraw(round_id, model("a"), 2 * ONE, sender=alice)
    assert tournament.stakeOf(round_id, alice, model("a")) == 3 * ONE
    assert receipt.events.filter(tournament.Withdrawn)[0].stake == 3 * ONE
    tournament.withdraw(round_id, model("a"), 3 * ONE, sender=alice)
    assert tournament.stakeOf(round_id, alice, model("a")) == 0
    assert tournament.getRound(round_id).totalStaked == 0
    assert token.balanceOf(alice) == before + 5 * ONE


def test_withdraw_rejectsBadAmounts(
    tournament: Any, funded_round: Any, alice: Any, bob: Any
) -> None:
    round_id, s = funded_round
    tournament.stake(round_id, model("a"), 2 * ONE, C1, sender=alice)
    with reverts(tournament.StakeBelowMinimum, stake=ONE // 2, minimum=ONE):
        tournament.withdraw(round_id, model("a"), 3 * ONE // 2, sender=alice)
    with reverts(tournament.InsufficientStake, requested=3 * ONE, available=2 * ONE):
        tournament.withdraw(round_id, model("a"), 3 * ONE, sender=alice)
    with reverts(tournament.ZeroAmount):
        tournament.withdraw(round_id, model("a"), 0, sender=alice)
    with reverts(tournament.NoPosition):
        tournament.withdraw(round_id, model("a"), ONE, sender=bob)
    warp(s.close)
    with reverts(tournament.StakingClosed):
        tournament.withdraw(round_id, model("a"), ONE, sender=alice)


# ------------------------------------------------------------------ resolution


def test_postResolution_opensChallengeWindow(
    tournament: Any, funded_round: Any, alice: Any, oracle: Any
) -> None:
    round_id, s = funded_round
    leaves = staked(tournament, round_id, [(alice, "a", 10 * ONE)])
    tree = post(tournament, oracle, round_id, s, leaves)
    view = tournament.getRound(round_id)
    assert view.status == POSTED
    assert view.root == tree.root
    assert view.challengeEnds == s.resolve_after + s.challenge
    assert view.resultsHash == b"\x33" * 32


def test_postResolution_checksRoleTimeAndTotals(
    tournament: Any, funded_round: Any, alice: Any, oracle: Any, guardian: Any
) -> None:
    round_id, s = funded_round
    staked(tournament, round_id, [(alice, "a", 10 * ONE)])
    root = b"\x44" * 32
    with reverts(tournament.AccessControlUnauthorizedAccount):
        tournament.postResolution(round_id, root, 10 * ONE, 0, 0, ZERO32, sender=alice)
    warp(s.resolve_after - 10)
    with reverts(tournament.OutsideResolutionWindow):
        tournament.postResolution(round_id, root, 10 * ONE, 0, 0, ZERO32, sender=oracle)
    warp(s.resolve_after)
    with reverts(tournament.TotalStakedMismatch, posted=9 * ONE, recorded=10 * ONE):
        tournament.postResolution(round_id, root, 9 * ONE, 0, 0, ZERO32, sender=oracle)
    with reverts(tournament.RewardAboveBudget, reward=1_001 * ONE, budget=1_000 * ONE):
        tournament.postResolution(round_id, root, 10 * ONE, 1_001 * ONE, 0, ZERO32, sender=oracle)
    with reverts(tournament.BurnAboveClip, burn=ONE, maxBurn=ONE // 2):
        tournament.postResolution(round_id, root, 10 * ONE, 0, ONE, ZERO32, sender=oracle)
    with reverts(tournament.ZeroRoot):
        tournament.postResolution(round_id, ZERO32, 10 * ONE, 0, 0, ZERO32, sender=oracle)
    tournament.pause(sender=guardian)
    with reverts(tournament.EnforcedPause):
        tournament.postResolution(round_id, root, 10 * ONE, 0, 0, ZERO32, sender=oracle)
    tournament.unpause(sender=guardian)
    tournament.postResolution(round_id, root, 10 * ONE, 0, ONE // 2, ZERO32, sender=oracle)
    with reverts(tournament.WrongStatus, round=round_id, status=POSTED):
        tournament.postResolution(round_id, root, 10 * ONE, 0, 0, ZERO32, sender=oracle)
    with reverts(tournament.UnknownRound):
        tournament.postResolution(42, root, 0, 0, 0, ZERO32, sender=oracle)


def test_postResolution_rejectedTooCloseToDeadline(
    tournament: Any, funded_round: Any, oracle: Any
) -> None:
    round_id, s = funded_round
    latest = s.resolve_by - s.challenge
    warp(latest + 1)
    with reverts(tournament.OutsideResolutionWindow, earliest=s.resolve_after, latest=latest):
        tournament.postResolution(round_id, b"\x44" * 32, 0, 0, 0, ZERO32, sender=oracle)


def test_veto_letsTheOraclePostAgain(
    tournament: Any, funded_round: Any, alice: Any, oracle: Any, guardian: Any
) -> None:
    round_id, s = funded_round
    leaves = staked(tournament, round_id, [(alice, "a", 10 * ONE)])
    tree = post(tournament, oracle, round_id, s, leaves)
    with reverts(tournament.AccessControlUnauthorizedAccount):
        tournament.veto(round_id, sender=alice)
    receipt = tournament.veto(round_id, sender=guardian)
    assert receipt.events.filter(tournament.ResolutionVetoed)[0].root == tree.root
    view = tournament.getRound(round_id)
    assert (view.status, view.root, view.rewardLeft) == (PENDING, ZERO32, 0)
    with reverts(tournament.WrongStatus, round=round_id, status=PENDING):
        tournament.veto(round_id, sender=guardian)
    tournament.postResolution(round_id, b"\x55" * 32, 10 * ONE, 0, 0, ZERO32, sender=oracle)
    assert tournament.getRound(round_id).status == POSTED


def test_veto_rejectedAfterWindow(
    tournament: Any, funded_round: Any, oracle: Any, guardian: Any
) -> None:
    round_id, s = funded_round
    post(
        tournament,
        oracle,
        round_id,
        s,
        [LeafData(round_id, ape.utils.ZERO_ADDRESS, model("x"), 0, 0, 0, ZERO32)],
    )
    warp(s.resolve_after + s.challenge)
    with reverts(tournament.ChallengeWindowClosed):
        tournament.veto(round_id, sender=guardian)


def test_cancelRound_returnsBudgetAndOpensRefunds(
    tournament: Any, token: Any, funded_round: Any, alice: Any, guardian: Any, treasury: Any
) -> None:
    round_id, _ = funded_round
    tournament.stake(round_id, model("a"), 4 * ONE, C1, sender=alice)
    treasury_before = token.balanceOf(treasury)
    with reverts(tournament.AccessControlUnauthorizedAccount):
        tournament.cancelRound(round_id, sender=alice)
    receipt = tournament.cancelRound(round_id, sender=guardian)
    assert receipt.events.filter(tournament.RoundCancelled)[0].budgetReturned == 1_000 * ONE
    assert token.balanceOf(treasury) == treasury_before + 1_000 * ONE
    assert tournament.refundsOpen(round_id)
    with reverts(tournament.StakingClosed):
        tournament.stake(round_id, model("b"), ONE, C1, sender=alice)
    alice_before = token.balanceOf(alice)
    tournament.refund(round_id, alice, model("a"), sender=guardian)
    assert token.balanceOf(alice) == alice_before + 4 * ONE
    with reverts(tournament.WrongStatus, round=round_id, status=CANCELLED):
        tournament.cancelRound(round_id, sender=guardian)


def test_cancelRound_duringChallengeWindow(
    tournament: Any, funded_round: Any, alice: Any, oracle: Any, guardian: Any
) -> None:
    round_id, s = funded_round
    leaves = staked(tournament, round_id, [(alice, "a", 10 * ONE)])
    post(tournament, oracle, round_id, s, leaves)
    tournament.cancelRound(round_id, sender=guardian)
    assert tournament.getRound(round_id).status == CANCELLED
    with reverts(tournament.WrongStatus, round=round_id, status=CANCELLED):
        tournament.finalize(round_id, sender=alice)


def test_finalize_returnsUnusedBudget(
    tournament: Any, token: Any, funded_round: Any, alice: Any, oracle: Any, treasury: Any
) -> None:
    round_id, s = funded_round
    leaves = [
        LeafData(round_id, alice.address, model("a"), 10 * ONE, ONE // 4, 0, predictions_hash("a"))
    ]
    staked(tournament, round_id, [(alice, "a", 10 * ONE)])
    post(tournament, oracle, round_id, s, leaves)
    with reverts(
        tournament.ChallengeWindowOpen, round=round_id, challengeEnds=s.resolve_after + s.challenge
    ):
        tournament.finalize(round_id, sender=alice)
    warp(s.resolve_after + s.challenge)
    before = token.balanceOf(treasury)
    receipt = tournament.finalize(round_id, sender=alice)
    assert (
        receipt.events.filter(tournament.RoundFinalized)[0].budgetReturned == 1_000 * ONE - ONE // 4
    )
    assert token.balanceOf(treasury) == before + 1_000 * ONE - ONE // 4
    view = tournament.getRound(round_id)
    assert (view.status, view.budget, view.rewardLeft) == (FINALIZED, 0, ONE // 4)
    with reverts(tournament.WrongStatus, round=round_id, status=FINALIZED):
        tournament.finalize(round_id, sender=alice)


def test_finalize_rejectedAfterDeadline(
    tournament: Any, funded_round: Any, oracle: Any, alice: Any
) -> None:
    round_id, s = funded_round
    post(
        tournament,
        oracle,
        round_id,
        s,
        [LeafData(round_id, alice.address, model("x"), 0, 0, 0, ZERO32)],
    )
    warp(s.resolve_by + 1)
    with reverts(tournament.ResolutionDeadlinePassed, round=round_id, resolveBy=s.resolve_by):
        tournament.finalize(round_id, sender=alice)
    assert tournament.refundsOpen(round_id)


# ------------------------------------------------------------------ claims


@pytest.fixture
def resolved(
    tournament: Any, funded_round: Any, alice: Any, bob: Any, carol: Any, oracle: Any
) -> Any:
    """A finalised round: alice earns 0.5 on 10, bob loses 0.25 on 5, carol breaks even on 2."""
    round_id, s = funded_round
    staked(
        tournament, round_id, [(alice, "a", 10 * ONE), (bob, "b", 5 * ONE), (carol, "c", 2 * ONE)]
    )
    leaves = [
        LeafData(round_id, alice.address, model("a"), 10 * ONE, ONE // 2, 0, predictions_hash("a")),
        LeafData(round_id, bob.address, model("b"), 5 * ONE, 0, ONE // 4, predictions_hash("b")),
        LeafData(round_id, carol.address, model("c"), 2 * ONE, 0, 0, predictions_hash("c")),
    ]
    tree = resolve(tournament, oracle, round_id, s, leaves)
    return round_id, leaves, tree


def test_claim_paysRewardToAccount(
    tournament: Any, token: Any, resolved: Any, alice: Any, carol: Any
) -> None:
    round_id, leaves, tree = resolved
    before = token.balanceOf(alice)
    receipt = tournament.claim(as_leaf(leaves[0]), tree.proof(0), sender=carol)  # anyone may claim
    assert token.balanceOf(alice) == before + 10 * ONE + ONE // 2
    assert tournament.stakeOf(round_id, alice, model("a")) == 0
    event = receipt.events.filter(tournament.Claimed)[0]
    assert (event.account, event.reward, event.burn, event.payout) == (
        alice.address,
        ONE // 2,
        0,
        10 * ONE + ONE // 2,
    )
    assert tournament.getRound(round_id).rewardLeft == 0


def test_claim_burnsLossAndLowersSupply(
    tournament: Any, token: Any, resolved: Any, bob: Any
) -> None:
    _, leaves, tree = resolved
    supply, before = token.totalSupply(), token.balanceOf(bob)
    tournament.claim(as_leaf(leaves[1]), tree.proof(1), sender=bob)
    assert token.balanceOf(bob) == before + 5 * ONE - ONE // 4
    assert token.totalSupply() == supply - ONE // 4


def test_claim_rejectsSecondClaim(tournament: Any, resolved: Any, alice: Any) -> None:
    round_id, leaves, tree = resolved
    tournament.claim(as_leaf(leaves[0]), tree.proof(0), sender=alice)
    with reverts(tournament.NoPosition, round=round_id, account=alice.address, modelId=model("a")):
        tournament.claim(as_leaf(leaves[0]), tree.proof(0), sender=alice)


def test_claim_rejectsInvalidProofAndForgedLeaf(tournament: Any, resolved: Any, alice: Any) -> None:
    round_id, leaves, tree = resolved
    with reverts(
        tournament.InvalidProof, round=round_id, account=alice.address, modelId=model("a")
    ):
        tournament.claim(as_leaf(leaves[0]), tree.proof(1), sender=alice)
    forged = LeafData(
        round_id, alice.address, model("a"), 10 * ONE, ONE // 2 - 1, 0, predictions_hash("a")
    )
    with reverts(tournament.InvalidProof):
        tournament.claim(as_leaf(forged), tree.proof(0), sender=alice)


def test_claim_rejectsStakeMismatchAndAboveClip(tournament: Any, resolved: Any, alice: Any) -> None:
    round_id, _, tree = resolved
    wrong_stake = LeafData(
        round_id, alice.address, model("a"), 11 * ONE, 0, 0, predictions_hash("a")
    )
    with reverts(tournament.StakeMismatch, leafStake=11 * ONE, recordedStake=10 * ONE):
        tournament.claim(as_leaf(wrong_stake), tree.proof(0), sender=alice)
    greedy = LeafData(
        round_id, alice.address, model("a"), 10 * ONE, ONE // 2 + 1, 0, predictions_hash("a")
    )
    with reverts(tournament.LeafAboveClip, amount=ONE // 2 + 1, maxAmount=ONE // 2):
        tournament.claim(as_leaf(greedy), tree.proof(0), sender=alice)
    burny = LeafData(
        round_id, alice.address, model("a"), 10 * ONE, 0, ONE // 2 + 1, predictions_hash("a")
    )
    with reverts(tournament.LeafAboveClip):
        tournament.claim(as_leaf(burny), tree.proof(0), sender=alice)


def test_claim_rejectedBeforeFinalize(
    tournament: Any, funded_round: Any, alice: Any, oracle: Any
) -> None:
    round_id, s = funded_round
    leaves = staked(tournament, round_id, [(alice, "a", 10 * ONE)])
    tree = post(tournament, oracle, round_id, s, leaves)
    with reverts(tournament.WrongStatus, round=round_id, status=POSTED):
        tournament.claim(as_leaf(leaves[0]), tree.proof(0), sender=alice)


def test_claim_neverPaysMoreThanPostedTotals(
    tournament: Any, funded_round: Any, alice: Any, bob: Any, oracle: Any
) -> None:
    """An oracle whose leaves add up to more than its posted totals cannot pay the excess."""
    round_id, s = funded_round
    staked(tournament, round_id, [(alice, "a", 10 * ONE), (bob, "b", 10 * ONE)])
    leaves = [
        LeafData(round_id, alice.address, model("a"), 10 * ONE, ONE // 2, 0, predictions_hash("a")),
        LeafData(
            round_id, bob.address, model("b"), 10 * ONE, ONE // 2, ONE // 2, predictions_hash("b")
        ),
    ]
    tree = build_tree(leaves)
    warp(s.resolve_after)
    tournament.postResolution(
        round_id, tree.root, 20 * ONE, ONE // 2, ONE // 4, ZERO32, sender=oracle
    )
    warp(s.resolve_after + s.challenge)
    tournament.finalize(round_id, sender=oracle)
    tournament.claim(as_leaf(leaves[0]), tree.proof(0), sender=alice)
    with reverts(tournament.ExceedsPostedTotal, amount=ONE // 2, left=0):
        tournament.claim(as_leaf(leaves[1]), tree.proof(1), sender=bob)


def test_claimMany_paysEveryLeafAndBurnsOnce(
    tournament: Any, token: Any, resolved: Any, carol: Any
) -> None:
    _, leaves, tree = resolved
    supply = token.totalSupply()
    receipt = tournament.claimMany(
        [as_leaf(x) for x in leaves], [tree.proof(i) for i in range(3)], sender=carol
    )
    assert sum(e.payout for e in receipt.events.filter(tournament.Claimed)) == 17 * ONE + ONE // 4
    assert len(receipt.events.filter(tournament.Claimed)) == 3
    assert token.totalSupply() == supply - ONE // 4
    assert token.balanceOf(tournament) == tournament.bondPool() == BOND_DEPOSIT
    with reverts(tournament.LengthMismatch):
        tournament.claimMany([as_leaf(leaves[0])], [], sender=carol)


def test_claimAndRestake_movesPayoutIntoOpenRound(
    tournament: Any, token: Any, resolved: Any, alice: Any, bob: Any, operator: Any, guardian: Any
) -> None:
    _, leaves, tree = resolved
    next_round, _ = open_round(tournament, operator)
    with reverts(tournament.NotAccount, caller=bob.address, account=alice.address):
        tournament.claimAndRestake(
            as_leaf(leaves[0]), tree.proof(0), next_round, model("a"), C2, sender=bob
        )
    tournament.pause(sender=guardian)
    with reverts(tournament.EnforcedPause):
        tournament.claimAndRestake(
            as_leaf(leaves[0]), tree.proof(0), next_round, model("a"), C2, sender=alice
        )
    tournament.unpause(sender=guardian)
    balance = token.balanceOf(alice)
    receipt = tournament.claimAndRestake(
        as_leaf(leaves[0]), tree.proof(0), next_round, model("a"), C2, sender=alice
    )
    assert receipt.events.filter(tournament.Claimed)[0].payout == 10 * ONE + ONE // 2
    assert tournament.stakeOf(next_round, alice, model("a")) == 10 * ONE + ONE // 2
    assert tournament.getRound(next_round).totalStaked == 10 * ONE + ONE // 2
    assert token.balanceOf(alice) == balance
    assert receipt.events.filter(tournament.Staked)[0].commitment == C2


def test_claimsWorkWhilePaused(tournament: Any, resolved: Any, alice: Any, guardian: Any) -> None:
    _, leaves, tree = resolved
    tournament.pause(sender=guardian)
    tournament.claim(as_leaf(leaves[0]), tree.proof(0), sender=alice)


# ------------------------------------------------------------------ refunds


def test_refund_afterDeadlineWithoutFinalisation(
    tournament: Any, token: Any, funded_round: Any, alice: Any, bob: Any, treasury: Any
) -> None:
    round_id, s = funded_round
    tournament.stake(round_id, model("a"), 3 * ONE, C1, sender=alice)
    with reverts(tournament.RefundsNotOpen, round=round_id, opensAfter=s.resolve_by):
        tournament.refund(round_id, alice, model("a"), sender=alice)
    with reverts(tournament.RefundsNotOpen):
        tournament.releaseBudget(round_id, sender=bob)
    warp(s.resolve_by + 1)
    before = token.balanceOf(alice)
    receipt = tournament.refund(round_id, alice, model("a"), sender=bob)
    assert token.balanceOf(alice) == before + 3 * ONE
    assert receipt.events.filter(tournament.Refunded)[0].stake == 3 * ONE
    with reverts(tournament.NoPosition):
        tournament.refund(round_id, alice, model("a"), sender=bob)
    treasury_before = token.balanceOf(treasury)
    tournament.releaseBudget(round_id, sender=bob)
    assert token.balanceOf(treasury) == treasury_before + 1_000 * ONE
    assert token.balanceOf(tournament) == tournament.bondPool() == BOND_DEPOSIT
    with reverts(tournament.ZeroAmount):
        tournament.releaseBudget(round_id, sender=bob)


def test_refund_notOpenAfterFinalisationUntilSettlementDeadline(
    tournament: Any, resolved: Any, alice: Any
) -> None:
    round_id, _, _ = resolved
    settle_by = tournament.getRound(round_id).params.resolveBy + SETTLEMENT
    assert tournament.settleBy(round_id) == settle_by
    warp(settle_by)
    assert not tournament.refundsOpen(round_id)
    with reverts(tournament.RefundsNotOpen, round=round_id, opensAfter=settle_by):
        tournament.refund(round_id, alice, model("a"), sender=alice)


def test_claim_closedAfterSettlementDeadline(tournament: Any, resolved: Any, alice: Any) -> None:
    round_id, leaves, tree = resolved
    settle_by = tournament.settleBy(round_id)
    warp(settle_by + 1)
    with reverts(tournament.SettlementClosed, round=round_id, settleBy=settle_by):
        tournament.claim(as_leaf(leaves[0]), tree.proof(0), sender=alice)


def test_refund_positionsTheTreeCannotSettleComeBackAfterSettlementDeadline(
    tournament: Any,
    token: Any,
    funded_round: Any,
    alice: Any,
    bob: Any,
    carol: Any,
    oracle: Any,
    treasury: Any,
) -> None:
    """The tree omits bob and misstates carol's stake: neither can ever claim, and both get
    their full stake back after the settlement deadline; the unclaimed reward goes home."""
    round_id, s = funded_round
    staked(
        tournament, round_id, [(alice, "a", 10 * ONE), (bob, "b", 5 * ONE), (carol, "c", 2 * ONE)]
    )
    leaves = [
        LeafData(round_id, alice.address, model("a"), 10 * ONE, ONE // 2, 0, predictions_hash("a")),
        LeafData(round_id, carol.address, model("c"), 3 * ONE, ONE // 10, 0, predictions_hash("c")),
    ]
    tree = build_tree(leaves)
    warp(s.resolve_after)
    tournament.postResolution(
        round_id, tree.root, 17 * ONE, ONE // 2 + ONE // 10, 0, b"\x33" * 32, sender=oracle
    )
    warp(s.resolve_after + s.challenge + 1)
    tournament.finalize(round_id, sender=oracle)
    tournament.claim(as_leaf(leaves[0]), tree.proof(0), sender=alice)
    with reverts(tournament.StakeMismatch, leafStake=3 * ONE, recordedStake=2 * ONE):
        tournament.claim(as_leaf(leaves[1]), tree.proof(1), sender=carol)
    settle_by = tournament.settleBy(round_id)
    with reverts(tournament.RefundsNotOpen, round=round_id, opensAfter=settle_by):
        tournament.refund(round_id, bob, model("b"), sender=bob)
    with reverts(tournament.RefundsNotOpen):
        tournament.releaseBudget(round_id, sender=bob)

    warp(settle_by + 1)
    for who, name, amount in ((bob, "b", 5 * ONE), (carol, "c", 2 * ONE)):
        before = token.balanceOf(who)
        tournament.refund(round_id, who, model(name), sender=alice)  # anyone may trigger it
        assert token.balanceOf(who) == before + amount
    treasury_before = token.balanceOf(treasury)
    receipt = tournament.releaseBudget(round_id, sender=alice)
    assert receipt.events.filter(tournament.BudgetReleased)[0].amount == ONE // 10
    assert token.balanceOf(treasury) == treasury_before + ONE // 10
    assert token.balanceOf(tournament) == tournament.bondPool() == BOND_DEPOSIT
    view = tournament.getRound(round_id)
    assert (view.rewardLeft, view.burnLeft) == (0, 0)
    with reverts(tournament.ZeroAmount):
        tournament.releaseBudget(round_id, sender=alice)


# ------------------------------------------------------------------ Merkle tree agreement


def test_leafHash_matchesPythonTree(tournament: Any, alice: Any) -> None:
    leaf = LeafData(7, alice.address, model("a"), 10 * ONE, 3, 4, predictions_hash("a"))
    assert tournament.leafHash(as_leaf(leaf)) == leaf_hash(LEAF_ENCODING, leaf.values())


def test_claim_inTenThousandLeafTree(
    tournament: Any, token: Any, funded_round: Any, alice: Any, bob: Any, oracle: Any
) -> None:
    """Real positions hidden among 9,998 other leaves: depth-14 proofs verify on chain."""
    round_id, s = funded_round
    real = [
        LeafData(round_id, alice.address, model("a"), 10 * ONE, ONE // 3, 0, predictions_hash("a")),
        LeafData(round_id, bob.address, model("b"), 4 * ONE, 0, ONE // 10, predictions_hash("b")),
    ]
    staked(tournament, round_id, [(alice, "a", 10 * ONE), (bob, "b", 4 * ONE)])
    others = [
        LeafData(
            round_id + 1, "0x" + os.urandom(20).hex(), os.urandom(32), ONE, 0, 0, os.urandom(32)
        )
        for _ in range(9_998)
    ]
    leaves = others[:5_000] + real + others[5_000:]
    tree = build_tree(leaves)
    warp(s.resolve_after)
    tournament.postResolution(
        round_id, tree.root, 14 * ONE, ONE // 3, ONE // 10, ZERO32, sender=oracle
    )
    warp(s.resolve_after + s.challenge)
    tournament.finalize(round_id, sender=oracle)
    for index in (5_000, 5_001):
        assert len(tree.proof(index)) >= 13
        tournament.claim(as_leaf(leaves[index]), tree.proof(index), sender=alice)
    assert token.balanceOf(tournament) == tournament.bondPool() == BOND_DEPOSIT
