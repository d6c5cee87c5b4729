"""The one validator of predictions files (intake, wallet, service)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oracle.errors import InvalidSubmissionError
from oracle.market import to_parquet
from oracle.scoring.fast_read import Universe
from oracle.scoring.validate import read_submission

IDS = ["a", "NA", "None", "null", "n5"]
UNIVERSE = Universe(IDS)


def csv(rows: list[tuple[str, str]], header: str = "id,prediction") -> bytes:
    return ("\n".join([header, *(f"{i},{p}" for i, p in rows)]) + "\n").encode()


def parquet(ids: list[str], values: list[float]) -> bytes:
    return to_parquet(pd.DataFrame({"id": ids, "prediction": values}))


VALUES = [0.1, 0.2, 0.3, 0.4, 0.5]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_validFile_readsNaLikeIdsAsLiteralStrings(fmt: str) -> None:
    data = (
        csv(list(zip(IDS, map(str, VALUES), strict=True))) if fmt == "csv" else parquet(IDS, VALUES)
    )
    series = read_submission(data, UNIVERSE)
    assert series.index.tolist() == IDS
    assert series.tolist() == VALUES


def test_reorderedIds_areAlignedToTheUniverse() -> None:
    series = read_submission(parquet(IDS[::-1], VALUES[::-1]), UNIVERSE)
    assert series.index.tolist() == IDS and series.tolist() == VALUES


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"\xff\xfe\x00", "not parquet, and not a UTF-8 csv"),
        (csv([("a", "0.1")], header="id,pred"), "columns must be exactly id,prediction"),
        (csv([("a", "0.1"), ("a", "0.2")]), "appear more than once"),
        (csv([("a", "0.1"), ("NA", "nan")]), "missing, not numbers, NaN or inf"),
        (csv([("a", "0.1"), ("NA", "")]), "missing, not numbers, NaN or inf"),
        (csv([("a", "0.1"), ("NA", "1.5")]), "outside [0, 1]"),
        (csv([("a", "0.5"), ("NA", "0.5")]), "every prediction is the same value"),
        (csv([("a", "0.1"), ("NA", "0.2")]), "live id(s) missing"),
        (csv([(i, "0.1") for i in IDS] + [("zz", "0.3")]), "not in the live data"),
        (b"PAR1garbagePAR1", "not a readable parquet file"),
        (csv([("a", "0.1")]), "at least 2 rows"),
        (csv([("a", "0.1"), ("", "0.2")]), "1 id(s) are empty (the first on data row 2)"),
    ],
)
def test_invalidFile_isRejectedWithOneLineReason(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidSubmissionError) as err:
        read_submission(data, UNIVERSE)
    assert reason in str(err.value)
    assert "\n" not in str(err.value)


def test_tooLargeFile_isRejectedBeforeReading() -> None:
    with pytest.raises(InvalidSubmissionError, match="more than 10"):
        read_submission(b"x" * 11, UNIVERSE, max_bytes=10)


def test_manyBadIds_areSummarisedNotListed() -> None:
    ids = [f"x{i}" for i in range(500)]
    data = parquet(ids, list(np.linspace(0, 1, 500)))
    with pytest.raises(InvalidSubmissionError) as err:
        read_submission(data, UNIVERSE)
    assert "and 497 more" in str(err.value) and len(str(err.value)) < 400


def test_fastAndFullPaths_agree() -> None:
    ids = [f"n{i:05d}" for i in range(1000)]
    values = np.random.default_rng(1).random(1000)
    universe = Universe(ids)
    fast = read_submission(parquet(ids, list(values)), universe)
    full = read_submission(
        pd.DataFrame({"id": ids, "prediction": values}).to_csv(index=False).encode(), universe
    )
    pd.testing.assert_series_equal(fast, full, check_exact=False, rtol=1e-15)


def test_byteOrderMarkAndProbabilityHeader_areAcceptedAsNumeraiToolsDoes() -> None:
    rows = list(zip(IDS, map(str, VALUES), strict=True))
    for data in (b"\xef\xbb\xbf" + csv(rows), csv(rows, header="id,probability")):
        assert read_submission(data, UNIVERSE).tolist() == VALUES
    frame = pd.DataFrame({"id": IDS, "probability": VALUES})
    assert read_submission(to_parquet(frame), UNIVERSE).tolist() == VALUES


def test_csv_isParsedCorrectlyRoundedWithTheRanksPandasGave() -> None:
    rng = np.random.default_rng(5)
    n = 4000
    ids = [f"n{i:05d}" for i in range(n)]
    values = rng.random(n)
    # Shortest reprs, 17 significant digits, fixed and exponent forms, as files carry them.
    texts = [
        (repr, lambda v: f"{v:.17g}", lambda v: f"{v:.6f}", lambda v: f"{v:.4e}")[i % 4](float(v))
        for i, v in enumerate(values)
    ]
    data = "id,prediction\n" + "".join(f"{a},{b}\n" for a, b in zip(ids, texts, strict=True))
    series = read_submission(data.encode(), Universe(ids))
    assert [float(t) for t in texts] == series.tolist()  # exact: correctly rounded
    # pandas' own parse (the validator's before) is off by an ulp at times, never in rank.
    before = pd.to_numeric(pd.Series(texts)).to_numpy(np.float64)
    assert (pd.Series(before).rank().to_numpy() == series.rank().to_numpy()).all()


@pytest.mark.parametrize(
    "body",
    [
        "id,prediction\r\na,0.25\r\nNA,0.5\r\nNone,0.75\r\nnull,1\r\nn5,0\r\n",
        'id,prediction\n"a","0.25"\nNA,0.5\nNone,0.75\nnull,1\nn5,0\n',
        "id,prediction\na, 0.25\nNA,0.5 \nNone,+0.75\nnull,1\nn5,0\n\n",
        "id,prediction\na,0.25\nNA,0.5\nNone,0.75\nnull,1e0\nn5,-0\n",
    ],
)
def test_csvVariants_areReadAsTheFullPathReadsThem(body: str) -> None:
    series = read_submission(body.encode(), UNIVERSE)
    assert series.index.tolist() == IDS
    assert series.tolist() == [0.25, 0.5, 0.75, 1.0, 0.0]
