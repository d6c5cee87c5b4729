"""Parquet and csv files that would expand in memory are refused before they are decoded,
in a few milliseconds, by every reader: the submission validator and the scoring CLI's."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oracle import PROJECT_ROOT
from oracle.errors import InvalidSubmissionError, ScoringInputError
from oracle.scoring.bounded import MAX_TEXT_BYTES, read_bounded
from oracle.scoring.fast_read import Universe
from oracle.scoring.io import load_predictions, load_targets
from oracle.scoring.validate import read_submission
from tests.helpers.bombs import dictionary_bomb, nested_bomb, plain_bomb

UNIVERSE = Universe([f"n{i:015d}" for i in range(5000)])


@pytest.mark.parametrize(
    ("bomb", "reason"),
    [
        (dictionary_bomb(), "100,000 rows, more than 11,000"),
        (dictionary_bomb(rows=5000, id_length=8000), f"more than {MAX_TEXT_BYTES}"),
        (plain_bomb(rows=5000), "decompresses to"),
        (nested_bomb(), "nested column"),
    ],
    ids=["many-rows", "long-dictionary-id", "long-plain-ids", "nested"],
)
def test_bomb_isRefusedWithOneLine(bomb: bytes, reason: str) -> None:
    with pytest.raises(InvalidSubmissionError) as err:
        read_submission(bomb, UNIVERSE)
    assert reason in str(err.value) and "\n" not in str(err.value)


_PEAK = """
import resource, sys
from pathlib import Path
from oracle.scoring.fast_read import Universe
from oracle.scoring.validate import read_submission
from tests.helpers.bombs import dictionary_bomb, nested_bomb, plain_bomb
from oracle.errors import InvalidSubmissionError
universe = Universe([f"n{i:015d}" for i in range(100_000)])
data = Path(sys.argv[1]).read_bytes()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_submission(data, universe)
except InvalidSubmissionError as err:
    print(err)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_theReportedBomb_isRefusedWithoutDecodingItsIds(tmp_path: Path) -> None:
    """100,000 rows of one 4,000-character id (a few KB of parquet, 400 MB decoded) against
    a universe of 100,000 ids, so the row count does not stop it: refused for the id's
    length, and the process's peak memory grows by far less than the decoded size."""
    path = tmp_path / "bomb.parquet"
    path.write_bytes(dictionary_bomb())
    assert path.stat().st_size < 100_000
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    ).stdout.splitlines()
    assert "a value of 4,000 bytes, more than 256" in out[0]
    assert int(out[1]) < 50  # MB; decoding the ids would take 400


def test_csvWithAnIdLongerThanTheLimit_isRefused() -> None:
    data = b"id,prediction\n" + b"x" * 300 + b",0.1\nb,0.2\n"
    with pytest.raises(InvalidSubmissionError, match="id of 300 bytes"):
        read_submission(data, Universe(["a", "b"]))


def test_csvWithMoreRowsThanTheUniverseAllows_isRefusedBeforeParsing() -> None:
    data = b"id,prediction\n" + b"a,0.1\n" * 20_000
    with pytest.raises(InvalidSubmissionError, match="more than 1,004 rows"):
        read_submission(data, Universe(["a", "b"]))


def test_shuffledParquet_isReadThroughTheDictionaryMapping() -> None:
    rng = np.random.default_rng(2)
    order = rng.permutation(5000)
    ids = UNIVERSE.index.to_numpy()[order]
    values = rng.random(5000)
    table = pa.table({"id": pa.array(ids).dictionary_encode(), "prediction": values})
    out = io.BytesIO()
    pq.write_table(table, out)
    series = read_submission(out.getvalue(), UNIVERSE)
    assert series.index.equals(UNIVERSE.index)
    np.testing.assert_array_equal(series.to_numpy()[order], values)


@pytest.mark.parametrize("loader", [load_predictions, load_targets])
def test_scoringCli_refusesTheSameBomb(tmp_path: Path, loader: object) -> None:
    path = tmp_path / "bomb.parquet"
    path.write_bytes(dictionary_bomb(rows=5000, id_length=8000))
    with pytest.raises(ScoringInputError, match=f"more than {MAX_TEXT_BYTES}"):
        loader(path)  # type: ignore[operator]


def test_readBounded_decodesOrdinaryTextColumns() -> None:
    table = pa.table({"id": ["a", "b"], "era": ["e1", "e1"], "x": [1.0, 2.0]})
    out = io.BytesIO()
    pq.write_table(table, out)
    read = read_bounded(out.getvalue(), "t")
    assert read.column("era").type == pa.string() and read.column("id").to_pylist() == ["a", "b"]
