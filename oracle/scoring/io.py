"""Reading scoring inputs from parquet or csv and checking them, with one-line errors.

Every check names the file, the model or the column at fault and what to do.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from oracle.errors import ScoringInputError
from oracle.scoring.bounded import read_bounded
from oracle.scoring.clean import predictions_matrix
from oracle.scoring.round import Keyed, ScoreTable
from oracle.scoring.validate import (
    check_header,
    examples,
    read_csv_literal,
    to_numbers,
)

if TYPE_CHECKING:
    import pandas as pd

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
    import pandas as pd

    if key in frame.columns:
        frame = frame.set_index(key)
    elif frame.index.name != key and isinstance(frame.index, pd.RangeIndex):
        raise ScoringInputError(f"{what} file {path} has no '{key}' column")
    _no_empty(frame.index, key, what, path)  # before astype(str) turns a null into "None"
    frame.index = frame.index.astype(str)
    frame.index.name = key
    _unique(frame.index, key, what, path)
    if frame.shape[1] == 0:
        raise ScoringInputError(f"{what} file {path} has no value columns")
    return frame


def _numeric(frame: pd.DataFrame, what: str, path: Path, label: str = "column") -> pd.DataFrame:
    """Every column as finite float64 (see :func:`~oracle.scoring.validate.to_numbers`)."""
    return to_numbers(frame, f"{what} file {path}", label)


def predictions_frame(keyed: Keyed) -> pd.DataFrame:
    """Predictions read as arrays (:mod:`oracle.scoring.clean`) as the frame the loaders give:
    indexed by ``id``, one float64 column per model, a view of the model-major array."""
    import pandas as pd

    index = pd.Index(keyed.keys, name="id")
    return pd.DataFrame(keyed.values.T, index=index, columns=keyed.names, copy=False)


def load_predictions(path: Path) -> pd.DataFrame:
    """Predictions: one row per id, one numeric column per model, no constant model."""
    path = Path(path)
    keyed = predictions_matrix(path) if path.suffix == ".parquet" and path.is_file() else None
    direct = None if keyed is None else predictions_frame(keyed)
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

    def write(out: BinaryIO) -> None:
        if Path(path).suffix == ".parquet":
            frame.to_parquet(out)
        else:
            out.write(frame.to_csv().encode())

    _write_durably(Path(path), write)


def write_scores(scores: ScoreTable, path: Path) -> None:
    """Write the scores as :func:`write_table` writes :meth:`ScoreTable.to_frame`. A parquet
    file of named models is written by pyarrow alone, with the metadata pandas would give it
    (``pd.read_parquet`` reads the same frame back, attrs included), so the CLI needs no
    pandas for it."""
    path = Path(path)
    named = bool(scores.models) and all(isinstance(m, str) for m in scores.models)
    if path.suffix != ".parquet" or not named:
        write_table(scores.to_frame(), path)
        return
    table = _scores_table(scores)

    def write(out: BinaryIO) -> None:
        import pyarrow.parquet as pq

        pq.write_table(table, out, compression="snappy")

    _write_durably(path, write)


def _scores_table(scores: ScoreTable) -> Any:
    """The arrow table ``pa.Table.from_pandas(scores.to_frame())`` gives, built directly."""
    import pyarrow as pa

    attrs = {"rejected": dict(scores.rejected)}
    columns = {name: np.asarray(values) for name, values in scores.columns.items()}

    def described(name: str, pandas_type: str, numpy_type: str) -> dict[str, Any]:
        return {
            "name": name,
            "field_name": name,
            "pandas_type": pandas_type,
            "numpy_type": numpy_type,
            "metadata": None,
        }

    entries = [described(n, str(v.dtype), str(v.dtype)) for n, v in columns.items()]
    meta = {
        "index_columns": ["model"],
        "column_indexes": [
            {
                "name": None,
                "field_name": None,
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": {"encoding": "UTF-8"},
            }
        ],
        "columns": [*entries, described("model", "unicode", "object")],
        "attributes": attrs,
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": metadata.version("pandas"),
    }
    # From their buffers: pa.array would import pandas to look for pandas objects.
    arrays = [_arrow_of(v) for v in columns.values()]
    encoded = [str(m).encode() for m in scores.models]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([len(e) for e in encoded])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    arrays.append(pa.Array.from_buffers(pa.string(), len(encoded), buffers))
    names = [*columns, "model"]
    schema = pa.schema(
        [pa.field(n, a.type) for n, a in zip(names, arrays, strict=True)],
        metadata={
            b"pandas": json.dumps(meta).encode(),
            b"PANDAS_ATTRS": json.dumps(attrs).encode(),
        },
    )
    return pa.Table.from_arrays(arrays, schema=schema)


def _arrow_of(values: np.ndarray[Any, Any]) -> Any:
    """A float64 or int64 column as an arrow array over its bytes."""
    import pyarrow as pa

    kind = {np.dtype(np.float64): pa.float64(), np.dtype(np.int64): pa.int64()}[values.dtype]
    data = np.ascontiguousarray(values)
    return pa.Array.from_buffers(kind, len(data), [None, pa.py_buffer(data)])


def _write_durably(path: Path, write: Callable[[BinaryIO], None]) -> None:
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
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as err:
        Path(temporary).unlink(missing_ok=True)
        raise ScoringInputError(f"cannot write {path}: {err.strerror or err}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
