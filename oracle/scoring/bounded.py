"""Parquet read within bounds, so that a small file cannot expand into gigabytes.

A parquet file's footer says how many rows it has and how large each column chunk is once
decompressed; a dictionary-encoded text column can still decode to far more than that (one
4,000-character id repeated 100,000 times is 44 KB in the file and 400 MB in memory). So,
before any page is decoded:

1. the footer must be readable and name only flat columns (no lists or structs, whose values
   are not bounded by the row count), at most ``max_rows`` rows and :data:`MAX_ROW_GROUPS`
   row groups;
2. every text column's chunks may decompress to at most :data:`MAX_TEXT_BYTES` (plus a
   4-byte length) per row, plus a page's slack;

then text columns are read dictionary-encoded (each distinct value once, plus a 4-byte index
per row), every distinct value must be at most :data:`MAX_TEXT_BYTES` bytes, and only then is
a column decoded, to at most ``rows x MAX_TEXT_BYTES`` bytes. The scoring CLI, the validator
(and so the intake, the service, ``resolve``, ``verify`` and the wallet) and the round
artefacts' readers all read parquet through :func:`read_bounded`.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from oracle.errors import ScoringInputError, first_line
from oracle.scoring.footer import (
    BYTE_ARRAY,
    FIXED_LEN_BYTE_ARRAY,
    REPEATED,
    Footer,
    FooterError,
    read_footer,
)

#: The longest id (or other text value) accepted, in UTF-8 bytes. Numerai's ids have 15 and
#: Signals tickers about 10; 256 leaves room for any naming scheme.
MAX_TEXT_BYTES = 256
#: The most rows any input may have (a round's universe is far smaller).
MAX_ROWS = 10_000_000
MAX_ROW_GROUPS = 10_000
#: What a text column chunk may hold beyond its values: page headers and a dictionary page's
#: own overhead.
_CHUNK_SLACK = 64 * 1024


def _open(
    source: bytes | Path,
    where: str,
    error: type[Exception],
    read_dictionary: list[str] | None = None,
) -> pq.ParquetFile:
    reader = pa.BufferReader(source) if isinstance(source, bytes) else source
    try:
        return pq.ParquetFile(reader, read_dictionary=read_dictionary)
    except Exception as err:  # pyarrow raises many types for damaged files
        raise error(f"{where} is not a readable parquet file ({first_line(err)})") from None


def footer_of(source: bytes | Path, where: str, error: type[Exception]) -> Footer:
    """The file's footer as :func:`~oracle.scoring.footer.read_footer` decodes it (never
    through pyarrow's metadata accessors, which can abort the process), or ``error``."""
    try:
        return read_footer(source)
    except FooterError as err:
        raise error(f"{where} is not a readable parquet file ({err})") from None


def check_footer(
    footer: Footer,
    where: str,
    max_rows: int,
    error: type[Exception],
    rows_hint: str = "send fewer",
) -> list[str]:
    """Check what the file may decode to (steps 1 and 2 above); returns the text columns."""
    if footer.num_rows > max_rows:
        raise error(f"{where} has {footer.num_rows:,} rows, more than {max_rows:,}: {rows_hint}")
    if len(footer.row_groups) > MAX_ROW_GROUPS:
        raise error(
            f"{where} has {len(footer.row_groups):,} row groups, more than {MAX_ROW_GROUPS:,}: "
            "write it with larger row groups"
        )
    text: list[str] = []
    for column in footer.columns:
        if footer.nested or column.repetition == REPEATED:
            raise error(
                f"{where} has a nested column '{column.name}': give flat columns of numbers "
                "and text only"
            )
        if column.physical == BYTE_ARRAY:
            text.append(column.name)
        elif column.physical == FIXED_LEN_BYTE_ARRAY and (column.length or 0) > MAX_TEXT_BYTES:
            raise error(
                f"{where}: column '{column.name}' has values of {column.length:,} bytes, more "
                f"than {MAX_TEXT_BYTES}"
            )
    bound = MAX_TEXT_BYTES + 4
    for rows, chunks in footer.row_groups:
        if len(chunks) != len(footer.columns):
            raise error(f"{where} is not a readable parquet file (a row group lacks columns)")
        for column, chunk in zip(footer.columns, chunks, strict=True):
            if column.physical != BYTE_ARRAY:
                continue
            if chunk.uncompressed > rows * bound + _CHUNK_SLACK:
                raise error(
                    f"{where}: column '{column.name}' decompresses to "
                    f"{chunk.uncompressed:,} bytes for {rows:,} rows, more "
                    f"than {MAX_TEXT_BYTES} bytes a value: use shorter ids"
                )
    return text


def _check_values(table: pa.Table, text: list[str], where: str, error: type[Exception]) -> None:
    """Every distinct value of every dictionary-encoded text column is short enough, and
    every row's index points into its dictionary (a damaged page can decode past it)."""
    for name in text:
        for chunk in table.column(name).chunks:
            values = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
            if values is not chunk and len(chunk.indices) > chunk.null_count:
                low, high = pc.min_max(chunk.indices).values()
                if low.as_py() < 0 or high.as_py() >= len(values):
                    raise error(
                        f"{where} is not a readable parquet file (column '{name}' is damaged: "
                        "a row points past its dictionary)"
                    )
            if len(values) == 0:
                continue
            longest = pc.max(pc.binary_length(values)).as_py() or 0
            if longest > MAX_TEXT_BYTES:
                raise error(
                    f"{where}: column '{name}' has a value of {longest:,} bytes, more than "
                    f"{MAX_TEXT_BYTES}: use shorter ids"
                )


def read_bounded(
    source: bytes | Path,
    where: str,
    *,
    columns: list[str] | None = None,
    max_rows: int = MAX_ROWS,
    error: type[Exception] = ScoringInputError,
    decode: bool = True,
    rows_hint: str = "send fewer",
    footer: Footer | None = None,
) -> pa.Table:
    """The file's table (``columns`` only, when given) read within the bounds above; text
    columns are decoded to plain strings unless ``decode`` is False (then they stay
    dictionary-encoded, for a caller that maps them without materialising every value).
    ``footer`` is the file's footer when the caller has already decoded it. Raises ``error``
    with a one-line reason that names ``where``."""
    handle = _open(source, where, error)
    footer = footer or footer_of(source, where, error)
    text = check_footer(footer, where, max_rows, error, rows_hint)
    wanted = text if columns is None else [c for c in text if c in columns]
    if wanted:
        handle = _open(source, where, error, read_dictionary=wanted)
    try:
        table = handle.read(columns=columns, use_threads=False)
    except Exception as err:  # pyarrow raises many types for damaged pages
        raise error(f"{where} is not a readable parquet file ({first_line(err)})") from None
    _check_values(table, wanted, where, error)
    if not decode:
        return table
    for name in wanted:
        column = table.column(name)
        if pa.types.is_dictionary(column.type):
            decoded = column.cast(column.type.value_type)
            table = table.set_column(table.schema.get_field_index(name), name, decoded)
    return table


def rows_of(data: bytes) -> int | None:
    """The row count a parquet file's footer declares; None if it has no readable footer."""
    try:
        return int(pq.ParquetFile(pa.BufferReader(data)).metadata.num_rows)
    except Exception:  # damaged footer: the validator names the problem
        return None
