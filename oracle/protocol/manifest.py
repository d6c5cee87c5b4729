"""The round manifest and the other JSON artefacts of a round, in canonical bytes.

Canonical JSON (sorted keys, no spaces, UTF-8) makes the bytes, and so the content hash, a
function of the content alone: the same round always hashes the same.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from oracle.errors import ManifestError

MANIFEST_FORMAT = "tournament-round-manifest-v1"
REVEALS_FORMAT = "tournament-reveals-v1"
ROUND_KINDS = ("classic", "signals")


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of a JSON value (sorted keys, compact, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def load_json(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, ValueError) as err:
        raise ManifestError(f"{what} is not valid JSON ({err})") from None
    if not isinstance(value, dict):
        raise ManifestError(f"{what} is not a JSON object")
    return value


def load_document(data: bytes, name: str, format_name: str) -> dict[str, Any]:
    """A JSON artefact that must carry ``format_name`` in its ``format`` field (``name``, as
    "round manifest", says what it should be)."""
    raw = load_json(data, f"the {name}")
    if raw.get("format") != format_name:
        raise ManifestError(f"not a {name} (format {raw.get('format')!r})")
    return raw


@dataclass(frozen=True)
class Schedule:
    """A round's times (unix seconds) and its challenge period (seconds)."""

    close_time: int
    reveal_deadline: int
    resolve_after: int
    resolve_by: int
    challenge_period: int

    def check(self, now: int) -> None:
        if not now < self.close_time < self.reveal_deadline <= self.resolve_after:
            raise ManifestError(
                "the schedule must satisfy now < close < reveal deadline <= resolve after"
            )
        if self.challenge_period <= 0:
            raise ManifestError("the challenge period must be positive")
        if self.resolve_after + self.challenge_period > self.resolve_by:
            raise ManifestError("resolve-by must leave room for the challenge period")


@dataclass(frozen=True)
class RoundManifest:
    """What a round is: its data, scoring config, schedule and target commitment.

    Its content hash is the round's ``liveDataHash`` on chain, so everything it names is fixed
    before anyone stakes.
    """

    kind: str
    chain_id: int
    tournament: str
    live_data: str
    scoring_config: str
    universe: int
    schedule: Schedule
    clip_ppm: int
    min_stake: int
    #: Content hash of the targets artefact, when the targets are known at open (synthetic
    #: rounds); None when they are supplied later.
    targets_commitment: str | None = None
    training_data: str | None = None
    #: For synthetic rounds: the market spec and the round number it drew the live era for.
    market: dict[str, Any] | None = None
    #: Held-out eras for diagnostics: ``data`` (the validation eras with their targets),
    #: ``benchmarks`` (the benchmark models' predictions on them, or None) and ``stakes`` (each
    #: benchmark's stake in tokens, the meta model's weights); None for a round without them.
    validation: dict[str, Any] | None = None
    format: str = field(default=MANIFEST_FORMAT)

    def __post_init__(self) -> None:
        if self.kind not in ROUND_KINDS:
            raise ManifestError(f"round kind must be one of {ROUND_KINDS}, got {self.kind!r}")

    def to_bytes(self) -> bytes:
        return canonical_json(asdict(self))

    @property
    def validation_data(self) -> str | None:
        """The content hash of the validation eras (None when the round has none)."""
        value = (self.validation or {}).get("data")
        return None if value is None else str(value)

    @property
    def benchmarks(self) -> str | None:
        """The content hash of the benchmark models' validation predictions (or None)."""
        value = (self.validation or {}).get("benchmarks")
        return None if value is None else str(value)

    @property
    def benchmark_stakes(self) -> dict[str, int]:
        """Each benchmark model's stake in tokens (the meta model's weights)."""
        return {str(k): int(v) for k, v in ((self.validation or {}).get("stakes") or {}).items()}

    @classmethod
    def from_bytes(cls, data: bytes) -> RoundManifest:
        raw = load_document(data, "round manifest", MANIFEST_FORMAT)
        try:
            raw["schedule"] = Schedule(**raw["schedule"])
            return cls(**raw)
        except (TypeError, KeyError) as err:
            raise ManifestError(f"the round manifest is malformed ({err})") from None


@dataclass(frozen=True)
class Reveal:
    """What a participant revealed for one position: the salt and the file's content hash."""

    account: str
    model_id: str
    salt: str
    predictions_hash: str
    #: The intake's decision when it received the reveal ("accepted" or "rejected") and why.
    status: str
    reason: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.account, self.model_id)


def reveals_bundle(round_id: int, reveals: list[Reveal]) -> bytes:
    """The public list of a round's reveals, in a canonical order."""
    ordered = sorted(reveals, key=lambda r: r.key)
    return canonical_json(
        {"format": REVEALS_FORMAT, "round": round_id, "reveals": [asdict(r) for r in ordered]}
    )


def read_reveals_bundle(data: bytes) -> list[Reveal]:
    raw = load_document(data, "reveals bundle", REVEALS_FORMAT)
    try:
        return [Reveal(**item) for item in raw["reveals"]]
    except (TypeError, KeyError) as err:
        raise ManifestError(f"the reveals bundle is malformed ({err})") from None
