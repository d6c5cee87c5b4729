"""The click options and parameter types every `ape run` script shares, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

#: ``--account``'s form, the same in every command.
ACCOUNT_METAVAR = "ALIAS|test:N"
#: Seconds in each duration suffix.
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def seconds_of(text: str) -> int:
    """Seconds from ``90``, ``90s``, ``15m``, ``2h`` or ``3d`` (ValueError otherwise)."""
    text = text.strip().lower()
    unit = DURATION_UNITS.get(text[-1:])
    number = text[:-1] if unit else text
    if not number.isdigit():
        raise ValueError(f"'{text}' is not a duration: write it like 90s, 15m, 2h or 3d")
    return int(number) * (unit or 1)


class Duration(click.ParamType):
    """A duration in seconds, written ``90``, ``90s``, ``15m``, ``2h`` or ``3d``."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return seconds_of(str(value))
        except ValueError as err:
            self.fail(str(err), param, ctx)


DURATION = Duration()

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def account_option(role: str, *, required: bool = False) -> Decorator:
    """``--account``: an ape account alias, or on local chains ``test:N`` (or ``N``) for a
    development account; optional where the role has a development account by default."""
    default = "" if required else " (default: the role's development account)"
    return click.option(
        "--account",
        "account_spec",
        required=required,
        default=None,
        metavar=ACCOUNT_METAVAR,
        help=f"account that signs as {role}: an ape account alias, or on local chains a "
        f"development account index{default}",
    )


def yes_option(
    help_text: str = "do not ask before broadcasting to a non-local network",
) -> Decorator:
    """``--yes``/``-y``: send without asking."""
    return click.option("--yes", "-y", is_flag=True, help=help_text)


#: ``--round N``, required.
round_option = click.option("--round", "round_id", type=click.IntRange(min=1), required=True)
#: ``--round N``, optional (one round instead of all).
some_round_option = click.option(
    "--round", "round_id", type=click.IntRange(min=1), default=None, help="one round"
)


def store_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--store DIR``: the operator's artefact store (and ``--confirmations``, which every
    command that reads the store's tournament takes)."""
    func = confirmations_option(func)
    return click.option(
        "--store",
        "store_path",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="artefact store folder (default: $TOURNAMENT_STORE or .store/)",
    )(func)


def _set_confirmations(_ctx: click.Context, _param: click.Parameter, value: int | None) -> None:
    # Every reader of the chain in this process takes its depth from the one setting.
    if value is not None:
        import os

        from oracle import settings

        os.environ[settings.CONFIRMATIONS] = str(value)


def confirmations_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--confirmations N``: how deep an event must be before it counts (default
    ``$TOURNAMENT_CONFIRMATIONS``, else 0 on the devnet and 3 elsewhere)."""
    return click.option(
        "--confirmations",
        type=click.IntRange(min=0),
        default=None,
        expose_value=False,
        callback=_set_confirmations,
        help="blocks an event must be deep before it counts (default: "
        "$TOURNAMENT_CONFIRMATIONS, else 0 on the devnet and 3 elsewhere)",
    )(func)
