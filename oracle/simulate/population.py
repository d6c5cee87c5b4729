"""The strategies that submit every simulated round, and the positions that carry them.

One *position* is one model staked by one account, as on chain. A *strategy* is what the
study reports on: one or more positions whose results are added up (a hedge is two
positions of one account; a stake split is one model's predictions staked from many
accounts).

- informed models of different skill, fitted on the training data: least squares on every
  feature, on half of them and on three only; LightGBM trees, large and small; and linear
  predictions diluted with a quarter, a half and three quarters of noise;
- ``random``: ranked noise (several positions);
- ``constant``: the same prediction for every id;
- ``clone``: the large trees model's predictions under another account, with its own stake;
- ``hedge``: one account staking a model and its mirror image (p and 1 - p), equal stakes;
- ``split``: the every-feature model's predictions staked from many accounts, in uneven parts
  down to the wei (as restaked payouts are), adding up to the stake of that model's own single
  position (``linear``), which is its reference;
- ``momentum``: a model that stakes only in the round after one in which its payout ratio
  was positive (it submits every round, so its score is known even unstaked);
- ``crowd``: background participants, noisy linear models of varied skill and stake.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oracle.models.zoo import Recipe
from oracle.protocol.units import UNIT
from oracle.simulate.config import SimulationConfig


@dataclass(frozen=True)
class Position:
    """One staked model: its column in every round's predictions."""

    name: str
    account: str
    strategy: str
    model: Recipe
    #: The stake, in base units, of every round it stakes in.
    stake: int
    #: Stakes only after a round with a positive payout ratio (0 otherwise).
    momentum: bool = False


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    #: Whether the study expects it to earn (informed models) or not (the rest).
    informed: bool


STRATEGIES = (
    Strategy("linear", "least squares on every feature", True),
    Strategy("linear-half", "least squares on half of the features", True),
    Strategy("few-features", "least squares on three features", True),
    Strategy("trees", "LightGBM, 200 boosting rounds", True),
    Strategy("trees-small", "LightGBM, 40 boosting rounds", True),
    Strategy("noisy-25", "every-feature model, a quarter noise", True),
    Strategy("noisy-50", "every-feature model, half noise", True),
    Strategy("noisy-75", "every-feature model, three quarters noise", True),
    Strategy("crowd", "background: noisy linear models of varied skill and stake", True),
    Strategy("momentum", "stakes only after a round with a positive payout", True),
    Strategy("clone", "the trees model's predictions, another account, its own stake", True),
    Strategy("split", "the every-feature model's stake spread over many accounts", True),
    Strategy("hedge", "a model and its mirror (p and 1 - p), equal stakes, one account", False),
    Strategy("random", "ranked noise", False),
    Strategy("constant", "the same prediction for every id", False),
)
BY_NAME = {s.name: s for s in STRATEGIES}
RANDOM_POSITIONS = 4


def population(config: SimulationConfig) -> list[Position]:
    """Every position, in the column order of each round's predictions (sources first)."""
    spec = config.population
    stake = spec.stake * UNIT
    features = config.market.features
    seed = config.seed
    positions: list[Position] = []

    def add(
        strategy: str,
        model: Recipe,
        *,
        account: str | None = None,
        amount: int = stake,
        momentum: bool = False,
    ) -> None:
        positions.append(
            Position(model.name, account or model.name, strategy, model, amount, momentum)
        )

    add("linear", Recipe("linear", "linear", 1.0, seed))
    add("linear-half", Recipe("linear-half", "linear", 0.5, seed + 1))
    add("few-features", Recipe("few-features", "linear", 3.5 / features, seed + 2))
    add("trees", Recipe("trees", "trees", 200, seed + 3))
    add("trees-small", Recipe("trees-small", "trees", 40, seed + 4))
    for share in (25, 50, 75):
        add(f"noisy-{share}", Recipe(f"noisy-{share}", "noisy", share / 100, seed + 5 + share))
    rng = np.random.default_rng([seed, 7])
    for i in range(spec.crowd):
        noise = float(rng.uniform(0.3, 0.95))
        crowd_stake = int(stake * float(rng.uniform(0.2, 3.0))) // UNIT * UNIT or UNIT
        add("crowd", Recipe(f"crowd-{i:02d}", "noisy", noise, seed + 200 + i), amount=crowd_stake)
    add("momentum", Recipe("momentum", "noisy", 0.5, seed + 300), momentum=True)
    add("clone", Recipe("clone", "copy", source="trees"))
    for i, part in enumerate(split_stake(stake, spec.split_accounts, rng)):
        add("split", Recipe(f"split-{i:02d}", "copy", source="linear"), amount=part)
    add("hedge", Recipe("hedge-p", "linear", 0.5, seed + 400), account="hedge")
    add("hedge", Recipe("hedge-1-p", "mirror", source="hedge-p"), account="hedge")
    for i in range(RANDOM_POSITIONS):
        add("random", Recipe(f"random-{i}", "random", seed=seed + 500 + i))
    add("constant", Recipe("constant", "constant"))
    return positions


def split_stake(stake: int, parts: int, rng: np.random.Generator) -> list[int]:
    """``stake`` in ``parts`` uneven amounts of arbitrary wei that add up to it exactly."""
    weights = rng.uniform(0.5, 1.5, parts)
    shares = [int(stake * w / weights.sum()) + int(rng.integers(0, 10**9)) for w in weights[:-1]]
    return [*shares, stake - sum(shares)]
