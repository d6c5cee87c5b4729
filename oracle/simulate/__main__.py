"""``python -m oracle.simulate``: the incentive study (``make simulate``)."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from oracle import PROJECT_ROOT
from oracle.errors import TournamentError, one_line
from oracle.simulate.config import SimulationConfig

console = Console(stderr=True, soft_wrap=True)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--rounds", type=click.IntRange(min=1), help="Rounds to play (default 200).")
@click.option("--seed", type=click.IntRange(min=0), help="The market's and models' seed (0).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A JSON simulation config (see docs/incentives.md); --rounds and --seed override it.",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path, dir_okay=False),
    default=PROJECT_ROOT / "reports" / "incentives.html",
    show_default="reports/incentives.html",
    help="Where to write the HTML report.",
)
@click.option(
    "--results",
    type=click.Path(path_type=Path, dir_okay=False),
    default=PROJECT_ROOT / "bench" / "results" / "incentives.json",
    show_default="bench/results/incentives.json",
    help="Where to write the JSON results (with the run's time).",
)
def cli(
    rounds: int | None, seed: int | None, config_path: Path | None, report: Path, results: Path
) -> None:
    """Simulate rounds of participant strategies under several payout rules and show which
    strategies profit: random, constant, hedged, cloned, split and momentum staking against
    informed models. Needs no chain."""
    from oracle.simulate import report as out
    from oracle.simulate.engine import simulate

    config = SimulationConfig.load(config_path) if config_path else SimulationConfig()
    if rounds is not None:
        config = replace(config, rounds=rounds)
    if seed is not None:
        config = replace(config, seed=seed)
    for path in (report, results):
        folder = path.parent
        if folder.exists() and not folder.is_dir():
            raise click.UsageError(f"{folder} is not a folder: choose another path for {path.name}")
    started = time.perf_counter()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("preparing", total=config.rounds)

        def say(message: str) -> None:
            bar.update(task, description=message)
            if not console.is_terminal:
                console.print(message)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, description=f"round {done}/{total}")

        sim = simulate(config, say=say, tick=tick)
    doc = out.results_document(sim)
    html = out.page(sim, doc)
    doc["benchmark"]["seconds"]["report"] = round(
        time.perf_counter() - started - sim.seconds["total"], 3
    )
    for path in (report, results):
        path.parent.mkdir(parents=True, exist_ok=True)
    out.write_results(results, doc)
    out.write_page(report, html)
    _print(doc)
    console.print(
        f"{config.rounds} rounds x {doc['benchmark']['positions']} positions in "
        f"{sim.seconds['total']:.1f} s (written in {time.perf_counter() - started:.1f} s): "
        f"{report} and {results}; digest {doc['digest']}"
    )


def _print(doc: dict[str, object]) -> None:
    """The side-by-side table and the failed properties, on the terminal."""
    rules = doc["rules"]
    summary = doc["summary"]
    assert isinstance(rules, list) and isinstance(summary, dict)
    table = Table(title="mean payout per round, % of stake (± its 95% interval)")
    table.add_column("strategy")
    for rule in rules:
        table.add_column(f"{rule['name']}\n{rule['label']}", justify="right")
    reference = summary[rules[0]["name"]]
    for i, row in enumerate(reference):
        cells = []
        for rule in rules:
            s = summary[rule["name"]][i]
            low, high = s["ci95_pct"]
            colour = {"earns": "green", "loses": "red"}.get(s["verdict"], "")
            interval = "" if low is None else f" ±{(high - low) / 2:.2f}"
            text = f"{s['mean_pct']:+.2f}{interval}"
            cells.append(f"[{colour}]{text}[/]" if colour else text)
        table.add_row(row["strategy"], *cells)
    Console().print(table)
    properties = doc["properties"]
    assert isinstance(properties, list)
    failed = [p for p in properties if not p["holds"]]
    held = len(properties) - len(failed)
    console.print(f"properties: {held} of {len(properties)} hold")
    for p in failed:
        console.print(f"[red]fails[/] under {p['rule']}: {p['property']}: {p['detail']}")


def main() -> None:
    try:
        cli.main(standalone_mode=False, prog_name="python -m oracle.simulate")
    except click.exceptions.Abort:
        console.print("error: interrupted; nothing was written")
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except (TournamentError, OSError) as err:
        console.print(f"error: {one_line(str(err))}", markup=False, highlight=False)
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
