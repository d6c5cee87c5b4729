"""A JSON object read from a file (a config), every failure as one actionable line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oracle.errors import TournamentError


def read_object(path: Path, what: str, error: type[TournamentError]) -> dict[str, Any]:
    """The JSON object in ``path``; ``what`` names the file in messages ("scoring config")."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except UnicodeDecodeError:
        raise error(f"{what} {path} is not UTF-8 text") from None
    except OSError as err:
        raise error(f"cannot read {what} {path}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise error(f"{what} {path} is not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise error(f"{what} {path} must be a JSON object")
    return data
