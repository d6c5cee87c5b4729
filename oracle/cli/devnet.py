"""``python -m oracle.cli.devnet start|stop|status`` (``make devnet`` / ``make devnet-stop``):
the persistent local devnet's own command."""

from __future__ import annotations

import sys

import click

from oracle.chain.devnet import (
    DEVNET_PORT,
    Devnet,
    chain_id_at,
    is_listening,
    rpc_call,
    start,
    stop,
)
from oracle.cli.boundary import cli_errors

port_option = click.option(
    "--port", type=int, default=DEVNET_PORT, show_default=True, help="port on 127.0.0.1"
)


@click.group()
def cli() -> None:
    """Manage the persistent local devnet (anvil on 127.0.0.1:8545)."""


@cli.command("start")
@port_option
@cli_errors
def start_command(port: int) -> None:
    """Start the devnet in the background (no-op if it already runs)."""
    devnet = Devnet(port=port)
    if not start(devnet):
        click.echo(f"devnet already running at {devnet.url}")


@cli.command("stop")
@port_option
@cli_errors
def stop_command(port: int) -> None:
    """Stop the devnet; its state stays in .devnet/state.json for the next start."""
    devnet = Devnet(port=port)
    if stop(devnet):
        click.echo(f"devnet stopped (state kept in {devnet.state_file})")
    else:
        click.echo("devnet was not running")


@cli.command("status")
@port_option
@cli_errors
def status_command(port: int) -> None:
    """Say whether the devnet runs, and its chain id and block number."""
    devnet = Devnet(port=port)
    if not is_listening(devnet.host, devnet.port):
        click.echo(f"devnet not running (start it with `make devnet`); state: {devnet.state_file}")
        sys.exit(1)
    block = rpc_call(devnet.url, "eth_blockNumber")
    number = int(block, 16) if isinstance(block, str) else block
    click.echo(
        f"devnet running at {devnet.url}: chain id {chain_id_at(devnet.url)}, block {number}"
    )


if __name__ == "__main__":
    cli()
