"""Exception hierarchy whose messages say what to do, and the CLI boundary that prints them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

P = ParamSpec("P")
R = TypeVar("R")


class TournamentError(Exception):
    """Base of every error this package raises on purpose; the message is one actionable line."""


class DevnetError(TournamentError):
    """The local devnet cannot be started, reached or stopped."""


class DeploymentError(TournamentError):
    """A deployment record is missing, stale or cannot be written."""


class AccountError(TournamentError):
    """An account is unknown, locked or lacks funds."""


class NetworkError(TournamentError):
    """The command is not allowed on the selected network."""


def one_line(message: str) -> str:
    """Collapse a message to its first non-empty line (chain errors can be long)."""
    for line in str(message).splitlines():
        if line.strip():
            return line.strip()
    return str(message).strip()


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into a one-line ``Error: ...`` and exit status 1.

    Catches this package's ``TournamentError`` and ape's own ``ApeException`` (for example a
    reverted transaction or an account that cannot sign) at the command boundary.
    """
    from ape.exceptions import ApeException

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except TournamentError as err:
            raise click.ClickException(one_line(str(err))) from err
        except ApeException as err:
            raise click.ClickException(f"{type(err).__name__}: {one_line(str(err))}") from err

    return wrapper
