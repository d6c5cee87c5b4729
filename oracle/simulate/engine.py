"""Play the rounds: one market, one population, every payout rule on the same predictions.

Each round draws a fresh live era of the synthetic market (its regime included), asks every
position's model for predictions, and scores them with the oracle's own engine
(:func:`~oracle.scoring.score_round`, in its deterministic mode, with the round's risk factors
for TC). Each rule then pays with the oracle's own integer arithmetic
(:func:`~oracle.scoring.compute_payouts`), exactly as the resolver builds its leaves.

Only the momentum strategy's stake depends on the rule (it follows that rule's payouts), and a
stake changes the meta model: so each rule is scored with its own stakes, once per distinct
stake vector in a round.

Each rule keeps a ledger of the token as the contract moves it: the operator funds the round's
budget from its treasury, stakes leave balances, each position gets back ``stake - burn +
reward``, the burns are destroyed and the unused budget goes back to the treasury. The supply
is the sum of every holding after the round; nothing is ever minted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from oracle.errors import SimulationConfigError
from oracle.market.frames import Array
from oracle.market.generator import Market
from oracle.models.zoo import ModelZoo
from oracle.protocol.units import MAX_SUPPLY, UNIT
from oracle.scoring import RoundData, ScoringConfig, compute_payouts, score_round
from oracle.scoring.payouts import PPM
from oracle.scoring.round import combined_scores
from oracle.scoring.transforms import deterministic
from oracle.simulate.config import NamedRule, SimulationConfig
from oracle.simulate.population import Position, population

#: The scores kept for the report (rule-independent, from the reference rule's stakes).
SCORES = ("corr", "mmc", "tc")
Say = Callable[[str], None]
Tick = Callable[[int, int], None]


@dataclass
class Ledger:
    """Every holding of the token under one rule: accounts, the operator's treasury."""

    balances: dict[str, int]
    treasury: int

    @classmethod
    def opening(
        cls, positions: list[Position], config: SimulationConfig, rule: NamedRule
    ) -> Ledger:
        """Each account holds its stakes plus the most it could lose over every round (so it can
        always stake); the operator holds the rest of the supply."""
        balances: dict[str, int] = {}
        for p in positions:
            worst = -(-p.stake * rule.rule.clip_ppm * config.rounds // PPM)
            balances[p.account] = balances.get(p.account, 0) + p.stake + worst
        treasury = MAX_SUPPLY - sum(balances.values())
        most = sum(p.stake for p in positions) * config.budget_ppm[1] // PPM
        if treasury < most * config.rounds:
            raise SimulationConfigError(
                f"{config.rounds} rounds of budgets up to {most / UNIT:,.0f} tokens exceed the "
                "token supply: lower rounds, budget_ppm or the stakes"
            )
        return cls(balances, treasury)

    @property
    def supply(self) -> int:
        """Every token that exists: the sum of all holdings."""
        return self.treasury + sum(self.balances.values())

    def settle(
        self, positions: list[Position], stakes: list[int], rewards: list[int], burns: list[int],
        budget: int,
    ) -> int:  # fmt: skip
        """One round's flows; returns the unused budget sent back to the treasury."""
        self.treasury -= budget
        pot = budget
        for p, stake in zip(positions, stakes, strict=True):
            if self.balances[p.account] < stake:
                raise SimulationConfigError(f"account {p.account} cannot cover its stake")
            self.balances[p.account] -= stake
            pot += stake
        for p, stake, reward, burn in zip(positions, stakes, rewards, burns, strict=True):
            back = stake - burn + reward
            self.balances[p.account] += back
            pot -= back + burn  # the burn leaves the pot and is destroyed
        self.treasury += pot
        return pot


@dataclass
class RuleRun:
    """One payout rule's history: per round and position, in base units and ppb."""

    rule: NamedRule
    ledger: Ledger
    stakes: list[list[int]] = field(default_factory=list)
    scores: list[list[int]] = field(default_factory=list)
    ratios: list[list[int]] = field(default_factory=list)
    rewards: list[list[int]] = field(default_factory=list)
    burns: list[list[int]] = field(default_factory=list)
    budgets: list[int] = field(default_factory=list)
    #: The unused budget returned to the treasury after each round.
    returned: list[int] = field(default_factory=list)
    #: The supply (every holding) after each round.
    supply: list[int] = field(default_factory=list)

    def next_stakes(self, positions: list[Position]) -> list[int]:
        """This round's stakes: the momentum position stakes only after a positive ratio."""
        last = self.ratios[-1] if self.ratios else [0] * len(positions)
        return [p.stake if not p.momentum or last[i] > 0 else 0 for i, p in enumerate(positions)]


@dataclass
class Simulation:
    """Everything a run produced; :mod:`oracle.simulate.analysis` reads it."""

    config: SimulationConfig
    positions: list[Position]
    regimes: list[int]
    #: ``(rounds, positions, 3)``: CORR, MMC and TC under the reference rule's stakes; NaN
    #: where the scorer rejected the model (a constant one).
    scores: NDArray[np.float64]
    #: Per round, the positions the scorer left out, with its reason.
    rejected: list[dict[str, str]]
    runs: list[RuleRun]
    opening_supply: int
    seconds: dict[str, float]


def _score(
    predictions: pd.DataFrame, targets: pd.DataFrame, stakes: list[int], chunk: int
) -> pd.DataFrame:
    risk = [c for c in targets.columns if c.startswith("risk_")]
    data = RoundData(
        predictions=predictions,
        targets=targets["target"],
        stakes=pd.Series([s / UNIT for s in stakes], index=predictions.columns),
        risk_factors=targets[risk] if risk else None,
    )
    return score_round(data, ScoringConfig(), chunk=chunk)


def simulate(
    config: SimulationConfig, say: Say | None = None, tick: Tick | None = None
) -> Simulation:
    """Run ``config``: ``say`` hears each phase, ``tick(done, total)`` each finished round."""
    say = say or (lambda _m: None)
    started = time.perf_counter()
    market = Market(config.market)
    positions = population(config)
    runs = [RuleRun(rule, Ledger.opening(positions, config, rule)) for rule in config.rules]
    opening = runs[0].ledger.supply
    say(f"training data: {config.market.train_eras} eras x {config.market.train_stocks:,} stocks")
    zoo = ModelZoo(market.training())
    for p in positions:
        if p.model.strategy in ("linear", "trees"):
            say(f"fitting {p.name} ({p.model.strategy})")
        zoo.fit(p.model)
    trained = time.perf_counter()
    names = [p.name for p in positions]
    regimes: list[int] = []
    low, high = config.budget_ppm
    budget_ppm = np.random.default_rng([config.seed, 11]).integers(low, high + 1, config.rounds)
    kept = np.full((config.rounds, len(positions), len(SCORES)), np.nan)
    rejected: list[dict[str, str]] = []
    say(
        f"{config.rounds} rounds x {len(positions)} positions x {config.market.live_stocks:,} "
        f"stocks under {len(runs)} payout rules"
    )
    with deterministic() as chunk:
        for r in range(config.rounds):
            era = market.live_round(r + 1)
            regimes.append(era.regime)
            made: dict[str, Array] = {}
            for p in positions:
                made[p.name] = zoo.predictions(p.model, era.live, made)
            predictions = pd.DataFrame(
                np.column_stack([made[n] for n in names]),
                index=pd.Index(era.live["id"].to_numpy(), name="id"),
                columns=names,
            )
            targets = era.targets.set_index("id")
            scored: dict[tuple[int, ...], pd.DataFrame] = {}
            for k, run in enumerate(runs):
                stakes = run.next_stakes(positions)
                key = tuple(stakes)
                if key not in scored:
                    scored[key] = _score(predictions, targets, stakes, chunk)
                out = scored[key]
                if k == 0:
                    kept[r] = out.reindex(names)[list(SCORES)].to_numpy(np.float64)
                    rejected.append(dict(out.attrs.get("rejected", {})))
                _pay(run, positions, stakes, out, int(budget_ppm[r]))
            if tick:
                tick(r + 1, config.rounds)
    finished = time.perf_counter()
    return Simulation(
        config=config,
        positions=positions,
        regimes=regimes,
        scores=kept,
        rejected=rejected,
        runs=runs,
        opening_supply=opening,
        seconds={
            "training": round(trained - started, 3),
            "rounds": round(finished - trained, 3),
            "total": round(finished - started, 3),
        },
    )


def _pay(
    run: RuleRun, positions: list[Position], stakes: list[int], out: pd.DataFrame, budget_ppm: int
) -> None:
    """Pay one round under ``run``'s rule, as the resolver does (unscored models score 0)."""
    combined = dict(zip(out.index, combined_scores(out, run.rule.rule), strict=True))
    scores = [combined.get(p.name, 0) for p in positions]
    budget = sum(stakes) * budget_ppm // PPM
    payouts = compute_payouts(stakes, scores, run.rule.rule, budget)
    rewards = [x.reward for x in payouts]
    burns = [x.burn for x in payouts]
    run.stakes.append(stakes)
    run.scores.append(scores)
    run.ratios.append([x.ratio_ppb for x in payouts])
    run.rewards.append(rewards)
    run.burns.append(burns)
    run.budgets.append(budget)
    run.returned.append(run.ledger.settle(positions, stakes, rewards, burns, budget))
    run.supply.append(run.ledger.supply)
