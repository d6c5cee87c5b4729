"""Files at the ground floor: written atomically (and durably), and JSON objects read with every
failure as one actionable line. The store, the chain's deployment records, the wallet's vault and
the reports all write through here."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from oracle.errors import TournamentError


def write_atomically(
    path: Path,
    data: bytes,
    *,
    durable: bool = True,
    mode: int | None = None,
    syncs: GroupSync | None = None,
) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename: a reader sees the old
    bytes or the new, never a mix. ``durable`` also syncs the file and its folder to disk
    before returning, so the new bytes survive a power cut; with ``syncs``, the folder's sync
    is shared with the other threads writing into it at the same time (see
    :class:`GroupSync`). The file is private (0600) unless ``mode`` says otherwise (0o644 for
    a report anyone may read)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except FileNotFoundError:  # the folder's first file: one mkdir, not one per write
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
        if syncs is None:
            sync_folder(path.parent)
        else:
            syncs.sync(path.parent)


def sync_folder(folder: Path) -> None:
    """Sync a folder's entries to disk (a rename is durable only once its folder is)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class GroupSync:
    """Syncs of a folder or a file shared by the threads of one process (group commit).

    :meth:`sync` returns once an ``fsync`` of the path that *began after the call* has
    finished, so whatever the caller wrote there before calling is on disk. Callers that
    arrive while an ``fsync`` of the path is running wait for it and then share the next one:
    a burst of reveals renaming records into one folder, or appending lines to one log, costs
    one disk flush each round rather than one each. No caller returns before its own writes
    are synced: durability is the same as one ``fsync`` per caller, only cheaper.

    A failed ``fsync`` fails every later sync of the path in this process: after a failed
    ``fsync`` the kernel may have dropped the unwritten pages, so nothing written there before
    can be trusted until the operator has looked (a restart clears it).
    """

    def __init__(self) -> None:
        self._forget()
        # A child forked while another thread held a lock here would wait on it for ever.
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._guard = threading.Lock()
        self._paths: dict[str, _PathSync] = {}

    def sync(self, path: Path | str) -> None:
        key = os.fspath(path)
        with self._guard:
            state = self._paths.get(key)
            if state is None:
                state = self._paths[key] = _PathSync(key)
        state.sync()


class _PathSync:
    """One path's syncs: ``begun`` fsyncs started, ``finished`` the last one done."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.changed = threading.Condition(threading.Lock())
        self.begun = self.finished = 0
        self.running = False
        self.failure: OSError | None = None

    def sync(self) -> None:
        with self.changed:
            wanted = self.begun + 1  # the running fsync (if any) began before this call
            while self.finished < wanted:
                if self.failure is not None:
                    raise self.failure
                if self.running:
                    self.changed.wait()
                    continue
                self.running, self.begun = True, self.begun + 1
                number = self.begun
                self.changed.release()
                try:
                    self._fsync()
                finally:
                    self.changed.acquire()
                    self.running = False
                    self.changed.notify_all()
                self.finished = number

    def _fsync(self) -> None:
        """One fsync of the path (called without the condition's lock held). An open that
        fails (the path is gone) fails this caller only; the others try again themselves."""
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        except OSError as err:
            self.failure = err
            raise
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
