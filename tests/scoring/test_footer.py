"""The footer reader agrees with pyarrow on well-formed files and refuses damaged footers with
FooterError (never another exception, never a crash)."""

from __future__ import annotations

import contextlib
import io
import random

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oracle.scoring.footer import FooterError, footer_bytes, read_footer
from oracle.scoring.thrift import ThriftError, decode_struct


def written(**options: object) -> bytes:
    table = pa.table(
        {
            "id": [f"n{i:05d}" for i in range(1000)],
            "prediction": np.random.default_rng(0).random(1000),
            "count": np.arange(1000, dtype=np.int32),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"compression": "snappy"},
        {"use_dictionary": False},
        {"row_group_size": 300},
        {"write_page_index": True},
        {"data_page_size": 1024},
    ],
)
def test_wellFormedFiles_readAsPyarrowReadsThem(options: dict[str, object]) -> None:
    data = written(**options)
    footer = read_footer(data)
    meta = pq.ParquetFile(pa.BufferReader(data)).metadata
    assert footer.num_rows == meta.num_rows and footer.created_by == meta.created_by
    assert [c.name for c in footer.columns] == list(meta.schema.names)
    assert len(footer.row_groups) == meta.num_row_groups
    for g, (rows, chunks) in enumerate(footer.row_groups):
        group = meta.row_group(g)
        assert rows == group.num_rows
        for i, chunk in enumerate(chunks):
            theirs = group.column(i)
            assert chunk.uncompressed == theirs.total_uncompressed_size
            assert chunk.compressed == theirs.total_compressed_size
            assert chunk.num_values == theirs.num_values
            assert chunk.data_page == theirs.data_page_offset
            if theirs.has_dictionary_page:
                assert chunk.start == theirs.dictionary_page_offset


def test_damagedFooters_raiseFooterErrorOnly() -> None:
    data = written()
    footer = footer_bytes(data)
    rng = random.Random(3)
    for _ in range(3000):
        raw = bytearray(footer)
        for _ in range(rng.choice([1, 2, 5])):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        damaged = data[: -8 - len(footer)] + bytes(raw) + data[-8:]
        with contextlib.suppress(FooterError):
            read_footer(damaged)


def test_hostileStructs_areRefused() -> None:
    with pytest.raises(ThriftError, match="nest too deep"):
        decode_struct(b"\x1c" * 100)
    with pytest.raises(ThriftError, match="larger than the bytes left"):
        decode_struct(b"\x18\xff\xff\xff\x7f")
    with pytest.raises(ThriftError, match="ends early"):
        decode_struct(b"\x15")
    with pytest.raises(FooterError):
        read_footer(b"PAR1" + b"\x00" * 8 + b"\xff\xff\xff\x7fPAR1")
