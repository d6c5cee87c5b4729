"""``python -m oracle.scoring score ...``: score a round's predictions from files."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.console import Console

from oracle.errors import TournamentError, one_line
from oracle.scoring.config import ScoringConfig
from oracle.scoring.io import (
    load_factors,
    load_predictions,
    load_sample_weights,
    load_stakes,
    load_targets,
    write_table,
)
from oracle.scoring.round import RoundData, missing_for_payout, score_round

FILE = click.Path(path_type=Path, dir_okay=False)


@click.group()
def cli() -> None:
    """Score tournament predictions (CORR, MMC, TC, FNC, alpha, MPC) and payout ratios."""


@cli.command()
@click.option(
    "--predictions",
    "-p",
    type=FILE,
    required=True,
    help="Parquet or csv: an id column and one numeric column per model.",
)
@click.option("--targets", "-t", type=FILE, required=True, help="Parquet or csv: id,target.")
@click.option(
    "--stakes", "-s", type=FILE, help="Parquet or csv: model,stake (tokens). Enables MMC and TC."
)
@click.option(
    "--features", "-f", type=FILE, help="Parquet or csv: id and feature columns. Enables FNC."
)
@click.option("--neutralizers", "-n", type=FILE, help="Parquet or csv: id and neutralizer columns.")
@click.option(
    "--sample-weights",
    "-w",
    type=FILE,
    help="Parquet or csv: id,weight. With --neutralizers enables alpha and MPC.",
)
@click.option(
    "--risk-factors",
    type=FILE,
    help="Parquet or csv: id and factor columns TC's portfolio must be neutral to.",
)
@click.option(
    "--config", "-c", type=FILE, help="Scoring config JSON (payout weights, clip, TC optimiser)."
)
@click.option(
    "--out", "-o", type=FILE, required=True, help="Where to write the scores (.parquet or .csv)."
)
@click.option(
    "--chunk",
    type=click.IntRange(min=1),
    default=512,
    show_default=True,
    help="Models per chunk: bounds memory.",
)
def score(
    predictions: Path,
    targets: Path,
    stakes: Path | None,
    features: Path | None,
    neutralizers: Path | None,
    sample_weights: Path | None,
    risk_factors: Path | None,
    config: Path | None,
    out: Path,
    chunk: int,
) -> None:
    """Score every model in PREDICTIONS against TARGETS and write one row per model to OUT."""
    console = Console(stderr=True)
    try:
        started = time.perf_counter()
        settings = ScoringConfig.load(config) if config else ScoringConfig()
        if (neutralizers is None) != (sample_weights is None):
            raise click.UsageError("--neutralizers and --sample-weights go together")
        preds = load_predictions(predictions)
        data = RoundData(
            predictions=preds,
            targets=load_targets(targets),
            stakes=load_stakes(stakes, preds.columns) if stakes else None,
            features=load_factors(features, "features") if features else None,
            neutralizers=load_factors(neutralizers, "neutralizers") if neutralizers else None,
            sample_weights=load_sample_weights(sample_weights) if sample_weights else None,
            risk_factors=load_factors(risk_factors, "risk factors") if risk_factors else None,
        )
        with console.status("scoring") as status:
            scores = score_round(
                data, settings, chunk=chunk, progress=lambda stage: status.update(stage)
            )
        write_table(scores, out)
    except TournamentError as err:
        raise click.ClickException(one_line(str(err))) from err
    missing = missing_for_payout(scores, settings)
    if missing:
        console.print(
            f"no payout_ratio: the config weights {', '.join(missing)}, which needs --stakes"
        )
    console.print(
        f"scored {len(scores)} models in {time.perf_counter() - started:.2f} s "
        f"({', '.join(scores.columns)}) -> {out}"
    )


def main() -> None:
    cli(prog_name="python -m oracle.scoring")


if __name__ == "__main__":
    main()
