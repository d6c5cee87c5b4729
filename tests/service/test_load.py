"""The service under a bounded load on loopback, on a real anvil round of 1,000 positions:
50 concurrent clients upload 1,000 reveals, then 10,000 requests read proofs and results.
No reveal may be lost or doubled, and no request may fail. The service runs two worker
processes, so the reveals of one round are taken by two processes at once.

This checks correctness under load, not speed: `make bench-service` measures the rates.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from oracle.protocol.merkle import LEAF_ENCODING, leaf_hash, verify
from oracle.protocol.results import leaf_of
from oracle.store import content_hash
from tests.helpers.harness import Devnet, Service, Submission, predictions_csv, stake_many

pytestmark = [pytest.mark.chain, pytest.mark.anvil]
ACCOUNTS, MODELS, IDS, CLIENTS = 50, 20, 300, 50
READS = 10_000


async def run_all(jobs: list[Any], send: Any, clients: int) -> list[httpx.Response]:
    """Run ``send(client, job)`` for every job with ``clients`` concurrent workers, each with
    its own connection; answers in job order."""
    answers: list[httpx.Response | None] = [None] * len(jobs)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(jobs)):
        queue.put_nowait(i)

    async def worker() -> None:
        async with httpx.AsyncClient(timeout=120) as client:
            while not queue.empty():
                i = queue.get_nowait()
                answers[i] = await send(client, jobs[i])

    await asyncio.gather(*(worker() for _ in range(clients)))
    return [a for a in answers if a is not None]


@pytest.fixture(scope="module")
def crowd(net: Devnet) -> Iterator[tuple[Service, list[Submission]]]:
    out = net.ape(
        "oracle", "open-round", "--no-benchmarks", "--live-stocks", str(IDS), "--budget", "1000"
    )
    assert out.returncode == 0, out.stderr
    ids = net.live_data(1)["id"].tolist()
    rng = np.random.default_rng(5)
    positions = []
    for n in range(ACCOUNTS):
        who = net.participant(n)
        net.fund(who, 1_000)
        for m in range(MODELS):
            data = predictions_csv(ids, rng.random(IDS))
            positions.append((who, f"load-{n}-{m}", data, 1 + int(rng.integers(0, 20))))
    subs = stake_many(net, 1, positions)
    net.travel_to(net.manifest(1)["schedule"]["close_time"] + 1)
    # Two processes, as under real load: they share the store, not memory.
    service = Service.start(net, "--workers", "2")
    yield service, subs
    log = service.stop()
    assert "Traceback" not in log, log


def test_load_uploadsThenReadsWithNothingLostDoubledOrFailed(
    net: Devnet, crowd: tuple[Service, list[Submission]]
) -> None:
    service, subs = crowd
    assert len(subs) == ACCOUNTS * MODELS == 1_000

    async def upload(client: httpx.AsyncClient, sub: Submission) -> httpx.Response:
        return await client.post(
            f"{service.url}/api/v1/rounds/1/reveals",
            data={"salt": "0x" + sub.salt.hex(), "account": sub.account, "model": sub.model},
            files={"file": ("predictions.csv", sub.data)},
        )

    answers = asyncio.run(run_all(subs, upload, CLIENTS))
    assert len(answers) == len(subs)
    failed = [a.text for a in answers if a.status_code != 200]
    assert failed == []
    assert all(a.json()["status"] == "accepted" for a in answers)

    prefix = f"rounds/31337/{net.tournament.address}/1"
    records = [net.store.get_ref(r) for r in net.store.list_refs(f"{prefix}/reveals")]
    assert len(records) == len(subs)
    keys = {(r["account"], r["model_id"]) for r in records if r}
    assert keys == {(s.account, "0x" + s.model_id.hex()) for s in subs}
    assert len(net.store.read_log(f"{prefix}/intake-log")) == len(subs)

    net.travel_to(net.manifest(1)["schedule"]["reveal_deadline"] + 1)
    out = net.ape("oracle", "resolve", "--round", "1")
    assert out.returncode == 0, out.stderr
    assert "1000 positions: 1000 scored, 0 rejected, 0 unrevealed" in out.stdout
    results_hash = "0x" + bytes(net.round_view(1)[5]).hex()
    document = json.loads(net.store.get(results_hash))
    root = bytes.fromhex(document["root"][2:])

    accounts = sorted({s.account for s in subs})
    rng = np.random.default_rng(9)
    # 99 proof look-ups in 100, the rest the whole results file (1.6 MB).
    reads = [
        f"/api/v1/rounds/1/accounts/{accounts[int(rng.integers(len(accounts)))]}/leaves"
        if rng.random() < 0.9
        else "/api/v1/rounds/1/results"
        for _ in range(READS)
    ]

    async def read(client: httpx.AsyncClient, path: str) -> httpx.Response:
        return await client.get(f"{service.url}{path}")

    responses = asyncio.run(run_all(reads, read, CLIENTS))
    assert len(responses) == READS
    assert [r.status_code for r in responses if r.status_code != 200] == []
    seen: dict[str, bytes] = {}
    for path, response in zip(reads, responses, strict=True):
        if path.endswith("/results"):
            assert content_hash(response.content) == results_hash
            continue
        if path in seen:
            assert response.content == seen[path]  # every answer for one account identical
            continue
        seen[path] = response.content
        body = response.json()
        assert len(body["leaves"]) == MODELS
        for entry in body["leaves"]:
            proof = [bytes.fromhex(p[2:]) for p in entry["proof"]]
            assert verify(root, leaf_hash(LEAF_ENCODING, leaf_of(1, entry)), proof)
    assert len(seen) == ACCOUNTS
