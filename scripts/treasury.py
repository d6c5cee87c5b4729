"""`ape run treasury <command>`: the treasury's tokens on any network, from its own account
(a keyfile account off the devnet): balances, sending tokens, funding a round's budget.

Each transaction is shown first, as a plan with its gas, and sent after a confirmation
(``--yes`` skips it; without a terminal ``--yes`` is required).
"""

from __future__ import annotations

from typing import Any

import click

from oracle.chain import deployments
from oracle.chain.accounts import checked_address, require_gas_funds, resolve_account
from oracle.chain.deploy import TOURNAMENT_CONTRACT
from oracle.chain.events import TournamentReader
from oracle.chain.token import token_contract
from oracle.cli.boundary import cli_errors
from oracle.cli.commands import DevnetCommand
from oracle.cli.confirm import confirm_plan, gas_line
from oracle.cli.options import account_option, round_option, yes_option
from oracle.errors import AccountError
from oracle.protocol.units import format_amount, parse_amount


@click.group()
def cli() -> None:
    """The treasury's tokens: balance, send, fund, bond."""


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
    confirm_plan(
        [
            f"transfer {format_amount(units)} tokens from {treasury.address} to {to}",
            f"  treasury after: {format_amount(held - units)} tokens",
            gas_line(provider, gas),
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
    lines.append(gas_line(provider, gas))
    confirm_plan(lines, yes)
    if approve:
        token.approve(address, units, sender=treasury)
    tournament.fundRound(round_id, units, sender=treasury)
    budget = TournamentReader(provider, address).round_info(round_id).budget
    click.echo(f"funded round {round_id}: its budget is {format_amount(budget)} tokens")


#: depositBond's gas when it cannot be estimated yet (before the approval it needs).
BOND_GAS = 60_000


@cli.command("bond", cls=DevnetCommand)
@click.argument("amount")
@account_option("treasury")
@yes_option("send without asking")
@cli_errors
def bond_command(provider: Any, amount: Any, account_spec: Any, yes: Any) -> None:
    """Deposit AMOUNT tokens into the oracle's bond pool (each post locks one resolution bond
    from it until the round finalises; the admin can send the free part back)."""
    from ape import project

    token, treasury, units, _ = _treasury(provider, account_spec, amount, "deposit")
    address = deployments.require(provider.chain_id).address_of(TOURNAMENT_CONTRACT)
    tournament = project.Tournament.at(address)
    bond = int(tournament.resolutionBond())
    approve = int(token.allowance(treasury.address, address)) < units
    lines = [
        f"deposit {format_amount(units)} tokens into the oracle's bond pool from "
        f"{treasury.address}",
        f"  the pool holds {format_amount(int(tournament.bondPool()))}; a post locks "
        f"{format_amount(bond)}",
    ]
    if approve:
        lines.append(f"  approve the tournament {address} for it first")
        gas = int(token.approve.estimate_gas_cost(address, units, sender=treasury)) + BOND_GAS
    else:
        gas = int(tournament.depositBond.estimate_gas_cost(units, sender=treasury))
    lines.append(gas_line(provider, gas))
    confirm_plan(lines, yes)
    if approve:
        token.approve(address, units, sender=treasury)
    tournament.depositBond(units, sender=treasury)
    pool = int(tournament.bondPool())
    click.echo(
        f"the oracle's bond pool holds {format_amount(pool)} tokens ({pool // bond if bond else 0} post(s))"
    )
