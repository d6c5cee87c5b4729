"""Files built to expand in memory once decoded: tiny on disk, huge in RAM."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def dictionary_bomb(rows: int = 100_000, id_length: int = 4000) -> bytes:
    """One long id repeated ``rows`` times, dictionary-encoded: tiny on disk, ``rows x
    id_length`` bytes once decoded."""
    ids = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(rows, dtype=np.int32)), pa.array(["x" * id_length])
    )
    table = pa.table({"id": ids, "prediction": pa.array(np.full(rows, 0.5))})
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def plain_bomb(rows: int = 100_000, id_length: int = 4000) -> bytes:
    """Distinct long ids that compress well, plain-encoded."""
    ids = pa.array([("a" * (id_length - 10)) + f"{i:010d}" for i in range(rows)])
    out = io.BytesIO()
    table = pa.table({"id": ids, "prediction": np.linspace(0, 1, rows)})
    pq.write_table(table, out, compression="zstd", use_dictionary=False)
    return out.getvalue()


def nested_bomb() -> bytes:
    """One row whose id is a list of a million values."""
    table = pa.table({"id": pa.array([["x"] * 1_000_000]), "prediction": pa.array([0.5])})
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()
