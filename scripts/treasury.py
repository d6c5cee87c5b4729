"""`ape run treasury <command>`: the treasury's tokens on any network, from its own account
(a keyfile account off the devnet): balances, sending tokens, funding a round's budget.

Each transaction is shown first, as a plan with its gas, and sent after a confirmation
(``--yes`` skips it; without a terminal ``--yes`` is required).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from oracle.chain import deployments
from oracle.chain.accounts import checked_address, require_gas_funds, resolve_account
from oracle.chain.deploy import TOURNAMENT_CONTRACT
from oracle.chain.events import TournamentReader
from oracle.chain.token import token_contract
from oracle.cli.boundary import cli_errors
from oracle.cli.commands import DevnetCommand
from oracle.cli.options import account_option, round_option, yes_option
from oracle.errors import AccountError, TournamentError
from oracle.protocol.units import format_amount, parse_amount


@click.group()
def cli() -> None:
    """The treasury's tokens: balance, send, fund."""


def _confirm(lines: list[str], yes: bool) -> None:
    for line in lines:
        click.echo(line)
    if yes:
        return
    if not sys.stdin.isatty():
        raise TournamentError("not sent: pass --yes to send without a terminal to confirm on")
    click.confirm("Send?", abort=True)


def _gas_line(provider: Any, gas: int) -> str:
    price = int(provider.gas_price)
    return f"  gas about {gas:,} at {price / 1e9:.3g} gwei: {format_amount(gas * price)} ether"


@cli.command("balance", cls=DevnetCommand)
@click.argument("address", required=False)
@account_option("treasury")
@cli_errors
def balance_command(provider: Any, address: Any, account_spec: Any) -> None:
    """Tokens and ether of ADDRESS (default: the treasury account)."""
    deployment = deployments.require(provider.chain_id)
    token = token_contract(deployment)
    if address is None:
        address = str(resolve_account(account_spec, "treasury", provider).address)
    address = checked_address(address, "ADDRESS")
    tokens = int(token.balanceOf(address))
    ether = int(provider.get_balance(address))
    click.echo(f"{address}: {format_amount(tokens)} tokens, {format_amount(ether)} ether")


def _treasury(
    provider: Any, account_spec: Any, amount: str, verb: str
) -> tuple[Any, Any, int, int]:
    """The deployment's token, the treasury account, AMOUNT in units and the treasury's
    balance; one line if the treasury holds less than AMOUNT or no ether for gas."""
    token = token_contract(deployments.require(provider.chain_id))
    treasury = resolve_account(account_spec, "treasury", provider)
    units = parse_amount(amount)
    held = int(token.balanceOf(treasury.address))
    if held < units:
        raise AccountError(
            f"the treasury {treasury.address} holds {format_amount(held)} tokens, less than "
            f"{format_amount(units)}: {verb} less"
        )
    require_gas_funds(treasury, provider, "treasury")
    return token, treasury, units, held


#: fundRound's gas when it cannot be estimated yet (before the approval it needs).
FUND_GAS = 70_000


@cli.command("send", cls=DevnetCommand)
@click.argument("to")
@click.argument("amount")
@account_option("treasury")
@yes_option("send without asking")
@cli_errors
def send_command(provider: Any, to: Any, amount: Any, account_spec: Any, yes: Any) -> None:
    """Send AMOUNT tokens (1000, 2.5) from the treasury to address TO."""
    to = checked_address(to, "TO")
    token, treasury, units, held = _treasury(provider, account_spec, amount, "send")
    gas = int(token.transfer.estimate_gas_cost(to, units, sender=treasury))
    _confirm(
        [
            f"transfer {format_amount(units)} tokens from {treasury.address} to {to}",
            f"  treasury after: {format_amount(held - units)} tokens",
            _gas_line(provider, gas),
        ],
        yes,
    )
    receipt = token.transfer(to, units, sender=treasury)
    click.echo(
        f"sent {format_amount(units)} tokens to {to} in {receipt.txn_hash}; it holds "
        f"{format_amount(int(token.balanceOf(to)))}"
    )


@cli.command("fund", cls=DevnetCommand)
@round_option
@click.argument("amount")
@account_option("treasury")
@yes_option("send without asking")
@cli_errors
def fund_command(provider: Any, round_id: Any, amount: Any, account_spec: Any, yes: Any) -> None:
    """Add AMOUNT tokens to a round's reward budget (approving the tournament first if its
    allowance is short)."""
    from ape import project

    token, treasury, units, _ = _treasury(provider, account_spec, amount, "fund")
    address = deployments.require(provider.chain_id).address_of(TOURNAMENT_CONTRACT)
    tournament = project.Tournament.at(address)
    approve = int(token.allowance(treasury.address, address)) < units
    lines = [f"fund round {round_id} with {format_amount(units)} tokens from {treasury.address}"]
    if approve:
        lines.append(f"  approve the tournament {address} for it first")
        gas = int(token.approve.estimate_gas_cost(address, units, sender=treasury)) + FUND_GAS
    else:
        gas = int(tournament.fundRound.estimate_gas_cost(round_id, units, sender=treasury))
    lines.append(_gas_line(provider, gas))
    _confirm(lines, yes)
    if approve:
        token.approve(address, units, sender=treasury)
    tournament.fundRound(round_id, units, sender=treasury)
    budget = TournamentReader(provider, address).round_info(round_id).budget
    click.echo(f"funded round {round_id}: its budget is {format_amount(budget)} tokens")
