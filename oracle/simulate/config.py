"""What one simulation runs: rounds, seed, market, population size, budget and payout rules.

A config file is JSON; every key is optional and unknown keys are refused by name::

    {"rounds": 200, "seed": 0, "budget_ppm": [10000, 40000],
     "market": {"live_stocks": 5000, "train_eras": 120},
     "population": {"crowd": 13, "split_accounts": 10, "stake": 100},
     "rules": {"default": {"corr_weight_ppm": 500000, "mmc_weight_ppm": 2000000}}}

``rules`` replaces the default set of rules when given (each field as in
:class:`~oracle.scoring.payouts.PayoutRule`; the rule named first is the reference rule).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from oracle.errors import SimulationConfigError, TournamentError
from oracle.files import read_object
from oracle.market.generator import MarketSpec
from oracle.scoring.payouts import PPM, PayoutRule


@dataclass(frozen=True)
class NamedRule:
    """A payout rule under a short name (a key of the results)."""

    name: str
    rule: PayoutRule

    @property
    def label(self) -> str:
        """The rule as a formula, e.g. ``0.5 CORR + 2 MMC``."""
        parts = []
        for score, weight in (
            ("CORR", self.rule.corr_weight_ppm),
            ("MMC", self.rule.mmc_weight_ppm),
            ("TC", self.rule.tc_weight_ppm),
        ):
            if weight:
                parts.append(f"{weight / PPM:g} {score}")
        return " + ".join(parts) or "0"


#: The rules compared by default, on the same rounds. The default is the tournament's own;
#: "MMC only" keeps the default's MMC weight, so the two differ exactly by the CORR part.
DEFAULT_RULES = (
    NamedRule("default", PayoutRule()),
    NamedRule("corr", PayoutRule(corr_weight_ppm=1_000_000, mmc_weight_ppm=0)),
    NamedRule(
        "corr-tc", PayoutRule(corr_weight_ppm=1_000_000, mmc_weight_ppm=0, tc_weight_ppm=1_000_000)
    ),
    NamedRule("mmc", PayoutRule(corr_weight_ppm=0, mmc_weight_ppm=2_000_000)),
)


#: The study's market: the demo's, with three times the target noise, so informed models score
#: as Numerai's do (CORR about 0.01 to 0.03) and few of them reach the clip.
STUDY_MARKET = MarketSpec(noise_scale=3.0)


@dataclass(frozen=True)
class PopulationSpec:
    """How many of the scalable strategies run, and the stake of one position."""

    #: Background participants: noisy linear models of varied skill and stake.
    crowd: int = 13
    #: Accounts the stake-split strategy spreads one model's stake over.
    split_accounts: int = 10
    #: Whole tokens each strategy stakes per round (the crowd's stakes vary around it).
    stake: int = 100

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SimulationConfigError(
                    f"population {f.name} must be a non-negative integer, got {value!r}"
                )
        if self.split_accounts < 2:
            raise SimulationConfigError("population split_accounts must be at least 2")
        if self.stake < 1:
            raise SimulationConfigError("population stake must be at least 1 token")


@dataclass(frozen=True)
class SimulationConfig:
    rounds: int = 200
    seed: int = 0
    #: Each round's reward budget as a share of its total stake (ppm): drawn per round,
    #: uniformly between the two bounds, so some rounds' rewards are scaled down and some not.
    budget_ppm: tuple[int, int] = (10_000, 40_000)
    market: MarketSpec = STUDY_MARKET
    population: PopulationSpec = field(default_factory=PopulationSpec)
    rules: tuple[NamedRule, ...] = DEFAULT_RULES

    def __post_init__(self) -> None:
        for name in ("rounds", "seed"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SimulationConfigError(f"{name} must be a non-negative integer, got {value!r}")
        budget = self.budget_ppm
        if isinstance(budget, int) and not isinstance(budget, bool):
            budget = (budget, budget)
        if (
            not isinstance(budget, tuple | list)
            or len(budget) != 2
            or not all(isinstance(b, int) and not isinstance(b, bool) for b in budget)
            or not 0 <= budget[0] <= budget[1]
        ):
            raise SimulationConfigError(
                f"budget_ppm must be a share of the stake in ppm, or two of them [low, high] with "
                f"0 <= low <= high, got {self.budget_ppm!r}"
            )
        object.__setattr__(self, "budget_ppm", (int(budget[0]), int(budget[1])))
        if self.rounds < 1:
            raise SimulationConfigError("rounds must be at least 1")
        if not self.rules:
            raise SimulationConfigError("give at least one payout rule")
        names = [r.name for r in self.rules]
        if len(set(names)) != len(names):
            raise SimulationConfigError(f"payout rule names repeat: {names}")
        if self.market.seed != self.seed:
            object.__setattr__(self, "market", replace(self.market, seed=self.seed))

    @property
    def reference(self) -> NamedRule:
        """The rule named first: the one the summary line and the plots lead with."""
        return self.rules[0]

    def to_dict(self) -> dict[str, Any]:
        market = self.market.to_dict()
        market.pop("seed")
        return {
            "rounds": self.rounds,
            "seed": self.seed,
            "budget_ppm": list(self.budget_ppm),
            "market": market,
            "population": asdict(self.population),
            "rules": {r.name: asdict(r.rule) for r in self.rules},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulationConfig:
        known = {"rounds", "seed", "budget_ppm", "market", "population", "rules"}
        _refuse_unknown("config", data, known)
        values: dict[str, Any] = {k: data[k] for k in ("rounds", "seed", "budget_ppm") if k in data}
        seed = data.get("seed", 0)
        market = _section(data, "market")
        _refuse_unknown("market", market, set(MarketSpec.__dataclass_fields__) - {"seed"})
        try:
            values["market"] = replace(STUDY_MARKET, **market, seed=seed)
        except (TypeError, ValueError) as err:
            raise SimulationConfigError(f"config market: {err}") from None
        population = _section(data, "population")
        _refuse_unknown("population", population, set(PopulationSpec.__dataclass_fields__))
        values["population"] = PopulationSpec(**population)
        if "rules" in data:
            rules = _section(data, "rules")
            named = []
            for name, spec in rules.items():
                if not isinstance(spec, dict):
                    raise SimulationConfigError(f"config rule '{name}' must be an object of fields")
                _refuse_unknown(f"rule '{name}'", spec, set(PayoutRule.__dataclass_fields__))
                try:
                    named.append(NamedRule(str(name), PayoutRule(**spec)))
                except TournamentError as err:
                    raise SimulationConfigError(f"config rule '{name}': {err}") from None
            values["rules"] = tuple(named)
        return cls(**values)

    @classmethod
    def load(cls, path: Path) -> SimulationConfig:
        """A config from a JSON file."""
        return cls.from_dict(read_object(path, "simulation config", SimulationConfigError))


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise SimulationConfigError(
            f"config '{name}' must be an object of fields, got {type(section).__name__}"
        )
    return section


def _refuse_unknown(where: str, data: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise SimulationConfigError(f"unknown {where} keys {unknown}: use {sorted(known)}")
