"""Models participants run on the synthetic market, fitted once and asked for any round.

A model is named by a :class:`Recipe`: its strategy and parameters.

- ``linear``: least squares on a seeded subset of the features (``param``: the fraction kept);
- ``trees``: LightGBM, the wallet's example model (``param``: boosting rounds);
- ``noisy``: a shared linear model on every feature mixed with noise (``param``: the noise share);
- ``random``: ranked noise;
- ``constant``: the same value for every id (the scorer rejects it: it moves nothing);
- ``copy`` and ``mirror``: another model's predictions as they are, or turned upside down
  (``source``: that model's name);
- ``signals``: one ranked feature, as a price-momentum Signals entry would be.

Every prediction is ranked into (0, 1] and seeded: the same recipe and live data give the same
numbers on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oracle.market.frames import Array, features_of, ranked

Predictor = Callable[[pd.DataFrame], Array]


@dataclass(frozen=True)
class Recipe:
    """What a model is: a unique name, a strategy and its parameters."""

    name: str
    strategy: str
    #: linear: feature fraction; noisy: noise share; trees: LightGBM rounds.
    param: float = 0.0
    seed: int = 0
    #: copy and mirror: the model whose predictions are used.
    source: str | None = None


def mirror(values: Array) -> Array:
    """Ranked predictions turned upside down: rank k of n becomes rank n - k + 1, in (0, 1]."""
    flipped: Array = 1.0 - values + 1.0 / len(values)
    return flipped


def linear_model(training: pd.DataFrame, fraction: float, seed: int) -> Predictor:
    """Least squares of the target on a seeded ``fraction`` of the features (at least one)."""
    features = features_of(training)
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(features), max(1, int(len(features) * fraction)), False))
    columns = [features[j] for j in chosen]
    x = np.column_stack([np.ones(len(training)), training[columns].to_numpy(np.float64)])
    weights = np.linalg.lstsq(x, training["target"].to_numpy(np.float64), rcond=None)[0]

    def predict_live(live: pd.DataFrame) -> Array:
        raw = np.column_stack([np.ones(len(live)), live[columns].to_numpy(np.float64)]) @ weights
        return ranked(raw)

    return predict_live


def _trees(training: pd.DataFrame, rounds: int, seed: int) -> Predictor:
    # The example model; imported here so the other strategies load without LightGBM.
    from oracle.models.example import TreeParams, predict, train

    booster = train(training, TreeParams(rounds=rounds, seed=seed))
    return lambda live: predict(booster, live)["prediction"].to_numpy(np.float64)


class ModelZoo:
    """Fits each recipe once on the training data and predicts any round's live data."""

    def __init__(self, training: pd.DataFrame) -> None:
        self.training = training
        self._fitted: dict[str, Predictor] = {}
        #: A shared base for the noisy models, fitted once.
        self._base = linear_model(training, 1.0, 0)

    def fit(self, recipe: Recipe) -> None:
        """Train ``recipe``'s model (a no-op for strategies that need no training)."""
        if recipe.name in self._fitted:
            return
        if recipe.strategy == "linear":
            self._fitted[recipe.name] = linear_model(self.training, recipe.param, recipe.seed)
        elif recipe.strategy == "trees":
            self._fitted[recipe.name] = _trees(self.training, int(recipe.param), recipe.seed)

    def predictions(self, recipe: Recipe, live: pd.DataFrame, made: Mapping[str, Array]) -> Array:
        """``recipe``'s predictions for ``live``, in (0, 1]; ``made`` holds the round's
        predictions so far (copies and mirrors read their source there)."""
        rng = np.random.default_rng([recipe.seed, len(live)])
        if recipe.strategy in ("linear", "trees"):
            self.fit(recipe)
            return self._fitted[recipe.name](live)
        if recipe.strategy == "noisy":
            share = recipe.param
            return ranked((1 - share) * self._base(live) + share * rng.random(len(live)))
        if recipe.strategy == "random":
            return ranked(rng.random(len(live)))
        if recipe.strategy == "constant":
            return np.full(len(live), 0.5)
        if recipe.strategy == "copy":
            return made[str(recipe.source)].copy()
        if recipe.strategy == "mirror":
            return mirror(made[str(recipe.source)])
        if recipe.strategy == "signals":
            # One signal, ranked: the first feature, as a momentum-style entry would.
            return ranked(
                live[features_of(live)[0]].to_numpy(np.float64) + 1e-9 * rng.random(len(live))
            )
        raise ValueError(f"unknown strategy {recipe.strategy!r}")
