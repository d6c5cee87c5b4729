"""Score every model of a round at once: one ranking pass, then each score in chunks.

The inputs are aligned first: the scored ids are those the predictions and the targets
share (each must keep at least 80% of its ids, as numerai-tools requires); features,
neutralizers, sample weights and risk factors must cover every scored id. Every score is
then computed on those ids exactly as the numerai-tools-shaped functions of
:mod:`oracle.scoring.metrics` compute it, with one difference for partial overlap: FNC
neutralises on the scored ids rather than on every predicted id.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
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

if TYPE_CHECKING:
    import pandas as pd

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


@dataclass(frozen=True)
class Keyed:
    """A checked input read straight into arrays (:mod:`oracle.scoring.clean`): unique,
    non-empty string ``keys`` (ids, or models for stakes), the value columns' ``names`` and
    their finite float64 ``values``, model-major ``(len(names), len(keys))``."""

    keys: NDArray[np.object_]
    names: list[str]
    values: FloatArray


@dataclass(frozen=True)
class ArrayRound:
    """A round's scoring inputs as :class:`Keyed` arrays; targets, sample weights and stakes
    have one value column."""

    predictions: Keyed
    targets: Keyed
    stakes: Keyed | None = None
    features: Keyed | None = None
    neutralizers: Keyed | None = None
    sample_weights: Keyed | None = None
    risk_factors: Keyed | None = None


@dataclass(frozen=True)
class ScoreTable:
    """Scores as arrays: the scored ``models`` in order, each score's column by name (as
    :func:`score_round`'s frame has them) and the ``rejected`` models with their reasons."""

    models: list[Any]
    columns: dict[str, NDArray[Any]]
    rejected: dict[str, str]

    def __len__(self) -> int:
        return len(self.models)

    def to_frame(self) -> pd.DataFrame:
        """The scores as :func:`score_round` returns them: indexed by ``model``, with the
        rejections in ``attrs["rejected"]``."""
        import pandas as pd

        out = pd.DataFrame(self.columns, index=pd.Index(self.models, name="model"))
        out.attrs["rejected"] = dict(self.rejected)
        return out


def score_arrays(
    data: ArrayRound,
    config: ScoringConfig | None = None,
    chunk: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
) -> ScoreTable:
    """:func:`score_table` of checked array inputs, aligned without pandas: the same ids, the
    same arrays in the same layout, hence the same bits."""
    config = config or ScoringConfig()
    predictions, targets = data.predictions, data.targets
    ids, positions, rows = np.intersect1d(
        predictions.keys, targets.keys, assume_unique=True, return_indices=True
    )
    metrics.check_overlap(
        len(ids),
        [len(predictions.keys), len(targets.keys)],
        ["predictions", "targets"],
        config.max_filtered_ratio,
    )
    target = targets.values[0]
    stakes = None
    if data.stakes is not None:
        staked = dict(zip(data.stakes.keys.tolist(), data.stakes.values[0].tolist(), strict=True))
        stakes = np.array([staked.get(m, 0.0) for m in predictions.names], dtype=np.float64)
    inputs = _RoundArrays(
        t=target[rows],
        target_mean=float(target.mean()),
        stakes=stakes,
        features=_on_ids(data.features, ids, "features"),
        neutralizers=_on_ids(data.neutralizers, ids, "neutralizers"),
        sample_weights=_on_ids(data.sample_weights, ids, "sample weights", column=True),
        risk_factors=_on_ids(data.risk_factors, ids, "risk factors"),
    )
    return _score_models(
        predictions.values,
        np.asarray(positions, dtype=np.intp),
        list(predictions.names),
        inputs,
        config,
        chunk,
        progress,
    )


def _on_ids(
    keyed: Keyed | None, ids: NDArray[np.object_], what: str, column: bool = False
) -> FloatArray | None:
    """``keyed``'s values on ``ids`` as pandas' ``.loc[ids].to_numpy()`` lays them out: ``(n,
    c)`` in column-major order (or one column, ``(n,)``); every id must have a row."""
    if keyed is None:
        return None
    where = {key: i for i, key in enumerate(keyed.keys.tolist())}
    rows = np.array([where.get(key, -1) for key in ids.tolist()], dtype=np.intp)
    missing = ids[rows < 0]
    if len(missing):
        raise ScoringInputError(
            f"the {what} lack {len(missing)} of the {len(ids)} scored ids, e.g. "
            f"'{missing[0]}': give a row for every id"
        )
    if column:
        return np.ascontiguousarray(keyed.values[0, rows])
    return np.asarray(keyed.values[:, rows].T)


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
    return score_table(data, config, chunk, progress).to_frame()


def score_table(
    data: RoundData,
    config: ScoringConfig | None = None,
    chunk: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
) -> ScoreTable:
    """:func:`score_round`'s scores as arrays (:class:`ScoreTable`)."""
    config = config or ScoringConfig()
    predictions, targets = data.predictions, data.targets
    # The predictions' (n, k) values: a view, not a copy, for a float64 frame.
    values = predictions.to_numpy(dtype=np.float64)
    ids, positions = _scored_ids(predictions, values, targets, config.max_filtered_ratio, chunk)
    models = predictions.columns
    inputs = _RoundArrays(
        t=targets.loc[ids].to_numpy(dtype=np.float64),
        target_mean=float(targets.mean()),
        stakes=None
        if data.stakes is None
        else data.stakes.reindex(models).fillna(0.0).to_numpy(dtype=np.float64),
        features=_cover(data.features, ids, "features"),
        neutralizers=_cover(data.neutralizers, ids, "neutralizers"),
        sample_weights=_cover(data.sample_weights, ids, "sample weights"),
        risk_factors=_cover(data.risk_factors, ids, "risk factors"),
    )
    return _score_models(values.T, positions, list(models), inputs, config, chunk, progress)


def _score_models(
    matrix: FloatArray,
    positions: NDArray[np.intp],
    models: list[Any],
    inputs: _RoundArrays,
    config: ScoringConfig,
    chunk: int,
    progress: Progress | None,
) -> ScoreTable:
    """Rank the model-major ``matrix`` on the scored ids (its columns ``positions``) and score
    every model whose scores are defined; the others are rejected with the reason."""
    say = progress or (lambda _stage: None)
    if (inputs.neutralizers is None) != (inputs.sample_weights is None):
        raise ScoringInputError("alpha and MPC need both neutralizers and sample weights")
    n_ids = len(positions)
    _check_round(inputs, n_ids)
    say(f"ranking 0/{len(models):,} models on {n_ids:,} ids")
    ranks = twice_ranks(
        matrix,
        chunk,
        columns=positions,
        on_progress=lambda done: say(f"ranking {done:,}/{len(models):,} models on {n_ids:,} ids"),
    )
    rejected: dict[str, str] = {}
    constant = np.flatnonzero(ranks.min(axis=1) == ranks.max(axis=1))
    for i in constant:
        rejected[str(models[i])] = f"it predicts the same value for all {n_ids:,} scored ids"
    keep = np.ones(len(models), dtype=bool)
    keep[constant] = False
    while True:
        kept = np.flatnonzero(keep)
        part = ranks if keep.all() else ranks[kept]
        stakes = None if inputs.stakes is None else inputs.stakes[kept]
        named = [models[i] for i in kept]
        columns = _scores(part, stakes, inputs, config, chunk, say)
        finite = np.isfinite(np.stack(list(columns.values()), axis=1))
        if finite.all():
            break
        for row in np.flatnonzero(~finite.all(axis=1)):
            bad = [str(c) for c, ok in zip(columns, finite[row], strict=True) if not ok]
            rejected[str(named[row])] = (
                f"its {', '.join(bad).upper()} is undefined on the scored ids"
            )
            keep[kept[row]] = False
    _add_payout_ratio(columns, len(named), stakes, config)
    return ScoreTable(named, columns, rejected)


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
    stakes: FloatArray | None,
    inputs: _RoundArrays,
    config: ScoringConfig,
    chunk: int,
    say: Callable[[str], None],
) -> dict[str, FloatArray]:
    """Every score of the ranked models (model-major ranks on the scored ids), by name."""
    t, target_mean = inputs.t, inputs.target_mean
    n_models = len(ranks)
    if n_models == 0:
        return {"corr": np.zeros(0, dtype=np.float64)}
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
        parts = -(-n_models // chunk)
        middle = min(n_models, chunk * -(-parts // 2))
        for key, half in (("fnc", slice(0, middle)), ("fnc+", slice(middle, n_models))):
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
    return {
        key: results[key] for key in ("corr", "mmc", "tc", "fnc", "alpha", "mpc") if key in results
    }


def _add_payout_ratio(
    columns: dict[str, NDArray[Any]],
    n_models: int,
    stakes: FloatArray | None,
    config: ScoringConfig,
) -> None:
    if missing_for_payout(columns, config):
        return
    rule = config.payout
    # Stakes are token amounts here; the threshold is in base units, like on chain.
    total = 0 if stakes is None else sum(int(Decimal(repr(float(x))) * UNIT) for x in stakes)
    factor = payout_factor(total, rule)
    combined = _combined({k: v.tolist() for k, v in columns.items()}, n_models, rule)
    ppb = np.array([payout_ratio(score, factor, rule) for score in combined], dtype=np.int64)
    columns["payout_ratio_ppb"] = ppb
    columns["payout_ratio"] = ppb / PPB


def combined_scores(scores: pd.DataFrame, rule: PayoutRule) -> list[int]:
    """Each row's weighted score (:func:`~oracle.scoring.payouts.combined_score` of its
    quantised CORR, MMC and TC), in ``SCORE_SCALE`` units; a score the frame lacks counts as 0."""
    return _combined(
        {name: scores[name].tolist() for name in _weights(rule) if name in scores},
        len(scores),
        rule,
    )


def _combined(columns: Mapping[str, list[float]], n: int, rule: PayoutRule) -> list[int]:
    given = {name: columns.get(name, [0.0] * n) for name in _weights(rule)}
    return [
        combined_score(quantise(c), quantise(m), quantise(t), rule)
        for c, m, t in zip(given["corr"], given["mmc"], given["tc"], strict=True)
    ]


def _weights(rule: PayoutRule) -> dict[str, int]:
    return {"corr": rule.corr_weight_ppm, "mmc": rule.mmc_weight_ppm, "tc": rule.tc_weight_ppm}


def missing_for_payout(out: Container[str], config: ScoringConfig) -> list[str]:
    """The weighted scores the payout ratio needs but the inputs did not allow (``out``: the
    scores' names, or a frame of them)."""
    return [name for name, w in _weights(config.payout).items() if w and name not in out]
