"""The example model of ``ape run wallet example-model``: gradient-boosted trees (LightGBM,
pinned in requirements.lock) on the round's training data, as Numerai's example scripts do.

It uses LightGBM's own training API (no scikit-learn), with fixed seeds and one
deterministic thread setting, so the same data gives the same predictions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from oracle.market.frames import features_of, predictions_frame, ranked


@dataclass(frozen=True)
class TreeParams:
    """LightGBM's settings for the example: small, regularised trees."""

    rounds: int = 200
    learning_rate: float = 0.05
    num_leaves: int = 15
    max_depth: int = 5
    feature_fraction: float = 0.5
    min_data_in_leaf: int = 200
    seed: int = 0


def train(training: pd.DataFrame, params: TreeParams | None = None) -> object:
    """A LightGBM booster fitted to ``training``'s features and ``target``."""
    import lightgbm

    p = params or TreeParams()
    settings = {k: v for k, v in asdict(p).items() if k != "rounds"}
    settings.update(
        objective="regression",
        deterministic=True,
        force_row_wise=True,
        num_threads=1,
        verbose=-1,
    )
    features = features_of(training)
    data = lightgbm.Dataset(
        training[features].to_numpy(np.float32),
        label=training["target"].to_numpy(np.float64),
        free_raw_data=True,
    )
    return lightgbm.train(settings, data, num_boost_round=p.rounds)


def predict(booster: object, live: pd.DataFrame) -> pd.DataFrame:
    """Predictions for ``live`` (``id``, ``prediction``), ranked into (0, 1]."""
    raw = booster.predict(live[features_of(live)].to_numpy(np.float32))  # type: ignore[attr-defined]
    return predictions_frame(live, ranked(raw))


def example_predictions(
    training: pd.DataFrame,
    live: pd.DataFrame,
    params: TreeParams | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Train on ``training`` and predict ``live``."""
    say = progress or (lambda _msg: None)
    say(f"training LightGBM on {len(training):,} rows x {len(features_of(training))} features")
    booster = train(training, params)
    say(f"predicting {len(live):,} live ids")
    return predict(booster, live)
