"""The synthetic market: reproducible to the byte, quantised, with a planted signal that tells
a linear model, a non-linear one and noise apart."""

from __future__ import annotations

from collections.abc import Callable

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


# ------------------------------------------------------------- a round drawn with a secret

SECRET = bytes(range(32))


def test_secretRound_isReproducibleFromTheSecretAndDiffersFromTheSeedAlone() -> None:
    a, b = Market(SMALL, SECRET), Market(SMALL, bytes(SECRET))
    for kind in ("classic", "signals"):
        assert to_parquet(a.draw(kind, 3).targets) == to_parquet(b.draw(kind, 3).targets)
    assert to_parquet(a.training()) == to_parquet(b.training())
    public = Market(SMALL)
    assert to_parquet(a.training()) != to_parquet(public.training())
    assert not np.allclose(a.loadings, public.loadings)
    other = Market(SMALL, bytes(31) + b"\x01")
    assert to_parquet(a.live_round(3).targets) != to_parquet(other.live_round(3).targets)


@pytest.mark.parametrize("secret", [b"", bytes(31), bytes(33), "0" * 64])
def test_secret_mustBe32Bytes(secret: object) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Market(SMALL, secret)  # type: ignore[arg-type]


def _bayes_attacker(world: Market, spec: MarketSpec) -> Callable[[pd.DataFrame], np.ndarray]:
    """The best predictor a stranger can build from a world's parameters (as the public seed
    gives them): the latents estimated from the features by a regression fitted on as many
    simulated eras of that world as it likes, then the target's formula, averaged over the
    regimes (which the live era draws in secret)."""
    from oracle.market.generator import _Draws

    rng = np.random.default_rng(99)
    eras = [world._era(_Draws.shared(rng), 2000, r % spec.regimes) for r in range(30)]
    features = np.vstack([e[0] for e in eras])
    latents = np.vstack([e[3] for e in eras])
    design = np.column_stack([np.ones(len(features)), features])
    to_latents = np.linalg.lstsq(design, latents, rcond=None)[0]
    weights = world.regime_weights.mean(axis=0)

    def predict(live: pd.DataFrame) -> np.ndarray:
        f = live[world.feature_names].to_numpy(np.float64)
        z = np.column_stack([np.ones(len(f)), f]) @ to_latents
        nonlinear = z[:, 0] * z[:, 1] + 1.3 * np.abs(z[:, 2])
        return spec.linear_scale * (z @ weights) + spec.nonlinear_scale * nonlinear

    return predict


def _trained(training: pd.DataFrame) -> Callable[[pd.DataFrame], np.ndarray]:
    """A participant's model: least squares on every feature of the round's training data."""
    from oracle.models.zoo import linear_model

    return linear_model(training, 1.0, 0)


def _mean_corr(
    model: Callable[[Market], Callable[[pd.DataFrame], np.ndarray]],
    worlds: list[Market],
) -> np.ndarray:
    scores = []
    for r, world in enumerate(worlds, 1):
        drawn = world.live_round(r)
        targets = drawn.targets.set_index("id")["target"]
        scores.append(_corr(drawn.live["id"], model(world)(drawn.live), targets))
    return np.array(scores)


def test_publicSeedsWorld_givesNoEdgeOverATrainedModel_onSecretRounds() -> None:
    """A stranger who computes the world of the manifest's public seed scores no higher than a
    model trained on the round's training data; on rounds drawn from the seed alone (no
    secret) the same stranger beats it clearly, so the comparison can fail."""
    spec = MarketSpec(seed=21, train_eras=40, train_stocks=1000, live_stocks=4000)
    public = Market(spec)
    attacker = _bayes_attacker(public, spec)
    rounds = 8
    secret_worlds = [Market(spec, bytes([r]) * 32) for r in range(1, rounds + 1)]
    trained = _mean_corr(lambda w: _trained(w.training()), secret_worlds)
    stranger = _mean_corr(lambda _w: attacker, secret_worlds)
    noise = 2 * np.sqrt(2.0 / spec.live_stocks / rounds)  # two standard errors of the gap
    assert trained.mean() > 0.04
    assert stranger.mean() <= trained.mean() + noise
    assert abs(stranger.mean()) < noise

    public_worlds = [public] * rounds
    trained_public = _mean_corr(lambda w: _trained(w.training()), public_worlds)
    stranger_public = _mean_corr(lambda _w: attacker, public_worlds)
    assert stranger_public.mean() > trained_public.mean() + noise
