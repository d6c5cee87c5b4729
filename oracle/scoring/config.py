"""A round's scoring config: payout weights and clip, the TC optimiser, the overlap rule.

Stored as JSON; its content hash goes on chain with the round, so the file that scored a
round can always be told apart from any other.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from oracle.errors import ScoringInputError
from oracle.files import read_object
from oracle.scoring.metrics import MAX_FILTERED_RATIO
from oracle.scoring.payouts import PayoutRule
from oracle.scoring.tc import PortfolioConfig
from oracle.scoring.validate import examples


@dataclass(frozen=True)
class ScoringConfig:
    payout: PayoutRule = field(default_factory=PayoutRule)
    portfolio: PortfolioConfig = field(default_factory=PortfolioConfig)
    #: The most of any input's ids that may be missing from the others (numerai-tools: 0.2).
    max_filtered_ratio: float = MAX_FILTERED_RATIO

    def __post_init__(self) -> None:
        if not 0 <= self.max_filtered_ratio < 1:
            raise ScoringInputError(
                f"max_filtered_ratio must be in [0, 1), got {self.max_filtered_ratio}"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces): the bytes the content hash covers."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoringConfig:
        known = {"payout", "portfolio", "max_filtered_ratio"}
        unknown = set(data) - known
        if unknown:
            raise ScoringInputError(
                f"unknown scoring config keys {examples(sorted(unknown))}: use {sorted(known)}"
            )
        sections = {}
        for name, kind in (("payout", PayoutRule), ("portfolio", PortfolioConfig)):
            section = data.get(name, {})
            if not isinstance(section, dict):
                raise ScoringInputError(
                    f"scoring config '{name}' must be an object of fields, got "
                    f"{type(section).__name__}"
                )
            fields = set(kind.__dataclass_fields__)
            extra = set(section) - fields
            if extra:
                raise ScoringInputError(
                    f"unknown fields in scoring config '{name}': {examples(sorted(extra))}; use "
                    f"{sorted(fields)}"
                )
            sections[name] = kind(**section)
        ratio = data.get("max_filtered_ratio", MAX_FILTERED_RATIO)
        if isinstance(ratio, bool) or not isinstance(ratio, int | float):
            raise ScoringInputError(f"max_filtered_ratio must be a number, got {ratio!r}")
        return cls(
            payout=sections["payout"],  # type: ignore[arg-type]
            portfolio=sections["portfolio"],  # type: ignore[arg-type]
            max_filtered_ratio=float(ratio),
        )

    @classmethod
    def load(cls, path: Path) -> ScoringConfig:
        """A config from a JSON file."""
        return cls.from_dict(read_object(path, "scoring config", ScoringInputError))


def load_config_bytes(data: bytes) -> ScoringConfig:
    """A config from its stored JSON bytes (a round's scoring-config artefact)."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, ValueError) as err:
        raise ScoringInputError(f"the scoring config is not valid JSON: {err}") from None
    if not isinstance(raw, dict):
        raise ScoringInputError("the scoring config must be a JSON object")
    return ScoringConfig.from_dict(raw)
