"""The default store backend: a local directory.

Layout under the root::

    public/<2 hex>/<64 hex>     artefacts anyone may read
    private/<2 hex>/<64 hex>    artefacts only the oracle reads (reveals before the deadline)
    refs/<name>.json            mutable records (the oracle's journal, reveal records)
    logs/<name>.jsonl           append-only logs, one JSON record a line (the intake log)
    locks/<name>.lock           advisory locks that serialise updates of one record

Every write goes to a temporary file in the same folder, is flushed to disk, then renamed
over the final name, so a crash leaves the old state or the new one, never half a file.
Temporary names start with a dot and are swept by :meth:`LocalStore.sweep`.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oracle import settings
from oracle.errors import ArtefactMissingError, CorruptArtefactError, StoreError
from oracle.files import GroupSync, write_atomically
from oracle.store.base import content_hash, normalise_hash

#: Where the default store lives (default: .store/ in the repository).
_REF_NAME = re.compile(r"^[A-Za-z0-9_.:-]+(/[A-Za-z0-9_.:-]+)*$")
#: The folder and log syncs of this process's stores, shared by their threads (group commit).
_SYNCS = GroupSync()


def default_store() -> LocalStore:
    return LocalStore(settings.store_dir())


class LocalStore:
    """An :class:`~oracle.store.base.ArtefactStore` in a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _path(self, digest: str, public: bool) -> Path:
        hex_digits = digest[2:]
        return self.root / ("public" if public else "private") / hex_digits[:2] / hex_digits

    def _named(self, folder: str, name: str, suffix: str) -> Path:
        """The file of the record, log or lock ``name`` (checked) under ``folder``."""
        if not _REF_NAME.match(name) or ".." in name:
            raise StoreError(f"'{name}' is not a valid record name")
        return self.root / folder / f"{name}{suffix}"

    def _ref_path(self, name: str) -> Path:
        return self._named("refs", name, ".json")

    def put(self, data: bytes, *, public: bool = True, digest: str | None = None) -> str:
        digest = digest or content_hash(data)
        target = self._path(digest, public)
        if target.exists() and self._intact(target, digest):
            return digest
        try:
            write_atomically(target, data, syncs=_SYNCS)
        except OSError as err:
            raise StoreError(f"cannot write {target}: {err.strerror or err}") from None
        return digest

    def _intact(self, path: Path, digest: str) -> bool:
        return content_hash(path.read_bytes()) == digest

    def get(self, digest: str | bytes, *, public_only: bool = False) -> bytes:
        digest = normalise_hash(digest)
        places = (True,) if public_only else (True, False)
        for public in places:
            path = self._path(digest, public)
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as err:
                raise StoreError(f"cannot read {path}: {err.strerror or err}") from None
            found = content_hash(data)
            if found != digest:
                raise CorruptArtefactError(
                    f"store entry {path} is corrupt: its bytes hash to {found}, not {digest}; "
                    "restore it from another copy"
                )
            return data
        where = "public " if public_only else ""
        raise ArtefactMissingError(f"no {where}artefact {digest} in the store at {self.root}")

    def has(self, digest: str | bytes, *, public_only: bool = False) -> bool:
        digest = normalise_hash(digest)
        places = (True,) if public_only else (True, False)
        return any(self._path(digest, public).exists() for public in places)

    def publish(self, digest: str | bytes) -> None:
        digest = normalise_hash(digest)
        public, private = self._path(digest, True), self._path(digest, False)
        if public.exists():
            private.unlink(missing_ok=True)
            return
        self.get(digest)  # a corrupt or missing entry is reported, never published
        public.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(private, public)  # atomic: the entry is private or public, never half
        except OSError as err:
            raise StoreError(f"cannot publish {private}: {err.strerror or err}") from None
        _SYNCS.sync(public.parent)

    def put_ref(self, name: str, value: dict[str, Any], *, durable: bool = True) -> None:
        data = json.dumps(value, sort_keys=True, indent=1).encode() + b"\n"
        path = self._ref_path(name)
        try:
            write_atomically(path, data, durable=durable, syncs=_SYNCS)
        except OSError as err:
            raise StoreError(f"cannot write {path}: {err.strerror or err}") from None

    def append(self, name: str, record: dict[str, Any], *, durable: bool = True) -> None:
        path = self._named("logs", name, ".jsonl")
        line = json.dumps(record, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        try:
            # O_APPEND: each line goes in whole, after every other writer's lines.
            fd = _open_creating_folder(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
            if durable:
                _SYNCS.sync(path)  # one fsync for the lines appended meanwhile by other threads
        except OSError as err:
            raise StoreError(f"cannot append to {path}: {err.strerror or err}") from None

    def read_log(self, name: str) -> list[dict[str, Any]]:
        path = self._named("logs", name, ".jsonl")
        try:
            lines = path.read_bytes().split(b"\n")
        except FileNotFoundError:
            return []
        except OSError as err:
            raise StoreError(f"cannot read {path}: {err.strerror or err}") from None
        records = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                if number == len(lines):
                    break  # the last line of a writer that died mid-line
                raise StoreError(f"{path} line {number} is not JSON: restore it") from None
        return records

    def get_ref(self, name: str) -> dict[str, Any] | None:
        path = self._ref_path(name)
        try:
            value = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            raise StoreError(
                f"record {path} cannot be read ({err}): restore or remove it"
            ) from None
        if not isinstance(value, dict):
            raise StoreError(f"record {path} is not a JSON object: restore or remove it")
        return value

    def delete_ref(self, name: str) -> None:
        self._ref_path(name).unlink(missing_ok=True)

    def list_refs(self, prefix: str) -> Iterator[str]:
        folder = self._ref_path(prefix).with_suffix("")
        if not folder.is_dir():
            return iter(())
        base = self.root / "refs"
        names = sorted(
            str(p.relative_to(base).with_suffix(""))
            for p in folder.rglob("*.json")
            if not p.name.startswith(".")
        )
        return iter(names)

    @contextmanager
    def lock(self, name: str, *, shared: bool = False) -> Iterator[None]:
        """Hold the lock ``name`` (an advisory ``flock``), across threads and processes, until
        the block ends or the holder dies: exclusive (one holder), or ``shared`` (any number of
        shared holders, no exclusive one)."""
        path = self._named("locks", name, ".lock")
        fd = _open_creating_folder(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def sweep(self) -> int:
        """Remove temporary files a killed writer left behind; returns how many."""
        removed = 0
        if not self.root.exists():
            return 0
        for path in self.root.rglob(".*.tmp"):
            path.unlink(missing_ok=True)
            removed += 1
        return removed


def _open_creating_folder(path: Path, flags: int, mode: int) -> int:
    """``os.open``, making the folder first only when it is missing (one mkdir per folder,
    not one per call)."""
    try:
        return os.open(path, flags, mode)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, flags, mode)
