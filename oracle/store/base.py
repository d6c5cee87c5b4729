"""The store's interface and its errors; backends (local directory today, S3 or IPFS later)
implement :class:`ArtefactStore`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from oracle.errors import StoreError
from oracle.protocol.hashing import keccak256

_HASH = re.compile(r"(0x)?[0-9a-fA-F]{64}\Z")


def content_hash(data: bytes) -> str:
    """keccak256 of the bytes, ``0x``-prefixed lower-case hex: the hash the contract stores for
    predictions, live data, scoring configs and results."""
    return "0x" + keccak256(data).hex()


def normalise_hash(digest: str | bytes) -> str:
    """A content hash as ``0x`` + 64 lower-case hex digits; a one-line error otherwise."""
    if isinstance(digest, bytes):
        if len(digest) != 32:
            raise StoreError(f"a content hash has 32 bytes, got {len(digest)}")
        return "0x" + digest.hex()
    if not _HASH.match(digest):
        raise StoreError(f"'{digest}' is not a content hash: expected 0x and 64 hex digits")
    return "0x" + digest.removeprefix("0x").lower()


class ArtefactStore(Protocol):
    """Immutable artefacts by content hash, public or private, and mutable JSON refs by name.

    Private artefacts (reveals before their deadline) are readable by the oracle only;
    :meth:`publish` makes one public. Every read checks the bytes against the hash.
    """

    def put(self, data: bytes, *, public: bool = True, digest: str | None = None) -> str:
        """Store ``data`` (atomically) and return its content hash. A caller that has just
        computed ``content_hash(data)`` may pass it as ``digest`` to save hashing twice."""
        ...

    def get(self, digest: str | bytes, *, public_only: bool = False) -> bytes:
        """The artefact's bytes, checked against the hash (raises :class:`ArtefactMissingError`
        or :class:`CorruptArtefactError`)."""
        ...

    def has(self, digest: str | bytes, *, public_only: bool = False) -> bool:
        """True if the artefact is stored (and public, with ``public_only``)."""
        ...

    def publish(self, digest: str | bytes) -> None:
        """Make a private artefact public (no-op if it already is)."""
        ...

    def put_ref(self, name: str, value: dict[str, Any], *, durable: bool = True) -> None:
        """Write the JSON record ``name`` atomically (replacing any previous one); synced to
        disk before returning unless ``durable`` is False (for records that can be rebuilt)."""
        ...

    def append(self, name: str, record: dict[str, Any], *, durable: bool = True) -> None:
        """Append ``record`` to the log ``name``; synced to disk before returning unless
        ``durable`` is False."""
        ...

    def read_log(self, name: str) -> list[dict[str, Any]]:
        """Every record of the log ``name``, in the order they were appended."""
        ...

    def get_ref(self, name: str) -> dict[str, Any] | None:
        """The JSON record ``name``, or None."""
        ...

    def delete_ref(self, name: str) -> None:
        """Remove the record ``name`` (no-op if absent)."""
        ...

    def list_refs(self, prefix: str) -> Iterator[str]:
        """Names of the records under ``prefix`` (a folder-like path), sorted."""
        ...

    def lock(self, name: str, *, shared: bool = False) -> AbstractContextManager[None]:
        """A lock named like a record, held across threads and processes: exclusive for a
        read-then-write of one record, or shared by many readers of what an exclusive holder
        changes."""
        ...
