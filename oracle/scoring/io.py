"""Reading scoring inputs from parquet or csv and checking them, with one-line errors.

Every check names the file, the model or the column at fault and what to do.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from oracle.errors import ScoringInputError
from oracle.scoring.transforms import chunks

SUFFIXES = (".parquet", ".csv")


def examples(values: Sequence[object], limit: int = 3) -> str:
    """A few values for a message, then "and N more" (never a 20 KB list)."""
    values = list(values)
    shown = ", ".join(repr(str(v)) for v in values[:limit])
    return f"{shown} and {len(values) - limit:,} more" if len(values) > limit else shown


_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _check_header(names: Sequence[object], what: str, path: Path) -> None:
    """Refuse unnamed and repeated columns (pandas would invent or rename them)."""
    unnamed = [
        i + 1 for i, n in enumerate(names) if str(n).strip() == "" or str(n).startswith("Unnamed: ")
    ]
    if unnamed:
        raise ScoringInputError(
            f"{what} file {path} has an unnamed column (column {unnamed[0]}): name every column "
            "(a file written by DataFrame.to_csv() needs index=False or a named index)"
        )
    counts = Counter(str(n) for n in names)
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        raise ScoringInputError(
            f"{what} file {path} repeats column(s) {examples(repeated)}: give each column once"
        )


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    """A csv read as literal strings: no value (an id, a model name) is turned into NaN."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError:
        raise ScoringInputError(f"{what} file {path} is not UTF-8 text") from None
    if not header:
        raise ScoringInputError(f"{what} file {path} is empty: it needs a header and rows")
    _check_header(header, what, path)
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8"
        )
    except pd.errors.ParserError as err:
        ragged = _RAGGED.search(str(err))
        if ragged:
            expected, line, saw = ragged.groups()
            raise ScoringInputError(
                f"{what} file {path}: line {line} has {saw} fields but the header has "
                f"{expected}: every row needs one value per column"
            ) from None
        raise ScoringInputError(f"cannot read {what} file {path}: {_first_line(err)}") from None
    frame.columns = header
    if len(frame) == 0:
        raise ScoringInputError(f"{what} file {path} has a header but no rows")
    return frame


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__


def read_table(path: Path, what: str) -> pd.DataFrame:
    """A parquet or csv file as a DataFrame (a parquet file's stored index, if any, kept)."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ScoringInputError(f"{what} file {path} must end in .parquet or .csv")
    if not path.is_file():
        raise ScoringInputError(f"{what} file {path} does not exist")
    if path.suffix == ".csv":
        return _read_csv(path, what)
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises many types for damaged files
        raise ScoringInputError(f"cannot read {what} file {path}: {_first_line(err)}") from None
    _check_header(list(frame.columns), what, path)
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


def _by_key(frame: pd.DataFrame, key: str, what: str, path: Path) -> pd.DataFrame:
    """Index the table by ``key`` (a column of that name, else a named or stored index)."""
    if key in frame.columns:
        frame = frame.set_index(key)
    elif frame.index.name != key and isinstance(frame.index, pd.RangeIndex):
        raise ScoringInputError(f"{what} file {path} has no '{key}' column")
    frame.index = frame.index.astype(str)
    frame.index.name = key
    _unique(frame.index, key, what, path)
    if frame.shape[1] == 0:
        raise ScoringInputError(f"{what} file {path} has no value columns")
    return frame


def _numeric(frame: pd.DataFrame, what: str, path: Path, label: str = "column") -> pd.DataFrame:
    """Check every column is numeric and finite; return it as float64.

    Text columns (every csv column is read as text) are converted; a value that is not a
    number is reported with its column and row, an empty one as missing."""
    frame = frame.copy() if any(pd.api.types.is_object_dtype(d) for d in frame.dtypes) else frame
    for c in frame.columns:
        column = frame[c]
        if pd.api.types.is_bool_dtype(column):
            raise ScoringInputError(
                f"{what} file {path} has a true/false {label} '{c}': every value must be a number"
            )
        if pd.api.types.is_numeric_dtype(column):
            continue
        text = column.astype(str).str.strip()
        numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
        wrong = numbers.isna() & (text != "") & ~text.str.lower().isin(["nan", "inf", "-inf"])
        if wrong.any():
            row = int(np.argmax(wrong.to_numpy()))
            raise ScoringInputError(
                f"{what} file {path} has a value that is not a number in {label} '{c}' "
                f"({text.iloc[row]!r} for {frame.index[row]!r}): every value must be a number"
            )
        frame[c] = numbers
    values = frame.astype(np.float64, copy=False)
    array = values.to_numpy()
    for part in chunks(array.shape[1]):
        finite = np.isfinite(array[:, part])
        if not finite.all():
            column = values.columns[part][int(np.argmin(finite.all(axis=0)))]
            raise ScoringInputError(
                f"{what} file {path} has missing, NaN or inf value(s), e.g. in {label} "
                f"'{column}': give a finite number for every id"
            )
    return values


#: Model columns read from parquet at a time: bounds the arrow buffers held while loading.
LOAD_COLUMNS = 256


def _parquet_into_array(path: Path) -> pd.DataFrame | None:
    """A parquet predictions file read straight into one ``(ids, models)`` float64 array, a
    group of columns at a time, so loading holds the array plus one group of arrow buffers
    (not the file three times over). None when the file needs the general path (no ``id``
    column, a non-numeric or repeated column): that path then names the problem."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except Exception:  # damaged: the general path reports it
        return None
    schema = handle.schema_arrow
    names = [str(n) for n in schema.names if not str(n).startswith("__index_level_")]
    if "id" not in names or len(set(names)) != len(names):
        return None
    models = [n for n in names if n != "id"]
    for name in models:
        kind = schema.field(name).type
        if not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
            return None
    ids = handle.read(columns=["id"]).column("id")
    if ids.null_count:
        return None
    index = pd.Index(ids.to_pandas().astype(str), name="id")
    matrix = np.empty((len(index), len(models)), dtype=np.float64)
    for start in range(0, len(models), LOAD_COLUMNS):
        group = models[start : start + LOAD_COLUMNS]
        table = handle.read(columns=group)
        for offset, name in enumerate(group):
            column = table.column(name)
            values = column.to_numpy() if column.null_count == 0 else None
            if values is None:  # nulls: NaN, which the checks below report
                values = column.to_pandas().to_numpy(dtype=np.float64, na_value=np.nan)
            matrix[:, start + offset] = values
        del table
    return pd.DataFrame(matrix, index=index, columns=models, copy=False)


def load_predictions(path: Path) -> pd.DataFrame:
    """Predictions: one row per id, one numeric column per model, no constant model."""
    path = Path(path)
    direct = _parquet_into_array(path) if path.suffix == ".parquet" and path.is_file() else None
    if direct is not None:
        _check_header(list(direct.columns), "predictions", path)
        if len(direct) == 0:
            raise ScoringInputError(f"predictions file {path} has no rows")
        if direct.shape[1] == 0:
            raise ScoringInputError(f"predictions file {path} has no value columns")
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
    spread = frame.max() - frame.min()
    constant = spread.index[spread.to_numpy() == 0]
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
            f"{what} file {path} must have the columns {key},{column}; found {list(frame.columns)}"
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
