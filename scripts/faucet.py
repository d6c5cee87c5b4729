"""`ape run faucet ADDRESS AMOUNT`: send tokens from the treasury (local chains only), and
one ether for gas to an address that holds none."""

from __future__ import annotations

from typing import Any

import click

from oracle.chain import deployments
from oracle.chain.accounts import checked_address, is_local_chain
from oracle.chain.token import token_contract
from oracle.cli.boundary import cli_errors
from oracle.cli.commands import DevnetCommand
from oracle.errors import AccountError, NetworkError
from oracle.protocol.units import format_amount, parse_amount

#: Ether the faucet gives an address that has none, for its transactions' gas.
GAS_ETHER = 10**18


@click.command(cls=DevnetCommand)
@click.argument("address")
@click.argument("amount")
@cli_errors
def cli(provider: Any, address: Any, amount: Any) -> None:
    """Send AMOUNT tokens (e.g. 1000 or 2.5) from the treasury to ADDRESS, and one ether for
    gas if it holds none."""
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
    if provider.get_balance(address) == 0:
        # An account derived beyond anvil's funded ten (``--account test:12``) starts empty.
        treasury.transfer(address, GAS_ETHER)
        click.echo(f"sent {format_amount(GAS_ETHER)} ether for gas too, as it held none")
