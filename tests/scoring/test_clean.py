"""The scoring CLI reads clean parquet inputs straight into arrays, without pandas, and gives
the checked pandas path's bits; any input that is not clean falls back to that path, which
names what is wrong with the message it always gave."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from oracle.errors import ScoringInputError
from oracle.scoring.__main__ import cli
from oracle.scoring.clean import clean_predictions, clean_round
from oracle.scoring.io import (
    load_factors,
    load_predictions,
    load_sample_weights,
    load_stakes,
    load_targets,
    write_table,
)
from oracle.scoring.round import RoundData, ScoreTable, score_arrays, score_round, score_table
from tests.helpers.reference import PROJECT

NAMES = ("predictions", "targets", "stakes", "features", "neutralizers", "sample_weights", "risk")
FLAGS = ("-p", "-t", "-s", "-f", "-n", "-w", "--risk-factors")


def write_round(folder: Path, n: int = 300, models: int = 9, seed: int = 3) -> dict[str, Path]:
    """Parquet inputs that reach every branch: ids in other orders, predictions and targets
    that only mostly overlap, integer and float32 columns, ties, an unstaked model and a model
    constant on the scored ids but not on the whole file."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"id{i:04d}" for i in range(n)], dtype=object)
    names = [f"m{i}" for i in range(models)]
    predictions = pd.DataFrame(
        rng.random((n, models)), index=pd.Index(ids, name="id"), columns=names
    )
    predictions["m1"] = np.round(predictions["m1"], 1)
    predictions["m2"] = rng.integers(0, 5, n)
    predictions["m3"] = predictions["m3"].astype(np.float32)
    predictions["m4"] = 0.5
    predictions.iloc[-10:, 4] = 0.9  # constant on the scored ids only: the last ids lack targets
    predictions = predictions.iloc[rng.permutation(n)]
    target_ids = np.concatenate([ids[:-10], [f"extra{i}" for i in range(12)]])
    targets = pd.DataFrame(
        {"id": target_ids, "target": rng.choice([0, 0.25, 0.5, 0.75, 1], len(target_ids))}
    )
    stakes = pd.DataFrame(
        {"model": [f"m{i}" for i in range(models - 1)], "stake": 1.0 + np.arange(models - 1)}
    )

    def factors(prefix: str, count: int) -> pd.DataFrame:
        frame = pd.DataFrame(
            rng.standard_normal((n, count)), columns=[f"{prefix}{j}" for j in range(count)]
        )
        frame.insert(0, "id", ids)
        return frame.iloc[rng.permutation(n)]

    frames = {
        "predictions": predictions,
        "targets": targets,
        "stakes": stakes,
        "features": factors("f", 4).assign(f0=lambda f: rng.integers(0, 5, n)),
        "neutralizers": factors("n", 3),
        "sample_weights": pd.DataFrame({"id": ids, "weight": rng.random(n) + 0.1}),
        "risk": factors("r", 2),
    }  # fmt: skip
    paths = {}
    for name, frame in frames.items():
        paths[name] = folder / f"{name}.parquet"
        frame.to_parquet(paths[name], index=name == "predictions")
    return paths


def pandas_round(paths: dict[str, Path]) -> RoundData:
    predictions = load_predictions(paths["predictions"])
    return RoundData(
        predictions=predictions,
        targets=load_targets(paths["targets"]),
        stakes=load_stakes(paths["stakes"], predictions.columns),
        features=load_factors(paths["features"], "features"),
        neutralizers=load_factors(paths["neutralizers"], "neutralizers"),
        sample_weights=load_sample_weights(paths["sample_weights"]),
        risk_factors=load_factors(paths["risk"], "risk factors"),
    )


def array_round(paths: dict[str, Path]) -> object:
    keyed = clean_predictions(paths["predictions"])
    if keyed is None:
        return None
    rest = [paths[name] for name in NAMES[1:]]
    return clean_round(keyed, *rest)


def assert_same_bits(a: ScoreTable, b: ScoreTable) -> None:
    assert a.models == b.models and a.rejected == b.rejected
    assert list(a.columns) == list(b.columns)
    for name in a.columns:
        assert a.columns[name].dtype == b.columns[name].dtype, name
        assert a.columns[name].tobytes() == b.columns[name].tobytes(), name


@pytest.mark.parametrize("chunk", [2, 512])
def test_cleanParquetRound_scoredAsArrays_givesThePandasPathsBits(
    tmp_path: Path, chunk: int
) -> None:
    paths = write_round(tmp_path)
    arrays = array_round(paths)
    assert arrays is not None
    by_arrays = score_arrays(arrays, chunk=chunk)  # type: ignore[arg-type]
    by_frames = score_table(pandas_round(paths), chunk=chunk)
    assert_same_bits(by_arrays, by_frames)
    assert set(by_arrays.rejected) == {"m4"} and "payout_ratio_ppb" in by_arrays.columns
    assert len(by_arrays) == 8


def test_cli_onCleanParquet_importsNoPandas_andWritesThePandasFile(tmp_path: Path) -> None:
    paths = write_round(tmp_path)
    out = tmp_path / "scores.parquet"
    args = [a for flag, name in zip(FLAGS, NAMES, strict=True) for a in (flag, str(paths[name]))]
    command = [sys.executable, "-X", "importtime", "-m", "oracle.scoring", "score", *args]
    done = subprocess.run(
        [*command, "-o", str(out)], cwd=PROJECT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "pyarrow.parquet" in imported and "pandas" not in imported
    assert "rich.console" not in imported  # off a terminal the lines are plain
    assert "model 'm4' rejected: it predicts the same value for all 290 scored ids" in done.stderr
    expected = tmp_path / "expected.parquet"
    write_table(score_round(pandas_round(paths)), expected)
    got, want = pd.read_parquet(out), pd.read_parquet(expected)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.attrs == want.attrs == {"rejected": score_table(pandas_round(paths)).rejected}
    assert pq.read_schema(out) == pq.read_schema(expected)
    assert pq.read_schema(out).metadata == pq.read_schema(expected).metadata


def _set(name: str, column: str, row: int, value: object) -> Callable[[dict[str, Path]], None]:
    def change(paths: dict[str, Path]) -> None:
        table = pq.read_table(paths[name])
        values = table.column(column).to_pylist()
        values[row] = value
        kind = pa.string() if isinstance(value, str) else None
        if kind is not None:
            values = [v if v is None else str(v) for v in values]
        field = table.schema.get_field_index(column)
        array = pa.array(values, type=kind or table.schema.field(field).type)
        pq.write_table(table.set_column(field, column, array), paths[name])

    return change


def _drop(name: str, column: str) -> Callable[[dict[str, Path]], None]:
    def change(paths: dict[str, Path]) -> None:
        pq.write_table(pq.read_table(paths[name]).drop_columns([column]), paths[name])

    return change


@pytest.mark.parametrize(
    "change",
    [
        _set("predictions", "id", 5, None),
        _set("predictions", "id", 5, "id0001"),
        _set("predictions", "id", 5, ""),
        _set("predictions", "m0", 5, float("nan")),
        _set("targets", "id", 3, "id0002"),
        _set("targets", "target", 3, "high"),
        _set("stakes", "model", 0, "nobody"),
        _set("stakes", "stake", 0, -1.0),
        _set("sample_weights", "weight", 0, -1.0),
        _set("neutralizers", "n0", 0, float("inf")),
        _set("risk", "id", 7, None),
        _drop("targets", "id"),
    ],
    ids=[
        "null id", "repeated id", "empty id", "NaN prediction", "repeated target id",
        "text target", "unknown staked model", "negative stake", "negative weight",
        "inf neutralizer", "null risk id", "no target ids",
    ],
)  # fmt: skip
def test_uncleanParquet_fallsBackToTheCheckedPath_andItsMessage(
    tmp_path: Path, change: Callable[[dict[str, Path]], None]
) -> None:
    paths = write_round(tmp_path)
    change(paths)
    assert array_round(paths) is None
    with pytest.raises(ScoringInputError) as raised:
        pandas_round(paths)
    args = [a for flag, name in zip(FLAGS, NAMES, strict=True) for a in (flag, str(paths[name]))]
    result = CliRunner().invoke(cli, ["score", *args, "-o", str(tmp_path / "out.parquet")])
    assert result.exit_code == 1
    assert f"Error: {raised.value}" in " ".join(result.output.split())
    assert not (tmp_path / "out.parquet").exists()
