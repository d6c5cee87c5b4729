"""Shared pieces of the `ape run` scripts: the devnet-aware command class and common options."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import click
from ape.cli import ConnectedProviderCommand
from ape.cli.commands import parse_network

from oracle.chain.devnet import Devnet, start
from oracle.errors import one_line


class DevnetCommand(ConnectedProviderCommand):
    """A ``ConnectedProviderCommand`` that never runs on a throw-away chain by accident.

    When the selected network is the local foundry provider pointed at the devnet's address,
    the persistent devnet is started first (as ``make devnet`` would), so ape connects to it
    instead of spawning an anvil whose state vanishes when the command ends.
    """

    def invoke(self, ctx: click.Context) -> Any:
        from ape.exceptions import ProviderError

        provider = getattr(parse_network(ctx), "_provider", None)
        ensure_devnet(provider)
        try:
            return super().invoke(ctx)
        except ProviderError as err:
            # Connecting failed (a command's own failures are answered by cli_errors).
            where = getattr(provider, "uri", None) or "the selected network"
            text = one_line(str(err))
            why = "" if text.startswith("No (supported) node found") else f" ({text})"
            raise click.ClickException(
                f"cannot reach the node at {where}{why}: check --network and that the node is "
                "running"
            ) from None


def ensure_devnet(provider: Any) -> None:
    """Start the persistent devnet first when ``provider`` (not yet connected) points at it."""
    devnet = devnet_for(provider) if provider is not None else None
    if devnet is not None:
        start(devnet)


def devnet_for(provider: Any) -> Devnet | None:
    """The devnet a local foundry provider points at (loopback host), else None."""
    if getattr(provider, "name", None) != "foundry":
        return None
    if getattr(getattr(provider, "network", None), "name", None) != "local":
        return None
    url = urlparse(str(getattr(provider, "uri", "")))
    if url.hostname not in {"127.0.0.1", "localhost"} or url.port is None:
        return None
    return Devnet(port=url.port)


def account_option(role: str) -> Any:
    """``--account``: an ape alias, or on local chains an index of the development accounts."""
    return click.option(
        "--account",
        "account_spec",
        default=None,
        metavar="ALIAS|N",
        help=f"account that signs as {role}: an ape account alias, or on local chains a "
        "development account index (default: the role's development account)",
    )


yes_option = click.option(
    "--yes", "-y", is_flag=True, help="do not ask before broadcasting to a non-local network"
)
