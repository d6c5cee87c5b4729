"""``python -m oracle.scoring score ...``: score a round's predictions from files."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import click

from oracle.errors import RoundInputError, ScoringInputError, TournamentError, one_line
from oracle.scoring.clean import clean_predictions, clean_round
from oracle.scoring.config import ScoringConfig
from oracle.scoring.io import (
    check_output,
    load_factors,
    load_predictions,
    load_sample_weights,
    load_stakes,
    load_targets,
    predictions_frame,
    write_scores,
)
from oracle.scoring.round import RoundData, missing_for_payout, score_arrays, score_table
from oracle.scoring.transforms import deterministic as fixed_order

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
    help="Models per chunk: bounds memory. Scores can differ in the last bit between chunk "
    "sizes; --deterministic fixes it.",
)
@click.option(
    "--deterministic",
    is_flag=True,
    help="Bit-reproducible scores, as the oracle's resolve and verify compute them: chunk 512 "
    "and one BLAS thread (slower on many cores).",
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
    deterministic: bool,
) -> None:
    """Score every model in PREDICTIONS against TARGETS and write one row per model to OUT."""
    console = Reporter()
    try:
        started = time.perf_counter()
        if (neutralizers is None) != (sample_weights is None):
            raise click.UsageError("--neutralizers and --sample-weights go together")
        inputs = (
            predictions, targets, stakes, features, neutralizers, sample_weights, risk_factors,
            config,
        )  # fmt: skip
        check_output(out, inputs)
        settings = ScoringConfig.load(config) if config else ScoringConfig()
        # Clean parquet inputs are read straight into arrays (no pandas); any other input
        # takes the checked path, which names what is wrong with it.
        keyed = clean_predictions(predictions)
        arrays = None
        if keyed is not None:
            arrays = clean_round(
                keyed, targets, stakes, features, neutralizers, sample_weights, risk_factors
            )
        if arrays is not None:
            scorer = partial(score_arrays, arrays)
        else:
            preds = predictions_frame(keyed) if keyed is not None else load_predictions(predictions)
            data = RoundData(
                predictions=preds,
                targets=load_targets(targets),
                stakes=load_stakes(stakes, preds.columns) if stakes else None,
                features=load_factors(features, "features") if features else None,
                neutralizers=load_factors(neutralizers, "neutralizers") if neutralizers else None,
                sample_weights=load_sample_weights(sample_weights) if sample_weights else None,
                risk_factors=load_factors(risk_factors, "risk factors") if risk_factors else None,
            )
            scorer = partial(score_table, data)
        with console.status("scoring") as status, pinned(deterministic) as fixed:
            try:
                scores = scorer(settings, fixed or chunk, status.update)
            except RoundInputError as err:
                blamed = {"targets": targets, "sample weights": sample_weights}.get(err.what)
                raise ScoringInputError(f"{err.what} file {blamed}: {err}") from err
        write_scores(scores, out)
    except TournamentError as err:
        raise click.ClickException(one_line(str(err))) from err
    for model, reason in scores.rejected.items():
        console.print(f"model '{model}' rejected: {reason}")
    missing = missing_for_payout(scores.columns, settings)
    if missing:
        console.print(
            f"no payout_ratio: the config weights {', '.join(missing)}, which needs --stakes"
        )
    console.print(
        f"scored {len(scores)} models in {time.perf_counter() - started:.2f} s "
        f"({', '.join(scores.columns)}) -> {out}"
    )


class Reporter:
    """Progress and results on stderr: rich's spinner on a terminal; plain, unwrapped lines
    elsewhere (logs, pipes), where rich (about 30 ms to import) is not loaded."""

    def __init__(self) -> None:
        self._rich: Any = None
        if sys.stderr.isatty():
            from rich.console import Console

            self._rich = Console(stderr=True)

    def print(self, line: str) -> None:
        if self._rich is not None:
            self._rich.print(line, markup=False, highlight=False)
        else:
            click.echo(line, err=True)

    @contextmanager
    def status(self, first: str) -> Iterator[Any]:
        """A spinner that shows the current stage on a terminal; a no-op elsewhere."""
        if self._rich is None:
            yield _Silent()
            return
        with self._rich.status(first) as shown:
            yield shown


class _Silent:
    def update(self, _stage: str) -> None:
        """Stages are not printed off a terminal: the closing line says what was done."""


@contextmanager
def pinned(deterministic: bool) -> Iterator[int | None]:
    """The deterministic mode (one BLAS thread, the fixed chunk) when asked for."""
    if not deterministic:
        yield None
        return
    with fixed_order() as chunk:
        yield chunk


def main() -> None:
    """Run the CLI and leave with its exit status at once.

    pyarrow's thread pools, torn down during interpreter finalisation, sometimes abort the
    process ("terminate called without an active exception", exit 134) after an error was
    printed. Flushing the output and leaving with ``os._exit`` skips that teardown, so the
    exit status is always the CLI's own. A file-size limit (SIGXFSZ) is turned into an error
    on write instead of killing the process.
    """
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        cli(prog_name="python -m oracle.scoring", standalone_mode=False)
        status = 0
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        status = 1
    except click.ClickException as err:
        err.show()
        status = err.exit_code
    except SystemExit as err:
        status = err.code if isinstance(err.code, int) else (0 if err.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
