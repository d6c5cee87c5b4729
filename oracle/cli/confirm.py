"""Show a transaction's plan and its gas, then send only on a confirmation (or ``--yes``)."""

from __future__ import annotations

import sys
from typing import Any

import click

from oracle.errors import TournamentError
from oracle.protocol.units import format_amount


def confirm_plan(lines: list[str], yes: bool) -> None:
    """Print the plan; unless ``yes``, ask on the terminal (no terminal: refuse, say ``--yes``)."""
    for line in lines:
        click.echo(line)
    if yes:
        return
    if not sys.stdin.isatty():
        raise TournamentError("not sent: pass --yes to send without a terminal to confirm on")
    click.confirm("Send?", abort=True)


def gas_line(provider: Any, gas: int) -> str:
    """``gas about N at P gwei: C ether``, at the node's gas price."""
    price = int(provider.gas_price)
    return f"  gas about {gas:,} at {price / 1e9:.3g} gwei: {format_amount(gas * price)} ether"
