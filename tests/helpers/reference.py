"""Loaders for the numerai-tools reference fixtures (tests/scoring/reference)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from oracle.scoring.round import RoundData

PROJECT = Path(__file__).resolve().parents[2]
REFERENCE = PROJECT / "tests" / "scoring" / "reference"
CASES = sorted(p.name for p in REFERENCE.iterdir() if (p / "expected.json").is_file())


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    predictions: pd.DataFrame
    targets: pd.Series
    stakes: pd.Series
    features: pd.DataFrame
    neutralizers: pd.DataFrame
    sample_weights: pd.Series
    expected: dict[str, dict[str, float]]

    def path(self, what: str) -> Path:
        return self.folder / f"{what}.parquet"

    def round_data(self, risk_factors: pd.DataFrame | None = None) -> RoundData:
        """Every input of the case, as the round scorer takes them."""
        return RoundData(
            predictions=self.predictions,
            targets=self.targets,
            stakes=self.stakes,
            features=self.features,
            neutralizers=self.neutralizers,
            sample_weights=self.sample_weights,
            risk_factors=risk_factors,
        )


def load_case(name: str) -> Case:
    folder = REFERENCE / name

    def read(what: str) -> pd.DataFrame:
        return pd.read_parquet(folder / f"{what}.parquet")

    return Case(
        name=name,
        folder=folder,
        predictions=read("predictions"),
        targets=read("targets")["target"],
        stakes=read("stakes")["stake"],
        features=read("features"),
        neutralizers=read("neutralizers"),
        sample_weights=read("sample_weights")["weight"],
        expected=json.loads((folder / "expected.json").read_text()),
    )
