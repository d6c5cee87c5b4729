"""JSON-RPC requests per round, by actor, and how they grow with positions and the chain's age.

Run with `make bench-rpc` (a few minutes). For 10, 100 and 1,000 positions: a fresh anvil,
a deployment and a synthetic round, then each actor through its own counting proxy (no
faults; tests/helpers/rpcproxy.py), as an operator runs them:

* the keeper: `ape run oracle run --once` passes through the round (staking, revealing, after
  the deadline: publish and resolve, after the challenge period: finalize, then settle);
* the service: `ape run oracle serve`, asked for the round list, the round and its leaderboard
  page, 10 times each, over the round;
* one wallet: `submit`, `models`, `status` and `claim` of one participant.

Then (on the 10-position round) the chain is aged to 10,000 and 40,000 empty blocks past the
round and keeper passes are counted: warm (the event cache as the last pass left it), cold (an
empty cache) and steady (right after another pass). The requests of a warm
pass grow with the new blocks (one page of `eth_getLogs` per `$TOURNAMENT_LOG_RANGE` blocks),
not with the history. Results: bench/results/rpc.json.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from bench_common import free_port, isolated_env, open_synthetic_round, say, write_result

from oracle import PROJECT_ROOT

# The counting proxy is the tests' own (tests/helpers/rpcproxy.py).
sys.path.insert(0, str(PROJECT_ROOT))

RESULTS = PROJECT_ROOT / "bench" / "results" / "rpc.json"
APE = PROJECT_ROOT / ".venv" / "bin" / "ape"
ANVIL = PROJECT_ROOT / "node_modules" / ".bin" / "anvil"
ONE = 10**18
SIZES = (10, 100, 1000)
AGES = (10_000, 40_000)
MODELS_PER_ACCOUNT = 10


def counting(upstream: str) -> Any:
    """A proxy in front of ``upstream`` that only counts."""
    from tests.helpers.rpcproxy import Faults, Proxy

    return Proxy(upstream, Faults(max_log_range=None, rate_limited=0.0, latency=0.0)).start()


def network(proxy: Any) -> list[str]:
    import json

    return ["--network", "ethereum:local:foundry", "--provider-settings",
            json.dumps({"host": proxy.url})]  # fmt: skip


def run(env: dict[str, str], proxy: Any, *args: str) -> str:
    done = subprocess.run(
        [str(APE), "run", *args, *network(proxy)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def rpc(url: str, method: str, *params: Any) -> Any:
    reply = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=600
    ).json()
    if "error" in reply:
        sys.exit(f"{method} failed: {reply['error']}")
    return reply["result"]


def long_running_pass(env: dict[str, str], keeper: Any, passes: int = 10) -> float:
    """Requests per pass of one keeper process that keeps running (no start-up per pass):
    the mean over ``passes`` passes after its first."""
    port = free_port()
    process = subprocess.Popen(
        [str(APE), "run", "oracle", "run", "--interval", "1", "--account", "test:3",
         "--metrics-port", str(port), *network(keeper)],
        cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def passes_done() -> int:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        except httpx.HTTPError:
            return 0
        for line in text.splitlines():
            if line.startswith("tournament_keeper_passes_total "):
                return int(float(line.split()[1]))
        return 0

    try:
        while passes_done() < 1:
            time.sleep(0.2)
        before, start = sum(keeper.counts.values()), passes_done()
        while passes_done() < start + passes:
            time.sleep(0.2)
        done = passes_done() - start
        return (sum(keeper.counts.values()) - before) / done
    finally:
        process.terminate()
        process.wait(60)


def one_size(positions: int, ages: tuple[int, ...]) -> dict[str, Any]:
    from oracle.protocol.commitments import commitment, model_id_of

    folder = Path(tempfile.mkdtemp(prefix=f"bench-rpc-{positions}-"))
    port = free_port()
    accounts = max(1, positions // MODELS_PER_ACCOUNT)
    node = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--accounts", str(10 + accounts + 1), "--silent",
         "--gas-limit", "100000000"],
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        env, _ = isolated_env(folder, url)
        env["TOURNAMENT_CONFIRMATIONS"] = "0"
        bench = open_synthetic_round(url, folder)
        web3, tournament, token = bench.web3, bench.tournament, bench.token
        say(f"{positions} positions: staking")
        treasury = web3.eth.accounts[1]
        stakers = web3.eth.accounts[10 : 10 + accounts]
        last = None
        for a in stakers:
            token.functions.transfer(a, 1000 * ONE).transact({"from": treasury})
            token.functions.approve(tournament.address, 2**256 - 1).transact({"from": a})
        rng = np.random.default_rng(positions)
        for i in range(positions):
            a = stakers[i % accounts]
            model = model_id_of(f"m{i}")
            data_hash = rng.bytes(32)
            commit = commitment(
                31337, tournament.address, bench.round_id, a, model, data_hash, rng.bytes(32)
            )
            last = tournament.functions.stake(bench.round_id, model, ONE, commit).transact(
                {"from": a, "gas": 300_000}
            )
        web3.eth.wait_for_transaction_receipt(last)
        wallet_account = web3.eth.accounts[10 + accounts]
        token.functions.transfer(wallet_account, 100 * ONE).transact({"from": treasury})

        keeper, service, wallet = counting(url), counting(url), counting(url)
        service_port = free_port()
        serve = subprocess.Popen(
            [str(APE), "run", "oracle", "serve", "--port", str(service_port), *network(service)],
            cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        service_url = f"http://127.0.0.1:{service_port}"
        for _ in range(600):
            try:
                if httpx.get(f"{service_url}/api/v1", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)

        def ask_service() -> None:
            for _ in range(10):
                for path in ("/api/v1/rounds", "/api/v1/rounds/1", "/rounds/1"):
                    httpx.get(f"{service_url}{path}", timeout=120)

        def keeper_pass() -> None:
            run(env, keeper, "oracle", "run", "--once", "--account", "test:3")

        live = bench.ids
        predictions = folder / "p.csv"
        predictions.write_text(
            "id,prediction\n" + "".join(f"{i},{v:.6f}\n" for i, v in
                                        zip(live, rng.random(len(live)), strict=True))
        )  # fmt: skip
        wallet_args = ("--account", f"test:{10 + accounts}", "--service", service_url,
                       "--wallet-dir", str(folder / "wallet"), "--yes")  # fmt: skip
        say(f"{positions} positions: the round")
        run(env, wallet, "wallet", "submit", "--round", "1", "--model", "mine",
            "--predictions", str(predictions), "--stake", "5", *wallet_args)  # fmt: skip
        run(env, wallet, "wallet", "models", "--round", "1", *wallet_args)
        keeper_pass()
        ask_service()
        schedule = bench.schedule
        rpc(url, "evm_mine", schedule.close_time + 1)
        keeper_pass()
        run(env, wallet, "wallet", "status", "--round", "1", *wallet_args)
        rpc(url, "evm_mine", schedule.reveal_deadline + 1)
        keeper_pass()  # publish
        keeper_pass()  # resolve
        ask_service()
        info = tournament.functions.getRound(1).call()
        rpc(url, "evm_mine", int(info[10]) + 1)
        keeper_pass()  # finalize
        run(env, wallet, "wallet", "claim", "--round", "1", *wallet_args)
        keeper_pass()  # settle
        ask_service()
        per_round = {
            "keeper": sum(keeper.counts.values()),
            "service": sum(service.counts.values()),
            "wallet": sum(wallet.counts.values()),
        }
        by_method = {
            "keeper": dict(keeper.counts.most_common()),
            "service": dict(service.counts.most_common()),
            "wallet": dict(wallet.counts.most_common()),
        }
        serve.terminate()
        serve.wait(60)
        aged: dict[str, Any] = {}
        head = int(rpc(url, "eth_blockNumber"), 16)
        for age in ages:
            say(f"{positions} positions: ageing the chain to {age:,} blocks")
            missing = age - (int(rpc(url, "eth_blockNumber"), 16) - head)
            while missing > 0:
                rpc(url, "anvil_mine", hex(min(missing, 2000)), "0x0")
                missing -= 2000
            keeper.counts = Counter()
            keeper_pass()
            warm = sum(keeper.counts.values())
            warm_logs = keeper.counts["eth_getLogs"]
            shutil.rmtree(folder / "store" / "chain")
            keeper.counts = Counter()
            keeper_pass()
            aged[str(age)] = {
                "warm_pass": warm,
                "warm_get_logs": warm_logs,
                "cold_pass": sum(keeper.counts.values()),
                "cold_get_logs": keeper.counts["eth_getLogs"],
            }
            keeper.counts = Counter()
            keeper_pass()
            aged[str(age)]["steady_pass"] = sum(keeper.counts.values())
        aged["long_running_pass"] = long_running_pass(env, keeper)
        for p in (keeper, service, wallet):
            p.stop()
        return {"positions": positions, "per_round": per_round, "by_method": by_method,
                "after_ageing": aged}  # fmt: skip
    finally:
        node.terminate()
        node.wait(30)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    # The chain's age is measured once, on the smallest round: what it changes is the blocks
    # to read, not the positions.
    sizes = [one_size(n, AGES if n == SIZES[0] else ()) for n in SIZES]
    write_result(
        RESULTS,
        {
            "what": "JSON-RPC requests per round by actor (keeper passes, service, one wallet)",
            "log_range": 2000,
            "sizes": sizes,
        },
    )


if __name__ == "__main__":
    main()
