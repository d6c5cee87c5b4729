"""The Jinja2 environment and the filters every page uses (the service's pages, the round
reports and the incentive study's report): token amounts, scores, short hashes, UTC dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from oracle.protocol.units import TABLE_PLACES, table_amount

HERE = Path(__file__).resolve().parent
#: What a table cell shows for a value that does not exist (yet).
NONE = "\u2013"
#: The shared templates (``base.html``, ``macros.html``) and the stylesheet and scripts.
TEMPLATES, STATIC = HERE / "templates", HERE / "static"


def tokens(units: int | None, signed: bool = False, places: int = TABLE_PLACES) -> str:
    """Base units as tokens with thousands separators and exactly ``places`` decimals (the
    tables' fixed format; the API gives full precision)."""
    if units is None:
        return NONE
    return table_amount(int(units), places, signed)


def score(value: float | None) -> str:
    return NONE if value is None else f"{value:+.4f}"


def plain(value: float | None) -> str:
    """A non-negative measure (a drawdown, an exposure) with four decimals and no sign."""
    return NONE if value is None else f"{value:.4f}"


def percent(value: float | None) -> str:
    """A percentage with a sign and two decimals."""
    return NONE if value is None else f"{value:+.2f}%"


def short(text: str | None) -> str:
    if not text:
        return NONE
    return text if len(text) <= 14 else f"{text[:8]}…{text[-4:]}"


def when(timestamp: int | None) -> str:
    """A chain timestamp as a UTC date; the empty mark for an unset time (None or 0)."""
    if not timestamp:
        return NONE
    return dt.datetime.fromtimestamp(int(timestamp), dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def inline_assets() -> dict[str, str]:
    """The stylesheet and the sorting script, for a page that must open from disk alone."""
    return {"css": (STATIC / "style.css").read_text(), "js": (STATIC / "sort.js").read_text()}


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
    env.filters.update(
        tokens=tokens, score=score, plain=plain, percent=percent, short=short, when=when
    )
    return env
