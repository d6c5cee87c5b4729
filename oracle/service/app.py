"""The oracle service: a JSON API (``/api/v1``) and server-rendered pages for one tournament.

It holds no key. It reads the chain and the store, and writes reveals only, through the round
pipeline's :class:`~oracle.resolver.pipeline.Intake` (the same judgment as ``ape run oracle
intake``). Every bad request gets a 4xx answer ``{"error": "<one line>"}``; nothing answers
with a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from oracle.chain.events import Status
from oracle.errors import (
    ArtefactMissingError,
    NotFoundError,
    NotReadyError,
    TournamentError,
    one_line,
    shortened,
)
from oracle.pages.templating import STATIC
from oracle.protocol.commitments import model_id_of
from oracle.protocol.manifest import RoundManifest
from oracle.resolver.context import OracleContext
from oracle.resolver.pipeline import Intake
from oracle.service.render import Pages
from oracle.service.schema import (
    ADDRESS_PATTERN,
    ARTEFACT_TYPES,
    HASH_PATTERN,
    JSON_OBJECT,
    MODEL_PATTERN,
    PARQUET,
    PATTERN_HINTS,
    Account,
    Digest,
    Leaves,
    ModelHistory,
    ModelRef,
    RevealAnswer,
    RoundDetail,
    RoundId,
    RoundList,
    ServiceInfo,
    content,
    errors,
)
from oracle.service.security import SecurityHeaders, add_docs
from oracle.service.uploads import BodyLimit, read_upload
from oracle.service.views import TournamentView, checked_account, checked_model_id
from oracle.store import content_hash, normalise_hash

API = "/api/v1"
T = TypeVar("T")
log = logging.getLogger("oracle.service")
#: Seconds from close and from the reveal deadline within which chain time is read afresh
#: for every reveal (a block on a real chain moves time by seconds, never by a minute).
WINDOW_EDGE = 60


@dataclass(frozen=True)
class ServiceLimits:
    """What one request may carry."""

    #: The largest predictions file a reveal may upload.
    max_upload_bytes: int = 8 * 1024 * 1024
    #: The most ids a predictions file may hold.
    max_ids: int = 100_000
    #: Origins allowed to call the API from a browser; none by default (CORS off).
    cors_origins: tuple[str, ...] = ()
    #: Worker threads for blocking work (reveal checks, chain and store reads).
    threads: int = 8
    #: Seconds a request body may take to arrive, and may pause between its parts.
    body_timeout: float = 30.0
    idle_timeout: float = 10.0
    #: Request bodies read at once (per process); one more is answered 503 at once.
    max_uploads: int = 64


class ApiError(HTTPException):
    """A refused request: its status, a one-line message and any facts that help (times)."""

    def __init__(self, status: int, message: str, **facts: Any) -> None:
        super().__init__(status_code=status, detail=message)
        self.facts = facts


def _status_of(err: TournamentError) -> int:
    if isinstance(err, NotFoundError | ArtefactMissingError):
        return 404
    if isinstance(err, NotReadyError):
        return 409
    return 500  # a server-side fault (a corrupt store entry, a chain that cannot be read)


def _parsed(parse: Callable[[str], T], text: str) -> T:
    """``parse(text)``, or a 400 answer with the parser's one-line reason."""
    try:
        return parse(text)
    except ValueError as err:
        raise ApiError(400, str(err)) from None


def _media_type(data: bytes) -> str:
    if data[:4] == b"PAR1":
        return PARQUET
    if data[:1] in (b"{", b"["):
        return "application/json"
    return "application/octet-stream"


def create_app(ctx: OracleContext, limits: ServiceLimits | None = None) -> FastAPI:
    """The service for the tournament and store of ``ctx``."""
    limits = limits or ServiceLimits()
    view = TournamentView(ctx)
    pages = Pages(view)
    intakes: dict[int, Intake] = {}
    intakes_lock = threading.Lock()

    def warm() -> None:
        """Read the positions of every round taking reveals now, before the first arrives."""
        try:
            now = view.now()
            for round_id in view.round_ids():
                info = view.info(round_id)
                if info.status != Status.PENDING or now < info.close_time:
                    continue
                if now <= view.manifest(round_id).schedule.reveal_deadline:
                    intake_of(round_id).preload()
        except TournamentError as err:
            log.warning("could not preload the rounds taking reveals: %s", one_line(str(err)))

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Few threads: more only queue for the interpreter lock and slow every request.
        anyio.to_thread.current_default_thread_limiter().total_tokens = limits.threads
        threading.Thread(target=warm, name="warm-intake", daemon=True).start()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="Staking tournament oracle service",
        version="1",
        summary="Round data, reveal intake, results and proofs, and every public artefact.",
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{API}/openapi.json",
    )
    add_docs(app)
    # A request body may carry the file plus its small form fields.
    app.add_middleware(
        BodyLimit,
        max_bytes=limits.max_upload_bytes + 64 * 1024,
        body_timeout=limits.body_timeout,
        idle_timeout=limits.idle_timeout,
        max_uploads=limits.max_uploads,
    )
    if limits.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(limits.cors_origins), allow_methods=["GET", "POST"]
        )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # ------------------------------------------------------------------ errors

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith(API) or request.url.path.startswith("/docs")

    def error_response(request: Request, status: int, message: str, **facts: Any) -> Response:
        message = one_line(message)
        if wants_json(request):
            return JSONResponse({"error": message, **facts}, status_code=status)
        return HTMLResponse(pages.error(status, message), status_code=status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> Response:
        facts = err.facts if isinstance(err, ApiError) else {}
        message = str(err.detail)
        if err.status_code == 404 and message == "Not Found":
            message = f"no such page or endpoint: {request.url.path}"
        response = error_response(request, err.status_code, message, **facts)
        response.headers.update(err.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, err: RequestValidationError) -> Response:
        problem = err.errors()[0]
        where = ".".join(
            str(part) for part in problem.get("loc", ()) if part not in ("body", "path", "query")
        )
        if problem.get("type") == "missing":
            message = f"missing {where}: see {API}/openapi.json for the request's fields"
        elif problem.get("type") in ("string_pattern_mismatch", "string_too_long") and (
            where in PATTERN_HINTS
        ):
            shown = shortened(str(problem.get("input", "")), 70)
            message = f"{where}: {shown!r} {PATTERN_HINTS[where]}"
        else:
            message = f"{where}: {problem.get('msg', 'invalid value')}"
        return error_response(request, 422, message)

    @app.exception_handler(TournamentError)
    async def tournament_error(request: Request, err: TournamentError) -> Response:
        return error_response(request, _status_of(err), str(err))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> Response:
        return error_response(
            request, 500, f"internal error ({type(err).__name__}): see the service's log"
        )

    # ------------------------------------------------------------------ API: rounds

    @app.get(f"{API}", tags=["service"], response_model=ServiceInfo, responses=errors(503))
    def service_info() -> dict[str, Any]:
        """The chain, the contracts and the limits this service works with."""
        return {
            "chain_id": ctx.chain_id,
            "tournament": ctx.tournament,
            "deployment_block": ctx.reader.from_block,
            "token": view.token_address(),
            "chain_time": view.now(),
            "rounds": len(view.round_ids()),
            "limits": asdict(limits),
        }

    @app.get(f"{API}/rounds", tags=["rounds"], response_model=RoundList, responses=errors(503))
    def list_rounds() -> dict[str, Any]:
        """Every round with its phase and totals (amounts in base units, as strings)."""
        return {"rounds": [s.to_json() for s in view.summaries()]}

    @app.get(
        f"{API}/rounds/{{round_id}}",
        tags=["rounds"],
        response_model=RoundDetail,
        response_model_exclude_unset=True,
        responses=errors(404, 422, 503),
    )
    def round_detail(round_id: RoundId) -> dict[str, Any]:
        """One round: its schedule, phase, totals, artefact hashes and the results' totals."""
        detail = view.summary(round_id).to_json()
        manifest = view.manifest(round_id)
        detail["schedule"] = asdict(manifest.schedule)
        detail["clip_ppm"] = manifest.clip_ppm
        detail["min_stake"] = str(manifest.min_stake)
        detail["targets_commitment"] = manifest.targets_commitment
        if detail["results"] is not None:
            detail["totals"] = view.results(round_id).document["totals"]
        return detail

    def artefact_response(digest: str, filename: str | None = None) -> Response:
        data = ctx.store.get(digest, public_only=True)
        headers = {"X-Content-Hash": digest, "ETag": f'"{digest}"'}
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
        if filename:
            headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return Response(data, media_type=_media_type(data), headers=headers)

    @app.get(
        f"{API}/rounds/{{round_id}}/live-data",
        tags=["data"],
        response_class=Response,
        responses={**content((PARQUET,), "the live data"), **errors(404, 422, 503)},
    )
    def live_data(round_id: RoundId) -> Response:
        """The round's live data (parquet: id and features)."""
        return artefact_response(
            view.manifest(round_id).live_data, f"round-{round_id}-live.parquet"
        )

    @app.get(
        f"{API}/rounds/{{round_id}}/training-data",
        tags=["data"],
        response_class=Response,
        responses={**content((PARQUET,), "the training data"), **errors(404, 422, 503)},
    )
    def training_data(round_id: RoundId) -> Response:
        """The training data the round's synthetic market was drawn with (parquet)."""
        digest = view.manifest(round_id).training_data
        if digest is None:
            raise ApiError(404, f"round {round_id} was opened on the operator's own data: it "
                           "publishes no training data")  # fmt: skip
        return artefact_response(digest, f"round-{round_id}-training.parquet")

    # ------------------------------------------------------------------ API: reveals

    def window_clock(manifest: RoundManifest) -> Callable[[], int]:
        """Chain time for the intake: a read at most half a second old while the round is
        well inside its reveal window (one read serves a burst of reveals), and a fresh read
        within a minute of either edge, so close and the deadline are judged exactly."""
        opens, closes = manifest.schedule.close_time, manifest.schedule.reveal_deadline

        def clock() -> int:
            now = view.now()
            if opens + WINDOW_EDGE <= now <= closes - WINDOW_EDGE:
                return now
            return ctx.now()

        return clock

    def intake_of(round_id: int) -> Intake:
        with intakes_lock:
            intake = intakes.get(round_id)
            if intake is None:
                view.info(round_id)  # 404 for a round that does not exist
                intake = Intake(ctx, round_id, clock=window_clock(view.manifest(round_id)))
                if intake.error is None:
                    intakes[round_id] = intake
            return intake

    @app.post(
        f"{API}/rounds/{{round_id}}/reveals",
        tags=["reveals"],
        response_model=RevealAnswer,
        responses=errors(400, 404, 408, 409, 413, 422, 503, reveal_window=True),
    )
    def upload_reveal(
        round_id: RoundId,
        file: Annotated[UploadFile, File(description="the predictions file (parquet or csv)")],
        salt: Annotated[
            str, Form(pattern=HASH_PATTERN, description="the 32-byte salt, 0x and 64 hex digits")
        ],
        account: Annotated[
            str, Form(pattern=ADDRESS_PATTERN, description="the staking account's address")
        ],
        model_id: Annotated[
            str, Form(pattern=HASH_PATTERN, description="the model id (0x + 64 hex)")
        ] = "",
        model: Annotated[
            str,
            Form(
                min_length=1,
                max_length=64,
                pattern=MODEL_PATTERN,
                description="the model's name (its id's source)",
            ),
        ] = "",
    ) -> JSONResponse:
        """Reveal one position's predictions and salt, after close and before the reveal
        deadline; name the model by its id, its name or both. Answers ``accepted``, or
        ``rejected`` with the reason; the same reveal again gets the same answer. Outside the
        reveal window it is refused (409) with the times."""
        # The salt's pattern is checked with the form (422); the address is checksummed here.
        address = _parsed(checked_account, account)
        intake = intake_of(round_id)
        data = read_upload(file.file, limits.max_upload_bytes, limits.max_ids)
        mid = _parsed(checked_model_id, model_id) if model_id else None
        named = _parsed(model_id_of, model) if model else None
        problem = None
        if mid is None and named is None:
            problem = "give the model's id (model_id) or its name (model)"
        elif mid is not None and named is not None and named != mid:
            problem = f"model '{model}' does not hash to {model_id}"

        def answer(model_hex: str, status: str, reason: str, predictions_hash: str) -> JSONResponse:
            return JSONResponse(
                {
                    "round": round_id,
                    "account": address,
                    "model_id": model_hex,
                    "status": status,
                    "reason": reason,
                    "predictions_hash": predictions_hash,
                }
            )

        if problem is not None:
            model_hex = model_id or ("0x" + named.hex() if named else "")
            return answer(model_hex, "rejected", problem, content_hash(data))
        mid = mid or named
        assert mid is not None
        result = intake.take(address, mid, bytes.fromhex(salt[2:]), data)
        if result.timing:
            schedule = view.manifest(round_id).schedule
            raise ApiError(
                409,
                result.reason,
                close_time=schedule.close_time,
                reveal_deadline=schedule.reveal_deadline,
                chain_time=view.now(),
            )
        if result.accepted and model:
            view.remember_name(mid, model)
        return answer("0x" + mid.hex(), result.status, result.reason, result.predictions_hash)

    # ------------------------------------------------------------------ API: results

    @app.get(
        f"{API}/rounds/{{round_id}}/results",
        tags=["results"],
        response_class=Response,
        responses={
            **content(("application/json",), "the results file", JSON_OBJECT),
            **errors(404, 409, 422, 503),
        },
    )
    async def results(round_id: RoundId) -> Response:
        """The posted results file (its bytes hash to the round's resultsHash on chain)."""
        # From memory on the event loop when it can be; reads go to a worker thread.
        index = view.cached_results(round_id)
        if index is None:
            index = await run_in_threadpool(view.results, round_id)
        return Response(
            index.data,
            media_type="application/json",
            headers={"X-Content-Hash": index.digest, "ETag": f'"{index.digest}"'},
        )

    @app.get(
        f"{API}/rounds/{{round_id}}/tree",
        tags=["results"],
        responses={
            **content(("application/json",), "the Merkle tree", JSON_OBJECT),
            **errors(404, 409, 422, 503),
        },
    )
    def tree(round_id: RoundId) -> dict[str, Any]:
        """The round's Merkle tree dump (OpenZeppelin StandardMerkleTree format)."""
        return dict(view.results(round_id).document["tree"])

    @app.get(
        f"{API}/rounds/{{round_id}}/accounts/{{account}}/leaves",
        tags=["results"],
        response_class=Response,
        responses={
            **content(("application/json",), "the leaves", Leaves.model_json_schema()),
            **errors(404, 409, 422, 503),
        },
    )
    async def account_leaves(round_id: RoundId, account: Account) -> Response:
        """One account's leaves of a posted round, each with its Merkle proof."""
        address = _parsed(checked_account, account)
        data = view.cached_leaves_json(round_id, address)
        if data is None:
            data = await run_in_threadpool(view.leaves_json, round_id, address)
        return Response(data, media_type="application/json")

    @app.get(
        f"{API}/models/{{model}}",
        tags=["results"],
        response_model=ModelHistory,
        responses=errors(422, 503),
    )
    def model_history(model: ModelRef) -> dict[str, Any]:
        """A model's positions across posted rounds (by id, or by name)."""
        mid = _parsed(checked_model_id, model)
        hex_id = "0x" + mid.hex()
        return {
            "model_id": hex_id,
            "name": view.model_names().get(hex_id),
            "rounds": view.model_history(mid),
        }

    @app.get(
        f"{API}/artefacts/{{digest}}",
        tags=["artefacts"],
        response_class=Response,
        responses={**content(ARTEFACT_TYPES, "the artefact's bytes"), **errors(404, 422, 503)},
    )
    def artefact(digest: Digest) -> Response:
        """Any public artefact by its content hash (keccak256), checked before it is served."""
        # The pattern is checked with the path (422); the store's form is lower-case.
        return artefact_response(normalise_hash(digest))  # a corrupt entry: a 500

    # ------------------------------------------------------------------ pages

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index_page() -> str:
        return pages.cached("/", pages.index)

    @app.get("/rounds/{round_id}", response_class=HTMLResponse, include_in_schema=False)
    def round_page(round_id: int) -> str:
        return pages.cached(f"/rounds/{round_id}", lambda: pages.round(round_id))

    @app.get("/models/{model}", response_class=HTMLResponse, include_in_schema=False)
    def model_page(model: str) -> str:
        mid = _parsed(checked_model_id, model)
        return pages.cached(f"/models/0x{mid.hex()}", lambda: pages.model(mid))

    return app
