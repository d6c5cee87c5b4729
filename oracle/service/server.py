"""Starting the service: check the port, then run uvicorn with one process or several."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from typing import Any

from oracle import PROJECT_ROOT, settings
from oracle.audit.context import OracleContext
from oracle.errors import TournamentError
from oracle.service.state import ServiceLimits
from oracle.store import LocalStore


def check_port(host: str, port: int) -> None:
    """Refuse at once, in one line, a port another program holds."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise TournamentError(
                f"cannot listen on {host}:{port} ({err.strerror}): stop what uses it or pass --port"
            ) from None


def serve(
    ctx: OracleContext,
    provider: Any,
    limits: ServiceLimits,
    *,
    host: str,
    port: int,
    workers: int = 1,
    access_log: bool = False,
    ready: Callable[[], None] | None = None,
) -> None:
    """Serve ``ctx``'s tournament on ``host:port`` until stopped. ``ready`` is called once the
    port is known to be free. With ``workers`` > 1, that many processes share the
    port, each connected as this one is (:mod:`oracle.service.workers`)."""
    import uvicorn

    from oracle.service.app import create_app

    if not isinstance(ctx.store, LocalStore):
        raise TournamentError("the service needs a local store")
    check_port(host, port)
    if ready is not None:
        ready()
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "loop": "uvloop",
        "http": "httptools",
        "log_level": "warning",
        "access_log": access_log,
    }
    if workers == 1:
        uvicorn.run(create_app(ctx, limits), **options)
        return
    from oracle.service.workers import worker_config

    os.environ[settings.SERVICE_CONFIG] = worker_config(provider, ctx.store.root, limits)
    # The workers are new interpreters: they find this package the way this one did.
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    uvicorn.run(
        "oracle.service.workers:create_from_environment", factory=True, workers=workers, **options
    )
