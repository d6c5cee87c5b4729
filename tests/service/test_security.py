"""Attacks on a live round, as a stranger who reads the code and the public artefacts would
make them: recomputing the targets before the deadline, decompression bombs, flooding the
store with junk reveals, slow bodies. Each runs against a real anvil and the real service."""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from oracle import PROJECT_ROOT
from oracle.chain.devnet import free_port
from oracle.market import Market, MarketSpec, to_parquet
from oracle.scoring import numerai_corr
from oracle.settings import DEPLOYMENTS_DIR
from oracle.store import content_hash
from tests.helpers.bombs import dictionary_bomb
from tests.helpers.harness import (
    APE,
    Devnet,
    Service,
    error_line,
    fixed_secret,
    linear_model,
    predictions_csv,
    stake,
)

pytestmark = [pytest.mark.chain, pytest.mark.anvil]
#: Large enough that one round's CORR tells a trained model from chance (standard error 0.014).
IDS = 5000


@pytest.fixture(scope="module")
def service(net: Devnet) -> Iterator[Service]:
    # The default limits, but short body timeouts and few concurrent uploads, so the slow-body
    # tests take seconds.
    svc = Service.start(net, "--upload-timeout", "3", "--max-concurrent-uploads", "4")
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
    out = net.ape(
        "oracle", "open-round", "--no-benchmarks", "--live-stocks", str(IDS), "--budget", "500"
    )
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
    out = net.ape(
        "oracle", "open-round", "--no-benchmarks", "--live-stocks", str(IDS), "--budget", "10"
    )
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
    # Nor does asking for it early: the answers name the phase and UTC dates, never raw times.
    early = error_line(net.ape("oracle", "publish-targets", "--round", "2"))
    assert re.search(r"reveals are open until \d{4}-\d\d-\d\d \S+ UTC \(it is .+ UTC\)", early)
    pending = error_line(net.ape("oracle", "verify", "--round", "2"))
    assert pending.endswith("round 2 has no posted resolution to verify (it is pending)")


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
    model; after resolution the stranger's CORR is chance-level, the trained model's is not.
    The round's secret is fixed (the stranger does not have it): whether a 400-stock linear
    model scores above zero depends on the draw, and some draws it does not."""
    out = net.ape(
        "oracle", "open-round", "--no-benchmarks", "--live-stocks", str(IDS), "--budget", "500",
        "--secret-file", fixed_secret(net.folder, 3),
    )  # fmt: skip
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


# ------------------------------------------------------------------ bombs, floods, slow bodies


def _peak_mb(service: Service) -> int:
    """The service process's peak resident memory so far (VmHWM), in MB."""
    status = Path(f"/proc/{service.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) // 1024


@pytest.fixture(scope="module")
def hostile(net: Devnet, service: Service) -> dict[str, Any]:
    """Round 4, past close: an honest position, a stake committed to a parquet bomb, and a
    stake committed to a file with many bad ids, each from its own account."""
    out = net.ape(
        "oracle", "open-round", "--no-benchmarks", "--live-stocks", str(IDS), "--budget", "500"
    )
    assert out.returncode == 0, out.stderr
    public = _public(service, net, 4)
    ids = public["live"]["id"].tolist()
    honest, bomber, sloppy, owner = (net.account(i) for i in (5, 6, 7, 8))
    for who in (honest, bomber, sloppy, owner):
        net.fund(who, 100)
    informed = linear_model(public["training"], public["live"])
    sloppy_file = predictions_csv(["x" * 200 + str(i) for i in range(IDS)], informed)
    subs = {
        "honest": stake(net, 4, honest, "honest", predictions_csv(ids, informed), 10),
        "bomb": stake(net, 4, bomber, "bomb", dictionary_bomb(rows=IDS), 1),
        "big-bomb": stake(net, 4, bomber, "big-bomb", dictionary_bomb(), 1),
        "sloppy": stake(net, 4, sloppy, "sloppy", sloppy_file, 1),
        "unrevealed": stake(net, 4, owner, "unrevealed", predictions_csv(ids, informed), 5),
    }
    net.travel_to(public["manifest"]["schedule"]["close_time"] + 1)
    return {"subs": subs, "public": public}


def test_parquetBomb_isRefusedInOneLineWithoutGrowingTheService(
    service: Service, hostile: dict[str, Any]
) -> None:
    """The reported bomb (100,000 rows of one 4,000-character id, committed by a 1-token
    stake) and one within the universe's row count: each refused with a one-line reason,
    and the service's peak memory grows by far less than the 400 MB one would decode to."""
    subs = hostile["subs"]
    assert service.reveal(subs["honest"]).json()["status"] == "accepted"
    before = _peak_mb(service)
    big = service.reveal(subs["big-bomb"], filename="bomb.parquet").json()
    small = service.reveal(subs["bomb"], filename="bomb.parquet").json()
    assert big["status"] == small["status"] == "rejected"
    assert "100,000 rows, more than 11,000" in big["reason"]
    assert "a value of 4,000 bytes, more than 256" in small["reason"]
    assert _peak_mb(service) - before < 100


def test_longReasons_areCutToAFixedLength(service: Service, hostile: dict[str, Any]) -> None:
    answer = service.reveal(hostile["subs"]["sloppy"]).json()
    assert answer["status"] == "rejected" and len(answer["reason"]) <= 300
    assert "not in the live data" in answer["reason"]


def test_strangersWrongReveals_leaveNoFileAndABoundedLog(
    net: Devnet, service: Service, hostile: dict[str, Any]
) -> None:
    """Thirty wrong reveals (with their own salts, and 7 MB files) of someone else's staked,
    unrevealed position add no file to the store, no reveal record, and at most twenty
    lines to the intake log."""
    target = hostile["subs"]["unrevealed"]
    store = net.store
    log = f"rounds/31337/{net.tournament.address}/4/intake-log"
    private = store.root / "private"
    files_before = sum(1 for p in private.rglob("*") if p.is_file())
    lines_before = len(store.read_log(log))
    with httpx.Client(timeout=60) as client:
        for i in range(30):
            junk = secrets.token_bytes(7 * 1024 * 1024) if i < 3 else b"id,prediction\nx,0.5\n"
            answer = service.reveal(target, data=junk, salt=secrets.token_bytes(32), client=client)
            assert answer.status_code == 200, answer.text
            assert answer.json()["reason"].startswith("the file and salt do not match")
    assert sum(1 for p in private.rglob("*") if p.is_file()) == files_before
    added = store.read_log(log)[lines_before:]
    assert len(added) == 20 and {e["model_id"] for e in added} == {"0x" + target.model_id.hex()}
    ref = f"rounds/31337/{net.tournament.address}/4/reveals/{target.account}-0x"
    assert store.get_ref(ref + target.model_id.hex()) is None


def test_slowBody_isAnswered408AndClosed(service: Service) -> None:
    """A body that declares 5,426 bytes and sends 426 is answered 408 within the service's
    idle timeout (3 s here) and its connection is closed."""
    host, port = service.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as conn:
        conn.sendall(_slow_request(5426) + _FORM_START + b"x" * (426 - len(_FORM_START)))
        start = time.monotonic()
        answer = _read_all(conn)
        waited = time.monotonic() - start
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"did not arrive" in answer
    assert 2 < waited < 15


def test_slowUploadsBeyondTheBound_areAnswered503AtOnce(service: Service) -> None:
    """With four stalled bodies held open (the bound), a fifth is answered 503 at once with
    Retry-After; once the stalled ones time out, uploads are taken again."""
    host, port = service.url.removeprefix("http://").split(":")
    held = []
    try:
        for _ in range(4):
            conn = socket.create_connection((host, int(port)), timeout=20)
            conn.sendall(_slow_request(5426))
            held.append(conn)
        time.sleep(0.5)  # the four are being read
        with socket.create_connection((host, int(port)), timeout=20) as extra:
            extra.sendall(_slow_request(5426))
            start = time.monotonic()
            answer = _read_all(extra)
            assert time.monotonic() - start < 2
        assert answer.startswith(b"HTTP/1.1 503"), answer[:200]
        assert b"retry-after: 1" in answer.lower()
        for conn in held:
            assert _read_all(conn).startswith(b"HTTP/1.1 408")
    finally:
        for conn in held:
            conn.close()
    probe = httpx.post(f"{service.url}/api/v1/rounds/4/reveals", timeout=30)
    assert probe.status_code == 422  # taken and parsed again (fields missing)


_FORM_START = b'--b\r\nContent-Disposition: form-data; name="salt"\r\n\r\n'


def _slow_request(length: int) -> bytes:
    return (
        f"POST /api/v1/rounds/4/reveals HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n\r\n"
    ).encode()


def _read_all(conn: socket.socket) -> bytes:
    """Everything the service sends until it closes the connection."""
    chunks = []
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def test_resolveAndVerify_refuseTheBombTheSameWay_andNoStrangersFileIsPublished(
    net: Devnet, service: Service, hostile: dict[str, Any]
) -> None:
    """Past the deadline: the bombs are rejected positions with the same reasons, the
    position only strangers revealed for is unrevealed (and none of their files public), and
    verify recomputes it all."""
    subs = hostile["subs"]
    net.travel_to(hostile["public"]["manifest"]["schedule"]["reveal_deadline"] + 1)
    resolved = net.ape("oracle", "resolve", "--round", "4")
    assert resolved.returncode == 0, resolved.stderr
    results = json.loads(net.store.get(bytes(net.round_view(4)[5])))
    entries = {p["model_id"]: p for p in results["positions"]}
    entry = lambda name: entries["0x" + subs[name].model_id.hex()]  # noqa: E731
    assert entry("honest")["status"] == "scored"
    assert entry("bomb")["status"] == "rejected"
    assert "a value of 4,000 bytes, more than 256" in entry("bomb")["reason"]
    assert "more than 11,000" in entry("big-bomb")["reason"]
    assert entry("unrevealed")["status"] == "unrevealed"
    bundle = json.loads(net.store.get(results["inputs"]["reveals"]))
    revealed = {(r["account"], r["model_id"]) for r in bundle["reveals"]}
    assert (subs["unrevealed"].account, "0x" + subs["unrevealed"].model_id.hex()) not in revealed
    verdict = net.ape("oracle", "verify", "--round", "4")
    assert verdict.returncode == 0 and verdict.stdout.startswith("OK round 4"), verdict.stdout


# ------------------------------------------------------------------ a dead node, no deployment


@pytest.mark.parametrize(
    "command",
    [
        ("oracle", "status"),
        ("oracle", "verify", "--round", "1"),
        ("oracle", "serve", "--port", "1"),
        ("wallet", "status", "--round", "1", "--account", "test:5"),
        ("wallet", "submit", "--round", "1", "--model", "m", "--predictions", "p.csv",
         "--stake", "1", "--account", "test:5", "--yes"),
    ],
    ids=lambda c: " ".join(c[:2]),
)  # fmt: skip
def test_aDeadNode_isOneLineOnEverySurface(command: tuple[str, ...], tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = subprocess.run(
        [str(APE), "run", *command, "--network", url],
        cwd=PROJECT_ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300,
        env={**os.environ, DEPLOYMENTS_DIR: str(tmp_path)},
    )  # fmt: skip
    assert error_line(result) == (
        f"Error: the node at {url} is unreachable (connection refused or dropped after "
        "retries): check --network and that the node is running"
    )
