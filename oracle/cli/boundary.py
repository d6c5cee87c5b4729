"""The command line's boundary: expected failures become one ``Error: ...`` line and exit 1."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from oracle.chain.reverts import ape_error_line
from oracle.errors import TournamentError, one_line

P = ParamSpec("P")
R = TypeVar("R")


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into a one-line ``Error: ...`` and exit status 1.

    Catches this package's ``TournamentError`` and ape's own ``ApeException`` (for example a
    reverted transaction or an account that cannot sign) at the command boundary.
    """
    from ape.exceptions import ApeException

    from oracle.chain import rpc

    transport = rpc.transport_errors()

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except TournamentError as err:
            raise click.ClickException(one_line(str(err))) from err
        except ApeException as err:
            raise click.ClickException(ape_error_line(err)) from err
        except transport as err:
            raise click.ClickException(rpc.describe(err, None)) from err

    return wrapper
