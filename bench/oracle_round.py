"""The round pipeline at scale: one round with 10,000 positions on anvil (5,000 stocks).

Run with `make bench-oracle` (about ten minutes). Starts a throw-away anvil with 110 funded
development accounts, deploys, opens a synthetic round, stakes 100 models from each of 100
accounts, reveals them all, then measures as an operator runs them:

* `ape run oracle publish-targets` (publishing the 10,000 reveals and the targets), then
  `ape run oracle resolve` end to end (events, scoring, tree, results file, post): wall time
  and the process's peak memory (max RSS);
* `ape run oracle verify` of the same round: wall time and peak memory;
* `ape run oracle settle`: gas per leaf.

Results go to bench/results/oracle.json. Goals: resolve and verify under 20 s, settle at
30k gas per leaf or less, oracle peak memory under 2 GB.

The setup (staking and revealing 10,000 positions) is most of the ten minutes. To measure
the operator's commands again and again (while optimising them), ``--save DIR`` keeps the
round as it stands before `resolve` (anvil's state and the operator's folder), and
``--reuse DIR`` starts from there: only resolve, verify, finalize and settle run, and the
setup figures are the saved run's.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bench_common import (
    TreePeak,
    connected,
    free_port,
    isolated_env,
    open_synthetic_round,
    say,
    write_result,
)

from oracle import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results" / "oracle.json"
APE = PROJECT_ROOT / ".venv" / "bin" / "ape"
ANVIL = PROJECT_ROOT / "node_modules" / ".bin" / "anvil"
ONE = 10**18
ACCOUNTS, MODELS = 100, 100
FIRST_STAKER = 10
STOCKS = 5000
#: anvil's state in a folder kept by --save.
STATE = "anvil-state.json"


def measured(env: dict[str, str], *args: str) -> tuple[float, int, str]:
    """Run an `ape run oracle` command; (wall seconds, peak RSS in bytes, stdout). The peak
    is the most the command and its worker processes held together (sampled every 0.1 s),
    or the command's own maximum if that is larger."""
    started = time.perf_counter()
    child = subprocess.Popen(
        ["/usr/bin/time", "-f", "maxrss_kb=%M", str(APE), "run", "oracle", *args],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    with TreePeak(child.pid) as tree:
        stdout, stderr = child.communicate(timeout=3600)
    run = subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
    wall = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{run.stdout}\n{run.stderr}")
    peak = int(re.findall(r"maxrss_kb=(\d+)", run.stderr)[-1]) * 1024
    return wall, max(peak, tree.peak), run.stdout


def start_anvil(port: int, state: Path | None = None) -> subprocess.Popen[bytes]:
    """A throw-away anvil, from a saved ``state`` (its blocks and logs included) if given."""
    return subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--accounts", str(FIRST_STAKER + ACCOUNTS),
         "--balance", "100000", "--silent", "--code-size-limit", "100000",
         *(["--load-state", str(state)] if state else [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def set_up(
    url: str, folder: Path, env: dict[str, str], network: list[str]
) -> tuple[Any, Any, int, dict[str, float]]:
    """Deploy, open, stake, reveal and publish a round of 10,000 positions; (web3, the
    tournament contract, the round, the setup figures)."""
    from ape import networks

    from oracle.audit.context import OracleContext
    from oracle.market import to_parquet
    from oracle.protocol.commitments import commitment, model_id_of
    from oracle.resolver.intake import Intake
    from oracle.store import LocalStore, content_hash

    bench = open_synthetic_round(url, folder)
    web3, tournament, token = bench.web3, bench.tournament, bench.token
    schedule, round_id, ids = bench.schedule, bench.round_id, bench.ids
    store = LocalStore(folder / "store")
    stakers = web3.eth.accounts[FIRST_STAKER : FIRST_STAKER + ACCOUNTS]
    treasury = web3.eth.accounts[1]
    say(f"funding {ACCOUNTS} accounts and staking {ACCOUNTS * MODELS:,} positions")
    started = time.perf_counter()
    for who in stakers:
        token.functions.transfer(who, 10_000 * ONE).transact({"from": treasury})
        token.functions.approve(tournament.address, 2**256 - 1).transact({"from": who})
    rng = np.random.default_rng(0)
    reveals: list[tuple[str, bytes, bytes, bytes]] = []
    last = None
    for a, who in enumerate(stakers):
        for m in range(MODELS):
            data = to_parquet(pd.DataFrame({"id": ids, "prediction": rng.random(len(ids))}))
            salt = secrets.token_bytes(32)
            model_id = model_id_of(f"bench-{a}-{m}")
            c = commitment(31337, tournament.address, round_id, who, model_id,
                           bytes.fromhex(content_hash(data)[2:]), salt)  # fmt: skip
            stake = int((1 + rng.random() * 20) * ONE)
            last = tournament.functions.stake(round_id, model_id, stake, c).transact(
                {"from": who, "gas": 200_000}
            )
            reveals.append((who, model_id, salt, data))
    web3.eth.wait_for_transaction_receipt(last)
    staking_s = time.perf_counter() - started
    say(f"staked in {staking_s:.0f} s; revealing")
    web3.provider.make_request("evm_mine", [schedule.close_time + 1])
    with networks.parse_network_choice(
        "ethereum:local:foundry", provider_settings={"host": url}
    ) as provider:
        ctx = OracleContext.connect(provider, store)
        started = time.perf_counter()
        intake = Intake(ctx, round_id)
        accepted = sum(intake.take(*r).accepted for r in reveals)
        intake_s = time.perf_counter() - started
    say(f"{accepted:,} reveals accepted in {intake_s:.0f} s")
    web3.provider.make_request("evm_mine", [schedule.reveal_deadline + 1])
    say("publish-targets")
    publish_s, publish_rss, _ = measured(env, "publish-targets", "--round", str(round_id), *network)
    setup = {"staking_seconds": round(staking_s, 1), "intake_seconds": round(intake_s, 1),
             "publish_seconds": round(publish_s, 1), "publish_peak_rss_bytes": publish_rss}  # fmt: skip
    return web3, tournament, round_id, setup


def save(web3: Any, folder: Path, to: Path, round_id: int, setup: dict[str, float]) -> None:
    """Keep the chain's state and the operator's folder as they stand (see the docstring)."""
    if to.exists():
        shutil.rmtree(to)
    to.mkdir(parents=True)
    # The dump is gzipped JSON as hex; --load-state reads the JSON.
    state = web3.provider.make_request("anvil_dumpState", [])["result"]
    (to / STATE).write_bytes(gzip.decompress(bytes.fromhex(state.removeprefix("0x"))))
    shutil.copytree(folder, to / "folder", symlinks=True)
    meta = {"folder": str(folder), "round": round_id, "setup": setup}
    (to / "meta.json").write_text(json.dumps(meta))
    say(f"saved the round before resolve in {to}")


def restore(kept: Path) -> tuple[Path, int, dict[str, float]]:
    """Put back the operator's folder kept by :func:`save` where it was; (the folder, the
    round, the saved setup figures). anvil's state is loaded by :func:`start_anvil`."""
    meta = json.loads((kept / "meta.json").read_text())
    folder = Path(meta["folder"])
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(kept / "folder", folder, symlinks=True)
    return folder, int(meta["round"]), meta["setup"]


def main() -> None:
    from oracle.chain import deployments
    from oracle.chain.abi import abi_of

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--save", type=Path, help="keep the round before resolve in this folder")
    parser.add_argument("--reuse", type=Path, help="start from a round kept by --save")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    anvil = start_anvil(port, args.reuse / STATE if args.reuse else None)
    try:
        if args.reuse:
            folder, round_id, setup = restore(args.reuse)
            env, network = isolated_env(folder, url)
            web3 = connected(url)
            # The saved blocks are hours ahead of the clock (the round's times were mined
            # to): carry on from the last one.
            latest = web3.eth.get_block("latest")["timestamp"]
            web3.provider.make_request("evm_mine", [latest + 1])
            say(f"reusing the round kept in {args.reuse}")
        else:
            folder = Path(tempfile.mkdtemp(prefix="bench-oracle-"))
            env, network = isolated_env(folder, url)
            web3, _, round_id, setup = set_up(url, folder, env, network)
            if args.save:
                save(web3, folder, args.save, round_id, setup)
        record = deployments.load(31337)
        assert record is not None, "no deployment record"
        tournament = web3.eth.contract(
            address=record.address_of("Tournament"), abi=abi_of("Tournament")
        )
        # Hours pass between the intake and resolve: the store's files are on disk by then,
        # not still being written back while resolve reads them.
        os.sync()
        say("resolve")
        resolve_s, resolve_rss, out = measured(env, "resolve", "--round", str(round_id), *network)
        say(out.strip())
        say("verify")
        verify_s, verify_rss, out = measured(env, "verify", "--round", str(round_id), *network)
        say(out.strip())
        assert out.startswith("OK"), out
        view = tournament.functions.getRound(round_id).call()
        web3.provider.make_request("evm_mine", [int(view[10]) + 1])
        _, _, out = measured(env, "finalize", "--round", str(round_id), *network)
        say("settle")
        settle_s, settle_rss, out = measured(env, "settle", "--round", str(round_id), *network)
        say(out.strip())
        gas_per_leaf = int(re.findall(r"\(([\d,]+) gas per leaf\)", out)[0].replace(",", ""))
        transactions = int(re.findall(r"in (\d+) transaction", out)[0])
    finally:
        anvil.terminate()
        anvil.wait()

    result = {
        "positions": ACCOUNTS * MODELS,
        "accounts": ACCOUNTS,
        "stocks": STOCKS,
        "resolve": {"seconds": round(resolve_s, 1), "peak_rss_bytes": resolve_rss,
                    "goal_seconds": 20},
        "verify": {"seconds": round(verify_s, 1), "peak_rss_bytes": verify_rss,
                   "goal_seconds": 20},
        "settle": {"seconds": round(settle_s, 1), "gas_per_leaf": gas_per_leaf,
                   "transactions": transactions, "goal_gas_per_leaf": 30_000},
        "oracle_peak_rss_bytes": max(resolve_rss, verify_rss, settle_rss),
        "goal_peak_rss_bytes": 2 * 1024**3,
        "setup": setup,
        "note": "wall times include ape's start-up (about 4 s per command)",
    }  # fmt: skip
    write_result(RESULTS, result)


if __name__ == "__main__":
    main()
