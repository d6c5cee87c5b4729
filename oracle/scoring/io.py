"""Reading scoring inputs from parquet or csv and checking them, with one-line errors.

Every check names the file, the model or the column at fault and what to do.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oracle.errors import ScoringInputError, first_line
from oracle.scoring.bounded import MAX_ROWS, check_footer, footer_of, read_bounded
from oracle.scoring.validate import (
    check_header,
    examples,
    read_csv_literal,
    to_numbers,
)

SUFFIXES = (".parquet", ".csv")


def read_table(path: Path, what: str) -> pd.DataFrame:
    """A parquet or csv file as a DataFrame (a parquet file's stored index, if any, kept).

    Parquet is read without pyarrow's thread pool: with it, a process that read a zero-row
    file aborted at exit about half the time ("terminate called without an active
    exception", status 134), which no caller can tell from a crash."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ScoringInputError(f"{what} file {path} must end in .parquet or .csv")
    if not path.is_file():
        raise ScoringInputError(f"{what} file {path} does not exist")
    if path.suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ScoringInputError(f"{what} file {path} is not UTF-8 text") from None
        return read_csv_literal(text, f"{what} file {path}")
    frame = read_bounded(path, f"{what} file {path}").to_pandas()
    check_header(list(frame.columns), f"{what} file {path}")
    if len(frame) == 0:
        raise ScoringInputError(f"{what} file {path} has no rows")
    return frame


def _unique(index: pd.Index, key: str, what: str, path: Path) -> None:
    duplicated = index[index.duplicated()].unique()
    if len(duplicated):
        raise ScoringInputError(
            f"{what} file {path} repeats {len(duplicated)} {key}(s), e.g. "
            f"'{duplicated[0]}': give each {key} once"
        )


def _no_empty(index: pd.Index, key: str, what: str, path: Path) -> None:
    """An empty key would pair rows of different files by the empty string: refuse it."""
    empty = (index == "") | index.isna()
    if empty.any():
        raise ScoringInputError(
            f"{what} file {path} has {int(empty.sum()):,} row(s) with an empty {key} (the first "
            f"is data row {int(np.argmax(empty)) + 1:,}): give every row its {key}"
        )


def _by_key(frame: pd.DataFrame, key: str, what: str, path: Path) -> pd.DataFrame:
    """Index the table by ``key`` (a column of that name, else a named or stored index)."""
    if key in frame.columns:
        frame = frame.set_index(key)
    elif frame.index.name != key and isinstance(frame.index, pd.RangeIndex):
        raise ScoringInputError(f"{what} file {path} has no '{key}' column")
    frame.index = frame.index.astype(str)
    frame.index.name = key
    _no_empty(frame.index, key, what, path)
    _unique(frame.index, key, what, path)
    if frame.shape[1] == 0:
        raise ScoringInputError(f"{what} file {path} has no value columns")
    return frame


def _numeric(frame: pd.DataFrame, what: str, path: Path, label: str = "column") -> pd.DataFrame:
    """Every column as finite float64 (see :func:`~oracle.scoring.validate.to_numbers`)."""
    return to_numbers(frame, f"{what} file {path}", label)


#: Model columns read from parquet at a time: bounds the arrow buffers held while loading.
LOAD_COLUMNS = 256


def _numbers_of(chunk: Any) -> np.ndarray[Any, Any]:
    """A numeric arrow array's values: its data buffer seen in place when it has no null
    (``to_numpy`` costs about 80 us a call, a view 2), else with NaN for each null (which
    the checks report)."""
    if chunk.null_count:
        return np.asarray(chunk.to_numpy(zero_copy_only=False))
    dtype = np.dtype(chunk.type.to_pandas_dtype())
    return np.frombuffer(
        chunk.buffers()[1], dtype=dtype, count=len(chunk), offset=chunk.offset * dtype.itemsize
    )


def _parquet_into_array(path: Path) -> pd.DataFrame | None:
    """A parquet predictions file read straight into one ``(ids, models)`` float64 array, a
    group of columns at a time, so loading holds the array plus one group of arrow buffers
    (not the file three times over). None when the file needs the general path (no ``id``
    column, a non-numeric or repeated column): that path then names the problem.

    The footer is decoded once. A group's columns decode on pyarrow's thread pool (the CLI
    leaves with ``os._exit``, and a file without rows, whose pool once aborted a process at
    exit, is read without it); each column's chunks are copied into the array directly."""
    import pyarrow as pa
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
    for name in models:
        kind = schema.field(name).type
        if not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
            return None
    ids = read_bounded(path, where, columns=["id"], footer=footer).column("id")
    if ids.null_count:
        return None
    index = pd.Index(ids.to_pandas().astype(str), name="id")
    # Model-major: each model's values contiguous, as the frame stores its columns and as
    # the ranking reads them.
    matrix = np.empty((len(models), len(index)), dtype=np.float64)
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
            at = 0
            for chunk in column.chunks:
                matrix[row, at : at + len(chunk)] = _numbers_of(chunk)
                at += len(chunk)
        del table
    return pd.DataFrame(matrix.T, index=index, columns=models, copy=False)


def load_predictions(path: Path) -> pd.DataFrame:
    """Predictions: one row per id, one numeric column per model, no constant model."""
    path = Path(path)
    direct = _parquet_into_array(path) if path.suffix == ".parquet" and path.is_file() else None
    if direct is not None:
        check_header(list(direct.columns), f"predictions file {path}")
        if len(direct) == 0:
            raise ScoringInputError(f"predictions file {path} has no rows")
        if direct.shape[1] == 0:
            raise ScoringInputError(f"predictions file {path} has no value columns")
        _no_empty(direct.index, "id", "predictions", path)
        _unique(direct.index, "id", "predictions", path)
    frame = _numeric(
        direct
        if direct is not None
        else _by_key(read_table(path, "predictions"), "id", "predictions", path),
        "predictions",
        path,
        "model",
    )
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) < 2:
        raise ScoringInputError(f"predictions file {path} needs at least 2 ids")
    values = frame.to_numpy()
    constant = frame.columns[values.max(axis=0) == values.min(axis=0)]
    if len(constant):
        raise ScoringInputError(
            f"model '{constant[0]}' in {path} predicts the same value for every id: "
            "a constant submission cannot be ranked"
        )
    return frame


def _single_column(path: Path, what: str, key: str, column: str) -> pd.Series:
    frame = _by_key(read_table(path, what), key, what, path)
    if column in frame.columns:
        frame = frame[[column]]
    if frame.shape[1] != 1:
        raise ScoringInputError(
            f"{what} file {path} must have the columns {key},{column}; found "
            f"{examples(list(frame.columns))}"
        )
    series = _numeric(frame, what, path).iloc[:, 0]
    series.name = column
    return series


def load_targets(path: Path) -> pd.Series:
    """Targets: ``id,target``."""
    return _single_column(path, "targets", "id", "target")


def load_sample_weights(path: Path) -> pd.Series:
    """Sample weights: ``id,weight``, none negative, not all zero."""
    weights = _single_column(path, "sample weights", "id", "weight")
    if (weights < 0).any():
        raise ScoringInputError(
            f"sample weights file {path} has a negative weight (for "
            f"{examples(weights.index[weights < 0].tolist())}): weights must be >= 0"
        )
    if not (weights > 0).any():
        raise ScoringInputError(f"sample weights file {path} weighs every id zero")
    return weights


def load_stakes(path: Path, models: pd.Index) -> pd.Series:
    """Stakes: ``model,stake``, non-negative, every model among the predictions' models."""
    stakes = _single_column(path, "stakes", "model", "stake")
    unknown = stakes.index.difference(models)
    if len(unknown):
        raise ScoringInputError(
            f"stakes file {path} names {len(unknown)} model(s) with no predictions, e.g. "
            f"'{unknown[0]}': remove them or add their predictions"
        )
    if (stakes < 0).any():
        raise ScoringInputError(f"stakes file {path} has a negative stake: stakes are >= 0")
    if stakes.sum() <= 0:
        raise ScoringInputError(f"stakes file {path} stakes nothing: the meta model needs stake")
    return stakes


def load_factors(path: Path, what: str) -> pd.DataFrame:
    """Features, neutralizers or risk factors: one row per id, numeric columns."""
    return _numeric(_by_key(read_table(path, what), "id", what, path), what, path)


def check_output(path: Path, inputs: Sequence[Path | None]) -> Path:
    """Refuse an output that cannot be written, before any work starts, and sweep the
    temporary files an earlier run killed while writing it left behind."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ScoringInputError(f"output {path} must end in .parquet or .csv")
    if path.is_dir():
        raise ScoringInputError(f"output {path} is a folder: name a file")
    if not path.parent.is_dir():
        raise ScoringInputError(f"the folder of {path} does not exist: create it first")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ScoringInputError(f"cannot write in {path.parent}: pick a folder you can write to")
    resolved = path.resolve()
    for given in inputs:
        if given is not None and Path(given).resolve() == resolved:
            raise ScoringInputError(f"output {path} is also an input: write the scores elsewhere")
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        leftover.unlink(missing_ok=True)
    return path


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write parquet or csv atomically and durably: the data is synced to disk before the
    rename, so a reader (or a crash) sees the old file or the whole new one."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ScoringInputError(f"output {path} must end in .parquet or .csv")
    if not path.parent.is_dir():
        raise ScoringInputError(f"the folder of {path} does not exist: create it first")
    try:
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as err:
        raise ScoringInputError(f"cannot write {path}: {err.strerror or err}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            if path.suffix == ".parquet":
                frame.to_parquet(out)
            else:
                out.write(frame.to_csv().encode())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as err:
        Path(temporary).unlink(missing_ok=True)
        raise ScoringInputError(f"cannot write {path}: {err.strerror or err}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
