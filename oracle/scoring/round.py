"""Score every model of a round at once: one ranking pass, then each score in chunks.

The inputs are aligned first: the scored ids are those the predictions and the targets
share (each must keep at least 80% of its ids, as numerai-tools requires); features,
neutralizers, sample weights and risk factors must cover every scored id. Every score is
then computed on those ids exactly as the numerai-tools-shaped functions of
:mod:`oracle.scoring.metrics` compute it, with one difference for partial overlap: FNC
neutralises on the scored ids rather than on every predicted id.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from oracle.errors import RoundInputError, ScoringInputError
from oracle.protocol.units import UNIT
from oracle.scoring import metrics
from oracle.scoring.config import ScoringConfig
from oracle.scoring.payouts import (
    PPB,
    PayoutRule,
    combined_score,
    payout_factor,
    payout_ratio,
    quantise,
)
from oracle.scoring.tc import tc_from_ranks
from oracle.scoring.transforms import (
    DEFAULT_CHUNK,
    FloatArray,
    RankArray,
    chunks,
    power,
    twice_ranks,
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RoundData:
    """A round's scoring inputs, indexed by id (and, for stakes, by model)."""

    predictions: pd.DataFrame
    targets: pd.Series
    stakes: pd.Series | None = None
    features: pd.DataFrame | None = None
    neutralizers: pd.DataFrame | None = None
    sample_weights: pd.Series | None = None
    risk_factors: pd.DataFrame | None = None


def _cover(frame: pd.DataFrame | pd.Series | None, ids: pd.Index, what: str) -> FloatArray | None:
    return None if frame is None else metrics.values_on(frame, ids, what)


def _scored_ids(
    predictions: pd.DataFrame,
    values: FloatArray,
    targets: pd.Series,
    max_filtered_ratio: float,
    chunk: int,
) -> tuple[pd.Index, NDArray[np.intp]]:
    """The sorted ids predictions and targets share, and their rows in the predictions.

    Applies numerai-tools' overlap rule to both inputs; ids with a NaN do not count. The
    predictions' ``(n, k)`` values are checked for NaN a chunk of models at a time.
    """
    complete = np.ones(len(predictions), dtype=bool)
    for part in chunks(values.shape[1], chunk):
        complete &= ~np.isnan(values[:, part]).any(axis=1)
    ids = predictions.index[complete].intersection(targets.dropna().index).sort_values()
    metrics.check_overlap(
        len(ids), [len(predictions), len(targets)], ["predictions", "targets"], max_filtered_ratio
    )
    return ids, np.asarray(predictions.index.get_indexer(ids), dtype=np.intp)


def score_round(
    data: RoundData,
    config: ScoringConfig | None = None,
    chunk: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """One row per scored model: ``corr``; ``mmc``, ``tc`` with stakes; ``fnc`` with
    features; ``alpha`` with neutralizers and sample weights (``mpc`` too with stakes); and the
    ``payout_ratio`` (with ``payout_ratio_ppb``) when every weighted score is present.

    No score is ever NaN or infinite:

    * a round-level cause (too few scored ids, targets constant or too large on them, sample
      weights negative or all zero) raises :class:`ScoringInputError` naming it;
    * a model whose score is undefined (for example one constant on the scored ids, though not
      on the whole file) is left out, and ``out.attrs["rejected"]`` maps it to the reason. The
      others are scored without it (it does not enter the meta model either).

    The inputs are not modified.
    """
    config = config or ScoringConfig()
    say = progress or (lambda _stage: None)
    predictions, targets = data.predictions, data.targets
    # The predictions' (n, k) values: a view, not a copy, for a float64 frame.
    values = predictions.to_numpy(dtype=np.float64)
    ids, positions = _scored_ids(predictions, values, targets, config.max_filtered_ratio, chunk)
    models = predictions.columns
    target_mean = float(targets.mean())
    t = targets.loc[ids].to_numpy(dtype=np.float64)
    inputs = _RoundArrays(
        t=t,
        target_mean=target_mean,
        stakes=None
        if data.stakes is None
        else data.stakes.reindex(models).fillna(0.0).to_numpy(dtype=np.float64),
        features=_cover(data.features, ids, "features"),
        neutralizers=_cover(data.neutralizers, ids, "neutralizers"),
        sample_weights=_cover(data.sample_weights, ids, "sample weights"),
        risk_factors=_cover(data.risk_factors, ids, "risk factors"),
    )
    if (inputs.neutralizers is None) != (inputs.sample_weights is None):
        raise ScoringInputError("alpha and MPC need both neutralizers and sample weights")
    _check_round(inputs, len(ids))

    say(f"ranking 0/{len(models):,} models on {len(ids):,} ids")
    ranks = twice_ranks(
        values.T,
        chunk,
        columns=positions,
        on_progress=lambda done: say(
            f"ranking {done:,}/{len(models):,} models on {len(ids):,} ids"
        ),
    )
    rejected: dict[str, str] = {}
    constant = np.flatnonzero(ranks.min(axis=1) == ranks.max(axis=1))
    for i in constant:
        rejected[str(models[i])] = f"it predicts the same value for all {len(ids):,} scored ids"
    keep = np.ones(len(models), dtype=bool)
    keep[constant] = False
    while True:
        kept = np.flatnonzero(keep)
        part = ranks if keep.all() else ranks[kept]
        stakes = None if inputs.stakes is None else inputs.stakes[kept]
        out = _scores(part, models[kept], stakes, inputs, config, chunk, say)
        finite = np.isfinite(out.to_numpy(dtype=np.float64))
        if finite.all():
            break
        for row in np.flatnonzero(~finite.all(axis=1)):
            bad = [str(c) for c, ok in zip(out.columns, finite[row], strict=True) if not ok]
            rejected[str(out.index[row])] = (
                f"its {', '.join(bad).upper()} is undefined on the scored ids"
            )
            keep[kept[row]] = False
    _add_payout_ratio(out, stakes, config)
    out.attrs["rejected"] = rejected
    return out


@dataclass(frozen=True)
class _RoundArrays:
    """A round's inputs on the scored ids, as arrays."""

    t: FloatArray
    target_mean: float
    stakes: FloatArray | None
    features: FloatArray | None
    neutralizers: FloatArray | None
    sample_weights: FloatArray | None
    risk_factors: FloatArray | None


def _check_round(inputs: _RoundArrays, n_ids: int) -> None:
    """Round-level causes that leave every score undefined: one line naming the cause."""
    if n_ids < 2:
        raise ScoringInputError(f"only {n_ids} id(s) can be scored: at least 2 are needed")
    t = inputs.t
    if t.min() == t.max():
        raise RoundInputError(
            "targets",
            f"the targets are the same ({t[0]!r}) for all {n_ids:,} scored ids: no score is "
            "defined",
        )
    with np.errstate(over="ignore", invalid="ignore"):
        if not np.isfinite(power(t - inputs.target_mean)).all():
            raise RoundInputError(
                "targets",
                "the targets are too large to score ((target - mean)^1.5 overflows): rescale them",
            )
    w = inputs.sample_weights
    if w is not None:
        if (w < 0).any():
            raise RoundInputError(
                "sample weights", "a sample weight is negative: weights must be >= 0"
            )
        if not (w > 0).any():
            raise RoundInputError("sample weights", "every sample weight is zero on the scored ids")


def _scores(
    ranks: RankArray,
    models: pd.Index,
    stakes: FloatArray | None,
    inputs: _RoundArrays,
    config: ScoringConfig,
    chunk: int,
    say: Callable[[str], None],
) -> pd.DataFrame:
    """Every score of the ranked models (model-major ranks on the scored ids)."""
    t, target_mean = inputs.t, inputs.target_mean
    out = pd.DataFrame(index=pd.Index(models, name="model"))
    if len(models) == 0:
        return out.assign(corr=pd.Series(dtype=np.float64))
    target_pow = power(t - target_mean)
    # Each score depends on the ranks alone, so they run side by side on two threads (their
    # array work releases the GIL); each is computed exactly as it would be alone, so the
    # scores are the same bits whatever order they finish in.
    work: dict[str, Callable[[], FloatArray]] = {}
    signals: dict[str, FloatArray] = {}
    if inputs.neutralizers is not None and inputs.sample_weights is not None:
        neutralizers, weights = inputs.neutralizers, inputs.sample_weights

        def alpha_and_mpc() -> FloatArray:
            alphas, mpc = metrics.signals_from_ranks(
                ranks, stakes, neutralizers, weights, t - target_mean, t - t.mean(), chunk
            )
            if mpc is not None:
                signals["mpc"] = mpc
            return alphas

        work["alpha"] = alpha_and_mpc
    work["corr"] = lambda: metrics.corr_from_ranks(ranks, target_pow, chunk)
    if stakes is not None and stakes.any():
        staked = np.flatnonzero(stakes)

        def mmc() -> FloatArray:
            meta = metrics.stake_weight_from_ranks(ranks[staked], stakes[staked])
            target = metrics.contribution_target(t)
            return metrics.contribution_from_ranks(ranks, meta, target, chunk)

        work["mmc"] = mmc
        work["tc"] = lambda: tc_from_ranks(
            ranks, stakes, t, inputs.risk_factors, config.portfolio, chunk
        )
    features = inputs.features
    if features is not None:
        # FNC takes longest: its halves run as two tasks, split where a chunk ends, so that
        # every chunk is the one a single pass makes.
        parts = -(-len(models) // chunk)
        middle = min(len(models), chunk * -(-parts // 2))
        for key, half in (("fnc", slice(0, middle)), ("fnc+", slice(middle, len(models)))):
            if half.start < half.stop:
                fnc = metrics.feature_neutral_corr_from_ranks
                work[key] = partial(fnc, ranks[half], features, target_pow, chunk)
    names = {"corr": "CORR", "mmc": "MMC", "tc": "TC", "fnc": "FNC", "fnc+": "FNC"}
    names["alpha"] = "alpha+MPC" if stakes is not None else "alpha"
    first = ("fnc", "fnc+", "alpha")  # the longest first
    work = {k: work[k] for k in sorted(work, key=lambda k: k not in first)}

    def waiting(keys: list[str]) -> str:
        return ", ".join(dict.fromkeys(names[k] for k in keys))

    say(f"scoring {waiting(list(work))}")
    results: dict[str, FloatArray] = {}
    with (
        threadpool_limits(limits=1, user_api="blas"),
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="score") as pool,
    ):
        running = {pool.submit(task): key for key, task in work.items()}
        for done in as_completed(running):
            results[running[done]] = done.result()
            left = [k for k in work if k not in results]
            if left:
                say(f"scoring {waiting(left)}")
    results.update(signals)
    if "fnc+" in results:
        results["fnc"] = np.concatenate((results["fnc"], results.pop("fnc+")))
    for key in ("corr", "mmc", "tc", "fnc", "alpha", "mpc"):
        if key in results:
            out[key] = results[key]
    return out


def _add_payout_ratio(out: pd.DataFrame, stakes: FloatArray | None, config: ScoringConfig) -> None:
    if missing_for_payout(out, config):
        return
    rule = config.payout
    # Stakes are token amounts here; the threshold is in base units, like on chain.
    total = 0 if stakes is None else sum(int(Decimal(repr(float(x))) * UNIT) for x in stakes)
    factor = payout_factor(total, rule)
    ratios = [payout_ratio(score, factor, rule) for score in combined_scores(out, rule)]
    out["payout_ratio_ppb"] = np.array(ratios, dtype=np.int64)
    out["payout_ratio"] = out["payout_ratio_ppb"] / PPB


def combined_scores(scores: pd.DataFrame, rule: PayoutRule) -> list[int]:
    """Each row's weighted score (:func:`~oracle.scoring.payouts.combined_score` of its
    quantised CORR, MMC and TC), in ``SCORE_SCALE`` units; a score the frame lacks counts as 0."""
    columns = {
        name: scores[name].tolist() if name in scores else [0.0] * len(scores)
        for name in _weights(rule)
    }
    return [
        combined_score(quantise(c), quantise(m), quantise(t), rule)
        for c, m, t in zip(columns["corr"], columns["mmc"], columns["tc"], strict=True)
    ]


def _weights(rule: PayoutRule) -> dict[str, int]:
    return {"corr": rule.corr_weight_ppm, "mmc": rule.mmc_weight_ppm, "tc": rule.tc_weight_ppm}


def missing_for_payout(out: pd.DataFrame, config: ScoringConfig) -> list[str]:
    """The weighted scores the payout ratio needs but the inputs did not allow."""
    return [name for name, w in _weights(config.payout).items() if w and name not in out]
