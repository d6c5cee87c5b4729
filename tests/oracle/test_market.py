"""The synthetic market: reproducible to the byte, quantised, with a planted signal that tells
a linear model, a non-linear one and noise apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oracle.market import Market, MarketSpec, to_parquet
from oracle.market.generator import TARGET_BINS, TARGET_SHARES
from oracle.scoring import numerai_corr

SMALL = MarketSpec(seed=11, train_eras=30, train_stocks=400, live_stocks=2000)


def test_sameSeed_givesByteIdenticalFiles() -> None:
    a, b = Market(SMALL), Market(MarketSpec(**SMALL.to_dict()))
    assert to_parquet(a.training()) == to_parquet(b.training())
    for draw in ("live_round", "signals_round"):
        x, y = getattr(a, draw)(3), getattr(b, draw)(3)
        assert to_parquet(x.live) == to_parquet(y.live)
        assert to_parquet(x.targets) == to_parquet(y.targets)


def test_otherSeedOrRound_givesOtherData() -> None:
    a = Market(SMALL)
    other = Market(MarketSpec(**{**SMALL.to_dict(), "seed": 12}))
    assert to_parquet(a.live_round(1).live) != to_parquet(other.live_round(1).live)
    assert to_parquet(a.live_round(1).live) != to_parquet(a.live_round(2).live)


def test_featuresAndTargets_areQuantisedIntoFiveBins() -> None:
    market = Market(SMALL)
    live = market.live_round(1)
    features = live.live[market.feature_names].to_numpy()
    assert set(np.unique(features)) == {0.0, 0.25, 0.5, 0.75, 1.0}
    counts = live.targets["target"].value_counts(normalize=True).reindex(TARGET_BINS)
    np.testing.assert_allclose(counts.to_numpy(), TARGET_SHARES, atol=1e-3)
    assert live.live["id"].is_unique and live.targets["id"].equals(live.live["id"])
    assert [c for c in live.targets.columns if c.startswith("risk_")] == market.risk_names


def test_signalsRound_hasTickersNeutralizersAndPositiveWeights() -> None:
    market = Market(SMALL)
    drawn = market.signals_round(2)
    assert drawn.live["id"].iloc[0] == "T00000 US"
    assert any(c.startswith("neutralizer_") for c in drawn.targets.columns)
    assert (drawn.targets["sample_weight"] > 0).all()


def _corr(ids: pd.Series, values: np.ndarray, targets: pd.Series) -> float:
    frame = pd.DataFrame({"m": pd.Series(values).rank(pct=True).to_numpy()}, index=ids)
    return float(numerai_corr(frame, targets)["m"])


@pytest.mark.parametrize("rounds", [range(1, 7)])
def test_plantedSignal_separatesLinearNonLinearAndNoise(rounds: range) -> None:
    market = Market(MarketSpec(seed=5, train_eras=60, train_stocks=1000, live_stocks=3000))
    training = market.training()
    names = market.feature_names
    x = training[names].to_numpy(np.float64) - 0.5

    def design(f: np.ndarray, poly: bool) -> np.ndarray:
        cols = [np.ones(len(f)), *f.T]
        if poly:
            cols += [f[:, i] * f[:, j] for i in range(f.shape[1]) for j in range(i, f.shape[1])]
        return np.column_stack(cols)

    y = training["target"].to_numpy(np.float64)
    fits = {poly: np.linalg.lstsq(design(x, poly), y, rcond=None)[0] for poly in (False, True)}
    rng = np.random.default_rng(0)
    scores: dict[str, list[float]] = {"linear": [], "nonlinear": [], "noise": []}
    for r in rounds:
        drawn = market.live_round(r)
        f = drawn.live[names].to_numpy(np.float64) - 0.5
        targets = drawn.targets.set_index("id")["target"]
        ids = drawn.live["id"]
        scores["linear"].append(_corr(ids, design(f, False) @ fits[False], targets))
        scores["nonlinear"].append(_corr(ids, design(f, True) @ fits[True], targets))
        scores["noise"].append(_corr(ids, rng.random(len(f)), targets))
    mean = {k: float(np.mean(v)) for k, v in scores.items()}
    assert mean["nonlinear"] > mean["linear"] + 0.01 > 0.04
    assert abs(mean["noise"]) < 0.02
