"""Payouts in integer arithmetic, so anyone re-running a round gets the same numbers.

Units:

* scores are quantised to ``SCORE_SCALE`` (1e9) fixed-point integers, rounding half to even;
* weights and the clip are in parts per million (``PPM``), as the contract's ``clipPpm``;
* the payout factor and the ratio are in parts per billion (``PPB``);
* stakes, rewards, burns and the budget are token base units (wei).

Per model (``//`` rounds toward zero; "floor" rounds down):

1. ``score = (w_corr*corr + w_mmc*mmc + w_tc*tc) // PPM`` (quantised scores, weights in ppm);
2. ``factor = min(PPB, floor(threshold * PPB / total_stake))``;
3. ``ratio = clamp(factor * score // PPB, -clip*1000, +clip*1000)``;
4. ``reward = floor(stake * max(ratio, 0) / PPB)``, ``burn = floor(stake * max(-ratio, 0) / PPB)``.

If the rewards add up to more than the budget, each becomes
``floor(reward * budget / total_reward)``: pro rata, and never above the budget. Rounding is
always toward the participant keeping less reward and losing less stake than exact
arithmetic would give, so every leaf passes the contract's ``clip x stake`` checks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from oracle.errors import ScoringInputError

SCORE_SCALE = 10**9
PPM = 10**6
PPB = 10**9


@dataclass(frozen=True)
class PayoutRule:
    """The round's payout parameters (part of its scoring config)."""

    corr_weight_ppm: int = 500_000  #: 0.5 x CORR, Numerai's classic rule
    mmc_weight_ppm: int = 2_000_000  #: 2 x MMC
    tc_weight_ppm: int = 0
    clip_ppm: int = 50_000  #: at most 5% of a stake is paid or burned
    #: Stake above which the payout factor falls below one; 0 means the factor is always one.
    stake_threshold: int = 0

    def __post_init__(self) -> None:
        for name in ("corr_weight_ppm", "mmc_weight_ppm", "tc_weight_ppm", "stake_threshold"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ScoringInputError(f"{name} must be an integer, got {value!r}")
        for name in ("corr_weight_ppm", "mmc_weight_ppm", "tc_weight_ppm"):
            if getattr(self, name) < 0:
                raise ScoringInputError(
                    f"{name} must not be negative, got {getattr(self, name)}: a negative weight "
                    "would pay for a bad score"
                )
        if not isinstance(self.clip_ppm, int) or not 0 < self.clip_ppm <= PPM:
            raise ScoringInputError(
                f"clip_ppm must be an integer in 1..{PPM}, got {self.clip_ppm!r}"
            )
        if self.stake_threshold < 0:
            raise ScoringInputError("stake_threshold must not be negative")


@dataclass(frozen=True)
class Payout:
    """What one model's leaf carries: its stake, reward, burn and the ratio behind them."""

    stake: int
    reward: int
    burn: int
    ratio_ppb: int


def quantise(score: float) -> int:
    """A score as an integer number of ``1 / SCORE_SCALE`` (round half to even)."""
    if not math.isfinite(score):
        raise ScoringInputError(f"cannot pay on a non-finite score {score!r}")
    return round(score * SCORE_SCALE)


def _div_toward_zero(numerator: int, denominator: int) -> int:
    quotient = abs(numerator) // denominator
    return quotient if numerator >= 0 else -quotient


def combined_score(corr: int, mmc: int, tc: int, rule: PayoutRule) -> int:
    """The weighted score, quantised like its parts."""
    weighted = rule.corr_weight_ppm * corr + rule.mmc_weight_ppm * mmc + rule.tc_weight_ppm * tc
    return _div_toward_zero(weighted, PPM)


def payout_factor(total_stake: int, rule: PayoutRule) -> int:
    """``min(1, threshold / total_stake)`` in ppb; 1 when there is no threshold or no stake."""
    if rule.stake_threshold == 0 or total_stake <= rule.stake_threshold:
        return PPB
    return rule.stake_threshold * PPB // total_stake


def payout_ratio(score: int, factor_ppb: int, rule: PayoutRule) -> int:
    """``clip(factor * score, -clip, +clip)`` in ppb."""
    clip = rule.clip_ppm * (PPB // PPM)
    return max(-clip, min(clip, _div_toward_zero(factor_ppb * score, PPB)))


def unscaled_reward(stake: int, ratio_ppb: int) -> int:
    """Step 4's reward of ``stake`` at ``ratio_ppb``, before any scaling to the budget."""
    return stake * max(ratio_ppb, 0) // PPB


def burn_of(stake: int, ratio_ppb: int) -> int:
    """Step 4's burn of ``stake`` at ``ratio_ppb``."""
    return stake * max(-ratio_ppb, 0) // PPB


def compute_payouts(
    stakes: Sequence[int], scores: Sequence[int], rule: PayoutRule, budget: int
) -> list[Payout]:
    """Each model's reward and burn from its stake and quantised combined score.

    ``scores[i]`` is :func:`combined_score` of model ``i`` (``SCORE_SCALE`` units); a model
    that was not scored (unrevealed, invalid) should get score 0 and so moves nothing.
    The inputs are not modified.
    """
    if len(stakes) != len(scores):
        raise ScoringInputError(f"{len(stakes)} stakes but {len(scores)} scores")
    if budget < 0:
        raise ScoringInputError(f"the budget must not be negative, got {budget}")
    for stake in stakes:
        if stake < 0:
            raise ScoringInputError(f"a stake is negative ({stake})")
    factor = payout_factor(sum(stakes), rule)
    ratios = [payout_ratio(score, factor, rule) for score in scores]
    rewards = [unscaled_reward(stake, r) for stake, r in zip(stakes, ratios, strict=True)]
    burns = [burn_of(stake, r) for stake, r in zip(stakes, ratios, strict=True)]
    total_reward = sum(rewards)
    if total_reward > budget:
        rewards = [reward * budget // total_reward for reward in rewards]
    return [
        Payout(stake=s, reward=rw, burn=b, ratio_ppb=r)
        for s, rw, b, r in zip(stakes, rewards, burns, ratios, strict=True)
    ]
