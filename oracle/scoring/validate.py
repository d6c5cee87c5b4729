"""The one home of the rules for scoring input files, used by the scoring CLI's loaders
(:mod:`oracle.scoring.io`), the oracle's reveal intake and service, and the wallet (which checks
a file before it commits to it).

Table rules (:func:`read_csv_literal`, :func:`check_header`, :func:`to_numbers`): a csv is read
as literal text; unnamed and repeated columns, ragged rows and header-only files are refused;
every value column must hold finite numbers, and the first bad value is named.

A submission (:func:`read_submission`), one model's predictions for a round:
A valid submission is a parquet or csv file with exactly two columns, ``id`` and
``prediction``; its ids are exactly the round's universe, each once; every prediction is a
finite number in [0, 1], and not all are equal. Ids are read as literal strings (a csv's
``NA`` or empty id is an id like any other, never a missing value).

Every failure raises :class:`InvalidSubmissionError` with one line that says what is wrong and
what to do; the intake records that line as the rejection reason.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from oracle.errors import ScoringInputError
from oracle.scoring.transforms import chunks

#: The largest predictions file accepted (a 5,000-id file is about 100 KB).
MAX_SUBMISSION_BYTES = 64 * 1024 * 1024
ID_COLUMN = "id"
PREDICTION_COLUMN = "prediction"
_PARQUET_MAGIC = b"PAR1"


class InvalidSubmissionError(ScoringInputError):
    """A predictions file that cannot be scored; the message is the rejection reason."""


class Universe:
    """A round's live ids, with the forms the validator compares against (built once per
    round, so thousands of files are checked without rebuilding them)."""

    def __init__(self, ids: pd.Index | Sequence[str]) -> None:
        self.index = pd.Index([str(i) for i in ids], name=ID_COLUMN)
        self._arrow: object | None = None

    @property
    def arrow(self) -> object:
        if self._arrow is None:
            import pyarrow as pa

            self._arrow = pa.array(self.index.tolist(), type=pa.string())
        return self._arrow


def _fast_parquet(data: bytes, universe: Universe) -> pd.Series | None:
    """The common case, checked in about a millisecond: a parquet file with exactly the
    universe's ids in its order and float predictions. None when the file needs the full
    path (which then finds and names whatever is wrong)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(pa.BufferReader(data)).read(use_threads=False)
    except Exception:  # damaged: the full path reports it
        return None
    if table.column_names != [ID_COLUMN, PREDICTION_COLUMN]:
        return None
    ids, predictions = table.column(ID_COLUMN), table.column(PREDICTION_COLUMN)
    if not pa.types.is_string(ids.type) or not pa.types.is_floating(predictions.type):
        return None
    if ids.null_count or predictions.null_count:
        return None
    if not ids.combine_chunks().equals(universe.arrow):
        return None
    values = predictions.to_numpy().astype(np.float64, copy=False)
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
        return None
    if values.min() == values.max():
        return None
    return pd.Series(values, index=universe.index, name=PREDICTION_COLUMN)


def examples(values: Sequence[object], limit: int = 3) -> str:
    """A few values for a message, then "and N more" (never a 20 KB list)."""
    values = list(values)
    shown = ", ".join(repr(str(v)) for v in values[:limit])
    return f"{shown} and {len(values) - limit:,} more" if len(values) > limit else shown


_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def check_header(names: Sequence[object], where: str) -> None:
    """Refuse unnamed and repeated columns (pandas would invent or rename them); ``where``
    names the file in the message ("predictions file x.csv")."""
    unnamed = [
        i + 1 for i, n in enumerate(names) if str(n).strip() == "" or str(n).startswith("Unnamed: ")
    ]
    if unnamed:
        raise ScoringInputError(
            f"{where} has an unnamed column (column {unnamed[0]}): name every column "
            "(a file written by DataFrame.to_csv() needs index=False or a named index)"
        )
    counts = Counter(str(n) for n in names)
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        raise ScoringInputError(
            f"{where} repeats column(s) {examples(repeated)}: give each column once"
        )


def read_csv_literal(text: str, where: str) -> pd.DataFrame:
    """A csv's text read as literal strings: no value (an id, a model name) becomes NaN;
    unnamed and repeated columns, ragged rows and a header without rows are refused."""
    header = next(csv.reader(io.StringIO(text)), None)
    if not header:
        raise ScoringInputError(f"{where} is empty: it needs a header and rows")
    check_header(header, where)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.ParserError as err:
        ragged = _RAGGED.search(str(err))
        if ragged:
            expected, line, saw = ragged.groups()
            raise ScoringInputError(
                f"{where}: line {line} has {saw} fields but the header has "
                f"{expected}: every row needs one value per column"
            ) from None
        raise ScoringInputError(f"cannot read {where}: {first_line(err)}") from None
    frame.columns = header
    if len(frame) == 0:
        raise ScoringInputError(f"{where} has a header but no rows")
    return frame


def first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__


def to_numbers(frame: pd.DataFrame, where: str, label: str = "column") -> pd.DataFrame:
    """Check every column is numeric and finite; return it as float64.

    Text columns (every csv column is read as text) are converted; a value that is not a
    number is reported with its column and row, an empty one as missing."""
    frame = frame.copy() if any(pd.api.types.is_object_dtype(d) for d in frame.dtypes) else frame
    for c in frame.columns:
        column = frame[c]
        if pd.api.types.is_bool_dtype(column):
            raise ScoringInputError(
                f"{where} has a true/false {label} '{c}': every value must be a number"
            )
        if pd.api.types.is_numeric_dtype(column):
            continue
        text = column.astype(str).str.strip()
        numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
        wrong = numbers.isna() & (text != "") & ~text.str.lower().isin(["nan", "inf", "-inf"])
        if wrong.any():
            row = int(np.argmax(wrong.to_numpy()))
            raise ScoringInputError(
                f"{where} has a value that is not a number in {label} '{c}' "
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
                f"{where} has missing, NaN or inf value(s), e.g. in {label} "
                f"'{column}': give a finite number for every id"
            )
    return values


def _read(data: bytes) -> tuple[pd.Series, pd.Series]:
    """(ids as str, predictions as read) from parquet or csv bytes."""
    if data[:4] == _PARQUET_MAGIC and data[-4:] == _PARQUET_MAGIC:
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(io.BytesIO(data), use_threads=False)
        except Exception as err:  # pyarrow raises many types for damaged files
            raise InvalidSubmissionError(
                f"not a readable parquet file ({first_line(err)})"
            ) from None
        names = [str(n) for n in table.column_names]
        _check_columns(names)
        ids = table.column(ID_COLUMN).to_pandas()
        if ids.isna().any():
            raise InvalidSubmissionError("an id is missing (null): give every row its id")
        return ids.astype(str), table.column(PREDICTION_COLUMN).to_pandas()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSubmissionError("not parquet, and not a UTF-8 csv file") from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InvalidSubmissionError(f"not a readable csv file ({first_line(err)})") from None
    names = [str(n) for n in frame.columns]
    _check_columns(names)
    return frame[ID_COLUMN].astype(str), frame[PREDICTION_COLUMN]


def _check_columns(names: list[str]) -> None:
    if names != [ID_COLUMN, PREDICTION_COLUMN]:
        raise InvalidSubmissionError(
            f"the columns must be exactly {ID_COLUMN},{PREDICTION_COLUMN}; found "
            f"{examples(names, 5) or 'none'}"
        )


def read_submission(
    data: bytes,
    universe: Universe | pd.Index | None = None,
    *,
    max_bytes: int = MAX_SUBMISSION_BYTES,
) -> pd.Series:
    """The predictions of a submission file, as a float64 Series indexed by id (in the order
    of ``universe`` when given), or :class:`InvalidSubmissionError` with the reason."""
    if len(data) > max_bytes:
        raise InvalidSubmissionError(f"the file has {len(data):,} bytes, more than {max_bytes:,}")
    if not data:
        raise InvalidSubmissionError("the file is empty")
    if isinstance(universe, pd.Index):
        universe = Universe(universe)
    if universe is not None and data[:4] == _PARQUET_MAGIC:
        fast = _fast_parquet(data, universe)
        if fast is not None:
            return fast
    ids, raw = _read(data)
    if len(ids) < 2:
        raise InvalidSubmissionError("the file needs at least 2 rows")
    if pd.api.types.is_bool_dtype(raw):
        raise InvalidSubmissionError("predictions are true/false: give numbers in [0, 1]")
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        where = ids[bad].tolist()
        raise InvalidSubmissionError(
            f"{int(bad.sum()):,} prediction(s) are missing, not numbers, NaN or inf (ids "
            f"{examples(where)}): give a number in [0, 1] for every id"
        )
    outside = (values < 0) | (values > 1)
    if outside.any():
        raise InvalidSubmissionError(
            f"{int(outside.sum()):,} prediction(s) are outside [0, 1] (ids "
            f"{examples(ids[outside].tolist())}): rank or scale them into [0, 1]"
        )
    index = pd.Index(ids.to_numpy(dtype=object), name=ID_COLUMN)
    if index.has_duplicates:
        repeated = index[index.duplicated()].unique().tolist()
        raise InvalidSubmissionError(
            f"{len(repeated):,} id(s) appear more than once ({examples(repeated)}): "
            "give each id once"
        )
    if values.min() == values.max():
        raise InvalidSubmissionError(
            "every prediction is the same value: a constant cannot be ranked"
        )
    series = pd.Series(values, index=index, name=PREDICTION_COLUMN)
    if universe is None:
        return series
    if index.equals(universe.index):
        return series.set_axis(universe.index)
    missing = universe.index.difference(index)
    extra = index.difference(universe.index)
    if len(missing) or len(extra):
        parts = []
        if len(missing):
            parts.append(f"{len(missing):,} live id(s) missing ({examples(missing.tolist())})")
        if len(extra):
            parts.append(f"{len(extra):,} id(s) not in the live data ({examples(extra.tolist())})")
        raise InvalidSubmissionError(
            "; ".join(parts) + ": predict exactly the ids of the round's live data"
        )
    return series.reindex(universe.index)
