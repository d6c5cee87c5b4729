"""What a simulation shows: each strategy's payout per unit of stake, each round's flows, and
the incentive properties checked under every rule.

A strategy's *return* in a round is its positions' combined ``reward - burn`` over their
combined stake (rounds in which it staked nothing are left out of its mean). Its mean comes
with a 95% confidence interval (Student's t over the rounds, which are independent draws of
the market). Its *cumulative return* adds the per-round returns: what a fixed stake earned
over the run, per unit of that stake.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import stats

from oracle.protocol.units import MAX_SUPPLY, UNIT
from oracle.scoring.payouts import unscaled_reward
from oracle.simulate.engine import SCORES, RuleRun, Simulation
from oracle.simulate.population import STRATEGIES

#: The strategies whose mean return must not be significantly above zero.
UNINFORMED = ("random", "constant")
CONFIDENCE = 0.95


@dataclass(frozen=True)
class StrategyStats:
    strategy: str
    #: Rounds in which the strategy had a stake.
    rounds: int
    mean: float
    ci_low: float | None
    ci_high: float | None
    #: The sum of the per-round returns (unstaked rounds add nothing).
    cumulative: float
    #: The share of staked rounds in which any of its positions burned.
    burn_share: float

    @property
    def verdict(self) -> str:
        """``earns`` or ``loses`` when the interval excludes zero, else ``no edge``."""
        if self.ci_low is not None and self.ci_low > 0:
            return "earns"
        if self.ci_high is not None and self.ci_high < 0:
            return "loses"
        return "no edge"


@dataclass(frozen=True)
class RoundRow:
    round: int
    regime: int
    staked: int
    budget: int
    #: The rewards before any scaling to the budget.
    wanted: int
    reward: int
    burned: int
    supply: int

    @property
    def budget_used(self) -> float:
        return self.reward / self.budget if self.budget else 0.0


@dataclass(frozen=True)
class Finding:
    """One property under one rule: whether it held, and the numbers that say so."""

    property: str
    rule: str
    holds: bool
    detail: str


def _columns(sim: Simulation, strategy: str) -> list[int]:
    return [i for i, p in enumerate(sim.positions) if p.strategy == strategy]


def returns(sim: Simulation, run: RuleRun, strategy: str) -> list[float | None]:
    """The strategy's return in each round; None where it staked nothing."""
    cols = _columns(sim, strategy)
    out: list[float | None] = []
    for stakes, rewards, burns in zip(run.stakes, run.rewards, run.burns, strict=True):
        stake = sum(stakes[i] for i in cols)
        net = sum(rewards[i] - burns[i] for i in cols)
        out.append(net / stake if stake else None)
    return out


def mean_interval(values: list[float]) -> tuple[float, float | None, float | None]:
    """The mean and its two-sided 95% Student's t interval (None with fewer than 2 values)."""
    n = len(values)
    if n == 0:
        return 0.0, None, None
    mean = math.fsum(values) / n
    if n < 2:
        return mean, None, None
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def strategy_stats(sim: Simulation, run: RuleRun, strategy: str) -> StrategyStats:
    per_round = returns(sim, run, strategy)
    staked = [r for r in per_round if r is not None]
    mean, low, high = mean_interval(staked)
    cols = _columns(sim, strategy)
    burned = sum(
        1
        for stakes, burns in zip(run.stakes, run.burns, strict=True)
        if any(stakes[i] for i in cols) and any(burns[i] for i in cols)
    )
    return StrategyStats(
        strategy=strategy,
        rounds=len(staked),
        mean=mean,
        ci_low=low,
        ci_high=high,
        cumulative=math.fsum(staked),
        burn_share=burned / len(staked) if staked else 0.0,
    )


def summary(sim: Simulation) -> dict[str, list[StrategyStats]]:
    """Per rule, every strategy's statistics, in the population's order."""
    present = [s.name for s in STRATEGIES if _columns(sim, s.name)]
    return {run.rule.name: [strategy_stats(sim, run, s) for s in present] for run in sim.runs}


def mean_scores(sim: Simulation, strategy: str) -> dict[str, float | None]:
    """The strategy's mean CORR, MMC and TC over its positions and the rounds (under the
    reference rule's stakes); None when the scorer rejected it every round."""
    values = sim.scores[:, _columns(sim, strategy), :]
    out: dict[str, float | None] = {}
    for k, name in enumerate(SCORES):
        kept = values[:, :, k][~np.isnan(values[:, :, k])]
        out[name] = round(float(kept.mean()), 6) if kept.size else None
    return out


def round_rows(sim: Simulation, run: RuleRun) -> list[RoundRow]:
    return [
        RoundRow(
            round=r + 1,
            regime=sim.regimes[r],
            staked=sum(run.stakes[r]),
            budget=run.budgets[r],
            wanted=wanted(run, r),
            reward=sum(run.rewards[r]),
            burned=sum(run.burns[r]),
            supply=run.supply[r],
        )
        for r in range(len(run.budgets))
    ]


# ------------------------------------------------------------------ properties


def hedge_never_gains(sim: Simulation, run: RuleRun) -> Finding:
    cols = _columns(sim, "hedge")
    nets = [sum(rw[i] - b[i] for i in cols) for rw, b in zip(run.rewards, run.burns, strict=True)]
    gained = [n for n in nets if n > 0]
    return Finding(
        "a hedged pair never gains",
        run.rule.name,
        not gained,
        f"combined reward - burn of p and 1 - p: at most {max(nets):,} wei in a round; positive "
        f"in {len(gained)} of {len(nets)} rounds",
    )


def split_never_gains(sim: Simulation, run: RuleRun) -> Finding:
    """The split's total against the single position staking the same predictions once."""
    split = _columns(sim, "split")
    single = _columns(sim, "linear")
    diffs = []
    for stakes, rw, b in zip(run.stakes, run.rewards, run.burns, strict=True):
        if sum(stakes[i] for i in split) != sum(stakes[i] for i in single):
            raise ValueError("the split and its reference must stake the same total")
        diffs.append(sum(rw[i] - b[i] for i in split) - sum(rw[i] - b[i] for i in single))
    more = [d for d in diffs if d > 0]
    return Finding(
        f"a stake split over {len(split)} accounts never earns more than one stake",
        run.rule.name,
        not more,
        f"split total - single position: from {min(diffs):,} to {max(diffs):,} wei per round; "
        f"more in {len(more)} of {len(diffs)} rounds",
    )


def no_edge(sim: Simulation, run: RuleRun, strategy: str) -> Finding:
    s = strategy_stats(sim, run, strategy)
    above = s.ci_low is not None and s.ci_low > 0
    interval = (
        "no interval"
        if s.ci_low is None or s.ci_high is None
        else f"95% CI [{s.ci_low * 100:+.3f}%, {s.ci_high * 100:+.3f}%]"
    )
    return Finding(
        f"{strategy} predictions earn nothing significant",
        run.rule.name,
        not above,
        f"mean payout per unit of stake {s.mean * 100:+.3f}% per round, {interval}, "
        f"over {s.rounds} rounds",
    )


def within_budget(run: RuleRun) -> Finding:
    paid = [sum(rw) for rw in run.rewards]
    used = [Fraction(p, b) if b else Fraction(0) for p, b in zip(paid, run.budgets, strict=True)]
    over = [r + 1 for r, (p, b) in enumerate(zip(paid, run.budgets, strict=True)) if p > b]
    scaled = sum(1 for r in range(len(paid)) if wanted(run, r) > run.budgets[r])
    return Finding(
        "no round pays more than its budget",
        run.rule.name,
        not over and all(x >= 0 for x in run.returned),
        f"at most {float(max(used)) * 100:.4f}% of a budget paid; rewards scaled down to the "
        f"budget in {scaled} of {len(used)} rounds"
        + (f"; over it in rounds {over[:5]}" if over else ""),
    )


def wanted(run: RuleRun, r: int) -> int:
    """Round ``r``'s rewards before any scaling to the budget."""
    return sum(
        unscaled_reward(stake, ratio)
        for stake, ratio in zip(run.stakes[r], run.ratios[r], strict=True)
    )


def supply_falls_by_burns(sim: Simulation, run: RuleRun) -> Finding:
    """Supply (every holding) never rises and falls by exactly each round's burns."""
    previous, broken = sim.opening_supply, []
    for r, (supply, burns) in enumerate(zip(run.supply, run.burns, strict=True)):
        if supply > previous or previous - supply != sum(burns):
            broken.append(r + 1)
        previous = supply
    total = sum(sum(b) for b in run.burns)
    ok = not broken and sim.opening_supply == MAX_SUPPLY and run.supply[-1] == MAX_SUPPLY - total
    return Finding(
        "supply only falls, by exactly the burns",
        run.rule.name,
        ok,
        f"{total / UNIT:,.4f} tokens burned over {len(run.supply)} rounds; supply "
        f"{run.supply[-1] / UNIT:,.4f}" + (f"; broken in rounds {broken[:5]}" if broken else ""),
    )


def properties(sim: Simulation) -> list[Finding]:
    """Every property under every rule."""
    found = []
    for run in sim.runs:
        found.append(hedge_never_gains(sim, run))
        found.append(split_never_gains(sim, run))
        found.extend(no_edge(sim, run, s) for s in UNINFORMED)
        found.append(within_budget(run))
        found.append(supply_falls_by_burns(sim, run))
    return found
