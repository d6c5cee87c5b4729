"""Diagnostics: a model's predictions scored era by era on held-out validation eras, before it
stakes, with the oracle's own scoring functions.

For each validation era (its ids, its targets, its features):

* ``corr``: numerai_corr of the predictions with the era's targets;
* ``mmc``: correlation_contribution against the stake-weighted meta model of the operator's
  published benchmark models (the model itself does not enter it, having no stake);
* ``fnc``: feature-neutral CORR, neutralised to the era's features;
* ``example_corr``: the Pearson correlation of the predictions' tie-kept ranks with the example
  benchmark's (a Spearman correlation), when the benchmarks include the example model.

Each is computed from one tie-kept ranking of the era, exactly as
:func:`oracle.scoring.round.score_round` computes the round's scores (the tests compare them
era by era). Then, over the eras of each score: the mean, the standard deviation (ddof 1), the
Sharpe ratio (mean / standard deviation), and for CORR the maximum drawdown (the largest fall
of the cumulative CORR from its running peak, a positive number or 0) and the worst era.
Feature exposure: each feature's Pearson correlation with the predictions' ranks in each era,
averaged over the eras; its maximum absolute value and its root mean square summarise it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oracle.errors import ScoringInputError
from oracle.scoring import metrics
from oracle.scoring.transforms import FloatArray, power, rank_table, twice_tie_kept_rank

#: The benchmark whose predictions the example correlation compares with.
EXAMPLE_MODEL = "example"
#: The per-era scores, in the order the tables show them.
ERA_SCORES = ("corr", "mmc", "fnc", "example_corr")
DIAGNOSTICS_FORMAT = "tournament-diagnostics-v1"


@dataclass(frozen=True)
class Summary:
    """One per-era score summarised over the eras it is defined on."""

    mean: float | None
    std: float | None
    sharpe: float | None
    eras: int

    @classmethod
    def of(cls, values: FloatArray) -> Summary:
        finite = values[np.isfinite(values)]
        if len(finite) == 0:
            return cls(None, None, None, 0)
        mean = float(finite.mean())
        if len(finite) < 2:
            return cls(mean, None, None, 1)
        std = float(finite.std(ddof=1))
        return cls(mean, std, mean / std if std > 0 else None, len(finite))


@dataclass(frozen=True)
class Diagnostics:
    """A model's diagnostics on the validation eras (see the module's notes)."""

    #: One row per era (indexed by era name, in era order): ``ERA_SCORES`` (NaN: undefined).
    eras: pd.DataFrame
    #: Each feature's correlation with the predictions, averaged over the eras.
    exposures: pd.Series
    summaries: dict[str, Summary] = field(default_factory=dict)
    max_drawdown: float | None = None
    worst_era: str | None = None
    worst_corr: float | None = None
    #: The benchmark models and their stakes (the meta model's weights).
    benchmarks: dict[str, float] = field(default_factory=dict)

    @property
    def max_exposure(self) -> float | None:
        values = self.exposures.to_numpy(np.float64)
        return float(np.abs(values).max()) if len(values) else None

    @property
    def rms_exposure(self) -> float | None:
        values = self.exposures.to_numpy(np.float64)
        return float(np.sqrt(np.mean(values**2))) if len(values) else None

    @property
    def cumulative_corr(self) -> FloatArray:
        corr = self.eras["corr"].to_numpy(np.float64)
        return np.asarray(np.cumsum(np.nan_to_num(corr)), dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        """Every number, as JSON (NaN as null), in a fixed key order."""

        def number(x: Any) -> float | None:
            return None if x is None or not math.isfinite(float(x)) else float(x)

        return {
            "format": DIAGNOSTICS_FORMAT,
            "eras": [
                {"era": str(era), **{k: number(row[k]) for k in ERA_SCORES}}
                for era, row in self.eras.iterrows()
            ],
            "summary": {
                name: {
                    "mean": s.mean,
                    "std": s.std,
                    "sharpe": s.sharpe,
                    "eras": s.eras,
                }
                for name, s in self.summaries.items()
            },
            "max_drawdown": self.max_drawdown,
            "worst_era": self.worst_era,
            "worst_corr": self.worst_corr,
            "max_feature_exposure": self.max_exposure,
            "rms_feature_exposure": self.rms_exposure,
            "feature_exposures": {str(k): number(v) for k, v in self.exposures.items()},
            "benchmarks": self.benchmarks,
        }


def benchmarks_by_id(frame: pd.DataFrame) -> pd.DataFrame:
    """The published benchmark predictions (``id``, ``era``, a column per model) as
    :func:`diagnose` takes them: indexed by id, one column per model."""
    out = frame.assign(id=frame["id"].astype(str)).set_index("id")
    return out.drop(columns=["era"], errors="ignore")


def max_drawdown(per_era: FloatArray) -> float:
    """The largest fall of the cumulative sum from its running peak (the start counts as a
    peak of 0): 0 for a sum that never falls."""
    cumulative = np.concatenate([[0.0], np.cumsum(np.nan_to_num(per_era))])
    return float((np.maximum.accumulate(cumulative) - cumulative).max())


def _era_scores(
    ranks: np.ndarray[Any, Any],
    target: FloatArray,
    features: FloatArray,
    stakes: FloatArray,
    example: int | None,
) -> tuple[dict[str, float], FloatArray]:
    """One era's scores of the model in row 0 of ``ranks`` (benchmarks in the rows after it),
    and its feature correlations."""
    target_pow = power(target - target.mean())
    model = ranks[:1]
    out = {"corr": float(metrics.corr_from_ranks(model, target_pow)[0])}
    out["mmc"] = math.nan
    if len(stakes) and stakes.sum() > 0:
        meta = metrics.stake_weight_from_ranks(ranks[1:], stakes)
        out["mmc"] = float(
            metrics.contribution_from_ranks(model, meta, metrics.contribution_target(target))[0]
        )
    out["fnc"] = float(metrics.feature_neutral_corr_from_ranks(model, features, target_pow)[0])
    table = rank_table(ranks.shape[1])
    mine = table[ranks[0]]
    out["example_corr"] = math.nan
    if example is not None:
        out["example_corr"] = float(
            metrics.pearson_rows(table[ranks[1 + example]][None, :], mine)[0]
        )
    # Each feature's correlation with the ranks, all features at once (NaN for a constant one).
    exposures = metrics.pearson_rows(np.ascontiguousarray(features.T), mine)
    return out, exposures


def diagnose(
    predictions: pd.Series,
    validation: pd.DataFrame,
    benchmarks: pd.DataFrame | None = None,
    stakes: Mapping[str, float] | None = None,
) -> Diagnostics:
    """The diagnostics of ``predictions`` (indexed by id, one value per validation id) on the
    ``validation`` eras (``era``, ``id``, features, ``target``). ``benchmarks`` (indexed by id,
    a column per benchmark model) and their ``stakes`` give the meta model of MMC and the
    example model; without them MMC and the example correlation are left out (NaN).
    """
    if validation.empty:
        raise ScoringInputError("the round has no validation eras: diagnostics need them")
    frame = validation.set_index("id") if "id" in validation.columns else validation
    feature_names = [str(c) for c in frame.columns if str(c).startswith("feature")]
    if not feature_names:
        raise ScoringInputError("the validation data has no feature columns")
    values = predictions.reindex(frame.index).to_numpy(np.float64)
    if np.isnan(values).any():
        missing = int(np.isnan(values).sum())
        raise ScoringInputError(
            f"{missing:,} validation id(s) have no prediction: predict every validation id"
        )
    names = [] if benchmarks is None else [str(c) for c in benchmarks.columns]
    weights = dict(stakes or {})
    stake_array = np.array([float(weights.get(n, 0.0)) for n in names])
    bench = (
        np.empty((len(frame), 0))
        if benchmarks is None
        else benchmarks.reindex(frame.index).to_numpy(np.float64)
    )
    if np.isnan(bench).any():
        raise ScoringInputError("the benchmark predictions do not cover every validation id")
    example = names.index(EXAMPLE_MODEL) if EXAMPLE_MODEL in names else None
    eras = frame["era"].astype(str).to_numpy()
    order = list(dict.fromkeys(eras))
    rows, exposures = [], []
    targets = frame["target"].to_numpy(np.float64)
    features = frame[feature_names].to_numpy(np.float64)
    for era in order:
        at = np.flatnonzero(eras == era)
        stacked = np.vstack([values[at][None, :], bench[at].T])
        ranks = twice_tie_kept_rank(stacked)
        if ranks[0].min() == ranks[0].max():
            rows.append(dict.fromkeys(ERA_SCORES, math.nan))
            exposures.append(np.full(len(feature_names), math.nan))
            continue
        scores, exposure = _era_scores(ranks, targets[at], features[at], stake_array, example)
        rows.append(scores)
        exposures.append(exposure)
    table = pd.DataFrame(rows, index=pd.Index(order, name="era"), columns=list(ERA_SCORES))
    with np.errstate(invalid="ignore"):
        mean_exposure = np.nanmean(np.vstack(exposures), axis=0) if exposures else np.array([])
    corr = table["corr"].to_numpy(np.float64)
    defined = np.isfinite(corr)
    worst = int(np.nanargmin(corr)) if defined.any() else None
    return Diagnostics(
        eras=table,
        exposures=pd.Series(np.nan_to_num(mean_exposure), index=feature_names, name="exposure"),
        summaries={name: Summary.of(table[name].to_numpy(np.float64)) for name in ERA_SCORES},
        max_drawdown=max_drawdown(corr) if defined.any() else None,
        worst_era=None if worst is None else order[worst],
        worst_corr=None if worst is None else float(corr[worst]),
        benchmarks={n: float(w) for n, w in zip(names, stake_array, strict=True)},
    )
