"""Public artefacts by content hash, and the one way every route serves an artefact's bytes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from oracle.service.schema import ARTEFACT_TYPES, PARQUET, Digest, content, errors
from oracle.service.state import API, ServiceState, State
from oracle.store import normalise_hash

router = APIRouter(prefix=API, tags=["artefacts"])


def media_type(data: bytes) -> str:
    if data[:4] == b"PAR1":
        return PARQUET
    if data[:1] in (b"{", b"["):
        return "application/json"
    return "application/octet-stream"


def artefact_response(state: ServiceState, digest: str, filename: str | None = None) -> Response:
    """The public artefact ``digest`` (checked against its hash by the store), cacheable."""
    data = state.ctx.store.get(digest, public_only=True)
    headers = {"X-Content-Hash": digest, "ETag": f'"{digest}"'}
    headers["Cache-Control"] = "public, max-age=31536000, immutable"
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(data, media_type=media_type(data), headers=headers)


@router.get(
    "/artefacts/{digest}",
    response_class=Response,
    responses={**content(ARTEFACT_TYPES, "the artefact's bytes"), **errors(404, 422, 503)},
)
def artefact(digest: Digest, state: State) -> Response:
    """Any public artefact by its content hash (keccak256), checked before it is served."""
    # The pattern is checked with the path (422); the store's form is lower-case.
    return artefact_response(state, normalise_hash(digest))  # a corrupt entry: a 500
