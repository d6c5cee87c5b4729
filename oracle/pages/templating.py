"""The Jinja2 environment and the filters every page uses (the service's pages, the round
reports and the incentive study's report): token amounts, scores, short hashes, UTC dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from oracle.protocol.units import UNIT

HERE = Path(__file__).resolve().parent
#: What a table cell shows for a value that does not exist (yet).
NONE = "\u2013"
#: The shared templates (``base.html``, ``macros.html``) and the stylesheet and scripts.
TEMPLATES, STATIC = HERE / "templates", HERE / "static"


def tokens(units: int | None, signed: bool = False, places: int = 4) -> str:
    """Base units as tokens with thousands separators and at most ``places`` decimals."""
    if units is None:
        return NONE
    value = (Decimal(int(units)) / UNIT).quantize(Decimal(1).scaleb(-places))
    text = f"{value:,.{places}f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return f"+{text}" if signed and units > 0 else text


def score(value: float | None) -> str:
    return NONE if value is None else f"{value:+.4f}"


def short(text: str | None) -> str:
    if not text:
        return NONE
    return text if len(text) <= 14 else f"{text[:8]}…{text[-4:]}"


def when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(int(timestamp), dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def environment(*folders: Path) -> Environment:
    """The pages' Jinja2 environment; templates in ``folders`` come first and may extend the
    shared ones (``base.html``, ``macros.html``)."""
    env = Environment(
        loader=FileSystemLoader([*folders, TEMPLATES]),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(tokens=tokens, score=score, short=short, when=when)
    return env
