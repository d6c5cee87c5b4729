"""Numerai's scores, vectorised across models, agreeing with numerai-tools 0.7.2.

Two layers:

* ``*_from_ranks`` functions: the arithmetic, on aligned arrays. Predictions enter as the
  integer ranks of :mod:`oracle.scoring.transforms` (model-major, ``(k, n)``), so every
  model is ranked once however many scores use it; work runs in chunks of models so
  temporaries stay bounded.
* Functions named as in ``numerai_tools.scoring`` (``numerai_corr``,
  ``correlation_contribution``, ``feature_neutral_corr``, ``alpha``,
  ``meta_portfolio_contribution``, ``stake_weight``), taking pandas objects indexed by id and
  aligning them exactly as numerai-tools does, including its 80% overlap rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from oracle.errors import ScoringInputError
from oracle.scoring.transforms import (
    DEFAULT_CHUNK,
    FloatArray,
    RankArray,
    chunks,
    gaussian_pow_table,
    gaussian_table,
    neutralise_rows,
    neutraliser_basis,
    power,
    rank_table,
    twice_ranks,
    twice_tie_kept_rank,
)

if TYPE_CHECKING:
    import pandas as pd

#: numerai-tools' ``DEFAULT_MAX_FILTERED_INDEX_RATIO``: at most 20% of ids may be dropped.
MAX_FILTERED_RATIO = 0.2
#: numerai-tools divides the meta-portfolio gradient by this constant.
MPC_SCALE = 50.0

Frame = TypeVar("Frame", "pd.DataFrame", "pd.Series")


# --------------------------------------------------------------------------------------
# Alignment (numerai-tools' filter_sort_index / filter_sort_index_many)
# --------------------------------------------------------------------------------------


def filter_sort_index(
    inputs: Sequence[Any], names: Sequence[str], max_filtered_ratio: float = MAX_FILTERED_RATIO
) -> list[Any]:
    """Keep the ids every input has (rows without NaN), sorted; each keeps >= 80% of its ids.

    Raises :class:`ScoringInputError` naming the input that lost too many ids.
    """
    ids = inputs[0].dropna().index
    for frame in inputs[1:]:
        ids = ids.intersection(frame.dropna().index)
    result = [frame.loc[ids].sort_index() for frame in inputs]
    check_overlap(len(ids), [len(frame) for frame in inputs], names, max_filtered_ratio)
    return result


def check_overlap(
    kept: int, sizes: Sequence[int], names: Sequence[str], max_filtered_ratio: float
) -> None:
    """numerai-tools' rule: no input may lose more than ``max_filtered_ratio`` of its ids."""
    need = 1 - max_filtered_ratio
    for size, name in zip(sizes, names, strict=True):
        if size == 0 or kept / size < need:
            raise ScoringInputError(
                f"only {kept} of the {size} ids of the {name} overlap the other "
                f"inputs; at least {need:.0%} must: check that ids match"
            )


def values_on(frame: pd.DataFrame | pd.Series, ids: pd.Index, what: str) -> FloatArray:
    """``frame``'s values on ``ids``, in that order; every id must have a row."""
    missing = ids.difference(frame.index)
    if len(missing):
        raise ScoringInputError(
            f"the {what} lack {len(missing)} of the {len(ids)} scored ids, e.g. "
            f"'{missing[0]}': give a row for every id"
        )
    return np.asarray(frame.loc[ids].to_numpy(dtype=np.float64))


# --------------------------------------------------------------------------------------
# Array arithmetic
# --------------------------------------------------------------------------------------


def pearson_rows(rows: FloatArray, target: FloatArray) -> FloatArray:
    """Pearson correlation of each row of ``rows`` (``(c, n)``) with ``target`` (``(n,)``)."""
    t = target - target.mean()
    x = rows - rows.mean(axis=1, keepdims=True)
    covariance = x @ t
    scale = np.sqrt(np.einsum("ij,ij->i", x, x)) * np.sqrt(t @ t)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.clip(covariance / scale, -1.0, 1.0), dtype=np.float64)


def corr_from_ranks(
    ranks: RankArray, target_pow: FloatArray, chunk: int = DEFAULT_CHUNK
) -> FloatArray:
    """numerai_corr of ranked models against a centred, powered target (aligned ids)."""
    table = gaussian_pow_table(ranks.shape[1])
    out = np.empty(ranks.shape[0])
    for part in chunks(ranks.shape[0], chunk):
        out[part] = pearson_rows(table[ranks[part]], target_pow)
    return out


def _stake_weighted_mean(columns: Iterable[FloatArray], weights: FloatArray, n: int) -> FloatArray:
    """``sum_i w_i x_i / sum_i w_i``, summed model by model in order, as pandas sums a row.

    Ids whose values agree in every model therefore get bit-identical results, so a tie
    in the inputs survives into the meta model (and its own ranking).
    """
    total = np.zeros(n)
    for column, weight in zip(columns, weights, strict=True):
        total += column * weight
    return np.asarray(total / weights.sum(), dtype=np.float64)


def stake_weight_from_ranks(ranks: RankArray, stakes: FloatArray) -> FloatArray:
    """The stake-weighted mean of the models' tie-kept percentile ranks (the meta model)."""
    weights = np.asarray(stakes, dtype=np.float64)
    if weights.shape != (ranks.shape[0],):
        raise ValueError("one stake per ranked model is needed")
    table = rank_table(ranks.shape[1])
    return _stake_weighted_mean((table[row] for row in ranks), weights, ranks.shape[1])


def contribution_target(live_targets: FloatArray) -> FloatArray:
    """Targets as correlation_contribution uses them: [0, 1] targets times 4, then centred."""
    t = np.asarray(live_targets, dtype=np.float64)
    if ((t >= 0) & (t <= 1)).all():
        t = t * 4
    return np.asarray(t - t.mean(), dtype=np.float64)


def contribution_from_ranks(
    ranks: RankArray, meta_model: FloatArray, target: FloatArray, chunk: int = DEFAULT_CHUNK
) -> FloatArray:
    """correlation_contribution (MMC) of ranked models against the meta model.

    ``target`` is already in contribution form (:func:`contribution_target`). Each model's
    gaussianised rank ``p`` is orthogonalised to the gaussianised meta model ``m``; the score
    is ``t . (p - m (p.m)/(m.m)) / n``.
    """
    n = ranks.shape[1]
    table = gaussian_table(n)
    m = table[twice_tie_kept_rank(np.asarray(meta_model, dtype=np.float64)[None, :])[0]]
    mm = m @ m
    tm = target @ m
    out = np.empty(ranks.shape[0])
    for part in chunks(ranks.shape[0], chunk):
        p = table[ranks[part]]
        out[part] = (p @ target - (p @ m) / mm * tm) / n
    return out


def feature_neutral_corr_from_ranks(
    ranks: RankArray,
    features: FloatArray,
    target_pow: FloatArray,
    chunk: int = DEFAULT_CHUNK,
) -> FloatArray:
    """feature_neutral_corr on aligned ids: neutralise the gaussianised ranks to the
    features (and a constant), then numerai_corr of the result.

    The variance normalisation numerai-tools applies between the two steps is a positive
    scale per model, which the second ranking ignores, so it is skipped.
    """
    n = ranks.shape[1]
    gauss = gaussian_table(n)
    table = gaussian_pow_table(n)
    basis = neutraliser_basis(features)
    out = np.empty(ranks.shape[0])
    for part in chunks(ranks.shape[0], chunk):
        neutral = neutralise_rows(gauss[ranks[part]], basis)
        constant = np.ptp(neutral, axis=1) == 0
        rescored = pearson_rows(table[twice_tie_kept_rank(neutral)], target_pow)
        rescored[constant] = np.nan
        out[part] = rescored
    return out


#: The most bytes of neutralised weights the alpha and MPC passes keep between them.
SIGNALS_CACHE_BYTES = 256 * 1024 * 1024


def neutral_weights(
    ranks: RankArray, neutralizers: FloatArray, sample_weights: FloatArray
) -> FloatArray:
    """numerai-tools' generate_neutralized_weights for a chunk of ranked models (model-major).

    ``w = (s' - N N^T (sw * s')) * sw`` with ``s'`` the gaussianised rank to the power 1.5.
    """
    if not np.isfinite(neutralizers).all() or not np.isfinite(sample_weights).all():
        raise ScoringInputError(
            "the neutralizers or sample weights have missing, NaN or inf values: give a finite "
            "value for every id"
        )
    table = gaussian_pow_table(ranks.shape[1])
    q = table[ranks]
    projected = ((q * sample_weights) @ neutralizers) @ neutralizers.T
    # (q - projected) * sample_weights, in place.
    np.subtract(q, projected, out=projected)
    projected *= sample_weights
    return np.asarray(projected, dtype=np.float64)


def alpha_from_ranks(
    ranks: RankArray,
    neutralizers: FloatArray,
    sample_weights: FloatArray,
    target: FloatArray,
    chunk: int = DEFAULT_CHUNK,
) -> FloatArray:
    """alpha: the neutralised weights' dot product with the (centred) target, over n."""
    n = ranks.shape[1]
    out = np.empty(ranks.shape[0])
    for part in chunks(ranks.shape[0], chunk):
        out[part] = neutral_weights(ranks[part], neutralizers, sample_weights) @ target / n
    return out


def mpc_from_ranks(
    ranks: RankArray,
    stakes: FloatArray,
    neutralizers: FloatArray,
    sample_weights: FloatArray,
    target: FloatArray,
    chunk: int = DEFAULT_CHUNK,
) -> FloatArray:
    """meta_portfolio_contribution: the gradient of the stake-weighted portfolio's alpha
    with respect to each stake, over 50. ``target`` is centred on the scored ids."""
    _, mpc = signals_from_ranks(ranks, stakes, neutralizers, sample_weights, target, target, chunk)
    if mpc is None:  # pragma: no cover - stakes were given, so MPC was computed
        raise ScoringInputError("MPC needs stakes")
    return mpc


def signals_from_ranks(
    ranks: RankArray,
    stakes: FloatArray | None,
    neutralizers: FloatArray,
    sample_weights: FloatArray,
    alpha_target: FloatArray,
    mpc_target: FloatArray,
    chunk: int = DEFAULT_CHUNK,
) -> tuple[FloatArray, FloatArray | None]:
    """alpha of every model and, with stakes, MPC, in two passes over the models.

    The first pass builds each chunk's neutralised weights ``W`` once for alpha
    (``W t / n``) and for the portfolio ``v = W_c s / sum|s|`` (``W_c``: ``W`` centred per
    model); the second scores ``(R_v W_c)^T t / ||v|| / 50``, ``R_v`` the projection away
    from ``v``. The two scores centre the target differently (see docs/scoring.md).
    """
    n = ranks.shape[1]
    parts = list(chunks(ranks.shape[0], chunk))
    alphas = np.empty(ranks.shape[0])
    weights = None
    portfolio = np.zeros(n)
    if stakes is not None:
        weights = np.asarray(stakes, dtype=np.float64)
        weights = weights / np.abs(weights).sum()
    # The first pass keeps each chunk's centred W (up to SIGNALS_CACHE_BYTES) for the second,
    # which then only multiplies it by the portfolio; chunks beyond it are built again, the
    # same way, so the scores are the same bits either way.
    kept: dict[int, FloatArray | None] = {}
    room = SIGNALS_CACHE_BYTES
    wt = np.empty(ranks.shape[0])
    for i, part in enumerate(parts):
        w = neutral_weights(ranks[part], neutralizers, sample_weights)
        alphas[part] = w @ alpha_target / n
        if weights is not None:
            w -= w.mean(axis=1, keepdims=True)
            portfolio += weights[part] @ w
            wt[part] = w @ mpc_target
            if w.nbytes <= room:
                kept[i] = w
                room -= w.nbytes
    if weights is None:
        return alphas, None
    portfolio -= portfolio.mean()
    norm = np.sqrt(np.sum(portfolio**2))
    vv = portfolio @ portfolio
    vt = portfolio @ mpc_target
    mpc = np.empty(ranks.shape[0])
    for i, part in enumerate(parts):
        cached = kept.pop(i, None)
        if cached is None:
            cached = neutral_weights(ranks[part], neutralizers, sample_weights)
            cached -= cached.mean(axis=1, keepdims=True)
        w = cached
        mpc[part] = (wt[part] - (w @ portfolio) / vv * vt) / norm / MPC_SCALE
    return alphas, mpc


# --------------------------------------------------------------------------------------
# numerai-tools-shaped API
# --------------------------------------------------------------------------------------


def _model_major(predictions: pd.DataFrame) -> FloatArray:
    values = predictions.to_numpy(dtype=np.float64)
    return np.asarray(values.T, dtype=np.float64)


def _ranks(predictions: pd.DataFrame) -> RankArray:
    return twice_ranks(_model_major(predictions))


def center(values: Frame) -> Frame:
    """Subtract the mean (of each column)."""
    return values - values.mean()


def stake_weight(predictions: pd.DataFrame, stakes: pd.Series) -> pd.Series:
    """numerai-tools' stake_weight: ``sum_i s_i x_i / sum_i s_i`` over the staked columns."""
    import pandas as pd

    columns = predictions[stakes.index].to_numpy(dtype=np.float64).T
    weights = stakes.to_numpy(dtype=np.float64)
    return pd.Series(
        _stake_weighted_mean(columns, weights, len(predictions)), index=predictions.index
    )


def meta_model(predictions: pd.DataFrame, stakes: pd.Series) -> pd.Series:
    """The round's meta model: stake_weight of the models' tie-kept ranks (ids sorted)."""
    import pandas as pd

    ordered = predictions.sort_index()
    staked = ordered[stakes.index]
    values = stake_weight_from_ranks(_ranks(staked), stakes.to_numpy(dtype=np.float64))
    return pd.Series(values, index=ordered.index)


def numerai_corr(
    predictions: pd.DataFrame,
    targets: pd.Series,
    max_filtered_index_ratio: float = MAX_FILTERED_RATIO,
) -> pd.Series:
    """Numerai's CORR per column: tie-kept rank, gaussianise, power 1.5; target centred
    (over all its ids) and powered 1.5; Pearson correlation on the common ids."""
    import pandas as pd

    centred = center(targets)
    centred, predictions = filter_sort_index(
        [centred, predictions], ["targets", "predictions"], max_filtered_index_ratio
    )
    target_pow = power(centred.to_numpy(dtype=np.float64))
    return pd.Series(corr_from_ranks(_ranks(predictions), target_pow), index=predictions.columns)


def correlation_contribution(
    predictions: pd.DataFrame, meta_model: pd.Series, live_targets: pd.Series
) -> pd.Series:
    """MMC per column: the covariance of the target with each model's gaussianised rank
    orthogonalised to the gaussianised meta model."""
    import pandas as pd

    meta, predictions = filter_sort_index([meta_model, predictions], ["meta model", "predictions"])
    targets, predictions = filter_sort_index(
        [live_targets, predictions], ["targets", "predictions"]
    )
    targets, meta = filter_sort_index([targets, meta], ["targets", "meta model"])
    scores = contribution_from_ranks(
        _ranks(predictions),
        meta.to_numpy(dtype=np.float64),
        contribution_target(targets.to_numpy(dtype=np.float64)),
    )
    return pd.Series(scores, index=predictions.columns)


def feature_neutral_corr(
    predictions: pd.DataFrame, features: pd.DataFrame, targets: pd.Series
) -> pd.Series:
    """FNC per column: numerai_corr of the gaussianised ranks neutralised to the features.

    As in numerai-tools, the neutralisation runs on the predictions' own ids (the features
    must have exactly those ids) and numerai_corr then aligns with the targets.
    """
    import pandas as pd

    predictions = predictions.sort_index()
    if not features.index.sort_values().equals(predictions.index):
        raise ScoringInputError(
            "the features must have exactly the ids of the predictions: align them first"
        )
    features = features.loc[predictions.index]
    ranks = _ranks(predictions)
    basis = neutraliser_basis(features.to_numpy(dtype=np.float64))
    neutral = neutralise_rows(gaussian_table(ranks.shape[1])[ranks], basis)
    frame = pd.DataFrame(neutral.T, index=predictions.index, columns=predictions.columns)
    return numerai_corr(frame, targets)


def _signals_inputs(
    predictions: pd.DataFrame,
    targets: pd.Series,
    neutralizers: pd.DataFrame,
    sample_weights: pd.Series,
    center_first: bool,
) -> tuple[pd.DataFrame, FloatArray, FloatArray, FloatArray]:
    """Align as alpha (centre, then filter) or MPC (filter, then centre) does."""
    if center_first:
        targets = center(targets)
    predictions, targets = filter_sort_index([predictions, targets], ["predictions", "targets"])
    if not center_first:
        targets = center(targets)
    ids = predictions.index
    return (
        predictions,
        targets.to_numpy(dtype=np.float64),
        values_on(neutralizers.dropna(), ids, "neutralizers"),
        values_on(sample_weights.dropna(), ids, "sample weights"),
    )


def alpha(
    predictions: pd.DataFrame,
    neutralizers: pd.DataFrame,
    sample_weights: pd.Series,
    targets: pd.Series,
) -> pd.Series:
    """Signals' alpha per column: the neutralised, sample-weighted portfolio's return."""
    import pandas as pd

    predictions, t, factors, weights = _signals_inputs(
        predictions, targets, neutralizers, sample_weights, center_first=True
    )
    scores = alpha_from_ranks(_ranks(predictions), factors, weights, t)
    return pd.Series(scores, index=predictions.columns)


def meta_portfolio_contribution(
    predictions: pd.DataFrame,
    stakes: pd.Series,
    neutralizers: pd.DataFrame,
    sample_weights: pd.Series,
    targets: pd.Series,
) -> pd.Series:
    """Signals' MPC per staked model: d(alpha of the stake-weighted portfolio)/d(stake), over 50."""
    import pandas as pd

    predictions, t, factors, weights = _signals_inputs(
        predictions, targets, neutralizers, sample_weights, center_first=False
    )
    staked = predictions[stakes.index]
    scores = mpc_from_ranks(
        _ranks(staked), stakes.fillna(0).to_numpy(dtype=np.float64), factors, weights, t
    )
    return pd.Series(scores, index=stakes.index)
