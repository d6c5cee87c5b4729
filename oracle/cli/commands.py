"""The devnet-aware command class every `ape run` script uses."""

from __future__ import annotations

from typing import Any

import click
from ape.cli import ConnectedProviderCommand
from ape.cli.commands import parse_network

from oracle.chain import rpc
from oracle.chain.devnet import ensure_devnet
from oracle.errors import RpcUnavailableError, one_line


class DevnetCommand(ConnectedProviderCommand):
    """A ``ConnectedProviderCommand`` that never runs on a throw-away chain by accident.

    When the selected network is the local foundry provider pointed at the devnet's address,
    the persistent devnet is started first (as ``make devnet`` would), so ape connects to it
    instead of spawning an anvil whose state vanishes when the command ends.

    The connection is made through :func:`oracle.chain.rpc.connect`: a node that rate-limits
    or fails now and then is retried, and one that stays down is named in one line.
    """

    def invoke(self, ctx: click.Context) -> Any:
        from ape.exceptions import ProviderError

        provider = getattr(parse_network(ctx), "_provider", None)
        ensure_devnet(provider)
        try:
            if provider is not None:
                rpc.connect(provider)
            return super().invoke(ctx)
        except RpcUnavailableError as err:
            raise click.ClickException(str(err)) from None
        except ProviderError as err:
            # Connecting failed (a command's own failures are answered by cli_errors).
            where = getattr(provider, "uri", None) or "the selected network"
            text = one_line(str(err))
            why = "" if text.startswith("No (supported) node found") else f" ({text})"
            raise click.ClickException(
                f"cannot reach the node at {where}{why}: check --network and that the node is "
                "running"
            ) from None
