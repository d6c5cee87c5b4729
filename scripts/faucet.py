"""`ape run faucet ADDRESS AMOUNT`: send tokens from the treasury (local chains only)."""

from __future__ import annotations

import click

from oracle.chain import deployments
from oracle.chain.accounts import checked_address, is_local_chain
from oracle.chain.token import format_amount, parse_amount, token_contract
from oracle.cli import DevnetCommand
from oracle.errors import AccountError, NetworkError, cli_errors


@click.command(cls=DevnetCommand)
@click.argument("address")
@click.argument("amount")
@cli_errors
def cli(provider, address, amount):
    """Send AMOUNT tokens (e.g. 1000 or 2.5) from the treasury to ADDRESS."""
    from ape import accounts

    if not is_local_chain(provider):
        raise NetworkError(
            f"the faucet works on local chains only (this is chain {provider.chain_id}): "
            "ask the treasury for tokens instead"
        )
    address = checked_address(address, "ADDRESS")
    units = parse_amount(amount)
    deployment = deployments.require(provider.chain_id)
    token = token_contract(deployment)
    treasury_address = deployment.roles.get("treasury", "")
    treasury = next((a for a in accounts.test_accounts if a.address == treasury_address), None)
    if treasury is None:
        raise AccountError(
            f"the treasury {treasury_address} is not a development account: send tokens from it directly"
        )
    available = token.balanceOf(treasury.address)
    if available < units:
        raise AccountError(
            f"the treasury holds only {format_amount(available)} tokens, less than {amount}"
        )
    token.transfer(address, units, sender=treasury)
    balance = token.balanceOf(address)
    click.echo(
        f"sent {format_amount(units)} tokens to {address}; its balance is {format_amount(balance)}"
    )
