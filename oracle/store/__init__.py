"""Content-addressed artefact store: put and get by keccak256 of the bytes, integrity checked
on every read, atomic writes; plus small mutable records ("refs") for the oracle's journal."""

from oracle.errors import ArtefactMissingError, CorruptArtefactError, StoreError
from oracle.store.base import ArtefactStore, content_hash, normalise_hash
from oracle.store.local import LocalStore, default_store

__all__ = [
    "ArtefactMissingError",
    "ArtefactStore",
    "CorruptArtefactError",
    "LocalStore",
    "StoreError",
    "content_hash",
    "default_store",
    "normalise_hash",
]
