"""Diagnostics on validation eras: the market's held-out eras, the benchmark models, the
per-era scores (equal to the oracle's round scoring on the same era), the summaries, the page's
bytes and the validator's errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from oracle.errors import InvalidSubmissionError, ScoringInputError
from oracle.market import Market, MarketSpec, to_parquet
from oracle.models.benchmarks import benchmark_predictions, benchmark_stakes
from oracle.models.zoo import linear_model
from oracle.pages.diagnostics import render_diagnostics
from oracle.scoring import RoundData, score_round
from oracle.scoring.diagnostics import diagnose, max_drawdown
from oracle.scoring.fast_read import Universe
from oracle.scoring.validate import read_submission

SPEC = MarketSpec(seed=7, train_eras=20, train_stocks=300, validation_eras=6, validation_stocks=400)


@pytest.fixture(scope="module")
def world() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    market = Market(SPEC, b"\x07" * 32)
    training, validation = market.training(), market.validation()
    bench = benchmark_predictions(training, validation)
    return training, validation, bench


def _mine(training: pd.DataFrame, validation: pd.DataFrame) -> pd.Series:
    return pd.Series(linear_model(training, 0.4, 3)(validation), index=validation["id"])


def test_validationEras_followTrainingAndAreReproducible() -> None:
    market = Market(SPEC, b"\x07" * 32)
    validation = market.validation()
    assert list(dict.fromkeys(validation["era"])) == [f"era{n:04d}" for n in range(21, 27)]
    assert len(validation) == 6 * 400
    assert validation["id"].str.startswith("v").all()
    assert set(validation["id"]).isdisjoint(market.live_round(1).live["id"])
    again = Market(MarketSpec(**SPEC.to_dict()), b"\x07" * 32)
    assert to_parquet(again.validation()) == to_parquet(validation)
    # The validation eras come from their own stream: the training data is as before.
    no_validation = MarketSpec(**{**SPEC.to_dict(), "validation_eras": 0})
    assert to_parquet(Market(no_validation, b"\x07" * 32).training()) == to_parquet(
        market.training()
    )
    assert Market(no_validation, b"\x07" * 32).validation().empty
    assert to_parquet(Market(SPEC, b"\x08" * 32).validation()) != to_parquet(validation)


def test_benchmarks_areRankedWithinEachEra(world: tuple[pd.DataFrame, ...]) -> None:
    _, validation, bench = world
    assert list(bench.columns) == ["id", "era", *benchmark_stakes()]
    assert bench["id"].tolist() == validation["id"].tolist()
    for _, era in bench.groupby("era"):
        for name in benchmark_stakes():
            values = np.sort(era[name].to_numpy())
            assert np.allclose(values, np.arange(1, len(era) + 1) / len(era))


def test_perEraScores_equalTheOraclesRoundScoring(world: tuple[pd.DataFrame, ...]) -> None:
    training, validation, bench = world
    mine = _mine(training, validation)
    stakes = benchmark_stakes()
    bench_by_id = bench.set_index("id").drop(columns="era")
    d = diagnose(mine, validation, bench_by_id, stakes)
    assert list(d.eras.index) == list(dict.fromkeys(validation["era"]))
    features = [c for c in validation.columns if c.startswith("feature")]
    for era, part in validation.groupby("era"):
        ids = part["id"]
        predictions = pd.concat(
            [mine.loc[ids].rename("mine"), bench_by_id.loc[ids]], axis=1
        ).set_axis(pd.Index(ids), axis=0)
        scores = score_round(
            RoundData(
                predictions=predictions,
                targets=part.set_index("id")["target"].astype(float),
                stakes=pd.Series({"mine": 0.0, **{k: float(v) for k, v in stakes.items()}}),
                features=part.set_index("id")[features].astype(float),
            )
        )
        for name in ("corr", "mmc", "fnc"):
            assert d.eras.loc[era, name] == pytest.approx(scores.loc["mine", name], abs=1e-12)
        ranks = predictions.rank()
        assert d.eras.loc[era, "example_corr"] == pytest.approx(
            ranks["mine"].corr(ranks["example"]), abs=1e-12
        )


def test_summaries_areTheEraScoresSummarised(world: tuple[pd.DataFrame, ...]) -> None:
    training, validation, bench = world
    d = diagnose(_mine(training, validation), validation, bench.set_index("id").drop(columns="era"),
                 benchmark_stakes())  # fmt: skip
    corr = d.eras["corr"].to_numpy()
    s = d.summaries["corr"]
    assert s.mean == pytest.approx(corr.mean())
    assert s.std == pytest.approx(corr.std(ddof=1))
    assert s.sharpe == pytest.approx(corr.mean() / corr.std(ddof=1))
    assert d.worst_corr == pytest.approx(corr.min())
    assert d.worst_era == d.eras.index[int(np.argmin(corr))]
    assert d.max_drawdown == pytest.approx(max_drawdown(corr))
    assert 0 < d.rms_exposure <= d.max_exposure <= 1  # type: ignore[operator]
    features = [c for c in validation.columns if c.startswith("feature")]
    assert list(d.exposures.index) == features
    assert d.benchmarks == {k: float(v) for k, v in benchmark_stakes().items()}


def test_maxDrawdown_isTheLargestFallFromAPeak() -> None:
    assert max_drawdown(np.array([0.1, 0.1, 0.1])) == 0
    assert max_drawdown(np.array([0.1, -0.05, -0.1, 0.3])) == pytest.approx(0.15)
    assert max_drawdown(np.array([-0.02, 0.01])) == pytest.approx(0.02)


def test_withoutBenchmarks_mmcAndExampleCorrAreUndefined(world: tuple[pd.DataFrame, ...]) -> None:
    training, validation, _ = world
    d = diagnose(_mine(training, validation), validation)
    assert d.eras["mmc"].isna().all() and d.eras["example_corr"].isna().all()
    assert d.summaries["mmc"].mean is None and d.summaries["mmc"].eras == 0
    assert d.to_json()["eras"][0]["mmc"] is None
    assert not d.eras["corr"].isna().any()


def test_sameInputs_giveTheSameJsonAndPageBytes(world: tuple[pd.DataFrame, ...]) -> None:
    training, validation, bench = world
    by_id = bench.set_index("id").drop(columns="era")
    pages = []
    for _ in range(2):
        d = diagnose(_mine(training, validation), validation, by_id, benchmark_stakes())
        pages.append(render_diagnostics(d, round_id=3, chain_id=31337, tournament="0x" + "1" * 40))
    assert pages[0] == pages[1]
    assert 'data-plot="era-corr"' in pages[0] and "<svg" in pages[0]
    assert 'id="era-corr-bar-5"' in pages[0] and "1970-01-01" not in pages[0]


def test_missingPredictions_orNoValidationEras_areOneLineErrors(
    world: tuple[pd.DataFrame, ...],
) -> None:
    training, validation, _ = world
    mine = _mine(training, validation)
    with pytest.raises(ScoringInputError, match="validation id"):
        diagnose(mine.iloc[:-5], validation)
    with pytest.raises(ScoringInputError, match="no validation eras"):
        diagnose(mine, validation.iloc[:0])


def test_validator_namesTheValidationIds(world: tuple[pd.DataFrame, ...]) -> None:
    training, validation, _ = world
    universe = Universe(validation["id"])
    frame = pd.DataFrame({"id": validation["id"], "prediction": _mine(training, validation).values})
    wrong = frame.iloc[:-3].to_csv(index=False).encode()
    with pytest.raises(
        InvalidSubmissionError, match=r"^3 validation id\(s\) missing .*validation data$"
    ):
        read_submission(wrong, universe, of="validation")
    ok = read_submission(frame.to_csv(index=False).encode(), universe, of="validation")
    assert math.isclose(float(ok.sum()), float(frame["prediction"].sum()))
