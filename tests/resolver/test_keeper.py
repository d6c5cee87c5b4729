"""The keeper as a service on a real anvil: rounds opened on a schedule from a rounds config
file, /metrics and /healthz while it runs, and SIGTERM ending it cleanly."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx
import pytest

from oracle.chain.devnet import free_port
from tests.helpers.harness import Devnet, error_line, ok

pytestmark = [pytest.mark.chain, pytest.mark.anvil]


def test_openEvery_opensARoundWhenDue_andOnlyThen(net: Devnet, tmp_path: Path) -> None:
    config = tmp_path / "rounds.json"
    config.write_text(json.dumps({"live_stocks": 50, "budget": "20", "close_in": "10m"}))
    args = ("oracle", "run", "--once", "--open-every", "1h", "--rounds-config", str(config))
    assert "round 1: opened on schedule" in ok(net.ape(*args))
    assert "opened on schedule" not in ok(net.ape(*args)), "not due again for an hour"
    assert int(net.tournament.functions.nextRound().call()) == 2
    assert int(net.round_view(1)[3]) == 20 * 10**18, "funded with the config's budget"
    net.travel_to(net.now() + 3601)
    assert "round 2: opened on schedule" in ok(net.ape(*args))

    config.write_text(json.dumps({"live_stocks": 50, "budjet": "20"}))
    line = error_line(net.ape(*args))
    assert "unknown key(s) budjet" in line, line


def test_keeper_servesMetricsAndHealth_andStopsOnSigterm(net: Devnet) -> None:
    port = free_port()
    keeper = net.popen("oracle", "run", "--interval", "1", "--metrics-port", str(port))
    try:
        deadline = time.monotonic() + 120
        while True:
            assert keeper.poll() is None, keeper.communicate()
            try:
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                if "tournament_keeper_passes_total 2.0" in metrics:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "no second pass within 120 s"
            time.sleep(0.5)
        assert "tournament_rpc_requests_total{method=" in metrics
        assert 'tournament_keeper_rounds{phase="staking"}' in metrics
        assert "tournament_keeper_last_block" in metrics
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        assert health.status_code == 200 and health.text.strip() == "ok"
    finally:
        keeper.send_signal(signal.SIGTERM)
        out, err = keeper.communicate(timeout=60)
    assert keeper.returncode == 0, err
    assert "Traceback" not in err
    assert "received SIGTERM" in out and out.rstrip().endswith("stopped"), out
