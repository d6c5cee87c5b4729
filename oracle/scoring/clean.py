"""Scoring inputs read straight from parquet into arrays, with no pandas.

The scoring CLI first tries this path: it takes a file only when it is clean (parquet, the key
column holding unique non-empty strings, every other column a finite number with no null)
and returns None otherwise, so the checked pandas path of :mod:`oracle.scoring.io` reads the
file instead and names what is wrong with the message it always gave. Clean files read here
give the arrays the pandas path would, in the same layout, so the scores are the same bits.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oracle.errors import ScoringInputError, first_line
from oracle.scoring.bounded import MAX_ROWS, check_footer, footer_of, read_bounded
from oracle.scoring.round import ArrayRound, Keyed
from oracle.scoring.transforms import FloatArray, chunks

#: Model columns read from parquet at a time: bounds the arrow buffers held while loading.
LOAD_COLUMNS = 256


#: numpy's dtype of each arrow number type (arrow's ``to_pandas_dtype`` and ``to_numpy``
#: import pandas, which this path is for avoiding).
_DTYPES: dict[str, np.dtype[Any]] = {
    "halffloat": np.dtype("<f2"),
    "float": np.dtype("<f4"),
    "double": np.dtype("<f8"),
    **{f"{sign}int{bits}": np.dtype(f"<{sign[:1] or 'i'}{bits // 8}") for sign in ("", "u")
       for bits in (8, 16, 32, 64)},
}  # fmt: skip


def _numbers_of(chunk: Any) -> np.ndarray[Any, Any]:
    """A numeric arrow array's values: its data buffer seen in place when it has no null
    (``to_numpy`` costs about 80 us a call, a view 2), else with NaN for each null (which
    the checks report)."""
    dtype = _DTYPES.get(str(chunk.type))
    if chunk.null_count or dtype is None:
        return np.asarray(chunk.to_numpy(zero_copy_only=False))
    return np.frombuffer(
        chunk.buffers()[1], dtype=dtype, count=len(chunk), offset=chunk.offset * dtype.itemsize
    )


def _is_number(kind: Any) -> bool:
    """An arrow integer or floating type (booleans are neither)."""
    import pyarrow as pa

    return bool(pa.types.is_floating(kind) or pa.types.is_integer(kind))


def _copy_column(row: FloatArray, column: Any) -> None:
    """A numeric arrow column's chunks copied, one after another, into ``row``."""
    at = 0
    for chunk in column.chunks:
        row[at : at + len(chunk)] = _numbers_of(chunk)
        at += len(chunk)


def _keys_of(column: Any) -> np.ndarray[Any, Any]:
    """An arrow key column as an object array of str (as pandas' ``astype(str)`` gives)."""
    import pyarrow as pa

    kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        keys = np.empty(len(column), dtype=object)
        keys[:] = column.to_pylist()
        return keys
    return np.asarray(column.to_pandas().astype(str).to_numpy(), dtype=object)


def predictions_matrix(path: Path) -> Keyed | None:
    """A parquet predictions file read straight into one model-major ``(models, ids)`` float64
    array, a group of columns at a time, so loading holds the array plus one group of arrow
    buffers (not the file three times over). None when the file needs the general path (no
    ``id`` column, a null id, a non-numeric or repeated column): that path then names the
    problem. The values are not checked here (:func:`clean_predictions` does).

    The footer is decoded once. A group's columns decode on pyarrow's thread pool (the CLI
    leaves with ``os._exit``, and a file without rows, whose pool once aborted a process at
    exit, is read without it); each column's chunks are copied into the array directly."""
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path, pre_buffer=True)
    except Exception:  # damaged: the general path reports it
        return None
    where = f"predictions file {path}"
    footer = footer_of(path, where, ScoringInputError)
    check_footer(footer, where, MAX_ROWS, ScoringInputError)
    schema = handle.schema_arrow
    names = [str(n) for n in schema.names if not str(n).startswith("__index_level_")]
    if "id" not in names or len(set(names)) != len(names):
        return None
    models = [n for n in names if n != "id"]
    if not all(_is_number(schema.field(name).type) for name in models):
        return None
    ids = read_bounded(path, where, columns=["id"], footer=footer).column("id")
    if ids.null_count:
        return None
    keys = _keys_of(ids)
    # Model-major: each model's values contiguous, as the ranking reads them.
    matrix = np.empty((len(models), len(keys)), dtype=np.float64)
    threads = footer.num_rows > 0
    for start in range(0, len(models), LOAD_COLUMNS):
        group = models[start : start + LOAD_COLUMNS]
        try:
            table = handle.read(columns=group, use_threads=threads)
        except Exception as err:  # pyarrow raises many types for damaged pages
            raise ScoringInputError(
                f"{where} is not a readable parquet file ({first_line(err)})"
            ) from None
        for row, column in enumerate(table.columns, start):
            _copy_column(matrix[row], column)
        del table
    return Keyed(keys, models, matrix)


def _plain_names(names: Sequence[str]) -> bool:
    """Every column named, none twice (what :func:`~oracle.scoring.validate.check_header`
    would refuse)."""
    named = all(n.strip() != "" and not n.startswith("Unnamed: ") for n in names)
    return named and len(set(names)) == len(names)


def _plain_keys(keys: np.ndarray[Any, Any]) -> bool:
    return len(keys) > 0 and not (keys == "").any() and len(set(keys.tolist())) == len(keys)


def _finite(values: FloatArray) -> bool:
    return all(np.isfinite(values[part]).all() for part in chunks(len(values)))


def clean_predictions(path: Path) -> Keyed | None:
    """The predictions as arrays when the file is clean: at least 2 ids, every value finite,
    no model constant (else None: :func:`oracle.scoring.io.load_predictions` reports it)."""
    path = Path(path)
    if path.suffix != ".parquet" or not path.is_file():
        return None
    keyed = predictions_matrix(path)
    if keyed is None or len(keyed.keys) < 2 or not keyed.names:
        return None
    if not (_plain_names(keyed.names) and _plain_keys(keyed.keys) and _finite(keyed.values)):
        return None
    if (keyed.values.max(axis=1) == keyed.values.min(axis=1)).any():
        return None
    return keyed


def clean_table(path: Path, key: str, what: str, column: str | None = None) -> Keyed | None:
    """A small input (targets, stakes, weights, factors) as arrays when the file is clean;
    with ``column``, only that value column (or the only one). None otherwise."""

    path = Path(path)
    if path.suffix != ".parquet" or not path.is_file():
        return None
    table = read_bounded(path, f"{what} file {path}")
    names = [str(n) for n in table.column_names]
    if key not in names or any(n.startswith("__index_level_") for n in names):
        return None
    if not _plain_names(names) or table.num_rows == 0:
        return None
    ids = table.column(names.index(key))
    if ids.null_count:
        return None
    keys = _keys_of(ids)
    value_names = [n for n in names if n != key]
    if column is not None:
        value_names = [column] if column in value_names else value_names
        if len(value_names) != 1:
            return None
    if not value_names or not _plain_keys(keys):
        return None
    values = np.empty((len(value_names), len(keys)), dtype=np.float64)
    for row, name in enumerate(value_names):
        data = table.column(names.index(name))
        if data.null_count or not _is_number(data.type):
            return None
        _copy_column(values[row], data)
    if not _finite(values):
        return None
    return Keyed(keys, value_names, values)


def clean_round(
    predictions: Keyed,
    targets: Path,
    stakes: Path | None = None,
    features: Path | None = None,
    neutralizers: Path | None = None,
    sample_weights: Path | None = None,
    risk_factors: Path | None = None,
) -> ArrayRound | None:
    """Every input of a round as arrays, or None when one is not clean (or fails a check of
    its own: a stake negative or naming an unknown model, nothing staked, a weight negative
    or every weight zero), which the pandas path then reports."""
    target = clean_table(targets, "id", "targets", "target")
    if target is None:
        return None
    staked = None
    if stakes is not None:
        staked = clean_table(stakes, "model", "stakes", "stake")
        known = set(predictions.names)
        if staked is None or not set(staked.keys.tolist()) <= known:
            return None
        if (staked.values < 0).any() or staked.values.sum() <= 0:
            return None
    weights = None
    if sample_weights is not None:
        weights = clean_table(sample_weights, "id", "sample weights", "weight")
        if weights is None or (weights.values < 0).any() or not (weights.values > 0).any():
            return None
    factors: dict[str, Keyed | None] = {}
    for name, given in (
        ("features", features),
        ("neutralizers", neutralizers),
        ("risk factors", risk_factors),
    ):
        factors[name] = None if given is None else clean_table(given, "id", name)
        if given is not None and factors[name] is None:
            return None
    return ArrayRound(
        predictions=predictions,
        targets=target,
        stakes=staked,
        features=factors["features"],
        neutralizers=factors["neutralizers"],
        sample_weights=weights,
        risk_factors=factors["risk factors"],
    )
