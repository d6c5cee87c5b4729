"""A local store that fills itself from an oracle service: what anyone needs to check a round
on a machine that has never seen the operator's store.

:class:`FetchingStore` is a :class:`~oracle.store.local.LocalStore` (a mirror's folder, or a
verifier's cache) whose reads of a missing public artefact fetch
``GET {service}/api/v1/artefacts/{hash}`` and keep the bytes only if they hash to the name
asked for. The service is trusted for nothing: a changed byte, a stale file or another
tournament's artefact hashes to something else and is refused with the hash in the message;
a missing one is said so. Records (a watcher's state, a disputer's journal) stay local.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oracle.errors import ArtefactMissingError, CorruptArtefactError, StoreError
from oracle.store.base import content_hash, normalise_hash
from oracle.store.local import LocalStore

#: The service's API prefix (the same as :data:`oracle.service.state.API`).
API = "/api/v1"
#: The largest artefact fetched (a service cannot exhaust a verifier's memory).
MAX_ARTEFACT_BYTES = 1 << 30
#: Seconds to wait for a service's answer.
TIMEOUT_SECONDS = 60.0


class FetchingStore(LocalStore):
    """A local store at ``root`` that fetches public artefacts it lacks from ``service``."""

    def __init__(self, root: Path, service: str, session: Any = None) -> None:
        super().__init__(root)
        self.service = service.rstrip("/")
        self._session = session
        #: Artefacts fetched by this instance (the rest were already here).
        self.fetched = 0

    def __repr__(self) -> str:
        return f"FetchingStore({str(self.root)!r}, {self.service!r})"

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def get(self, digest: str | bytes, *, public_only: bool = False) -> bytes:
        digest = normalise_hash(digest)
        if super().has(digest, public_only=True):
            return super().get(digest, public_only=True)
        data = self.fetch(digest)
        self.put(data, public=True, digest=digest)
        return data

    def has(self, digest: str | bytes, *, public_only: bool = False) -> bool:
        return super().has(digest, public_only=True)

    def fetch(self, digest: str) -> bytes:
        """The bytes the service serves for ``digest``, checked against it."""
        import requests

        url = f"{self.service}{API}/artefacts/{digest}"
        try:
            with self.session.get(url, stream=True, timeout=TIMEOUT_SECONDS) as answer:
                if answer.status_code == 404:
                    raise ArtefactMissingError(
                        f"{digest} is not served by {self.service} (404): the service withholds "
                        "it, or it is not published yet"
                    )
                if answer.status_code != 200:
                    raise StoreError(
                        f"{self.service} answered {answer.status_code} for artefact {digest}: "
                        "try again later, or another mirror"
                    )
                chunks = []
                size = 0
                for chunk in answer.iter_content(1 << 20):
                    size += len(chunk)
                    if size > MAX_ARTEFACT_BYTES:
                        raise CorruptArtefactError(
                            f"{self.service} served more than {MAX_ARTEFACT_BYTES:,} bytes for "
                            f"{digest}: refused"
                        )
                    chunks.append(chunk)
        except requests.RequestException as err:
            raise StoreError(
                f"cannot fetch artefact {digest} from {self.service}: {type(err).__name__}: "
                "check the URL, or use another mirror"
            ) from None
        data = b"".join(chunks)
        found = content_hash(data)
        if found != digest:
            raise CorruptArtefactError(
                f"{self.service} served bytes for {digest} that hash to {found}: not that "
                "artefact (changed, stale or another tournament's)"
            )
        self.fetched += 1
        return data
