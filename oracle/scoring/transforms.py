"""Column transforms shared by every score, vectorised across models.

Arrays here are *model-major*: shape ``(n_models, n_ids)``, one row per model, so each
model's values are contiguous for sorting. Public functions that take the usual
``(n_ids, n_models)`` layout transpose (a view, no copy) before calling in.

The tie-kept rank of a value is the average of the 1-based positions its tie group
occupies, so twice the rank is always an integer in ``[2, 2n]``. Ranks are kept as those
integers (``uint16`` while ``2n`` fits, else ``uint32``): a model's ranked, gaussianised and
powered values are then a lookup into a table of ``2n + 1`` entries, computed as
numerai-tools computes them element by element (the power as two correctly rounded
operations: see :func:`power`).

The engine's arithmetic is the same on every x86-64 machine: no numpy function with a
CPU-specific path in its last bits (``power``, ``exp``) is used on scores, and
:func:`deterministic` pins OpenBLAS's kernels (:data:`oracle.BLAS_CORE`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from oracle.errors import EngineError, ScoringInputError

FloatArray = NDArray[np.float64]
RankArray = NDArray[np.unsignedinteger[Any]]

#: Models per chunk: bounds the float64 temporaries to about ``chunk x n_ids x 8`` bytes each.
DEFAULT_CHUNK = 512


@contextmanager
def deterministic() -> Iterator[int]:
    """The engine's fixed order of arithmetic: :data:`oracle.BLAS_CORE`'s OpenBLAS kernels (the
    same on every x86-64 machine, checked here), one BLAS thread and a fixed chunk size, so
    every sum runs in the same order wherever a round is scored: yields the chunk size to
    score with. Raises :class:`EngineError` when the process runs other kernels."""
    from threadpoolctl import threadpool_limits

    check_blas_core()
    with threadpool_limits(limits=1):
        yield DEFAULT_CHUNK


def check_blas_core() -> None:
    """Refuse to score for the results unless every BLAS numpy and scipy loaded is OpenBLAS
    running :data:`oracle.BLAS_CORE`'s kernels (:func:`oracle.pin_blas_core` asks for them
    before numpy loads)."""
    from threadpoolctl import threadpool_info

    from oracle import BLAS_CORE

    found = sorted(
        {
            f"{lib.get('internal_api')} {lib.get('architecture') or ''}".strip()
            for lib in threadpool_info()
            if lib.get("user_api") == "blas"
            and (lib.get("internal_api"), lib.get("architecture")) != ("openblas", BLAS_CORE)
        }
    )
    if found:
        raise EngineError(
            f"scores for a results file need OpenBLAS's {BLAS_CORE} kernels, but this process "
            f"runs {', '.join(found)}: start it with OPENBLAS_CORETYPE={BLAS_CORE} in the "
            "environment (on an x86-64 CPU with AVX2 and FMA), or import oracle before numpy"
        )


def rank_dtype(n_ids: int) -> type[np.unsignedinteger[Any]]:
    """The smallest unsigned type that holds twice the largest rank of ``n_ids`` values."""
    return np.uint16 if 2 * n_ids <= np.iinfo(np.uint16).max else np.uint32


def chunks(n: int, size: int = DEFAULT_CHUNK) -> Iterator[slice]:
    """Consecutive slices of at most ``size`` covering ``range(n)``."""
    if size < 1:
        raise ValueError(f"chunk size must be positive, got {size}")
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


#: About the bytes of values :func:`twice_ranks` sorts at a time on one thread.
RANK_BLOCK_BYTES = 4 * 1024 * 1024
#: The most ids a row may have for the packed-key sort (its index takes the key's low bits).
PACKED_MAX_IDS = 1 << 16
_SIGN = np.uint64(1 << 63)
_MAGNITUDE = np.uint64((1 << 63) - 1)


def twice_tie_kept_rank(rows: FloatArray, columns: NDArray[np.intp] | None = None) -> RankArray:
    """Twice the tie-kept (average) 1-based rank of every value within its row.

    ``rows`` is model-major ``(k, n)``; ``columns``, when given, selects (and orders) the
    ids to rank, as ``rows[:, columns]`` would. The ranked values must hold no NaN. The
    result has the shape of the selection and the dtype of :func:`rank_dtype`.

    Rows of up to :data:`PACKED_MAX_IDS` ids are ranked by sorting integer keys that carry
    the value's order in their high bits and the id's place in the low ones
    (:func:`_packed_ranks`: a plain sort, with no gather of the values into sorted order nor
    of the selection); a row whose keys cannot settle its order exactly is ranked by an
    argsort.
    """
    values = np.asarray(rows, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {values.shape}")
    k = values.shape[0]
    n = values.shape[1] if columns is None else len(columns)
    out = np.empty((k, n), dtype=rank_dtype(n))
    if n == 0 or k == 0:
        return out
    place = None if columns is None else _places(columns, values.shape[1])
    if n < 2 or n > PACKED_MAX_IDS or (columns is not None and place is None):
        out[:] = _argsort_ranks(values if columns is None else values[:, columns], out.dtype)
        return out
    unsettled = _packed_ranks(values, out, columns, place)
    if unsettled.any():
        chosen = values[unsettled] if columns is None else values[unsettled][:, columns]
        out[unsettled] = _argsort_ranks(chosen, out.dtype)
    return out


def _places(columns: NDArray[np.intp], width: int) -> NDArray[np.uint64] | None:
    """Each id's place in the selection ``columns`` of ``width`` ids, or all ones for an id
    left out (its key then sorts after every value's); None if ``columns`` repeats an id
    or is out of range."""
    chosen = np.asarray(columns)
    if chosen.ndim != 1 or (len(chosen) and (chosen.min() < 0 or chosen.max() >= width)):
        return None
    place = np.full(width, np.iinfo(np.uint64).max, dtype=np.uint64)
    place[chosen] = np.arange(len(chosen), dtype=np.uint64)
    if np.count_nonzero(place != np.iinfo(np.uint64).max) != len(chosen):
        return None
    return place


def _packed_ranks(
    values: FloatArray,
    out: RankArray,
    columns: NDArray[np.intp] | None,
    place: NDArray[np.uint64] | None,
) -> NDArray[np.bool_]:
    """Fill ``out`` with twice the tie-kept ranks of the rows of ``values`` (on the
    selection ``columns``, whose :func:`_places` are ``place``) that a packed-key sort
    settles; return the rows it does not settle (left for :func:`_argsort_ranks`).

    A float's bits, with the sign bit flipped for a positive value and every bit for a
    negative one, order as the floats do (``-0.0`` is made ``0.0`` first, as they tie). The
    low ``b`` bits (``2**b >= n``) are replaced by the id's place in the selection (an id
    left out gets all ones, and sorts last), and each row's keys sorted. Keys whose high
    bits differ are in the values' strict order. Neighbours whose high bits agree are either
    equal values (a tie, whose members' order does not matter) or values that differ only
    in the dropped bits, whose order the keys do not know: a row with such a pair is not
    settled.
    """
    k, n = out.shape
    bits = max(1, (n - 1).bit_length())
    low = np.uint64((1 << bits) - 1)
    keys = (values + 0.0).view(np.uint64)  # a new array; -0.0 + 0.0 is 0.0
    flip = keys >> np.uint64(63)
    if flip.any():
        flip *= _MAGNITUDE
        flip |= _SIGN
        keys ^= flip
    del flip
    # (With no sign bit set the bits order as the values do. An id left out may be a NaN of
    # either sign: its key becomes all ones below whatever it was.)
    keys &= ~low
    keys |= np.arange(n, dtype=np.uint64) if place is None else place
    keys.sort(axis=1)
    keys = keys[:, :n]
    order = (keys & low).astype(np.intp)
    keys >>= np.uint64(bits)
    near = keys[:, 1:] == keys[:, :-1]
    del keys
    has_near = near.any(axis=1)
    unsettled = np.zeros(k, dtype=bool)
    if has_near.any():
        # Which neighbours with equal high bits are equal values: the rows with many are
        # gathered whole into sorted order, the others pair by pair.
        source = order if columns is None else np.asarray(columns, dtype=np.intp)[order]
        many = np.count_nonzero(near, axis=1) > n // 64
        if many.all():
            ordered = np.take_along_axis(values, source, axis=1)
            unsettled = (near & (ordered[:, 1:] != ordered[:, :-1])).any(axis=1)
            del ordered
        elif many.any():
            rows = np.flatnonzero(many)
            ordered = np.take_along_axis(values[rows], source[rows], axis=1)
            unsettled[rows] = (near[rows] & (ordered[:, 1:] != ordered[:, :-1])).any(axis=1)
            del ordered
        rows_, at = np.nonzero(near & ~many[:, None])
        if len(rows_):
            equal = values[rows_, source[rows_, at]] == values[rows_, source[rows_, at + 1]]
            unsettled[rows_[~equal]] = True
    tied = has_near & ~unsettled
    if tied.all():
        twice = _tie_averaged(~near, out.dtype)
    else:
        twice = np.empty((k, n), dtype=out.dtype)
        twice[~has_near] = (2 * np.arange(n, dtype=np.int64) + 2).astype(out.dtype)
        if tied.any():
            twice[tied] = _tie_averaged(~near[tied], out.dtype)
    del near
    if unsettled.any():
        settled = np.flatnonzero(~unsettled)
        out[settled[:, None], order[settled]] = twice[settled]
    else:
        out[np.arange(k)[:, None], order] = twice
    return unsettled


def _tie_averaged(starts_group: NDArray[np.bool_], dtype: np.dtype[Any]) -> RankArray:
    """Twice the average 1-based rank at each sorted position, given where each tie group
    starts after the first position (``starts_group[:, j]``: position ``j + 1`` starts one)."""
    k, m = starts_group.shape
    n = m + 1
    position = np.arange(n, dtype=np.int32 if 2 * n < np.iinfo(np.int32).max else np.int64)
    starts = np.empty((k, n), dtype=bool)
    starts[:, 0] = True
    starts[:, 1:] = starts_group
    # First and last sorted position of each value's tie group.
    first = np.where(starts, position, 0)
    np.maximum.accumulate(first, axis=1, out=first)
    ends = np.empty((k, n), dtype=bool)
    ends[:, -1] = True
    ends[:, :-1] = starts_group
    last = np.where(ends, position, n)[:, ::-1]
    last = np.minimum.accumulate(last, axis=1)[:, ::-1]
    # Average 1-based rank of positions first..last is (first + last + 2) / 2.
    return np.asarray((first + last + 2).astype(dtype))


def _argsort_ranks(values: FloatArray, dtype: np.dtype[Any]) -> RankArray:
    """Twice the tie-kept ranks by an argsort and a gather of the sorted values.

    Any sort order gives the same ranks: every value of a tie group gets the group's
    average rank whatever order the group's members were sorted in (and with no NaN, -0.0
    and 0.0 compare equal, so they tie)."""
    k, n = values.shape
    out = np.empty((k, n), dtype=dtype)
    if n == 0 or k == 0:
        return out
    order = np.argsort(values, axis=1, kind="quicksort")
    ordered = np.take_along_axis(values, order, axis=1)
    starts_group = ordered[:, 1:] != ordered[:, :-1]
    del ordered
    if starts_group.all():
        twice = np.broadcast_to((2 * np.arange(n, dtype=np.int64) + 2).astype(dtype), (k, n))
    else:
        twice = _tie_averaged(starts_group, dtype)
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

    ``columns`` selects (and orders) the ids to rank (within the sort, so the input is
    never copied whole). Sorting releases the GIL, so chunks rank in parallel. A chunk has
    at most ``chunk`` models and about :data:`RANK_BLOCK_BYTES` of values, so that it sorts
    within a core's cache (ranks are exact integers, the same whatever the chunks); memory
    stays bounded whatever the number of models. ``on_progress`` is called from the calling
    thread with the number of models ranked so far.
    """
    k = rows.shape[0]
    n = rows.shape[1] if columns is None else len(columns)
    out = np.empty((k, n), dtype=rank_dtype(n))
    per_chunk = max(1, min(chunk, RANK_BLOCK_BYTES // (8 * max(rows.shape[1], 1))))
    parts = list(chunks(k, per_chunk))

    def run(part: slice) -> int:
        block = np.ascontiguousarray(rows[part], dtype=np.float64)
        out[part] = twice_tie_kept_rank(block, columns)
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
    """Signed power: ``sign(x) * |x| ** p``, which keeps the order of the values.

    ``|x| ** 1.5`` is ``|x| * sqrt(|x|)``: two correctly rounded operations, the same bits on
    every CPU (numpy's ``power`` has an AVX-512 path whose last bits differ from the others).
    Another ``p`` is raised value by value with the C library's ``pow``."""
    values = np.asarray(values, dtype=np.float64)
    magnitude = np.abs(values)
    if p == 1.5:
        raised = magnitude * np.sqrt(magnitude)
    else:
        raised = np.frompyfunc(lambda x: math.pow(x, p), 1, 1)(magnitude).astype(np.float64)
    return np.asarray(np.sign(values) * raised, dtype=np.float64)


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
