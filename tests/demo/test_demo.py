"""`ape run demo` on a real anvil, as `make demo` runs it, with fewer participants and stocks:
three rounds whose summary lines must match the chain and whose incentive checks must pass,
then a second run that continues with a new round."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from oracle.protocol.units import MAX_SUPPLY, parse_amount
from oracle.settings import DEMO_DIR
from tests.helpers.harness import Devnet, Service, free_port, ok

pytestmark = [pytest.mark.chain, pytest.mark.anvil]
SUMMARY = re.compile(
    r"^round (\d+): (\d+) models, reward ([0-9.]+) NMR, burned ([0-9.]+) NMR, "
    r"supply ([0-9.]+) NMR, root (0x[0-9a-f]{64})$"
)


def run_demo(net: Devnet, folder: Path, *args: str) -> str:
    argv = ["--participants", "13", "--live-stocks", "600", "--port", str(free_port()),
            "--reports", str(folder / "reports"),
            "--timings", str(folder / "timings.json")]  # fmt: skip
    env = {DEMO_DIR: str(folder / "demo")}
    return ok(net.ape("demo", *argv, *args, extra_env=env))


def summaries(out: str) -> list[tuple[str, ...]]:
    found = [SUMMARY.match(line) for line in out.splitlines() if " models, reward " in line]
    assert found and all(found), out
    return [m.groups() for m in found if m]


def events(net: Devnet, name: str, round_id: int) -> list[Any]:
    event = getattr(net.tournament.events, name)
    return list(event.get_logs(from_block=0, argument_filters={"round": round_id}))


def check_against_chain(net: Devnet, lines: list[tuple[str, ...]], burned_before: int) -> int:
    """Each summary line's figures from the chain; returns the burns so far."""
    burned = burned_before
    for round_text, models, reward, burn, supply, root in lines:
        round_id = int(round_text)
        view = net.round_view(round_id)
        assert root == "0x" + bytes(view[4]).hex()
        claims = events(net, "Claimed", round_id)
        assert int(models) == len(claims), "every position was claimed"
        # The reward is what left the round's budget: funded, less what finalize returned,
        # less what is still reserved for unclaimed leaves.
        funded = events(net, "RoundFunded", round_id)[-1]["args"]["budget"]
        returned = events(net, "RoundFinalized", round_id)[0]["args"]["budgetReturned"]
        assert parse_amount(reward) == funded - returned - int(view[8])  # rewardLeft
        assert parse_amount(burn) == sum(c["args"]["burn"] for c in claims)
        burned += parse_amount(burn)
        assert parse_amount(supply) == MAX_SUPPLY - burned
    return burned


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's participants' wallets, reports and timings, kept across both runs."""
    return tmp_path_factory.mktemp("demo")


def test_demo_threeRoundsMatchTheChainAndPassTheIncentiveChecks(net: Devnet, folder: Path) -> None:
    out = run_demo(net, folder, "--rounds", "3", "--faulty-oracle")
    lines = summaries(out)
    assert [int(line[0]) for line in lines] == [1, 2, 3]
    # The faulty oracle's first root was disputed once by the watcher and upheld: the
    # watcher got its bond and half the oracle's, the other half was burned.
    disputed, upheld = events(net, "ResolutionDisputed", 1), events(net, "DisputeUpheld", 1)
    assert len(disputed) == 1 and len(upheld) == 1
    wrong = "0x" + disputed[0]["args"]["root"].hex()
    assert f"round 1: the faulty oracle posted root {wrong}" in out
    assert wrong != lines[0][5], "the standing root is the honest one"
    assert f"the oracle posted the honest root {lines[0][5]}" in out
    bond_burn = upheld[0]["args"]["burned"]
    assert f"{bond_burn // 10**18} NMR of the oracle's bond was burned" in out
    burned = check_against_chain(net, lines, bond_burn)
    assert net.token.functions.totalSupply().call() == MAX_SUPPLY - burned

    for round_id, *_ in lines:
        assert f"verify: OK round {round_id} root" in out
        report = (folder / "reports" / f"round-{round_id}.html").read_text()
        assert "<style>" in report and not re.search(r"(src|href)=\"https?://", report)
    # The last round's report plots the supply and the cumulative burn over all three rounds.
    last = (folder / "reports" / "round-3.html").read_text()
    for gid in ("supply-supply", "burned-burned"):
        group = last[last.index(f'<g id="{gid}">') :]
        assert group[: group.index("</g>\n   </g>")].count("<use ") == 3, gid
    checks = [line for line in out.splitlines() if line.startswith("  ok ")]
    assert "FAIL" not in out
    assert any("hedge grace-p + grace-1-p never gains" in c and "3 round(s)" in c for c in checks)
    assert any("copy frank-copy earns no more per token than alice-linear" in c for c in checks)
    assert any("random predictions' mean payout ratio" in c for c in checks)
    # judy's reveal of another file did not reproduce her commitment: it left no record, so
    # her position is unrevealed, as mallory's (who never revealed) is.
    for name in ("judy-linear", "mallory-trees"):
        row = next(line for line in out.splitlines() if line.startswith(f"│ {name} "))
        cells = [cell.strip() for cell in row.split("│")[1:-1]]
        assert cells[-1] == "unrevealed"
        assert cells[5:8] == ["0.0000", "0.0000", "0.0000"], "neither paid nor burned"

    timings = json.loads((folder / "timings.json").read_text())
    phases = {p["phase"] for p in timings["phases"]}
    assert {"train", "submit", "reveal", "resolve", "finalize", "claim", "verify"} <= phases
    assert "resolve wrongly, dispute, uphold, resolve" in phases
    assert timings["disputes"][0]["honest_root"] == lines[0][5]


def test_demo_reputationFromTheResultsFilesIsWhatTheServiceShows(net: Devnet) -> None:
    """After the three rounds: `oracle reputation` (the results files alone) and the
    service's leaderboard agree model by model, and the leaderboard is by reputation."""
    recomputed = json.loads(ok(net.ape("oracle", "reputation", "--json")))
    assert recomputed["rounds"] == [1, 2, 3]
    service = Service.start(net)
    try:
        board = httpx.get(f"{service.url}/api/v1/leaderboard", timeout=60).json()
        page = httpx.get(f"{service.url}/leaderboard", timeout=60).text
        one = httpx.get(f"{service.url}/api/v1/models/alice-linear", timeout=60).json()
    finally:
        service.stop()
    shown = {m["model_id"]: m for m in board["models"]}
    assert set(shown) == {m["model_id"] for m in recomputed["models"]}
    for model in recomputed["models"]:
        row = shown[model["model_id"]]
        assert row["reputation"] == model["reputation"]
        assert row["cumulative_return"] == model["cumulative_return"]
        assert row["total_staked"] == model["total_staked"]
        assert row["total_net"] == model["total_net"]
        assert row["rounds"] == len(model["rounds"])
        assert row["name"] == model["name"]
    rated = [m["reputation"] for m in board["models"] if m["reputation"] is not None]
    assert rated == sorted(rated, reverse=True) and len(rated) > 5
    # alice-linear staked in all three rounds: three resolved entries, its reputation the
    # stake-weighted mean payout score of the three.
    assert [e["round"] for e in one["resolved"]] == [1, 2, 3]
    scores = [(e["payout_score"], int(e["stake"])) for e in one["resolved"]]
    weighted = sum(s * w for s, w in scores) / sum(w for _, w in scores)
    assert one["reputation"] == pytest.approx(weighted, rel=1e-12)
    assert "alice-linear" in page and "1970-01-01" not in page


def test_demo_runAgainContinuesWithTheNextRound(net: Devnet, folder: Path) -> None:
    before = int(net.token.functions.totalSupply().call())
    lines = summaries(run_demo(net, folder, "--rounds", "1"))
    assert [int(line[0]) for line in lines] == [4]
    burned = check_against_chain(net, lines, MAX_SUPPLY - before)
    assert net.token.functions.totalSupply().call() == MAX_SUPPLY - burned
