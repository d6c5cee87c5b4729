"""The benchmark models an operator publishes with a synthetic round's validation eras: their
predictions on those eras and the stakes that weight them into the meta model that diagnostics
measure MMC against.

The set is the wallet's example model (LightGBM with :class:`~oracle.models.example.TreeParams`'
defaults, so the example correlation of diagnostics is with the model ``example-model``
submits) and two least-squares models, one on every feature and one on a seeded half. Each
model's predictions are ranked into (0, 1] within each era.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from oracle.models.zoo import ModelZoo, Recipe

#: The benchmark models and their stakes (tokens): the meta model's weights.
BENCHMARKS: tuple[tuple[Recipe, int], ...] = (
    (Recipe("example", "trees", param=200), 50),
    (Recipe("linear", "linear", param=1.0), 30),
    (Recipe("linear_half", "linear", param=0.5, seed=1), 20),
)


def benchmark_stakes() -> dict[str, int]:
    """Each benchmark model's stake, by name."""
    return {recipe.name: stake for recipe, stake in BENCHMARKS}


def benchmark_predictions(
    training: pd.DataFrame,
    validation: pd.DataFrame,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """``id``, ``era`` and one column per benchmark model: its predictions on ``validation``,
    ranked within each era."""
    say = progress or (lambda _msg: None)
    zoo = ModelZoo(training)
    out = pd.DataFrame({"id": validation["id"].astype(str), "era": validation["era"].astype(str)})
    eras = validation["era"].astype(str).to_numpy()
    for recipe, _ in BENCHMARKS:
        say(f"fitting the benchmark model {recipe.name}")
        values = np.empty(len(validation))
        for era in dict.fromkeys(eras):
            at = np.flatnonzero(eras == era)
            part = validation.iloc[at].reset_index(drop=True)
            values[at] = zoo.predictions(recipe, part, {})
        out[recipe.name] = values
    return out.reset_index(drop=True)
