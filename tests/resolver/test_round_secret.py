"""The round secret: its document, and the check that it regenerates a round's data."""

from __future__ import annotations

import pytest

from oracle.audit.synthetic import RoundSecret, regeneration_mismatch
from oracle.errors import ManifestError
from oracle.market import Market, MarketSpec, to_parquet

SPEC = MarketSpec(seed=3, train_eras=4, train_stocks=100, live_stocks=300)


def _published(secret: RoundSecret, kind: str = "classic") -> dict[str, bytes]:
    world = Market(SPEC, secret.secret)
    drawn = world.draw(kind, secret.round_number)
    return {
        "live_data": to_parquet(drawn.live),
        "targets": to_parquet(drawn.targets),
        "training_data": to_parquet(world.training()),
    }


def _market(round_number: int) -> dict[str, object]:
    return {"spec": SPEC.to_dict(), "round_number": round_number}


def test_secretDocument_roundTripsAndFreshSecretsDiffer() -> None:
    a, b = RoundSecret.new(4), RoundSecret.new(4)
    assert RoundSecret.from_bytes(a.to_bytes()) == a and a.secret != b.secret
    assert len(a.secret) == 32


@pytest.mark.parametrize(
    "data",
    [
        b"[]",
        b'{"format":"x"}',
        b'{"format":"tournament-round-secret-v1","round":1,"secret":"0x00"}',
    ],
)
def test_malformedSecretDocument_isRefusedInOneLine(data: bytes) -> None:
    with pytest.raises(ManifestError):
        RoundSecret.from_bytes(data)


@pytest.mark.parametrize("kind", ["classic", "signals"])
def test_theRightSecret_regeneratesEveryArtefact(kind: str) -> None:
    secret = RoundSecret.new(2)
    assert regeneration_mismatch(kind, _market(2), secret, **_published(secret, kind)) is None


def test_anotherSecret_isNamedAsNotRegeneratingTheData() -> None:
    secret, other = RoundSecret.new(2), RoundSecret.new(2)
    found = regeneration_mismatch("classic", _market(2), other, **_published(secret))
    assert found is not None and found.startswith("live data: the published round secret")


def test_aChangedTargetsFile_isNamed() -> None:
    secret = RoundSecret.new(2)
    published = _published(secret)
    world = Market(SPEC, secret.secret)
    targets = world.live_round(2).targets
    targets.loc[0, "target"] = 0.0 if targets.loc[0, "target"] != 0.0 else 1.0
    published["targets"] = to_parquet(targets)
    found = regeneration_mismatch("classic", _market(2), secret, **published)
    assert found is not None and found.startswith("targets:")


def test_aSecretOfAnotherRound_isRefused() -> None:
    secret = RoundSecret.new(3)
    with pytest.raises(ManifestError, match="round 3's"):
        regeneration_mismatch("classic", _market(2), secret, **_published(RoundSecret.new(2)))
