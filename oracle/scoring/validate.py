"""The one home of the rules for scoring input files, used by the scoring CLI's loaders
(:mod:`oracle.scoring.io`), the oracle's reveal intake and service, and the wallet (which checks
a file before it commits to it).

Table rules (:func:`read_csv_literal`, :func:`check_header`, :func:`to_numbers`): a csv is read
as literal text; unnamed and repeated columns, ragged rows and header-only files are refused;
every value column must hold finite numbers, and the first bad value is named.

A submission (:func:`read_submission`), one model's predictions for a round:
A valid submission is a parquet or csv file with exactly two columns, ``id`` and
``prediction`` (or ``probability``, as numerai-tools accepts); its ids are exactly the round's
universe, each once; every prediction is a finite number in [0, 1], and not all are equal. Ids
are read as literal strings (a csv's ``NA`` is an id like any other, never a missing value); an
empty id is refused. A csv may start with a UTF-8 byte order mark (Excel writes one).

Size bounds, checked before anything is decoded: at most ``max_bytes`` bytes and
``max_rows`` rows (with a universe, at most twice its ids plus 1,000), every id at most
:data:`~oracle.scoring.bounded.MAX_TEXT_BYTES` bytes; a parquet file is read by
:func:`~oracle.scoring.bounded.read_bounded` with its ids dictionary-encoded and mapped onto
the universe's ids, never materialised one string a row. A csv in the common form (the
header ``id,prediction``, plain floats, each id once) is read the same way by pyarrow's csv
parser in one pass, its floats correctly rounded; any other csv takes the full path.

Every failure raises :class:`InvalidSubmissionError` with one line that says what is wrong and
what to do; the intake records that line as the rejection reason.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from oracle.errors import InvalidSubmissionError, ScoringInputError, first_line, shortened
from oracle.scoring.bounded import MAX_TEXT_BYTES, read_bounded
from oracle.scoring.fast_read import (
    ALT_PREDICTION_COLUMN,
    ID_COLUMN,
    PARQUET_MAGIC,
    PREDICTION_COLUMN,
    Universe,
    fast_csv,
    fast_parquet,
    fast_table,
    remember_layout,
)
from oracle.scoring.transforms import chunks

if TYPE_CHECKING:
    import pandas as pd

#: The largest predictions file accepted (a 5,000-id file is about 100 KB).
MAX_SUBMISSION_BYTES = 64 * 1024 * 1024
#: The most rows a predictions file may have (with a universe: twice its ids plus 1,000).
MAX_SUBMISSION_ROWS = 1_000_000
#: The longest value a message quotes; a longer one is cut and ends in "...".
EXAMPLE_CHARS = 40


def _quoted(value: object) -> str:
    text = str(value)
    return repr(shortened(text, EXAMPLE_CHARS))


def examples(values: Sequence[object], limit: int = 3) -> str:
    """A few values for a message, each cut to :data:`EXAMPLE_CHARS` characters, then "and N
    more" (never a 20 KB list, nor a 100 KB id)."""
    values = list(values)
    shown = ", ".join(_quoted(v) for v in values[:limit])
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
    import pandas as pd

    text = text.removeprefix("\ufeff")  # the byte order mark Excel writes
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


def to_numbers(frame: pd.DataFrame, where: str, label: str = "column") -> pd.DataFrame:
    """Check every column is numeric and finite; return it as float64.

    Text columns (every csv column is read as text) are converted; a value that is not a
    number is reported with its column and row, an empty one as missing."""
    import pandas as pd

    dtypes = frame.dtypes
    # Only the columns that are not plain numbers need a look of their own (a frame of
    # thousands of float columns is checked as one array below).
    looked_at = [
        c
        for c, d in zip(frame.columns, dtypes, strict=True)
        if pd.api.types.is_bool_dtype(d) or not pd.api.types.is_numeric_dtype(d)
    ]
    frame = frame.copy() if any(pd.api.types.is_object_dtype(d) for d in dtypes) else frame
    for c in looked_at:
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


def _parquet_table(data: bytes, max_rows: int) -> pa.Table:
    """A parquet submission's table, read within :mod:`oracle.scoring.bounded`'s limits, its
    ids still dictionary-encoded."""
    table = read_bounded(
        data,
        "the file",
        max_rows=max_rows,
        error=InvalidSubmissionError,
        decode=False,
        rows_hint="predict each of the round's ids once",
    )
    names = [str(n) for n in table.column_names]
    if names == [ID_COLUMN, ALT_PREDICTION_COLUMN]:
        table = table.rename_columns([ID_COLUMN, PREDICTION_COLUMN])
        names = [ID_COLUMN, PREDICTION_COLUMN]
    _check_columns(names)
    return table


def _from_table(table: pa.Table) -> tuple[pd.Series, pd.Series]:
    ids = table.column(ID_COLUMN)
    if ids.null_count:
        raise InvalidSubmissionError("an id is missing (null): give every row its id")
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)  # bounded: every value was checked short
    return ids.to_pandas().astype(str), table.column(PREDICTION_COLUMN).to_pandas()


def _read_csv(data: bytes, max_rows: int) -> tuple[pd.Series, pd.Series]:
    """(ids as str, predictions as read) from csv bytes; a UTF-8 byte order mark (as Excel
    writes) is dropped, and the rows are counted before anything is parsed."""
    import pandas as pd

    if data.count(b"\n") > max_rows + 1:
        raise InvalidSubmissionError(
            f"the file has more than {max_rows:,} rows: predict each of the round's ids once"
        )
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise InvalidSubmissionError("not parquet, and not a UTF-8 csv file") from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InvalidSubmissionError(f"not a readable csv file ({first_line(err)})") from None
    names = [str(n) for n in frame.columns]
    if names == [ID_COLUMN, ALT_PREDICTION_COLUMN]:
        frame.columns = [ID_COLUMN, PREDICTION_COLUMN]
        names = [ID_COLUMN, PREDICTION_COLUMN]
    _check_columns(names)
    ids = frame[ID_COLUMN].astype(str)
    longest = int(ids.str.encode("utf-8").str.len().max()) if len(ids) else 0
    if longest > MAX_TEXT_BYTES:
        raise InvalidSubmissionError(
            f"the file has an id of {longest:,} bytes, more than {MAX_TEXT_BYTES}: use the "
            "round's ids"
        )
    return ids, frame[PREDICTION_COLUMN]


def _check_columns(names: list[str]) -> None:
    if names != [ID_COLUMN, PREDICTION_COLUMN]:
        raise InvalidSubmissionError(
            f"the columns must be exactly {ID_COLUMN},{PREDICTION_COLUMN} (or "
            f"{ID_COLUMN},{ALT_PREDICTION_COLUMN}); found {examples(names, 5) or 'none'}"
        )


def read_submission(
    data: bytes,
    universe: Universe | pd.Index | None = None,
    *,
    max_bytes: int = MAX_SUBMISSION_BYTES,
    max_rows: int = MAX_SUBMISSION_ROWS,
    of: str = "live",
) -> pd.Series:
    """The predictions of a submission file, as a float64 Series indexed by id (in the order
    of ``universe`` when given), or :class:`InvalidSubmissionError` with the reason; ``of``
    names the universe's data in the reasons (the round's live data, or its validation data)."""
    import pandas as pd

    if len(data) > max_bytes:
        raise InvalidSubmissionError(f"the file has {len(data):,} bytes, more than {max_bytes:,}")
    if not data:
        raise InvalidSubmissionError("the file is empty")
    if isinstance(universe, pd.Index):
        universe = Universe(universe)
    if universe is not None:
        # Room for a few wrong or repeated ids (so the reason can name them), never more.
        max_rows = min(max_rows, 2 * len(universe.index) + 1000)
    if data[:4] == PARQUET_MAGIC and data[-4:] == PARQUET_MAGIC:
        known = None if universe is None else fast_parquet(data, universe, max_rows)
        if known is not None:
            return known
        table = _parquet_table(data, max_rows)
        fast = None if universe is None else fast_table(table, universe)
        if fast is not None and universe is not None:
            series, positions = fast
            remember_layout(data, universe, positions)
            return series
        ids, raw = _from_table(table)
    else:
        fast = None
        if universe is not None and data.count(b"\n") <= max_rows + 1:
            fast = fast_csv(data, universe)
        if fast is not None:
            return fast
        ids, raw = _read_csv(data, max_rows)
    if len(ids) < 2:
        raise InvalidSubmissionError("the file needs at least 2 rows")
    empty = (ids == "").to_numpy()
    if empty.any():
        raise InvalidSubmissionError(
            f"{int(empty.sum()):,} id(s) are empty (the first on data row "
            f"{int(np.argmax(empty)) + 1:,}): give every row its id"
        )
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
            parts.append(f"{len(missing):,} {of} id(s) missing ({examples(missing.tolist())})")
        if len(extra):
            parts.append(f"{len(extra):,} id(s) not in the {of} data ({examples(extra.tolist())})")
        raise InvalidSubmissionError(
            "; ".join(parts) + f": predict exactly the ids of the round's {of} data"
        )
    return series.reindex(universe.index)
