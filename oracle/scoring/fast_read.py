"""Reading a submission in its common form, fast: each of the universe's ids once, every
prediction a finite float in [0, 1], not all equal. Each function here returns None for any
other file, and :func:`~oracle.scoring.validate.read_submission` then reads it the full way,
which finds and names what is wrong; so these paths decide nothing, they only skip work, and a
file they read gives the values the full path would.

* :func:`fast_table`: a parsed table, its ids mapped onto the universe through the ids'
  dictionary (no id is materialised as a Python string);
* :func:`fast_csv`: a csv with the plain header, parsed by pyarrow in one pass;
* :func:`fast_parquet`: a parquet file whose id column the universe has seen before, byte for
  byte (:class:`Universe` remembers the layouts it has checked), of which only the predictions
  are read.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from oracle.errors import InvalidSubmissionError
from oracle.scoring.bounded import MAX_TEXT_BYTES, check_footer
from oracle.scoring.footer import Footer, read_footer

if TYPE_CHECKING:
    import pandas as pd

ID_COLUMN = "id"
PREDICTION_COLUMN = "prediction"
#: The other name numerai-tools accepts for the predictions column.
ALT_PREDICTION_COLUMN = "probability"
PARQUET_MAGIC = b"PAR1"


class Universe:
    """A round's live ids, with the forms the validator compares against (built once per
    round, so thousands of files are checked without rebuilding them).

    It also remembers the layouts of the parquet files it has checked: the exact bytes of a
    file's id column chunk, with everything its decoding depends on (:func:`layout_key`), and
    where each of its rows lands in the universe. A later file whose id column is the same
    bytes (every file one writer writes from the round's ids is) decodes to the same ids, so
    only its predictions are read. At most :data:`KNOWN_LAYOUTS` layouts are kept.
    """

    #: How many parquet layouts a universe remembers (each about twice a file's id column).
    KNOWN_LAYOUTS = 16

    def __init__(self, ids: pd.Index | Sequence[str]) -> None:
        import pandas as pd

        self.index = pd.Index([str(i) for i in ids], name=ID_COLUMN)
        self._arrow: pa.Array | None = None
        # By everything but the chunk's bytes, each with its bytes: a look-up hashes a few
        # numbers and compares the bytes (a memcmp), never hashes a 50 KB column.
        self._layouts: dict[tuple[object, ...], list[tuple[bytes, NDArray[np.int64]]]] = {}
        self._lock = threading.Lock()

    @property
    def arrow(self) -> pa.Array:
        if self._arrow is None:
            self._arrow = pa.array(self.index.tolist(), type=pa.string())
        return self._arrow

    @property
    def known_layouts(self) -> int:
        """How many layouts this universe remembers."""
        with self._lock:
            return sum(len(known) for known in self._layouts.values())

    def layout(self, key: tuple[object, ...]) -> NDArray[np.int64] | None:
        """The universe positions of the rows of a file with this id column (a
        :func:`layout_key`), if known."""
        with self._lock:
            return self._find(key)

    def _find(self, key: tuple[object, ...]) -> NDArray[np.int64] | None:
        chunk, rest = key[0], key[1:]
        return next((p for known, p in self._layouts.get(rest, ()) if known == chunk), None)

    def remember(self, key: tuple[object, ...], positions: NDArray[np.int64]) -> None:
        chunk, rest = key[0], key[1:]
        assert isinstance(chunk, bytes)
        with self._lock:
            full = sum(len(known) for known in self._layouts.values()) >= self.KNOWN_LAYOUTS
            if not full and self._find(key) is None:
                positions.setflags(write=False)
                self._layouts.setdefault(rest, []).append((chunk, positions))


def _positions_of(ids: pa.ChunkedArray, universe: Universe) -> NDArray[np.int64] | None:
    """Where each row's id is in the universe, if the ids are each of the universe's ids once
    (in any order), found without materialising an id; None otherwise."""
    import pyarrow.compute as pc

    n = len(universe.index)
    if ids.null_count or len(ids) != n:
        return None
    positions = np.empty(n, dtype=np.int64)
    start = 0
    for chunk in ids.chunks:
        if not pa.types.is_dictionary(chunk.type):
            chunk = pc.dictionary_encode(chunk)
        found = pc.index_in(chunk.dictionary, value_set=universe.arrow)
        if found.null_count:
            return None
        lookup = found.to_numpy(zero_copy_only=False).astype(np.int64)
        indices = chunk.indices.to_numpy(zero_copy_only=False)
        # A damaged page can decode to indices past the dictionary: the full path names it.
        if len(indices) and (indices.min() < 0 or indices.max() >= len(lookup)):
            return None
        positions[start : start + len(chunk)] = lookup[indices]
        start += len(chunk)
    if not (np.bincount(positions, minlength=n) == 1).all():
        return None
    return positions


def _placed(
    predictions: pa.ChunkedArray, positions: NDArray[np.int64], universe: Universe
) -> pd.Series | None:
    """The predictions in the universe's order, if every one is a finite float in [0, 1] and
    not all are equal; None otherwise."""
    import pandas as pd

    if not pa.types.is_floating(predictions.type) or predictions.null_count:
        return None
    if len(predictions) != len(positions):
        return None
    raw = predictions.to_numpy().astype(np.float64, copy=False)
    if not np.isfinite(raw).all() or raw.min() < 0 or raw.max() > 1 or raw.min() == raw.max():
        return None
    values = np.empty(len(positions), dtype=np.float64)
    values[positions] = raw
    return pd.Series(values, index=universe.index, name=PREDICTION_COLUMN)


def fast_table(table: pa.Table, universe: Universe) -> tuple[pd.Series, NDArray[np.int64]] | None:
    """The common case, checked without materialising an id: a file (parquet, or csv read by
    :func:`fast_csv`) whose ids are each of the universe's ids once, in any order, and whose
    predictions are finite floats in [0, 1], not all equal; with the rows' universe positions.
    None when the file needs the full path (which then finds and names whatever is wrong)."""
    predictions = table.column(PREDICTION_COLUMN)
    if not pa.types.is_floating(predictions.type):  # before mapping any id
        return None
    positions = _positions_of(table.column(ID_COLUMN), universe)
    if positions is None:
        return None
    series = _placed(predictions, positions, universe)
    return None if series is None else (series, positions)


#: The writer whose chunks the layout cache knows how pyarrow locates (pyarrow and pandas
#: write with it); a file from any other writer takes the general path.
_ARROW_WRITER = "parquet-cpp-arrow version "


def layout_key(data: bytes, arrow_schema: pa.Schema, footer: Footer) -> tuple[object, ...] | None:
    """Everything a parquet file's id column decodes from: the column chunk's bytes (its pages
    with their headers; first in the key), its codec, value count and page offsets, the row
    count, the column's physical and logical types and repetition, the writer and the stored
    Arrow type. Two files with equal keys have equal ids, row for row. None for a file from
    another writer, with more than one row group, or with a chunk outside the file (the
    general path reads those). ``arrow_schema`` is the file's Arrow schema as pyarrow reads
    it, and ``footer`` the file's footer from :func:`~oracle.scoring.footer.read_footer`
    (never from pyarrow's metadata accessors)."""
    names = [c.name for c in footer.columns]
    if (
        len(footer.row_groups) != 1
        or not footer.created_by.startswith(_ARROW_WRITER)
        or names.count(ID_COLUMN) != 1
        or len(footer.row_groups[0][1]) != len(names)
    ):
        return None
    column = names.index(ID_COLUMN)
    rows, chunks = footer.row_groups[0]
    chunk = chunks[column]
    start, end = chunk.start, chunk.start + chunk.compressed
    if start < len(PARQUET_MAGIC) or chunk.compressed <= 0 or end > len(data) - 8:
        return None
    schema = footer.columns[column]
    return (
        data[start:end],
        chunk.data_page - start,
        chunk.dictionary_page,
        chunk.codec,
        chunk.num_values,
        rows,
        footer.num_rows,
        schema.physical,
        schema.repetition,
        schema.converted,
        schema.logical,
        footer.created_by,
        str(arrow_schema.field(ID_COLUMN).type),
    )


def fast_parquet(data: bytes, universe: Universe, max_rows: int) -> pd.Series | None:
    """A parquet file whose id column the universe has seen before (:meth:`Universe.layout`):
    its footer checked as :func:`~oracle.scoring.bounded.read_bounded` checks it, then only its
    predictions read. None for any other file (a footer the checks refuse included, so the full
    path raises the same error it always has)."""
    try:
        handle = pq.ParquetFile(pa.BufferReader(data))
        footer = read_footer(data)
        check_footer(footer, "the file", max_rows, InvalidSubmissionError)
        schema = handle.schema_arrow  # built anew at every access: once
        key = layout_key(data, schema, footer)
    except Exception:  # a damaged or refused footer: the full path names it
        return None
    positions = None if key is None else universe.layout(key)
    names = schema.names
    if positions is None or names not in ([ID_COLUMN, PREDICTION_COLUMN],
                                          [ID_COLUMN, ALT_PREDICTION_COLUMN]):  # fmt: skip
        return None
    if not pa.types.is_floating(schema.field(names[1]).type):
        return None
    try:
        predictions = handle.read(columns=[names[1]], use_threads=False).column(0)
    except Exception:  # a damaged page: the full path names it
        return None
    return _placed(predictions, positions, universe)


_CSV_HEADERS = {b"id,prediction": PREDICTION_COLUMN, b"id,probability": ALT_PREDICTION_COLUMN}


def fast_csv(data: bytes, universe: Universe) -> pd.Series | None:
    """The common csv, read by pyarrow's parser in one pass: the header exactly
    ``id,prediction`` (or ``id,probability``), ids as text (none null, each at most
    :data:`~oracle.scoring.bounded.MAX_TEXT_BYTES` bytes), every prediction a float (parsed
    correctly rounded). Then the checks of :func:`_fast_table`. None for anything else (an
    empty value, "nan", a ragged row, invalid UTF-8...), which the full path reads and names.
    """
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    end = body.find(b"\n")
    column = _CSV_HEADERS.get((body if end < 0 else body[:end]).rstrip(b"\r"))
    if column is None:
        return None
    try:
        table = pcsv.read_csv(
            pa.py_buffer(body),
            read_options=pcsv.ReadOptions(use_threads=False, block_size=max(len(body), 1 << 16)),
            convert_options=pcsv.ConvertOptions(
                column_types={ID_COLUMN: pa.string(), column: pa.float64()},
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    if table.column_names != [ID_COLUMN, column]:
        return None
    ids = table.column(ID_COLUMN)
    if len(ids) and pc.max(pc.binary_length(ids)).as_py() > MAX_TEXT_BYTES:
        return None
    fast = fast_table(table.rename_columns([ID_COLUMN, PREDICTION_COLUMN]), universe)
    return None if fast is None else fast[0]


def remember_layout(data: bytes, universe: Universe, positions: NDArray[np.int64]) -> None:
    """After a parquet file passed :func:`fast_table`: remember its id column's layout."""
    try:
        schema = pq.ParquetFile(pa.BufferReader(data)).schema_arrow
        key = layout_key(data, schema, read_footer(data))
    except Exception:  # the file was read already; a footer that fails now is not remembered
        return
    if key is not None:
        universe.remember(key, positions)
