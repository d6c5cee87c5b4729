"""A synthetic round's secret: drawn at open, kept private until the reveal deadline, then
published so that anyone can check the round's data was drawn from the declared market.

The secret artefact is a small canonical JSON document; its content hash is in the manifest
(``market.secret_commitment``), so the operator is bound to one secret before anyone stakes.
From the manifest's market spec, the round number and the secret, :func:`world_of` gives the
round's world (its training data, live data and targets); :func:`regeneration_mismatch`
compares them with the published artefacts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from oracle.audit.context import Say, quiet
from oracle.errors import ManifestError
from oracle.market import Market, MarketSpec, to_parquet
from oracle.market.generator import SECRET_BYTES
from oracle.protocol.manifest import canonical_json, load_document
from oracle.scoring.bounded import read_bounded

SECRET_FORMAT = "tournament-round-secret-v1"


@dataclass(frozen=True)
class RoundSecret:
    """The secret a synthetic round's world and live era are drawn with."""

    round_number: int
    secret: bytes

    @classmethod
    def new(cls, round_number: int) -> RoundSecret:
        """A fresh secret from the operating system's CSPRNG."""
        return cls(round_number, secrets.token_bytes(SECRET_BYTES))

    def to_bytes(self) -> bytes:
        secret = "0x" + self.secret.hex()
        return canonical_json(
            {"format": SECRET_FORMAT, "round": self.round_number, "secret": secret}
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> RoundSecret:
        raw = load_document(data, "round secret", SECRET_FORMAT)
        try:
            secret = bytes.fromhex(str(raw["secret"]).removeprefix("0x"))
            round_number = int(raw["round"])
        except (KeyError, ValueError) as err:
            raise ManifestError(f"the round secret is malformed ({err})") from None
        if len(secret) != SECRET_BYTES:
            raise ManifestError(f"the round secret must have {SECRET_BYTES} bytes")
        return cls(round_number, secret)


@dataclass(frozen=True)
class RoundArtefacts:
    """What a round is opened with: its live data, and for a synthetic round the targets, the
    training data, the secret they were drawn with and the market they were drawn from."""

    live: bytes
    targets: bytes | None = None
    training: bytes | None = None
    secret: RoundSecret | None = None
    spec: MarketSpec | None = None
    #: The validation eras with their targets (public at open, for diagnostics).
    validation: bytes | None = None
    #: The benchmark models' predictions on the validation eras, and their stakes (tokens).
    benchmarks: bytes | None = None
    benchmark_stakes: dict[str, int] | None = None

    @property
    def round_number(self) -> int | None:
        return None if self.secret is None else self.secret.round_number

    def market_info(self, secret_hash: str | None) -> dict[str, Any] | None:
        """The manifest's ``market`` entry (None for an operator's own data)."""
        if self.spec is None or self.secret is None:
            return None
        return {
            "spec": self.spec.to_dict(),
            "round_number": self.secret.round_number,
            "secret_commitment": secret_hash,
        }


def draw_round(
    round_id: int,
    spec: MarketSpec,
    kind: str = "classic",
    secret: bytes | None = None,
    say: Say = quiet,
    *,
    benchmarks: bool = True,
) -> RoundArtefacts:
    """Round ``round_id`` of the synthetic market ``spec``: its world, training data,
    validation eras, live era and targets drawn with a round secret (a fresh one from the OS's
    CSPRNG unless ``secret`` gives its 32 bytes), which like the live targets stays private
    until the reveal deadline. With ``benchmarks`` the benchmark models
    (:mod:`oracle.models.benchmarks`) are fitted on the training data and predict the
    validation eras (about 3 s for the default market)."""
    drawn_with = RoundSecret.new(round_id) if secret is None else RoundSecret(round_id, secret)
    world = Market(spec, drawn_with.secret)
    say(f"generating round {round_id}'s live era ({spec.live_stocks:,} stocks)")
    drawn = world.draw(kind, round_id)
    live, targets = to_parquet(drawn.live), to_parquet(drawn.targets)
    say("generating the training data")
    training = world.training()
    artefacts = RoundArtefacts(live, targets, to_parquet(training), drawn_with, spec)
    if spec.validation_eras == 0:
        return artefacts
    say(f"generating {spec.validation_eras} validation eras")
    validation = world.validation()
    bench_bytes = stakes = None
    if benchmarks:
        from oracle.models.benchmarks import benchmark_predictions, benchmark_stakes

        bench_bytes = to_parquet(benchmark_predictions(training, validation, say))
        stakes = benchmark_stakes()
    return replace(
        artefacts,
        validation=to_parquet(validation),
        benchmarks=bench_bytes,
        benchmark_stakes=stakes,
    )


def secret_commitment(market: dict[str, Any] | None) -> str | None:
    """The content hash of the round secret a manifest's market entry commits to (None for a
    round on the operator's own data)."""
    if not market:
        return None
    value = market.get("secret_commitment")
    return None if value is None else str(value)


def world_of(market: dict[str, Any], secret: RoundSecret) -> Market:
    """The market of a manifest's market entry, drawn with the round's secret."""
    if secret.round_number != int(market["round_number"]):
        raise ManifestError(
            f"the secret is round {secret.round_number}'s, the manifest names round "
            f"{market['round_number']}"
        )
    return Market(MarketSpec.from_dict(market["spec"]), secret.secret)


def _frame(data: bytes) -> pd.DataFrame:
    return read_bounded(data, "a round artefact", error=ManifestError).to_pandas()


def regeneration_mismatch(
    kind: str,
    market: dict[str, Any],
    secret: RoundSecret,
    *,
    live_data: bytes,
    targets: bytes,
    training_data: bytes | None,
    validation_data: bytes | None = None,
) -> str | None:
    """None when the secret regenerates the published live data, targets, training data and
    validation eras exactly (values, columns and order), else which artefact differs."""
    world = world_of(market, secret)
    drawn = world.draw(kind, int(market["round_number"]))
    expected = {"live data": drawn.live, "targets": drawn.targets}
    found = {"live data": _frame(live_data), "targets": _frame(targets)}
    if training_data is not None:
        expected["training data"] = world.training()
        found["training data"] = _frame(training_data)
    if validation_data is not None:
        expected["validation data"] = world.validation()
        found["validation data"] = _frame(validation_data)
    for name, frame in expected.items():
        if not frame.reset_index(drop=True).equals(found[name].reset_index(drop=True)):
            return f"{name}: the published round secret does not regenerate the published {name}"
    return None
