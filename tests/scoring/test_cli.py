"""``python -m oracle.scoring score``: results, and one clear line for each kind of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from oracle.scoring.__main__ import cli
from tests.helpers.reference import PROJECT, load_case


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["score", *args])
    return result.exit_code, result.output


def write_inputs(folder: Path, n: int = 50, models: int = 3, seed: int = 0) -> dict[str, Path]:
    rng = np.random.default_rng(seed)
    ids = [f"id{i:03d}" for i in range(n)]
    predictions = pd.DataFrame(
        rng.standard_normal((n, models)),
        index=pd.Index(ids, name="id"),
        columns=[f"m{i}" for i in range(models)],
    )
    targets = pd.DataFrame({"id": ids, "target": rng.choice([0, 0.25, 0.5, 0.75, 1], n)})
    stakes = pd.DataFrame({"model": predictions.columns, "stake": [10.0, 20.0, 5.0][:models]})
    paths = {
        "predictions": folder / "predictions.csv",
        "targets": folder / "targets.csv",
        "stakes": folder / "stakes.csv",
    }
    predictions.to_csv(paths["predictions"])
    targets.to_csv(paths["targets"], index=False)
    stakes.to_csv(paths["stakes"], index=False)
    return paths


def test_cli_scores_a_reference_case_as_numerai_tools_does(tmp_path: Path) -> None:
    case = load_case("random")
    out = tmp_path / "scores.parquet"
    code, output = run(
        "-p",
        str(case.path("predictions")),
        "-t",
        str(case.path("targets")),
        "-s",
        str(case.path("stakes")),
        "-f",
        str(case.path("features")),
        "-n",
        str(case.path("neutralizers")),
        "-w",
        str(case.path("sample_weights")),
        "-o",
        str(out),
    )
    assert code == 0, output
    scores = pd.read_parquet(out)
    for column, reference in [
        ("corr", "numerai_corr"),
        ("mmc", "correlation_contribution"),
        ("fnc", "feature_neutral_corr"),
        ("alpha", "alpha"),
        ("mpc", "meta_portfolio_contribution"),
    ]:
        expected = pd.Series(case.expected[reference])
        assert (scores[column].loc[expected.index] - expected).abs().max() <= 1e-9
    assert {"tc", "payout_ratio", "payout_ratio_ppb"} <= set(scores.columns)
    assert scores["payout_ratio"].abs().max() <= 0.05


def test_cli_runs_as_a_module_and_uses_the_config(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path)
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {"payout": {"corr_weight_ppm": 1_000_000, "mmc_weight_ppm": 0, "clip_ppm": 1000}}
        )
    )
    out = tmp_path / "scores.csv"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "oracle.scoring",
            "score",
            "--predictions",
            str(paths["predictions"]),
            "--targets",
            str(paths["targets"]),
            "--stakes",
            str(paths["stakes"]),
            "--config",
            str(config),
            "--out",
            str(out),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "scored 3 models" in result.stderr
    scores = pd.read_csv(out, index_col="model")
    expected = np.clip(scores["corr"], -0.001, 0.001)
    assert (scores["payout_ratio"] - expected).abs().max() <= 1e-9


def test_cli_without_stakes_omits_mmc_tc_and_says_why_no_ratio(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path)
    out = tmp_path / "scores.csv"
    code, output = run("-p", str(paths["predictions"]), "-t", str(paths["targets"]), "-o", str(out))
    assert code == 0, output
    assert "no payout_ratio" in output and "mmc" in output
    assert list(pd.read_csv(out).columns) == ["model", "corr"]


def corrupt(paths: dict[str, Path], what: str, change) -> None:
    frame = pd.read_csv(paths[what], dtype={"id": str, "model": str})
    change(frame)
    frame.to_csv(paths[what], index=False)


BAD_INPUTS = [
    pytest.param(
        "targets",
        lambda f: f.drop(index=range(0, 15), inplace=True),
        "only 35 of the 50 ids of the predictions overlap",
        id="overlap-below-80%",
    ),
    pytest.param(
        "predictions",
        lambda f: f.loc.__setitem__((3, "m1"), np.nan),
        "NaN or inf value(s), e.g. in model 'm1'",
        id="nan",
    ),
    pytest.param(
        "predictions",
        lambda f: f.loc.__setitem__((4, "m2"), np.inf),
        "NaN or inf value(s), e.g. in model 'm2'",
        id="inf",
    ),
    pytest.param(
        "targets",
        lambda f: f.loc.__setitem__((4, "target"), np.nan),
        "targets file",
        id="nan-target",
    ),
    pytest.param(
        "predictions", lambda f: f.__setitem__("m0", 0.5), "model 'm0'", id="constant-predictions"
    ),
    pytest.param(
        "predictions",
        lambda f: f.loc.__setitem__((7, "id"), "id001"),
        "repeats 1 id(s), e.g. 'id001'",
        id="duplicate-ids",
    ),
    pytest.param(
        "predictions",
        lambda f: f.__setitem__("m1", "high"),
        "not a number in model 'm1' ('high' for 'id000')",
        id="non-numeric-column",
    ),
    pytest.param(
        "stakes",
        lambda f: f.loc.__setitem__((1, "model"), "ghost"),
        "with no predictions, e.g. 'ghost'",
        id="unknown-model-in-stakes",
    ),
    pytest.param(
        "stakes",
        lambda f: f.loc.__setitem__((1, "stake"), -3),
        "negative stake",
        id="negative-stake",
    ),
]


@pytest.mark.parametrize(("what", "change", "message"), BAD_INPUTS)
def test_bad_input_fails_with_one_line_and_writes_nothing(tmp_path, what, change, message) -> None:
    paths = write_inputs(tmp_path)
    corrupt(paths, what, change)
    out = tmp_path / "scores.csv"
    code, output = run(
        "-p",
        str(paths["predictions"]),
        "-t",
        str(paths["targets"]),
        "-s",
        str(paths["stakes"]),
        "-o",
        str(out),
    )
    assert code == 1
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    assert message in lines[0]
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--predictions", "missing.parquet"], "predictions file missing.parquet does not exist"),
        (["--predictions", "predictions.txt"], "must end in .parquet or .csv"),
        (["--config", "config.json"], "scoring config config.json does not exist"),
        (["--out", "nowhere/scores.csv"], "does not exist: create it first"),
    ],
)
def test_bad_paths_fail_with_one_line(tmp_path, monkeypatch, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    paths = write_inputs(tmp_path)
    defaults = {
        "--predictions": str(paths["predictions"]),
        "--targets": str(paths["targets"]),
        "--out": "scores.csv",
    }
    defaults.update(dict(zip(args[::2], args[1::2], strict=True)))
    code, output = run(*[x for pair in defaults.items() for x in pair])
    assert code == 1
    assert message in output


def test_bad_config_keys_are_named(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"payout": {"clip": 5}}))
    code, output = run(
        "-p",
        str(paths["predictions"]),
        "-t",
        str(paths["targets"]),
        "-c",
        str(config),
        "-o",
        str(tmp_path / "o.csv"),
    )
    assert code == 1
    assert "unknown fields in scoring config 'payout': 'clip'" in output


def test_neutralizers_need_sample_weights(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path)
    code, output = run(
        "-p",
        str(paths["predictions"]),
        "-t",
        str(paths["targets"]),
        "-n",
        str(paths["predictions"]),
        "-o",
        str(tmp_path / "o.csv"),
    )
    assert code == 2
    assert "--neutralizers and --sample-weights go together" in output


def test_factor_files_that_lack_scored_ids_are_named(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path)
    ids = pd.read_csv(paths["targets"], dtype={"id": str})["id"]
    partial = pd.DataFrame({"id": ids[:40], "f0": np.arange(40.0)})
    partial.to_csv(tmp_path / "features.csv", index=False)
    code, output = run(
        "-p",
        str(paths["predictions"]),
        "-t",
        str(paths["targets"]),
        "-f",
        str(tmp_path / "features.csv"),
        "-o",
        str(tmp_path / "o.csv"),
    )
    assert code == 1
    assert "the features lack 10 of the 50 scored ids" in output


def test_risk_factors_make_the_tc_portfolio_neutral(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path, n=200)
    ids = pd.read_csv(paths["targets"], dtype={"id": str})["id"]
    rng = np.random.default_rng(5)
    factors = pd.DataFrame({"id": ids, "size": rng.standard_normal(200), "value": rng.random(200)})
    factors.to_csv(tmp_path / "risk.csv", index=False)
    outputs = {}
    for name, extra in (("plain", []), ("neutral", ["--risk-factors", str(tmp_path / "risk.csv")])):
        out = tmp_path / f"{name}.csv"
        code, output = run(
            "-p",
            str(paths["predictions"]),
            "-t",
            str(paths["targets"]),
            "-s",
            str(paths["stakes"]),
            "-o",
            str(out),
            *extra,
        )
        assert code == 0, output
        outputs[name] = pd.read_csv(out, index_col="model")
    assert (outputs["plain"]["corr"] == outputs["neutral"]["corr"]).all()
    assert (outputs["plain"]["tc"] - outputs["neutral"]["tc"]).abs().max() > 1e-6
