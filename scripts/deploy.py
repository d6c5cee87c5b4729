"""`ape run deploy`: deploy the tournament's contracts, or reuse the recorded deployment."""

from __future__ import annotations

from typing import Any

import click

from oracle.chain.accounts import (
    LOCAL_ROLE_INDEX,
    checked_address,
    is_local_chain,
    require_gas_funds,
    resolve_account,
    test_account,
)
from oracle.chain.deploy import (
    DEFAULT_DISPUTE_BOND,
    DEFAULT_RESOLUTION_BOND,
    DEFAULT_RULING_PERIOD,
    DEFAULT_SETTLEMENT_PERIOD,
    DEFAULT_TOKEN_NAME,
    DEFAULT_TOKEN_SYMBOL,
    Roles,
    deploy,
)
from oracle.chain.deployments import record_path
from oracle.cli.boundary import cli_errors
from oracle.cli.commands import DevnetCommand
from oracle.cli.options import DURATION, account_option, yes_option
from oracle.protocol.units import format_amount, parse_amount


@click.command(cls=DevnetCommand)
@account_option("deployer")
@click.option("--treasury", default=None, help="receives the token supply and unused budgets")
@click.option("--operator", default=None, help="opens and funds rounds")
@click.option("--oracle", default=None, help="posts resolutions")
@click.option("--guardian", default=None, help="vetoes, cancels, pauses")
@click.option("--token-name", default=DEFAULT_TOKEN_NAME, show_default=True)
@click.option("--token-symbol", default=DEFAULT_TOKEN_SYMBOL, show_default=True)
@click.option(
    "--settlement-days",
    type=click.IntRange(min=1, max=3650),
    default=DEFAULT_SETTLEMENT_PERIOD // 86_400,
    show_default=True,
    help="days after a round's resolution deadline that its leaves stay claimable; after that "
    "unsettled stakes are refunded in full",
)
@click.option(
    "--resolution-bond",
    default=format_amount(DEFAULT_RESOLUTION_BOND),
    show_default=True,
    help="tokens each post locks from the oracle's bond pool (0: no oracle bond)",
)
@click.option(
    "--dispute-bond",
    default=format_amount(DEFAULT_DISPUTE_BOND),
    show_default=True,
    help="tokens a dispute of a posted root costs (fixed for the deployment's life)",
)
@click.option(
    "--ruling-period",
    type=DURATION,
    default=f"{DEFAULT_RULING_PERIOD // 86_400}d",
    show_default=True,
    help="how long the guardian has to rule on a dispute before the round is cancelled",
)
@click.option("--force", is_flag=True, help="deploy again even if a live deployment is recorded")
@yes_option()
@cli_errors
def cli(
    provider: Any,
    account_spec: Any,
    treasury: Any,
    operator: Any,
    oracle: Any,
    guardian: Any,
    token_name: Any,
    token_symbol: Any,
    settlement_days: Any,
    resolution_bond: Any,
    dispute_bond: Any,
    ruling_period: Any,
    force: Any,
    yes: Any,
) -> Any:
    """Deploy the token and the tournament, wired together, and record the addresses.

    Role addresses default to the development accounts on local chains and to the deployer
    elsewhere; the deployer is the admin.
    """
    deployer = resolve_account(account_spec, "deployer", provider)
    local = is_local_chain(provider)

    def role(given: Any, name: Any) -> Any:
        if given is not None:
            return checked_address(given, f"--{name}")
        return str(test_account(LOCAL_ROLE_INDEX[name]).address) if local else str(deployer.address)

    roles = Roles(
        role(treasury, "treasury"),
        role(operator, "operator"),
        role(oracle, "oracle"),
        role(guardian, "guardian"),
    )
    require_gas_funds(deployer, provider, "deployer")
    if not local and not force and not yes:
        click.confirm(f"Deploy to chain {provider.chain_id} from {deployer.address}?", abort=True)
    treasury_signer = None
    if local and roles.treasury == str(test_account(LOCAL_ROLE_INDEX["treasury"]).address):
        treasury_signer = test_account(LOCAL_ROLE_INDEX["treasury"])
    result = deploy(
        provider,
        deployer,
        roles,
        token_name=token_name,
        token_symbol=token_symbol,
        settlement_period=settlement_days * 86_400,
        resolution_bond=parse_amount(resolution_bond),
        dispute_bond=parse_amount(dispute_bond),
        ruling_period=int(ruling_period),
        treasury_signer=treasury_signer,
        force=force,
    )
    d = result.deployment
    verb = "reused" if result.reused else "deployed"
    click.echo(f"{verb} on chain {d.chain_id} ({result.reason}); record: {record_path(d.chain_id)}")
    for name, rec in d.contracts.items():
        click.echo(f"  {name}: {rec.address} (block {rec.block})")
    for name, address in d.roles.items():
        click.echo(f"  {name}: {address}")
    if not result.reused and treasury_signer is None and parse_amount(resolution_bond) > 0:
        click.echo(
            "  the oracle's bond pool is empty: the treasury deposits it with "
            "`ape run treasury bond AMOUNT` before the first post"
        )
