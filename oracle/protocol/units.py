"""Token amounts: the token's decimals and fixed supply, and decimal text to base units and back."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from oracle.errors import TournamentError

DECIMALS = 18
UNIT = 10**DECIMALS
#: The fixed supply the token mints once: 11,000,000 tokens.
MAX_SUPPLY = 11_000_000 * UNIT


def parse_amount(text: str) -> int:
    """Parse a decimal token amount (``"12.5"``) into base units; reject anything else."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise TournamentError(
            f"'{text}' is not a token amount: write it like 100 or 12.5"
        ) from None
    if not value.is_finite() or value <= 0:
        raise TournamentError(f"amount must be positive, got {text}")
    units = value * UNIT
    if units != units.to_integral_value():
        raise TournamentError(f"{text} has more than {DECIMALS} decimals")
    return int(units)


#: The decimals of token amounts in tables (pages and terminal); the API gives base units.
TABLE_PLACES = 4


def table_amount(units: int, places: int = TABLE_PLACES, signed: bool = False) -> str:
    """Base units as tokens with thousands separators and exactly ``places`` decimals (rounded
    half to even), as every table shows amounts; ``signed`` adds a + to a positive amount."""
    value = (Decimal(int(units)) / UNIT).quantize(Decimal(1).scaleb(-places))
    text = f"{value:,.{places}f}"
    if value == 0:
        text = text.lstrip("-")
    return f"+{text}" if signed and value > 0 else text


def format_amount(units: int) -> str:
    """Base units as a decimal token amount, without trailing zeros."""
    text = format(Decimal(units) / UNIT, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
