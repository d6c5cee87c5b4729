"""Column transforms shared by every score, vectorised across models.

Arrays here are *model-major*: shape ``(n_models, n_ids)``, one row per model, so each
model's values are contiguous for sorting. Public functions that take the usual
``(n_ids, n_models)`` layout transpose (a view, no copy) before calling in.

The tie-kept rank of a value is the average of the 1-based positions its tie group
occupies, so twice the rank is always an integer in ``[2, 2n]``. Ranks are kept as those
integers (``uint16`` while ``2n`` fits, else ``uint32``): a model's ranked, gaussianised and
powered values are then a lookup into a table of ``2n + 1`` entries, computed exactly as
numerai-tools computes them element by element, so the results agree bit for bit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from oracle.errors import ScoringInputError

FloatArray = NDArray[np.float64]
RankArray = NDArray[np.unsignedinteger[Any]]

#: Models per chunk: bounds the float64 temporaries to about ``chunk x n_ids x 8`` bytes each.
DEFAULT_CHUNK = 512


@contextmanager
def deterministic() -> Iterator[int]:
    """One BLAS thread and a fixed chunk size, so every sum runs in the same order on every
    machine: yields the chunk size to score with."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield DEFAULT_CHUNK


def rank_dtype(n_ids: int) -> type[np.unsignedinteger[Any]]:
    """The smallest unsigned type that holds twice the largest rank of ``n_ids`` values."""
    return np.uint16 if 2 * n_ids <= np.iinfo(np.uint16).max else np.uint32


def chunks(n: int, size: int = DEFAULT_CHUNK) -> Iterator[slice]:
    """Consecutive slices of at most ``size`` covering ``range(n)``."""
    if size < 1:
        raise ValueError(f"chunk size must be positive, got {size}")
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def twice_tie_kept_rank(rows: FloatArray) -> RankArray:
    """Twice the tie-kept (average) 1-based rank of every value within its row.

    ``rows`` is model-major ``(k, n)`` and must hold no NaN. The result has the same
    shape and the dtype of :func:`rank_dtype`.
    """
    values = np.asarray(rows, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {values.shape}")
    k, n = values.shape
    out = np.empty((k, n), dtype=rank_dtype(n))
    if n == 0 or k == 0:
        return out
    # Any sort order gives the same ranks: every value of a tie group gets the group's average
    # rank whatever order the group's members were sorted in (and with no NaN, -0.0 and 0.0
    # compare equal, so they tie). numpy's quicksort (vectorised on AVX-512) is the fastest.
    order = np.argsort(values, axis=1, kind="quicksort")
    ordered = np.take_along_axis(values, order, axis=1)
    position = np.arange(n, dtype=np.int64)
    starts_group = np.empty((k, n), dtype=bool)
    starts_group[:, 0] = True
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts_group[:, 1:])
    del ordered
    if starts_group.all():
        # No ties (the usual case): the rank is the sorted position.
        twice = np.broadcast_to((2 * position + 2).astype(out.dtype), (k, n))
        np.put_along_axis(out, order, twice, axis=1)
        return out
    # First and last sorted position of each value's tie group.
    first = np.where(starts_group, position, 0)
    np.maximum.accumulate(first, axis=1, out=first)
    ends_group = np.empty((k, n), dtype=bool)
    ends_group[:, -1] = True
    ends_group[:, :-1] = starts_group[:, 1:]
    del starts_group
    last = np.where(ends_group, position, n)[:, ::-1]
    last = np.minimum.accumulate(last, axis=1)[:, ::-1]
    # Average 1-based rank of positions first..last is (first + last + 2) / 2.
    twice = (first + last + 2).astype(out.dtype)
    np.put_along_axis(out, order, twice, axis=1)
    return out


def twice_ranks(
    rows: FloatArray,
    chunk: int = DEFAULT_CHUNK,
    workers: int | None = None,
    columns: NDArray[np.intp] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> RankArray:
    """:func:`twice_tie_kept_rank` of a model-major matrix, in chunks on a thread pool.

    ``columns`` selects (and orders) the ids to rank; the selection is made chunk by chunk,
    so the input is never copied whole. Sorting releases the GIL, so chunks rank in
    parallel; memory stays bounded by the chunk size whatever the number of models.
    ``on_progress`` is called from the calling thread with the number of models ranked so far.
    """
    k = rows.shape[0]
    n = rows.shape[1] if columns is None else len(columns)
    out = np.empty((k, n), dtype=rank_dtype(n))
    parts = list(chunks(k, chunk))

    def run(part: slice) -> int:
        block = rows[part] if columns is None else rows[part][:, columns]
        out[part] = twice_tie_kept_rank(np.ascontiguousarray(block, dtype=np.float64))
        return int(part.stop)

    n_workers = max(1, min(workers or os.cpu_count() or 1, len(parts)))
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        for done in pool.map(run, parts):
            if on_progress is not None:
                on_progress(done)
    return out


def rank_table(n_ids: int) -> FloatArray:
    """``table[2r]`` is the centred percentile ``(r - 0.5) / n`` of a tie-kept rank ``r``."""
    return (np.arange(2 * n_ids + 1, dtype=np.float64) / 2 - 0.5) / n_ids


def gaussian_table(n_ids: int) -> FloatArray:
    """``table[2r]`` is the normal quantile of the percentile rank ``r`` (``norm.ppf``)."""
    return np.asarray(special.ndtri(rank_table(n_ids)), dtype=np.float64)


def power(values: FloatArray, p: float = 1.5) -> FloatArray:
    """Signed power: ``sign(x) * |x| ** p``, which keeps the order of the values."""
    return np.asarray(np.sign(values) * np.abs(values) ** p, dtype=np.float64)


def gaussian_pow_table(n_ids: int, p: float = 1.5) -> FloatArray:
    """``table[2r]`` is the gaussianised rank raised to the signed power ``p``."""
    return power(gaussian_table(n_ids), p)


def _ranked_lookup(values: FloatArray, table: Callable[[int], FloatArray]) -> FloatArray:
    """``table(n)[2 * rank]`` for each column of an ``(n_ids, k)`` array, or of a vector."""
    matrix = np.asarray(values, dtype=np.float64)
    vector = matrix.ndim == 1
    rows = matrix[None, :] if vector else matrix.T
    out = table(rows.shape[1])[twice_tie_kept_rank(rows)]
    return np.asarray(out[0] if vector else out.T, dtype=np.float64)


def tie_kept_rank(values: FloatArray) -> FloatArray:
    """Percentile rank of each column of an ``(n_ids, n_models)`` array (or a vector), ties kept.

    Equals numerai-tools' ``tie_kept_rank``: ``(rank - 0.5) / n`` with average ranks.
    """
    return _ranked_lookup(values, rank_table)


def gaussianise(values: FloatArray) -> FloatArray:
    """Normal quantile of each column's tie-kept percentile rank.

    numerai-tools' ``gaussian(tie_kept_rank(x))``.
    """
    return _ranked_lookup(values, gaussian_table)


def neutraliser_basis(neutralizers: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The design matrix ``[neutralizers, 1]`` and its pseudo-inverse (``rcond=1e-6``).

    Neutralising ``x`` is ``x - A @ (pinv(A) @ x)``: numerai-tools' least-squares
    neutralisation, with the factorisation done once for every model.
    """
    factors = np.asarray(neutralizers, dtype=np.float64)
    if factors.ndim == 1:
        factors = factors[:, None]
    if not np.isfinite(factors).all():
        raise ScoringInputError(
            "the neutralizers (features) have missing, NaN or inf values: give a finite value "
            "for every id, or drop the column"
        )
    design = np.hstack((factors, np.ones((factors.shape[0], 1))))
    return design, np.asarray(np.linalg.pinv(design, rcond=1e-6), dtype=np.float64)


def neutralise_rows(rows: FloatArray, basis: tuple[FloatArray, FloatArray]) -> FloatArray:
    """Remove from each row of a model-major ``(k, n)`` array its least-squares fit on the
    neutralizers and a constant; ``basis`` is :func:`neutraliser_basis` of the neutralizers."""
    design, pseudo_inverse = basis
    return np.asarray(rows - (rows @ pseudo_inverse.T) @ design.T, dtype=np.float64)
