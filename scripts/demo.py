"""`ape run demo` (`make demo`): whole tournament rounds on the local devnet.

Deploys (or reuses the deployment), starts the oracle service in the background, funds the
participants and plays ``--rounds`` rounds: train, submit, reveal, publish, resolve,
finalize, claim and restake, then the leaderboard, the summary line, `verify` and the HTML
report of each round. See oracle/demo/.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from oracle.chain.accounts import LOCAL_ROLE_INDEX, is_local_chain, test_account
from oracle.chain.deploy import Roles, deploy
from oracle.cli.boundary import cli_errors
from oracle.cli.commands import DevnetCommand
from oracle.errors import NetworkError
from oracle.files import write_atomically
from oracle.protocol.units import table_amount

console = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)


def deploy_or_reuse(provider: Any) -> None:
    deployer = test_account(LOCAL_ROLE_INDEX["deployer"])
    roles = Roles(
        *(
            str(test_account(LOCAL_ROLE_INDEX[r]).address)
            for r in ("treasury", "operator", "oracle", "guardian")
        )
    )
    result = deploy(
        provider, deployer, roles, treasury_signer=test_account(LOCAL_ROLE_INDEX["treasury"])
    )
    d = result.deployment
    what = "reused" if result.reused else "deployed"
    console.print(f"chain {d.chain_id} at {provider.uri}: contracts {what}")
    for name, rec in d.contracts.items():
        console.print(f"  {name}: {rec.address}")


def leaderboard(outcome: Any) -> Table:
    table = Table(title=f"round {outcome.round}", title_justify="left")
    for column in ("model", "stake", "CORR", "MMC", "TC", "reward", "burn", "net", "status"):
        table.add_column(column, justify="left" if column in ("model", "status") else "right")
    for row in outcome.leaderboard:
        scores = [row[k] for k in ("corr", "mmc", "tc")]
        table.add_row(
            row["model"],
            table_amount(row["stake"]),
            *("-" if v is None else f"{v:+.4f}" for v in scores),
            table_amount(row["reward"]),
            table_amount(row["burn"]),
            table_amount(row["reward"] - row["burn"], signed=True),
            row["status"],
        )
    return table


@click.command(cls=DevnetCommand)
@click.option("--rounds", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--participants", type=click.IntRange(min=13), default=22, show_default=True,
    help="simulated participants (development accounts 10 and up); 13 cover every behaviour",
)  # fmt: skip
@click.option(
    "--kind", type=click.Choice(["classic", "signals"]), default="classic", show_default=True
)
@click.option("--live-stocks", type=click.IntRange(min=100), default=5000, show_default=True)
@click.option("--budget", default="1000", show_default=True, help="each round's budget")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="the service's port (default: 8000 if free)")  # fmt: skip
@click.option("--timings", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="write per-phase wall times, transactions and gas here (JSON)")  # fmt: skip
@click.option("--reports", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="where the round reports go (default: reports/)")  # fmt: skip
@click.option("--keep-serving", is_flag=True, help="leave the service running until Ctrl-C")
@click.option(
    "--faulty-oracle",
    is_flag=True,
    help="post the first round's resolution wrong on purpose: a watcher disputes it, the "
    "guardian upholds, the oracle posts the honest root",
)
@cli_errors
def cli(
    provider: Any,
    rounds: Any,
    participants: Any,
    kind: Any,
    live_stocks: Any,
    budget: Any,
    port: Any,
    timings: Any,
    reports: Any,
    keep_serving: Any,
    faulty_oracle: Any,
) -> None:
    """Play whole tournament rounds on the local devnet and report them."""
    from ape.logging import logger

    from oracle.demo.runner import Demo, DemoOptions

    if not is_local_chain(provider):
        raise NetworkError("the demo runs on the local devnet only: drop --network")
    # The participants send hundreds of transactions: ape's line per transaction is noise here.
    logger.set_level("WARNING")
    started = time.monotonic()
    deploy_or_reuse(provider)
    options = DemoOptions(
        rounds,
        participants,
        kind,
        live_stocks,
        budget,
        service_port=port,
        faulty_oracle=faulty_oracle,
    )
    if reports is not None:
        options = replace(options, reports=reports)
    demo = Demo(provider, options, console)
    try:
        with console.status("starting the oracle service and funding the participants"):
            demo.setup()
        setup_seconds = time.monotonic() - started
        result = demo.run()
        for outcome in result.rounds:
            out.print(leaderboard(outcome))
        for outcome in result.rounds:
            out.print(outcome.summary)
            out.print(f"  verify: {outcome.verify}")
            out.print(f"  report: {outcome.report}")
        for story in result.disputes:
            for line in story.lines():
                out.print(line)
        out.print("incentive checks:")
        for check in result.checks:
            out.print(f"  {check.line()}")
        total = time.monotonic() - started
        console.print(
            f"{len(result.rounds)} round(s) with {result.participants} participants and "
            f"{result.models} models in {total:.0f} s ({setup_seconds:.0f} s of setup)"
        )
        if timings is not None:
            data = {**result.to_json(), "setup_seconds": round(setup_seconds, 3),
                    "total_seconds": round(total, 3)}  # fmt: skip
            write_atomically(timings, json.dumps(data, indent=1).encode() + b"\n")
        if keep_serving and demo.service is not None:
            console.print(f"the leaderboard is at {demo.service.url}: Ctrl-C to stop")
            with contextlib.suppress(KeyboardInterrupt):
                demo.service.process.wait()
        if not all(c.ok for c in result.checks):
            raise click.ClickException("an incentive check failed (see above)")
    finally:
        demo.close()
