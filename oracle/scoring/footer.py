"""A parquet file's footer, decoded without pyarrow's metadata accessors.

pyarrow (25.0) aborts the whole process, rather than raising, when its Python metadata
accessors meet a column chunk whose footer entry is inconsistent (``row_group(g).column(i)``
throws a C++ exception that nothing catches: a wrong level-histogram size is enough). A stranger's
upload must never take a service worker or a round's resolution down, so the bounds checks
read the footer with :mod:`oracle.scoring.thrift` instead (fastparquet's compiled decoder
crashes on some damaged footers too), and pyarrow only ever reads a file through its reader,
which turns the same inconsistencies into an ordinary error.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oracle.scoring.thrift import ThriftError, decode_struct

#: Parquet's physical type codes for variable- and fixed-length bytes.
BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY = 6, 7
REPEATED = 2
_MAGIC = b"PAR1"
#: The largest footer read from a file on disk.
_MAX_FOOTER = 64 * 1024 * 1024


class FooterError(ValueError):
    """The footer cannot be decoded."""


@dataclass(frozen=True)
class Column:
    """A leaf of the schema."""

    name: str
    physical: int
    repetition: int
    converted: int | None
    logical: str
    length: int | None


@dataclass(frozen=True)
class Chunk:
    """One column's chunk in one row group."""

    codec: int
    num_values: int
    uncompressed: int
    compressed: int
    data_page: int
    dictionary_page: int | None

    @property
    def start(self) -> int:
        """Where the chunk's first page (its dictionary page, if any) starts."""
        if self.dictionary_page is not None and 0 < self.dictionary_page < self.data_page:
            return self.dictionary_page
        return self.data_page


@dataclass(frozen=True)
class Footer:
    num_rows: int
    columns: list[Column]
    #: Per row group: its row count and its chunks, in the order of ``columns``.
    row_groups: list[tuple[int, list[Chunk]]]
    created_by: str
    #: A group (a nested column) is in the schema.
    nested: bool


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def footer_bytes(source: bytes | Path) -> bytes:
    """The thrift-encoded footer of the parquet file at ``source``."""
    if isinstance(source, bytes):
        if len(source) < 12 or source[-4:] != _MAGIC:
            raise FooterError("no parquet footer")
        (size,) = struct.unpack("<i", source[-8:-4])
        if not 0 < size <= len(source) - 12:
            raise FooterError("the footer's length is out of range")
        return source[-8 - size : -8]
    with source.open("rb") as handle:
        handle.seek(0, 2)
        length = handle.tell()
        if length < 12:
            raise FooterError("no parquet footer")
        handle.seek(length - 8)
        tail = handle.read(8)
        (size,) = struct.unpack("<i", tail[:4])
        if tail[4:] != _MAGIC or not 0 < size <= min(length - 12, _MAX_FOOTER):
            raise FooterError("no parquet footer")
        handle.seek(length - 8 - size)
        return handle.read(size)


def _struct(value: Any) -> dict[int, Any]:
    if not isinstance(value, dict):
        raise FooterError("a struct field holds another type")
    return value


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FooterError("a list field holds another type")
    return value


def _number(value: Any, default: int | None = 0) -> int | None:
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        raise FooterError("a number field holds another type")
    return value


def _n(value: Any, default: int = 0) -> int:
    out = _number(value, default)
    assert out is not None
    return out


def read_footer(source: bytes | Path) -> Footer:
    """The file's footer (parquet's FileMetaData: the schema's leaves, each row group's chunks,
    the writer), or :class:`FooterError`."""
    try:
        meta = decode_struct(footer_bytes(source))
    except ThriftError as err:
        raise FooterError(f"the footer cannot be decoded: {err}") from None
    elements = [_struct(e) for e in _list(meta.get(2))]
    nested = any(_n(e.get(5)) > 0 for e in elements[1:])
    columns = [
        Column(
            name=_text(e.get(4)),
            physical=_n(e.get(1), -1),
            repetition=_n(e.get(3)),
            converted=_number(e.get(6), None),
            logical=repr(e.get(10)),
            length=_number(e.get(2), None),
        )
        for e in elements[1:]
        if _n(e.get(5)) == 0
    ]
    groups = []
    for group in (_struct(g) for g in _list(meta.get(4))):
        chunks = []
        for chunk in (_struct(c) for c in _list(group.get(1))):
            if 3 not in chunk:
                raise FooterError("a column chunk has no metadata")
            m = _struct(chunk[3])
            chunks.append(
                Chunk(
                    codec=_n(m.get(4)),
                    num_values=_n(m.get(5)),
                    uncompressed=_n(m.get(6)),
                    compressed=_n(m.get(7)),
                    data_page=_n(m.get(9)),
                    dictionary_page=_number(m.get(11), None),
                )
            )
        groups.append((_n(group.get(3)), chunks))
    return Footer(_n(meta.get(3)), columns, groups, _text(meta.get(6)), nested)
