"""Attacks on a live round, as a stranger who reads the code and the public artefacts would
make them: recomputing the targets before the deadline, decompression bombs, flooding the
store with junk reveals, slow bodies. Each runs against a real anvil and the real service."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from oracle.market import Market, MarketSpec, to_parquet
from oracle.scoring import numerai_corr
from oracle.store import content_hash
from tests.scripts.harness import Devnet, Service, linear_model, predictions_csv, stake

pytestmark = pytest.mark.anvil
#: Large enough that one round's CORR tells a trained model from chance (standard error 0.014).
IDS = 5000


@pytest.fixture(scope="module")
def service(net: Devnet) -> Iterator[Service]:
    svc = Service.start(net, "--max-upload-mb", "1", "--max-ids", "10000")
    yield svc
    log = svc.stop()
    assert "Traceback" not in log, log


def _public(service: Service, net: Devnet, round_id: int) -> dict[str, Any]:
    """Everything a stranger can read of a round through the service while it is open."""
    manifest_hash = "0x" + bytes(net.round_view(round_id)[0][6]).hex()
    get = lambda path: httpx.get(f"{service.url}/api/v1/{path}", timeout=30)  # noqa: E731
    manifest = get(f"artefacts/{manifest_hash}")
    assert manifest.status_code == 200
    live = pd.read_parquet(io.BytesIO(get(f"rounds/{round_id}/live-data").content))
    training = pd.read_parquet(io.BytesIO(get(f"rounds/{round_id}/training-data").content))
    return {"manifest": manifest.json(), "live": live, "training": training, "get": get}


@pytest.fixture(scope="module")
def opened(net: Devnet, service: Service) -> dict[str, Any]:
    out = net.ape("oracle", "open-round", "--live-stocks", str(IDS), "--budget", "500")
    assert out.returncode == 0, out.stderr
    public = _public(service, net, 1)
    staker = net.account(7)
    net.fund(staker, 100)
    informed = linear_model(public["training"], public["live"])
    stake(net, 1, staker, "trained", predictions_csv(public["live"]["id"], informed), 10)
    return public


def _guesses(manifest: dict[str, Any]) -> Iterator[tuple[str, pd.DataFrame]]:
    """Every recomputation of the targets a stranger can make from public values: the market
    spec as published, with its seed, the round number and their neighbours, as a classic or
    a Signals round, and with the training stream's seed."""
    spec = manifest["market"]["spec"]
    number = int(manifest["market"]["round_number"])
    seeds = {spec["seed"], number, spec["seed"] + 1, 0, 1}
    for seed in sorted(seeds):
        world = Market(MarketSpec(**{**spec, "seed": seed}))
        for r in sorted({number - 1, number, number + 1, 0, 1}):
            for kind in ("classic", "signals"):
                yield f"seed {seed} round {r} {kind}", world.draw(kind, r).targets
        yield f"seed {seed} training", world.training()


def test_targets_cannotBeRecomputedFromWhatIsPublicBeforeTheDeadline(
    net: Devnet, service: Service, opened: dict[str, Any]
) -> None:
    manifest = opened["manifest"]
    commitment = manifest["targets_commitment"]
    secret_hash = manifest["market"]["secret_commitment"]
    # The round secret and the targets are in the store's private half only, and not served.
    assert net.store.has(secret_hash) and not net.store.has(secret_hash, public_only=True)
    assert not net.store.has(commitment, public_only=True)
    for digest in (secret_hash, commitment):
        assert opened["get"](f"artefacts/{digest}").status_code == 404
    # The recomputation of the old design, and its variants: none gives the committed bytes.
    guesses = list(_guesses(manifest))
    assert len(guesses) >= 14
    for label, frame in guesses:
        assert content_hash(to_parquet(frame)) != commitment, label
    # Nor are they any closer to the targets than chance, once those are published.
    schedule = manifest["schedule"]
    net.travel_to(schedule["reveal_deadline"] + 1)
    out = net.ape("oracle", "publish-targets", "--round", "1")
    assert out.returncode == 0, out.stderr
    targets = pd.read_parquet(io.BytesIO(opened["get"](f"artefacts/{commitment}").content))
    truth = targets.set_index("id")["target"]
    live_ids = opened["live"]["id"]
    chance = 4 / np.sqrt(IDS)
    for label, frame in guesses:
        if "target" not in frame or len(frame) != IDS:
            continue
        values = frame["target"].to_numpy(np.float64) + 1e-9 * np.arange(IDS)
        guess = pd.DataFrame({"m": pd.Series(values).rank(pct=True).to_numpy()}, index=live_ids)
        assert abs(float(numerai_corr(guess, truth)["m"])) < chance, label
    # A model trained on the public training data does what the planted signal allows.
    informed = linear_model(opened["training"], opened["live"])
    fitted = pd.DataFrame({"m": informed}, index=live_ids)
    assert float(numerai_corr(fitted, truth)["m"]) > 0
    # At the deadline the secret is published with the targets, and regenerates them.
    secret = opened["get"](f"artefacts/{secret_hash}")
    assert secret.status_code == 200 and content_hash(secret.content) == secret_hash
    key = bytes.fromhex(secret.json()["secret"][2:])
    world = Market(MarketSpec(**manifest["market"]["spec"]), key)
    assert content_hash(to_parquet(world.live_round(1).targets)) == commitment
    assert to_parquet(world.live_round(1).live) == opened["get"]("rounds/1/live-data").content
    assert to_parquet(world.training()) == opened["get"]("rounds/1/training-data").content


def test_nothingPublicOrLogged_holdsTheSecretBeforeTheDeadline(
    net: Devnet, service: Service
) -> None:
    """Round 2, open: no public file, record, log or page contains the secret's bytes."""
    out = net.ape("oracle", "open-round", "--live-stocks", str(IDS), "--budget", "10")
    assert out.returncode == 0, out.stderr
    public = _public(service, net, 2)
    digest = public["manifest"]["market"]["secret_commitment"]
    secret = json.loads(net.store.get(digest))["secret"]
    assert secret not in out.stdout + out.stderr
    hexdigits = secret[2:].encode()
    for path in (net.store.root / "public").rglob("*"):
        if path.is_file():
            assert hexdigits not in path.read_bytes() and bytes.fromhex(secret[2:]) not in (
                path.read_bytes()
            ), path
    for path in ("", "rounds", "rounds/2"):
        assert hexdigits not in public["get"](path).content
    for page in ("/", "/rounds/2"):
        assert hexdigits not in httpx.get(service.url + page, timeout=30).content


def test_verify_checksThatThePublishedSecretRegeneratesTheRound(
    net: Devnet, opened: dict[str, Any]
) -> None:
    """Round 1 (published above) resolved: verify regenerates its data from the published
    secret and says OK."""
    del opened
    manifest = net.manifest(1)
    assert manifest["market"]["secret_commitment"]
    assert net.ape("oracle", "resolve", "--round", "1").returncode == 0
    verdict = net.ape("oracle", "verify", "--round", "1")
    assert verdict.returncode == 0 and verdict.stdout.startswith("OK round 1"), verdict.stdout


def test_aParticipantWhoStakesOnARecomputation_earnsNothingBeyondChance(
    net: Devnet, service: Service
) -> None:
    """Round 3: a stranger stakes on the old recomputation and a participant on a trained
    model; after resolution the stranger's CORR is chance-level, the trained model's is not."""
    out = net.ape("oracle", "open-round", "--live-stocks", str(IDS), "--budget", "500")
    assert out.returncode == 0, out.stderr
    public = _public(service, net, 3)
    manifest = public["manifest"]
    spec = MarketSpec(**manifest["market"]["spec"])
    guess = Market(spec).live_round(3).targets["target"].to_numpy(np.float64)
    ids = public["live"]["id"].tolist()
    cheat, honest = net.account(5), net.account(6)
    for who in (cheat, honest):
        net.fund(who, 100)
    ranked = pd.Series(guess + 1e-9 * np.arange(IDS)).rank(pct=True).to_numpy()
    informed = linear_model(public["training"], public["live"])
    subs = [
        stake(net, 3, cheat, "recomputed", predictions_csv(ids, ranked), 10),
        stake(net, 3, honest, "trained", predictions_csv(ids, informed), 10),
    ]
    net.travel_to(manifest["schedule"]["close_time"] + 1)
    for sub in subs:
        assert service.reveal(sub).json()["status"] == "accepted"
    net.travel_to(manifest["schedule"]["reveal_deadline"] + 1)
    assert net.ape("oracle", "resolve", "--round", "3").returncode == 0
    results = json.loads(net.store.get(bytes(net.round_view(3)[5])))
    corr = {p["model_id"]: p["scores"]["corr"] for p in results["positions"]}
    recomputed, trained = (corr["0x" + s.model_id.hex()] for s in subs)
    # Chance: four standard errors; the recomputation of an unkeyed round scores about 0.9.
    assert abs(recomputed) < 4 / np.sqrt(IDS)
    assert trained > 0
