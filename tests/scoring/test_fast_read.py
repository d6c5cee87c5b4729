"""The validator's remembered parquet layouts: a file whose id column is byte for byte one
the universe has checked is read from its predictions alone, and every file, known layout or
not, damaged or not, reads to exactly what a universe that has seen nothing reads it to."""

from __future__ import annotations

import io
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oracle.errors import InvalidSubmissionError
from oracle.market import to_parquet
from oracle.scoring.fast_read import Universe
from oracle.scoring.validate import read_submission

IDS = [f"n{i:06d}" for i in range(300)]


def parquet(ids: list[str], values: np.ndarray) -> bytes:
    return to_parquet(pd.DataFrame({"id": ids, "prediction": values}))


def outcome(data: bytes, universe: Universe) -> tuple[str, object]:
    try:
        return "read", read_submission(data, universe).to_numpy().tobytes()
    except InvalidSubmissionError as err:
        return "refused", str(err)


def warm() -> Universe:
    universe = Universe(IDS)
    read_submission(parquet(IDS, np.linspace(0, 1, len(IDS))), universe)
    return universe


def test_fileFromTheSameIds_isReadThroughItsRememberedLayout() -> None:
    universe = warm()
    assert universe.known_layouts == 1
    values = np.random.default_rng(1).random(len(IDS))
    data = parquet(IDS, values)
    series = read_submission(data, universe)
    assert universe.known_layouts == 1
    assert series.index.equals(universe.index)
    assert series.to_numpy().tobytes() == values.tobytes()


def test_shuffledRows_areANewLayout_andAlignedToTheUniverse() -> None:
    universe = warm()
    order = np.random.default_rng(2).permutation(len(IDS))
    values = np.random.default_rng(3).random(len(IDS))
    series = read_submission(parquet([IDS[i] for i in order], values), universe)
    assert universe.known_layouts == 2
    assert series.loc[IDS[order[0]]] == values[0]
    assert (
        series.to_numpy().tobytes()
        == read_submission(parquet([IDS[i] for i in order], values), Universe(IDS))
        .to_numpy()
        .tobytes()
    )


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (np.full(len(IDS), 0.5), "every prediction is the same value"),
        (np.linspace(0, 2, len(IDS)), "outside [0, 1]"),
        (np.where(np.arange(len(IDS)) == 7, np.nan, 0.5 + np.arange(len(IDS)) / 1e4), "NaN"),
    ],
)
def test_knownLayout_withBadPredictions_isRefusedWithTheFullPathsReason(
    values: np.ndarray, reason: str
) -> None:
    universe = warm()
    data = parquet(IDS, values)
    kind, message = outcome(data, universe)
    assert kind == "refused" and reason in str(message)
    assert (kind, message) == outcome(data, Universe(IDS))


def test_layoutsRemembered_areBounded() -> None:
    universe = Universe(IDS)
    rng = np.random.default_rng(4)
    for _ in range(Universe.KNOWN_LAYOUTS + 5):
        order = rng.permutation(len(IDS))
        read_submission(parquet([IDS[i] for i in order], rng.random(len(IDS))), universe)
    assert universe.known_layouts == Universe.KNOWN_LAYOUTS


def test_otherWriters_andRowGroups_readAsAFreshUniverseReadsThem() -> None:
    universe = warm()
    values = np.random.default_rng(5).random(len(IDS))
    table = pa.table({"id": IDS, "prediction": values})
    variants = []
    for options in (
        {"compression": "snappy"},
        {"compression": "none", "use_dictionary": False},
        {"row_group_size": 100},
        {"data_page_size": 512},
    ):
        buffer = io.BytesIO()
        pq.write_table(table, buffer, **options)
        variants.append(buffer.getvalue())
    variants.append(to_parquet(pd.DataFrame({"id": IDS, "probability": values})))
    variants.append(to_parquet(pd.DataFrame({"id": [*IDS[:-1], "n000000"], "prediction": values})))
    for data in variants:
        assert outcome(data, universe) == outcome(data, Universe(IDS))


def test_damagedFiles_readAsAFreshUniverseReadsThem() -> None:
    """Bytes changed anywhere (id pages, predictions, footer) in a file of a known layout."""
    universe = warm()
    good = parquet(IDS, np.random.default_rng(6).random(len(IDS)))
    rng = random.Random(7)
    for _ in range(300):
        data = bytearray(good)
        for _ in range(rng.choice([1, 1, 2, 8])):
            data[rng.randrange(4, len(data) - 4)] = rng.randrange(256)
        damaged = bytes(data)
        assert outcome(damaged, universe) == outcome(damaged, Universe(IDS))


ABORTS_PYARROW = Path(__file__).parent / "files" / "aborts-pyarrow-metadata.parquet"


def test_footerThatAbortsPyarrowsMetadataAccessors_isRefusedInProcess() -> None:
    """A damaged 300-id file (one byte of a level histogram changed) on which pyarrow's
    ``row_group(0).column(i)`` aborts the process: the validator refuses it with one line, in
    a child process so that a regression shows as this test failing, not as pytest dying."""
    code = (
        "import sys; from pathlib import Path\n"
        "from oracle.errors import InvalidSubmissionError\n"
        "from oracle.scoring.validate import Universe, read_submission\n"
        f"ids = [f'n{{i:06d}}' for i in range({len(IDS)})]\n"
        "try:\n"
        f"    read_submission(Path({str(ABORTS_PYARROW)!r}).read_bytes(), Universe(ids))\n"
        "except InvalidSubmissionError as err:\n"
        "    print(err)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-500:]
    assert run.stdout.startswith("the file is not a readable parquet file")
