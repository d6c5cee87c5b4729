"""Several service processes behind one port (``ape run oracle serve --workers N``).

Reveal checks are CPU work under Python's interpreter lock, so one process uses about one
core. With ``--workers N``, uvicorn starts N processes that share the listening socket; each
builds the app with :func:`create_from_environment`, connected to the same node and store as
the command that started them. Everything the workers share lives in the store, which already
serialises concurrent writers across processes (position locks, the reveal-window lock,
append-only logs); each worker keeps its own short-lived caches.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from oracle import settings
from oracle.errors import TournamentError
from oracle.service.app import create_app
from oracle.service.state import ServiceLimits

#: The JSON the serving command hands its worker processes.
_connections: list[Any] = []


def worker_config(provider: Any, store: Path, limits: ServiceLimits) -> str:
    """What a worker needs to connect as the serving command did."""
    host = {"host": provider.http_uri} if getattr(provider, "http_uri", None) else {}
    return json.dumps(
        {
            "network": provider.network_choice,
            "provider_settings": host,
            "store": str(store),
            "limits": asdict(limits),
        }
    )


def create_from_environment() -> FastAPI:
    """The app of one worker process (uvicorn's factory), from ``$TOURNAMENT_SERVICE_CONFIG``."""
    from ape import networks

    from oracle.audit.context import OracleContext
    from oracle.chain import rpc
    from oracle.store import LocalStore

    raw = os.environ.get(settings.SERVICE_CONFIG)
    if not raw:
        raise TournamentError(
            f"${settings.SERVICE_CONFIG} is not set: start workers with `ape run oracle serve`"
        )
    config = json.loads(raw)
    connection = networks.parse_network_choice(
        config["network"], provider_settings=config["provider_settings"] or None
    )
    chosen = getattr(connection, "_provider", None)
    if chosen is not None:
        rpc.connect(chosen)  # retried through a node that rate-limits, then hardened
    provider = connection.__enter__()
    rpc.harden(provider)
    _connections.append(connection)  # connected for the life of the process
    limits = config["limits"]
    limits["cors_origins"] = tuple(limits["cors_origins"])
    ctx = OracleContext.connect(provider, LocalStore(Path(config["store"])))
    # Requests arriving together share one look at the chain's head (the views' caches are
    # as short).
    ctx.reader.cache.fresh_for = 0.5
    return create_app(ctx, ServiceLimits(**limits))
