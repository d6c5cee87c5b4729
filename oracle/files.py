"""Files at the ground floor: written atomically (and durably), and JSON objects read with every
failure as one actionable line. The store, the chain's deployment records, the wallet's vault and
the reports all write through here."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from oracle.errors import TournamentError


def write_atomically(
    path: Path, data: bytes, *, durable: bool = True, mode: int | None = None
) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename: a reader sees the old
    bytes or the new, never a mix. ``durable`` also syncs the file and its folder to disk
    before returning, so the new bytes survive a power cut. The file is private (0600) unless
    ``mode`` says otherwise (0o644 for a report anyone may read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """Sync a folder's entries to disk (a rename is durable only once its folder is)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
