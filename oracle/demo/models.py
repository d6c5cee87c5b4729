"""The demo's participants and their models: who runs what, with which stake.

The first participants cover every behaviour the demo sets out to show:

- informed models: linear (least squares on a feature subset) and tree models (LightGBM,
  the wallet's example model with other settings), and noisy versions of them;
- pure random predictions;
- a copy of another participant's model (the same predictions, under another account);
- a hedge: one account staking a model and its mirror image (p and 1 - p);
- in Signals rounds, a Signals-style model: one ranked signal, as a price-momentum entry
  would be;
- one participant who reveals a tampered file, and one who never reveals.

Beyond those, participants run cheap noisy linear models, so a round of a thousand costs
little to train. Everything is seeded: the same roster and predictions on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from oracle.wallet.example import TreeParams, features_of, predict, train

NAMES = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "uma", "victor",
    "walter", "xena", "yara", "zoe", "quinn",
)  # fmt: skip
#: Behaviours of a participant at reveal time.
HONEST, TAMPERS, SILENT = "honest", "tampers", "silent"


@dataclass(frozen=True)
class ModelSpec:
    """One model: its name (unique in the demo), its strategy and its parameters."""

    name: str
    strategy: str
    stake: str
    #: linear: feature fraction; noisy: noise share; trees: LightGBM rounds.
    param: float = 0.0
    seed: int = 0
    #: copy and mirror: the model whose predictions are used.
    source: str | None = None


@dataclass(frozen=True)
class Participant:
    name: str
    #: Development account index (``test:N``): 10 and up, beyond anvil's unlocked ten.
    account_index: int
    models: tuple[ModelSpec, ...]
    behaviour: str = HONEST
    #: Restakes its payout into the next round (claimAndRestake), for the model named here.
    restakes: str | None = None
    tags: frozenset[str] = field(default_factory=frozenset)


FIRST_ACCOUNT = 10


#: The showcase's participants (the thirteenth runs the Signals model in Signals rounds);
#: the demo runs at least these.
SHOWCASE = 13


def roster(count: int, kind: str = "classic") -> list[Participant]:
    """``count`` participants: the showcase first, then noisy linear models."""
    if count < SHOWCASE:
        raise ValueError(f"the demo needs at least {SHOWCASE} participants")
    stakes = ("5", "10", "12.5", "20", "25", "40", "50", "75", "100")

    def name(i: int) -> str:
        return NAMES[i] if i < len(NAMES) else f"p{i:04d}"

    def stake(i: int) -> str:
        return stakes[(i * 7) % len(stakes)]

    specs: list[tuple[list[ModelSpec], str, str | None]] = [
        # 0: two informed models, restakes the linear one.
        ([ModelSpec("alice-linear", "linear", "50", 0.75, 1),
          ModelSpec("alice-trees", "trees", "40", 120, 1)], HONEST, "alice-linear"),
        ([ModelSpec("bob-trees", "trees", "75", 200, 2)], HONEST, None),
        ([ModelSpec("carol-linear", "linear", "25", 0.5, 3)], HONEST, None),
        ([ModelSpec("dave-noisy", "noisy", "20", 0.5, 4)], HONEST, None),
        ([ModelSpec("erin-random", "random", "30", 0, 5)], HONEST, None),
        # 5: copies alice's linear model.
        ([ModelSpec("frank-copy", "copy", "50", source="alice-linear")], HONEST, None),
        # 6: the hedge: the same model and its mirror, equal stakes.
        ([ModelSpec("grace-p", "linear", "40", 0.6, 7),
          ModelSpec("grace-1-p", "mirror", "40", source="grace-p")], HONEST, None),
        ([ModelSpec("heidi-trees", "trees", "20", 80, 8),
          ModelSpec("heidi-noisy", "noisy", "10", 0.8, 8)], HONEST, None),
        ([ModelSpec("ivan-random", "random", "12.5", 0, 9)], HONEST, None),
        # 9: reveals a different file than the one committed.
        ([ModelSpec("judy-linear", "linear", "25", 0.4, 10)], TAMPERS, None),
        # 10: never reveals.
        ([ModelSpec("mallory-trees", "trees", "30", 60, 11)], SILENT, None),
        ([ModelSpec("niaj-noisy", "noisy", "15", 0.3, 12)], HONEST, None),
    ]  # fmt: skip
    if kind == "signals":
        specs.append(([ModelSpec("olivia-signals", "signals", "20", 0, 13)], HONEST, None))
    people = []
    for i in range(count):
        if i < len(specs):
            models, behaviour, restakes = specs[i]
        else:
            share = 0.2 + 0.6 * ((i * 37) % 100) / 100
            models, behaviour, restakes = (
                [ModelSpec(f"{name(i)}-noisy", "noisy", stake(i), share, 100 + i)],
                HONEST,
                None,
            )
        people.append(Participant(name(i), FIRST_ACCOUNT + i, tuple(models), behaviour, restakes))
    return people


# ---------------------------------------------------------------------- training


#: Predictions: one float per live id.
Array = npt.NDArray[np.float64]
Predictor = Callable[[pd.DataFrame], Array]


def mirror(values: Array) -> Array:
    """Ranked predictions turned upside down: rank k of n becomes rank n - k + 1, in (0, 1]."""
    flipped: Array = 1.0 - values + 1.0 / len(values)
    return flipped


def _ranked(values: Array) -> Array:
    ranked: Array = pd.Series(values).rank(pct=True, method="first").to_numpy(np.float64)
    return ranked


def _linear(training: pd.DataFrame, fraction: float, seed: int) -> Predictor:
    features = features_of(training)
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(features), max(1, int(len(features) * fraction)), False))
    columns = [features[j] for j in chosen]
    x = np.column_stack([np.ones(len(training)), training[columns].to_numpy(np.float64)])
    weights = np.linalg.lstsq(x, training["target"].to_numpy(np.float64), rcond=None)[0]

    def predict_live(live: pd.DataFrame) -> Array:
        raw = np.column_stack([np.ones(len(live)), live[columns].to_numpy(np.float64)]) @ weights
        return _ranked(raw)

    return predict_live


class ModelZoo:
    """Fits each strategy once on the training data and predicts any round's live data."""

    def __init__(self, training: pd.DataFrame) -> None:
        self.training = training
        self._fitted: dict[str, Predictor] = {}
        #: A shared base for the noisy models, fitted once.
        self._base = _linear(training, 1.0, 0)

    def fit(self, spec: ModelSpec) -> None:
        """Train ``spec``'s model (a no-op for strategies that need no training)."""
        if spec.name in self._fitted:
            return
        if spec.strategy == "linear":
            self._fitted[spec.name] = _linear(self.training, spec.param, spec.seed)
        elif spec.strategy == "trees":
            booster = train(self.training, TreeParams(rounds=int(spec.param), seed=spec.seed))
            self._fitted[spec.name] = lambda live: predict(booster, live)["prediction"].to_numpy()

    def predictions(self, spec: ModelSpec, live: pd.DataFrame, made: dict[str, Array]) -> Array:
        """``spec``'s predictions for ``live``, in (0, 1]; ``made`` holds the round's
        predictions so far (copies and mirrors read their source there)."""
        rng = np.random.default_rng([spec.seed, len(live)])
        if spec.strategy in ("linear", "trees"):
            self.fit(spec)
            return self._fitted[spec.name](live)
        if spec.strategy == "noisy":
            return _ranked((1 - spec.param) * self._base(live) + spec.param * rng.random(len(live)))
        if spec.strategy == "random":
            return _ranked(rng.random(len(live)))
        if spec.strategy == "copy":
            return made[str(spec.source)].copy()
        if spec.strategy == "mirror":
            return mirror(made[str(spec.source)])
        if spec.strategy == "signals":
            # One signal, ranked: the first feature, as a momentum-style entry would.
            return _ranked(
                live[features_of(live)[0]].to_numpy(np.float64) + 1e-9 * rng.random(len(live))
            )
        raise ValueError(f"unknown strategy {spec.strategy!r}")


def frame(live: pd.DataFrame, values: Array) -> pd.DataFrame:
    """A predictions frame (``id``, ``prediction``) for ``live``."""
    return pd.DataFrame({"id": live["id"].astype(str).to_numpy(), "prediction": values})
