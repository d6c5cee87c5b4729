"""The wallet's client of the oracle service's API (docs/service.md): round data, reveals,
results and proofs. Every failure is one :class:`ServiceError` line that says what to do."""

from __future__ import annotations

from typing import Any

import httpx

from oracle.errors import ServiceError
from oracle.store import content_hash

API = "/api/v1"


class ServiceClient:
    """One oracle service, at ``url`` (for example ``http://127.0.0.1:8000``)."""

    #: Artefacts are content-addressed, so a checked one can be kept: the few most recent,
    #: each up to 64 MB (live data is fetched again for every submission otherwise).
    CACHE_ITEMS = 8
    CACHE_ITEM_BYTES = 64 * 1024 * 1024

    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)
        self._artefacts: dict[str, bytes] = {}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, f"{API}{path}", **kwargs)
        except httpx.TransportError as err:
            raise ServiceError(
                f"cannot reach the oracle service at {self.url} ({type(err).__name__}): start it "
                "with `ape run oracle serve`, or pass its address with --service"
            ) from None
        if response.status_code >= 400:
            try:
                body = response.json()
                message, facts = str(body.pop("error")), body
            except (ValueError, KeyError, AttributeError):
                message, facts = response.text.strip()[:200] or response.reason_phrase, {}
            raise ServiceError(
                f"the service refused ({response.status_code}): {message}",
                response.status_code,
                facts,
            )
        return response

    # ------------------------------------------------------------------ reads

    def info(self) -> dict[str, Any]:
        """The service's chain id, contract addresses, chain time and limits."""
        return dict(self._request("GET", "").json())

    def round(self, round_id: int) -> dict[str, Any]:
        """One round: phase, schedule, totals and artefact hashes."""
        return dict(self._request("GET", f"/rounds/{round_id}").json())

    def artefact(self, digest: str) -> bytes:
        """The public artefact with content hash ``digest``, checked against it here: a service
        cannot hand over anything but the bytes the chain or a manifest names."""
        digest = digest.lower()
        cached = self._artefacts.get(digest)
        if cached is not None:
            return cached
        data = self._request("GET", f"/artefacts/{digest}").content
        if content_hash(data) != digest:
            raise ServiceError(
                f"the service at {self.url} sent artefact {digest} with other content: do not "
                "trust this service; ask its operator"
            )
        if len(data) <= self.CACHE_ITEM_BYTES:
            while len(self._artefacts) >= self.CACHE_ITEMS:
                self._artefacts.pop(next(iter(self._artefacts)))
            self._artefacts[digest] = data
        return data

    def live_data(self, round_id: int) -> bytes:
        return self._request("GET", f"/rounds/{round_id}/live-data").content

    def training_data(self, round_id: int) -> bytes:
        return self._request("GET", f"/rounds/{round_id}/training-data").content

    def leaves(self, round_id: int, account: str) -> dict[str, Any]:
        """``account``'s leaves of a posted round, each with its proof."""
        return dict(self._request("GET", f"/rounds/{round_id}/accounts/{account}/leaves").json())

    def results(self, round_id: int) -> bytes:
        """The posted results file, byte for byte."""
        return self._request("GET", f"/rounds/{round_id}/results").content

    # ------------------------------------------------------------------ reveals

    def reveal(
        self, round_id: int, account: str, model: str, salt: bytes, data: bytes
    ) -> dict[str, Any]:
        """Send one position's predictions file and salt; the intake's answer (``status``
        ``accepted`` or ``rejected`` with its ``reason``). Outside the reveal window the
        service refuses with a :class:`ServiceError` whose ``facts`` hold the times."""
        name = "predictions.parquet" if data[:4] == b"PAR1" else "predictions.csv"
        response = self._request(
            "POST",
            f"/rounds/{round_id}/reveals",
            data={"salt": "0x" + salt.hex(), "account": account, "model": model},
            files={"file": (name, data)},
        )
        return dict(response.json())
