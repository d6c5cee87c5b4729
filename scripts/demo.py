"""`ape run demo` (`make demo`): a whole round on the local devnet, step by step."""

from __future__ import annotations

import click

from oracle.chain.accounts import LOCAL_ROLE_INDEX, is_local_chain, test_account
from oracle.chain.deploy import Roles, deploy
from oracle.chain.token import format_amount, token_contract
from oracle.cli import DevnetCommand
from oracle.errors import NetworkError, cli_errors


@click.command(cls=DevnetCommand)
@cli_errors
def cli(provider):
    """Start the devnet, deploy (or reuse) the contracts and show what is there."""
    if not is_local_chain(provider):
        raise NetworkError("the demo runs on the local devnet only: drop --network")
    deployer = test_account(LOCAL_ROLE_INDEX["deployer"])
    treasury = test_account(LOCAL_ROLE_INDEX["treasury"])
    roles = Roles(
        *(
            str(test_account(LOCAL_ROLE_INDEX[r]).address)
            for r in ("treasury", "operator", "oracle", "guardian")
        )
    )
    result = deploy(provider, deployer, roles)
    d = result.deployment
    token = token_contract(d)
    click.echo(
        f"chain {d.chain_id} at {provider.uri}: contracts {'reused' if result.reused else 'deployed'}"
    )
    for name, rec in d.contracts.items():
        click.echo(f"  {name}: {rec.address}")
    click.echo(
        f"  token: {token.name()} ({token.symbol()}), total supply {format_amount(token.totalSupply())}"
    )
    click.echo(
        f"  treasury {treasury.address} holds {format_amount(token.balanceOf(treasury.address))}"
    )
