"""The API's contract: the shapes of its answers and the patterns of its inputs, so that
``/api/v1/openapi.json`` says exactly what the service takes and answers (clients and fuzzers
read it, and a schemathesis run in the tests holds the service to it)."""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any, Literal, get_type_hints

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, create_model

from oracle.protocol.commitments import NAME_PATTERN
from oracle.service.views import AMOUNT_FIELDS, RoundSummary

#: The patterns the service enforces, as the schema states them.
HASH_PATTERN = r"^0x[0-9a-fA-F]{64}$"
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
#: A model by id, or by name (see :data:`~oracle.protocol.commitments.NAME_PATTERN`).
MODEL_PATTERN = NAME_PATTERN
MODEL_REF_PATTERN = r"^(0x[0-9a-fA-F]{64}|" + NAME_PATTERN[1:-1] + r")$"
MAX_ROUND = 2**63 - 1
#: What a value that does not match its field's pattern is told, by field.
PATTERN_HINTS = {
    "account": "is not an address: give 0x and 40 hex digits",
    "salt": "is not a salt: give the 32-byte salt as 0x and 64 hex digits",
    "model_id": "is not a model id: give 0x and 64 hex digits",
    "model": "is not a model name: 1 to 64 characters, no line break, no space at either end",
    "digest": "is not a content hash: give 0x and 64 hex digits",
}

RoundId = Annotated[int, Path(ge=0, le=MAX_ROUND, description="the round number")]
Digest = Annotated[
    str, Path(pattern=HASH_PATTERN, description="a content hash: 0x and 64 hex digits")
]
Account = Annotated[
    str, Path(pattern=ADDRESS_PATTERN, description="an address: 0x and 40 hex digits")
]
ModelRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=66,
        pattern=MODEL_REF_PATTERN,
        description="a model id (0x and 64 hex digits) or a model name",
    ),
]


class ErrorAnswer(BaseModel):
    """Every refusal: one line that says what is wrong and what to do."""

    error: str


class RevealRefused(ErrorAnswer):
    """A reveal outside the reveal window, with the times that decide it (unix seconds)."""

    close_time: int
    reveal_deadline: int
    chain_time: int


def errors(*statuses: int, reveal_window: bool = False) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entry of a route: each status it may answer, with the error body."""
    described = {
        400: "the input is malformed",
        403: "a read-only mirror takes no reveals",
        404: "no such round, artefact or model (yet)",
        409: "not in this phase of the round",
        413: "the request or its file is too large",
        422: "a field is missing or does not match its pattern",
        408: "the request body did not arrive in time",
        503: "the service is busy reading other uploads, or cannot read the chain: retry",
    }
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model: type[BaseModel] = RevealRefused if reveal_window and status == 409 else ErrorAnswer
        out[status] = {"model": model, "description": described[status]}
    return out


def content(
    media_types: tuple[str, ...], description: str, schema: dict[str, Any] | None = None
) -> dict[int | str, dict[str, Any]]:
    """A 200 answer that is not a pydantic model: its media types (and JSON schema)."""
    body = schema or {"type": "string", "format": "binary"}
    return {
        200: {"description": description, "content": {m: {"schema": body} for m in media_types}}
    }


class Limits(BaseModel):
    max_upload_bytes: int
    max_ids: int
    cors_origins: list[str]
    threads: int
    body_timeout: float
    idle_timeout: float
    max_uploads: int
    read_only: bool


class ServiceInfo(BaseModel):
    chain_id: int
    tournament: str
    deployment_block: int
    token: str
    chain_time: int
    rounds: int
    limits: Limits
    #: Tokens each post locks from the oracle's bond pool (base units).
    resolution_bond: str
    #: Tokens a dispute costs (base units), fixed for the deployment's life.
    dispute_bond: str
    #: Seconds the guardian has to rule on a dispute.
    ruling_period: int
    #: The oracle's free bond (base units).
    bond_pool: str


def _summary_model() -> type[BaseModel]:
    """The JSON form of :class:`~oracle.service.views.RoundSummary`, from its fields (amounts
    as decimal strings), so the two cannot drift apart."""
    hints = get_type_hints(RoundSummary)
    described: dict[str, Any] = {
        f.name: (str if f.name in AMOUNT_FIELDS else hints[f.name], ...)
        for f in fields(RoundSummary)
    }
    return create_model(
        "RoundSummary", __doc__="One round (amounts in base units, as decimal strings).",
        **described,
    )  # fmt: skip


RoundSummaryModel = _summary_model()


class RoundList(BaseModel):
    rounds: list[RoundSummaryModel]  # type: ignore[valid-type]


class ScheduleModel(BaseModel):
    close_time: int
    reveal_deadline: int
    resolve_after: int
    resolve_by: int
    challenge_period: int


class RoundDetail(RoundSummaryModel):  # type: ignore[misc,valid-type]
    schedule: ScheduleModel
    clip_ppm: int
    min_stake: str
    targets_commitment: str | None
    #: The results file's totals, once posted.
    totals: dict[str, Any] | None = None


class RevealAnswer(BaseModel):
    round: int
    account: str
    model_id: str
    status: Literal["accepted", "rejected"]
    reason: str
    predictions_hash: str


class ModelRound(BaseModel):
    """A model in one resolved round (amounts in base units, as decimal strings)."""

    round: int
    stake: str
    reward: str
    burn: str
    #: reward - burn
    net: str
    #: stake + net: what the claims send
    payout: str
    status: str
    corr: float | None
    mmc: float | None
    tc: float | None
    #: The round's own combination of the scores (its payout rule's weights).
    payout_score: float | None
    #: net / stake
    round_return: float
    #: The model's reputation after this round.
    reputation: float | None


class OpenPosition(BaseModel):
    """A position in a round with no posted resolution yet."""

    round: int
    account: str
    stake: str
    phase: str


class ModelTotals(BaseModel):
    """A model across the resolved rounds (amounts in base units, as decimal strings)."""

    model_id: str
    name: str | None
    #: The stake-weighted mean payout score over the last 20 resolved rounds.
    reputation: float | None
    #: The product of (1 + net / stake) over the resolved rounds, minus 1.
    cumulative_return: float
    total_staked: str
    total_net: str


class ModelHistory(ModelTotals):
    model_config = ConfigDict(extra="forbid")

    #: Plain means of CORR, MMC and TC over the reputation's window.
    means: dict[str, float | None]
    #: Every resolved round of the model, oldest first.
    resolved: list[ModelRound]
    #: The model's positions in rounds not yet resolved (the open round's current stake).
    open: list[OpenPosition]
    #: Each posted round's results entry of the model (any account), with its round.
    rounds: list[dict[str, Any]]


class LeaderboardEntry(ModelTotals):
    #: Staked in rounds not yet resolved.
    at_stake: str
    #: Resolved rounds the model staked in.
    rounds: int
    latest_round: int | None
    corr: float | None
    mmc: float | None
    tc: float | None


class Leaderboard(BaseModel):
    #: The rounds a reputation averages over.
    window: int
    #: Every model that ever staked, by reputation (highest first).
    models: list[LeaderboardEntry]


class Leaves(BaseModel):
    round: int
    account: str
    root: str
    results: str
    leaves: list[dict[str, Any]] = Field(description="the account's results entries and proofs")


#: The results file and the tree as JSON objects (their format is in docs/oracle.md).
JSON_OBJECT: dict[str, Any] = {"type": "object"}


class TreeValue(BaseModel):
    #: The leaf's values in the leaf encoding's order (integers as decimal strings or numbers).
    value: list[str | int]
    treeIndex: int  # noqa: N815 - @openzeppelin/merkle-tree's field name


class MerkleTreeDump(BaseModel):
    """A round's tree in @openzeppelin/merkle-tree's JSON format ("standard-v1")."""

    format: str
    leafEncoding: list[str]  # noqa: N815 - @openzeppelin/merkle-tree's field name
    tree: list[str]
    values: list[TreeValue]


class Rejection(BaseModel):
    account: str
    model_id: str
    reason: str


class Engine(BaseModel):
    """How the scores were computed (docs/oracle.md, "Determinism"): the model chunk, one BLAS
    thread, the OpenBLAS kernels every machine runs, and the units of a quantised score."""

    chunk: int
    blas_threads: int
    blas_core: str
    score_scale: int


class ResultsFile(BaseModel):
    """A round's results file (docs/oracle.md): its inputs' hashes, the engine and payout rule
    it was scored with, the totals, one entry per position, the rejections and the tree."""

    format: str
    chain_id: int
    tournament: str
    round: int
    inputs: dict[str, str | None]
    engine: Engine
    payout_rule: dict[str, int | str]
    totals: dict[str, int | str]
    root: str
    #: One entry per position at close (account, model_id, stake, reward, burn, status, ...).
    positions: list[dict[str, Any]]
    rejections: list[Rejection]
    tree: MerkleTreeDump


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema with its ``$defs`` written in place, for a response that is
    described but not built by a model (its references would not resolve in the document)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    inlined: dict[str, Any] = resolve(schema)
    return inlined


PARQUET = "application/vnd.apache.parquet"
ARTEFACT_TYPES = (PARQUET, "application/json", "text/csv", "application/octet-stream")
