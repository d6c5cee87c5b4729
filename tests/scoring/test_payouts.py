"""Integer payouts: properties that must hold for any stakes, scores and rule."""

from __future__ import annotations

import copy

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from oracle.errors import ScoringInputError
from oracle.scoring.payouts import (
    PPB,
    PPM,
    PayoutRule,
    combined_score,
    compute_payouts,
    payout_factor,
    payout_ratio,
    quantise,
)

TOKEN = 10**18
stakes_st = st.integers(min_value=0, max_value=10**6 * TOKEN)
scores_st = st.integers(min_value=-(10**9), max_value=10**9)  # |score| <= 1
rules = st.builds(
    PayoutRule,
    corr_weight_ppm=st.integers(0, 3 * PPM),
    mmc_weight_ppm=st.integers(0, 3 * PPM),
    tc_weight_ppm=st.integers(0, 3 * PPM),
    clip_ppm=st.integers(1, PPM),
    stake_threshold=st.one_of(st.just(0), st.integers(1, 10**7 * TOKEN)),
)


@st.composite
def rounds(draw):
    size = draw(st.integers(1, 30))
    stakes = draw(st.lists(stakes_st, min_size=size, max_size=size))
    scores = draw(st.lists(scores_st, min_size=size, max_size=size))
    budget = draw(st.integers(0, 10**6 * TOKEN))
    return stakes, scores, budget


@given(rounds(), rules)
@settings(max_examples=300, deadline=None)
def test_reward_and_burn_stay_within_clip_of_stake(round_, rule) -> None:
    stakes, scores, budget = round_
    for payout in compute_payouts(stakes, scores, rule, budget):
        limit = payout.stake * rule.clip_ppm // PPM  # the contract's check
        assert 0 <= payout.reward <= limit
        assert 0 <= payout.burn <= limit
        assert payout.reward == 0 or payout.burn == 0
        assert abs(payout.ratio_ppb) <= rule.clip_ppm * 1000


@given(rounds(), rules)
@settings(max_examples=300, deadline=None)
def test_total_reward_never_exceeds_budget_and_total_burn_respects_clip(round_, rule) -> None:
    stakes, scores, budget = round_
    payouts = compute_payouts(stakes, scores, rule, budget)
    assert sum(p.reward for p in payouts) <= budget
    assert sum(p.burn for p in payouts) <= sum(stakes) * rule.clip_ppm // PPM


@given(rounds(), rules)
@settings(max_examples=200, deadline=None)
def test_rewards_over_budget_scale_pro_rata(round_, rule) -> None:
    stakes, scores, _ = round_
    unlimited = compute_payouts(stakes, scores, rule, budget=10**40)
    wanted = sum(p.reward for p in unlimited)
    assume(wanted > 0)
    budget = wanted // 3
    scaled = compute_payouts(stakes, scores, rule, budget)
    for before, after in zip(unlimited, scaled, strict=True):
        assert after.reward == before.reward * budget // wanted
        assert after.burn == before.burn  # burns are never scaled
    # Flooring loses less than one base unit per model.
    assert budget - len(stakes) < sum(p.reward for p in scaled) <= budget


@given(st.lists(scores_st, min_size=1, max_size=20), rules, st.integers(0, 10**24))
def test_zero_stake_moves_nothing(scores, rule, budget) -> None:
    for payout in compute_payouts([0] * len(scores), scores, rule, budget):
        assert payout.reward == payout.burn == 0


@given(stakes_st, scores_st, scores_st, rules)
def test_payout_is_monotone_in_score(stake, low, high, rule) -> None:
    low, high = min(low, high), max(low, high)
    a, b = compute_payouts([stake, stake], [low, high], rule, budget=10**40)
    assert a.ratio_ppb <= b.ratio_ppb
    assert a.reward - a.burn <= b.reward - b.burn


@given(rounds(), rules)
@settings(max_examples=100, deadline=None)
def test_inputs_are_not_modified(round_, rule) -> None:
    stakes, scores, budget = round_
    before = copy.deepcopy((stakes, scores))
    compute_payouts(stakes, scores, rule, budget)
    assert (stakes, scores) == before


def test_classic_rule_example_by_hand() -> None:
    rule = PayoutRule()  # 0.5 CORR + 2 MMC, clip 5%
    corr, mmc = quantise(0.02), quantise(0.01)
    score = combined_score(corr, mmc, 0, rule)
    assert score == 30_000_000  # 0.03
    [payout] = compute_payouts([100 * TOKEN], [score], rule, budget=10 * TOKEN)
    assert payout.ratio_ppb == 30_000_000
    assert payout.reward == 3 * TOKEN and payout.burn == 0
    [clipped] = compute_payouts(
        [100 * TOKEN], [combined_score(quantise(-0.2), 0, 0, rule)], rule, 0
    )
    assert clipped.ratio_ppb == -50_000_000 and clipped.burn == 5 * TOKEN


def test_payout_factor_shrinks_ratios_above_the_threshold() -> None:
    rule = PayoutRule(stake_threshold=1_000 * TOKEN)
    assert payout_factor(500 * TOKEN, rule) == PPB
    assert payout_factor(4_000 * TOKEN, rule) == PPB // 4
    assert payout_ratio(40_000_000, PPB // 4, rule) == 10_000_000


def test_rounding_is_toward_zero_for_negative_scores() -> None:
    rule = PayoutRule(corr_weight_ppm=1, mmc_weight_ppm=0)
    assert combined_score(-1_999_999, 0, 0, rule) == -1
    assert combined_score(1_999_999, 0, 0, rule) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"clip_ppm": 0}, "clip_ppm"),
        ({"clip_ppm": PPM + 1}, "clip_ppm"),
        ({"corr_weight_ppm": 0.5}, "corr_weight_ppm"),
        ({"stake_threshold": -1}, "stake_threshold"),
    ],
)
def test_bad_rules_are_rejected(kwargs, message) -> None:
    with pytest.raises(ScoringInputError, match=message):
        PayoutRule(**kwargs)


def test_bad_payout_inputs_are_rejected() -> None:
    with pytest.raises(ScoringInputError, match="stakes but"):
        compute_payouts([1, 2], [1], PayoutRule(), 0)
    with pytest.raises(ScoringInputError, match="negative"):
        compute_payouts([-1], [1], PayoutRule(), 0)
    with pytest.raises(ScoringInputError, match="non-finite"):
        quantise(float("nan"))
