"""`ape run deploy`: deploy the tournament's contracts, or reuse the recorded deployment."""

from __future__ import annotations

import click

from oracle.chain import (
    LOCAL_ROLE_INDEX,
    is_local_chain,
    require_gas_funds,
    resolve_account,
    test_account,
)
from oracle.cli import DevnetCommand, account_option, yes_option
from oracle.deploy import DEFAULT_TOKEN_NAME, DEFAULT_TOKEN_SYMBOL, deploy
from oracle.deployments import record_path
from oracle.errors import cli_errors


@click.command(cls=DevnetCommand)
@account_option("deployer")
@click.option(
    "--treasury",
    default=None,
    help="address receiving the token supply "
    "(default: development account 1 on local chains, else the deployer)",
)
@click.option("--token-name", default=DEFAULT_TOKEN_NAME, show_default=True)
@click.option("--token-symbol", default=DEFAULT_TOKEN_SYMBOL, show_default=True)
@click.option("--force", is_flag=True, help="deploy again even if a live deployment is recorded")
@yes_option
@cli_errors
def cli(provider, account_spec, treasury, token_name, token_symbol, force, yes):
    """Deploy the token (and the tournament, wired together) and record the addresses."""
    deployer = resolve_account(account_spec, "deployer", provider)
    local = is_local_chain(provider)
    if treasury is None:
        treasury = (
            str(test_account(LOCAL_ROLE_INDEX["treasury"]).address)
            if local
            else str(deployer.address)
        )
    require_gas_funds(deployer, provider, "deployer")
    if not local and not force and not yes:
        click.confirm(f"Deploy to chain {provider.chain_id} from {deployer.address}?", abort=True)
    result = deploy(
        provider, deployer, treasury, token_name=token_name, token_symbol=token_symbol, force=force
    )
    d = result.deployment
    verb = "reused" if result.reused else "deployed"
    click.echo(f"{verb} on chain {d.chain_id} ({result.reason}); record: {record_path(d.chain_id)}")
    for name, rec in d.contracts.items():
        click.echo(f"  {name}: {rec.address} (block {rec.block})")
