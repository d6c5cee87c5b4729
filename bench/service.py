"""The oracle service's throughput: reveal uploads and proof look-ups, driven by wrk.

Run with `make bench-service` (about ten minutes). Starts a throw-away anvil with 1,010
funded development accounts, deploys, opens a synthetic round of 5,000 stocks and stakes 10
models from each of 1,000 accounts (10,000 positions), then starts `ape run oracle serve`
and measures, with wrk on loopback (50 connections, one wrk thread: wrk is C and takes little
of the machine's two cores from the service):

* reveal uploads after close: 10 s of distinct reveals of 5,000-id parquet files (the
  wallet's format), then 10 s of 5,000-id csv files: uploads per second and the p50 and p99
  latency. Every upload must be accepted, and none may repeat (there are more prepared
  reveals than the service can take in 10 s);
* after the deadline and `ape run oracle resolve`: look-ups of one account's leaves with their
  Merkle proofs (10 leaves per account) in the 10,000-leaf round, for 20 s at random
  accounts: look-ups per second and the p50 and p99 latency.

Results go to bench/results/service.json. Goals on this 2-core machine: 400 parquet and 200
csv reveals/s or more, 5,000 proof look-ups/s or more.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import requests
from bench_common import free_port, isolated_env, open_synthetic_round, say, write_result

from oracle import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results" / "service.json"
APE = PROJECT_ROOT / ".venv" / "bin" / "ape"
ANVIL = PROJECT_ROOT / "node_modules" / ".bin" / "anvil"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
ONE = 10**18
#: bench/intake_scaling.py runs this with other file sizes (BENCH_STOCKS), fewer positions
#: (BENCH_ACCOUNTS) and the parquet uploads only (BENCH_UPLOADS_ONLY=FILE: their figures go
#: to FILE, and service.json is left as it is).
ACCOUNTS, MODELS, FIRST = int(os.environ.get("BENCH_ACCOUNTS", 1000)), 10, 10
STOCKS = int(os.environ.get("BENCH_STOCKS", 5000))
UPLOADS_ONLY = os.environ.get("BENCH_UPLOADS_ONLY", "")
PARQUET_UPLOADS = 6000 if not UPLOADS_ONLY else ACCOUNTS * MODELS
CSV_UPLOADS = 4000 if not UPLOADS_ONLY else 0
UPLOAD_SECONDS = 10
CONNECTIONS = 50
#: One service process per core, each with a few threads (see docs/service.md).
SERVE = ["--workers", "2", "--threads", os.environ.get("BENCH_THREADS", "4")]
BOUNDARY = "tournament-bench-boundary"

UPLOAD_LUA = r"""
-- Each wrk thread sends its share of the prepared multipart bodies, each once. The requests
-- are formatted once, in init(): formatting a 100 KB request per call made wrk allocate and
-- fault in fresh pages for each, about 15% of the two cores the service shares with it.
local threads, counter = {}, 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  bodies, sent, answered, failures = {}, 0, 0, 0
  local i = 0
  for line in io.lines(args[1]) do
    if i % tonumber(args[2]) == id then
      local f = io.open(line, "rb")
      bodies[#bodies + 1] = wrk.format("POST", "/api/v1/rounds/1/reveals",
        {["Content-Type"] = "multipart/form-data; boundary=BOUNDARY"}, f:read("*a"))
      f:close()
    end
    i = i + 1
  end
end
function request()
  sent = sent + 1
  if sent > #bodies then exhausted = 1 end
  return bodies[math.min(sent, #bodies)]
end
function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 or not string.find(body, '"accepted"', 1, true) then
    failures = failures + 1
  end
end
function done(summary, latency, requests)
  local failed, ran_out = 0, 0
  for _, t in ipairs(threads) do
    failed = failed + t:get("failures")
    ran_out = ran_out + (t:get("exhausted") or 0)
  end
  io.write(string.format("failures=%d\nexhausted=%d\n", failed, ran_out))
end
""".replace("BOUNDARY", BOUNDARY)

LOOKUP_LUA = r"""
-- Random accounts' leaves and proofs. No response() hook: reading every body into Lua
-- costs wrk more CPU than the service's answer costs the service, on the same two cores.
-- wrk counts every answer that is not 2xx; checked_lookups() checks the bodies.
function init(args)
  paths = {}
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(os.time() + #paths)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def checked_lookups(url: str, paths: list[str], root: str, count: int = 200) -> int:
    """Fetch ``count`` random accounts' leaves and check that each leaf's proof leads to the
    round's ``root``: what the timed look-ups answer is right, not only 200. How many leaves
    were checked."""
    from oracle.protocol.merkle import LEAF_ENCODING, leaf_hash, verify
    from oracle.protocol.results import leaf_of

    rng = np.random.default_rng()
    checked = 0
    with requests.Session() as session:
        for i in rng.choice(len(paths), size=min(count, len(paths)), replace=False):
            answer = session.get(url + paths[i], timeout=30)
            answer.raise_for_status()
            for entry in answer.json()["leaves"]:
                proof = [bytes.fromhex(p[2:]) for p in entry["proof"]]
                leaf = leaf_hash(LEAF_ENCODING, leaf_of(1, entry))
                if not verify(bytes.fromhex(root[2:]), leaf, proof):
                    sys.exit(f"a look-up's proof does not lead to the root: {paths[i]}")
                checked += 1
    return checked


class Rpc:
    """JSON-RPC to anvil in batches (thousands of transactions in a few requests)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.trust_env = False

    def call(self, method: str, *params: Any) -> Any:
        reply = self.session.post(
            self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        ).json()
        if "error" in reply:
            sys.exit(f"{method} failed: {reply['error']}")
        return reply["result"]

    def send_all(self, transactions: list[dict[str, Any]], batch: int = 250) -> None:
        """eth_sendTransaction for each (anvil signs for its accounts); every one must land."""
        nonces: dict[str, int] = {}
        for tx in transactions:  # explicit nonces: a batch's transactions arrive together
            sender = tx["from"]
            if sender not in nonces:
                nonces[sender] = int(self.call("eth_getTransactionCount", sender, "pending"), 16)
            tx["nonce"] = hex(nonces[sender])
            tx["gasPrice"] = "0x0"
            nonces[sender] += 1
        hashes: list[str] = []
        # Mining one block per transaction cannot keep up with batches: mine full blocks.
        self.call("evm_setAutomine", False)
        for start in range(0, len(transactions), batch):
            body = [
                {"jsonrpc": "2.0", "id": i, "method": "eth_sendTransaction", "params": [tx]}
                for i, tx in enumerate(transactions[start : start + batch])
            ]
            for reply in sorted(
                self.session.post(self.url, json=body).json(), key=lambda r: r["id"]
            ):
                if "error" in reply:
                    sys.exit(f"a transaction failed: {reply['error']}")
                hashes.append(reply["result"])
        while int(self.call("txpool_status")["pending"], 16):
            self.call("evm_mine")
        self.call("evm_setAutomine", True)
        receipt = self.call("eth_getTransactionReceipt", hashes[-1])
        if receipt is None or int(receipt["status"], 16) != 1:
            pool = self.call("txpool_status")
            sys.exit(f"the last transaction failed: {receipt} (pool {pool}, {len(hashes)} sent)")


def wrk(script: str, url: str, args: list[str], duration: str) -> dict[str, Any]:
    """Run wrk with ``script``; requests per second, p50 and p99 latency (ms), failures."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    run = subprocess.run(
        [WRK, "-t1", f"-c{CONNECTIONS}", f"-d{duration}", "--timeout", "30s", "--latency",
         "-s", handle.name, url, "--", *args],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    os.unlink(handle.name)
    out = run.stdout
    if run.returncode != 0 or "Requests/sec" not in out:
        sys.exit(f"wrk failed:\n{out}\n{run.stderr}")

    def latency_ms(label: str) -> float:
        value, unit = re.findall(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)[0]
        return round(float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 2)

    return {
        "requests": int(re.findall(r"(\d+) requests in", out)[0]),
        "per_second": round(float(re.findall(r"Requests/sec:\s+([\d.]+)", out)[0]), 1),
        "p50_ms": latency_ms("50%"),
        "p99_ms": latency_ms("99%"),
        "failures": int((re.findall(r"failures=(\d+)", out) or ["0"])[0]),
        "ran_out": bool(int((re.findall(r"exhausted=(\d+)", out) or ["0"])[0])),
        "errors": re.findall(r"Socket errors: (.*)", out) or None,
        "non_2xx": int((re.findall(r"Non-2xx or 3xx responses: (\d+)", out) or ["0"])[0]),
    }


#: Where `BENCH_PY_SPY=/path/to/py-spy make bench-service` writes the service's profile.
PROFILE = PROJECT_ROOT / "bench" / "results" / "service_profile.json"
#: What the profile's samples are summed into: a sample counts for the first label (from the
#: top of the list) whose pattern any of its frames matches.
PROFILE_PARTS = [
    # os.fsync has no frame of its own: its samples are in the functions that call it.
    # write_atomically, sync_folder and GroupSync are all in oracle/files.py.
    ("durable writes (the file, the record, the log line; mostly fsync)", "/oracle/files.py"),
    ("durable writes (the file, the record, the log line; mostly fsync)", "LocalStore.append ("),
    ("chain RPC calls (HTTP to the node)", "http/client.py"),
    ("the validator (read_submission)", "read_submission"),
    ("keccak of the file and the commitment", "keccak"),
    ("the intake's other work (locks, records, log)", "take (oracle/resolver/intake.py"),
    ("multipart parsing (python-multipart, starlette's form)", "multipart"),
    ("reading the upload (read_upload)", "read_upload"),
    ("FastAPI: the request's parameters and the answer", "fastapi/"),
    ("the service's middleware", "oracle/service/security.py"),
    ("starlette: routing, responses", "starlette/"),
    ("uvicorn and httptools: HTTP", "uvicorn/"),
    ("anyio: the thread hop for the sync handler", "anyio/"),
    ("the event loop and other", ""),
]


def _profiler(pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    """py-spy recording the service's worker processes during the parquet uploads, when
    BENCH_PY_SPY names a py-spy binary (it is not a dependency: `pip install py-spy` anywhere);
    it takes CPU of its own, so the rates of a profiled run are not the benchmark's."""
    binary = os.environ.get("BENCH_PY_SPY")
    if not binary:
        return None
    return subprocess.Popen(
        [binary, "record", "--pid", str(pid), "--subprocesses", "--nonblocking",
         "--rate", "250", "--duration", str(UPLOAD_SECONDS - 2), "--format", "raw",
         "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _summary(path: Path) -> dict[str, Any]:
    """The recorded samples (py-spy records active threads only) summed into PROFILE_PARTS,
    as shares of all."""
    parts = dict.fromkeys((label for label, _ in PROFILE_PARTS), 0)
    # Within each part, the samples by their innermost frame of the project's own code (else
    # the innermost): function, file and line.
    inner: dict[str, Counter[str]] = {label: Counter() for label, _ in PROFILE_PARTS}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        for label, pattern in PROFILE_PARTS:
            if any(pattern in f for f in frames):
                parts[label] += int(count)
                ours = [f for f in frames if "/oracle/" in f] or frames
                where = re.sub(r"\(.*?([^/]+/[^/]+:\d+)\)", r"(\1)", ours[-1])
                inner[label][where] += int(count)
                break
    busy = sum(parts.values())
    largest = sorted(parts, key=parts.__getitem__, reverse=True)[:3]
    return {
        "what": "py-spy samples of the service's processes during the parquet uploads",
        "busy_samples": busy,
        "share_of_busy": {k: round(v / busy, 3) for k, v in parts.items() if busy},
        "innermost_frames_of_the_largest_parts": {
            label: {frame: round(n / busy, 3) for frame, n in inner[label].most_common(12)}
            for label in largest
            if busy
        },
    }


def multipart(fields: dict[str, str], filename: str, data: bytes) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def main() -> None:
    from eth_utils import keccak

    from oracle.market import to_parquet
    from oracle.protocol.commitments import commitment, model_id_of
    from oracle.store import LocalStore

    if not Path(WRK).exists():
        sys.exit("wrk is missing: apt-get install wrk (Debian's package), then run this again")
    folder = Path(tempfile.mkdtemp(prefix="bench-service-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    say(f"starting anvil with {FIRST + ACCOUNTS:,} accounts")
    anvil = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--accounts", str(FIRST + ACCOUNTS),
         "--balance", "1000", "--silent", "--code-size-limit", "100000",
         # Full blocks would raise the base fee past what queued transactions offer.
         "--block-base-fee-per-gas", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    env, network = isolated_env(folder, url)
    service = None
    try:
        rpc = Rpc(url)
        bench = open_synthetic_round(url, folder, STOCKS)
        web3, tournament, token = bench.web3, bench.tournament, bench.token
        schedule, ids = bench.schedule, bench.ids
        store = LocalStore(folder / "store")
        stakers = [str(a) for a in web3.eth.accounts[FIRST : FIRST + ACCOUNTS]]
        treasury = str(web3.eth.accounts[1])
        started = time.perf_counter()
        say(f"funding {ACCOUNTS:,} accounts")
        funding = []
        for who in stakers:
            funding.append({"from": treasury, "to": token.address, "gas": hex(100_000),
                            "data": token.encode_abi("transfer", [who, 1_000 * ONE])})  # fmt: skip
            funding.append({"from": who, "to": token.address, "gas": hex(100_000),
                            "data": token.encode_abi("approve", [tournament.address, 2**256 - 1])})  # fmt: skip
        rpc.send_all(funding)
        say(f"writing {PARQUET_UPLOADS + CSV_UPLOADS:,} predictions files and staking "
            f"{ACCOUNTS * MODELS:,} positions")  # fmt: skip
        rng = np.random.default_rng(0)
        bodies = folder / "bodies"
        bodies.mkdir()
        parquet_list, csv_list, stakes = [], [], []
        never_revealed = keccak(b"never revealed")
        for n, (a, m) in enumerate((a, m) for a in range(ACCOUNTS) for m in range(MODELS)):
            who, model = stakers[a], f"bench-{a}-{m}"
            salt = secrets.token_bytes(32)
            frame = pd.DataFrame({"id": ids, "prediction": rng.random(len(ids))})
            if n < PARQUET_UPLOADS:
                data, name, listing = to_parquet(frame), "p.parquet", parquet_list
            elif n < PARQUET_UPLOADS + CSV_UPLOADS:
                data, name, listing = frame.to_csv(index=False).encode(), "p.csv", csv_list
            else:
                data, name, listing = b"", "", None
            file_hash = keccak(data) if listing is not None else never_revealed
            c = commitment(31337, tournament.address, 1, who, model_id_of(model), file_hash, salt)
            stakes.append({"from": who, "to": tournament.address, "gas": hex(250_000),
                           "data": tournament.encode_abi("stake", [1, model_id_of(model), 2 * ONE, c])})  # fmt: skip
            if listing is not None:
                body = bodies / f"{n}.body"
                fields = {"salt": "0x" + salt.hex(), "account": who, "model": model}
                body.write_bytes(multipart(fields, name, data))
                listing.append(str(body))
        rpc.send_all(stakes)
        staked = tournament.functions.getRound(1).call()[2]
        assert staked == ACCOUNTS * MODELS * 2 * ONE, staked
        setup_s = time.perf_counter() - started
        say(f"staked in {setup_s:.0f} s")
        (folder / "parquet.txt").write_text("\n".join(parquet_list) + "\n")
        (folder / "csv.txt").write_text("\n".join(csv_list) + "\n")
        (folder / "paths.txt").write_text(
            "".join(f"/api/v1/rounds/1/accounts/{who}/leaves\n" for who in stakers)
        )
        rpc.call("evm_mine", schedule.close_time + 1)

        service_port = free_port()
        service_url = f"http://127.0.0.1:{service_port}"
        service = subprocess.Popen(
            [str(APE), "run", "oracle", "serve", "--port", str(service_port), *SERVE, *network],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(600):
            try:
                requests.get(f"{service_url}/api/v1", timeout=2).raise_for_status()
                break
            except requests.RequestException:
                time.sleep(0.2)
        # One reveal first: the service reads the round's 10,000 positions once, up front.
        warm_up = Path(parquet_list.pop())
        (folder / "parquet.txt").write_text("\n".join(parquet_list) + "\n")
        answer = requests.post(
            f"{service_url}/api/v1/rounds/1/reveals",
            data=warm_up.read_bytes(),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            timeout=120,
        )
        assert answer.json()["status"] == "accepted", answer.text
        # The prepared bodies (a gigabyte) are on disk before the clock starts, not still
        # being written back while the service's own writes are synced.
        os.sync()
        say(f"uploading parquet reveals for {UPLOAD_SECONDS} s with {CONNECTIONS} connections")
        spy = _profiler(service.pid, folder / "profile.txt")
        parquet = wrk(
            UPLOAD_LUA, service_url, [str(folder / "parquet.txt"), "1"], f"{UPLOAD_SECONDS}s"
        )
        if spy is not None:
            spy.wait(timeout=60)
            profile = _summary(folder / "profile.txt")
            PROFILE.write_text(json.dumps(profile, indent=2) + "\n")
            say(f"the service's profile during the parquet uploads: {PROFILE}")
        say(f"parquet uploads: {parquet}")
        if parquet["ran_out"]:
            sys.exit("the service took every prepared reveal: raise PARQUET_UPLOADS")
        if UPLOADS_ONLY:
            sizes = [Path(b).stat().st_size for b in parquet_list[:100]]
            Path(UPLOADS_ONLY).write_text(json.dumps({
                "ids": STOCKS, "parquet": parquet, "body_bytes": int(np.mean(sizes)),
                "positions": ACCOUNTS * MODELS,
            }))  # fmt: skip
            return
        say(f"uploading csv reveals for {UPLOAD_SECONDS} s")
        csv = wrk(UPLOAD_LUA, service_url, [str(folder / "csv.txt"), "1"], f"{UPLOAD_SECONDS}s")
        say(f"csv uploads: {csv}")
        if csv["ran_out"]:
            sys.exit("the service took every prepared reveal: raise CSV_UPLOADS")
        accepted = sum(
            1
            for r in store.list_refs(f"rounds/31337/{tournament.address}/1/reveals")
            if (store.get_ref(r) or {}).get("status") == "accepted"
        )
        say(f"{accepted:,} reveals accepted")
        rpc.call("evm_mine", schedule.reveal_deadline + 1)
        say(f"resolving the {ACCOUNTS * MODELS:,}-position round")
        resolve = subprocess.run(
            [str(APE), "run", "oracle", "resolve", "--round", "1", *network],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=3600,
        )  # fmt: skip
        if resolve.returncode != 0:
            sys.exit(f"resolve failed:\n{resolve.stdout}\n{resolve.stderr}")
        say(resolve.stdout.strip())
        root = "0x" + bytes(tournament.functions.getRound(1).call()[4]).hex()
        paths = (folder / "paths.txt").read_text().split()
        checked = checked_lookups(service_url, paths, root)
        say("proof look-ups for 20 s")
        lookups = wrk(LOOKUP_LUA, service_url, [str(folder / "paths.txt")], "20s")
        say(f"look-ups: {lookups}")
        checked += checked_lookups(service_url, paths, root)
        if lookups["non_2xx"] or lookups["errors"]:
            sys.exit(f"look-ups failed: {lookups}")
        say(f"{checked:,} leaves' proofs checked against the root before and after")
    finally:
        if service is not None:
            service.terminate()
            service.wait()
        anvil.terminate()
        anvil.wait()
        shutil.rmtree(folder, ignore_errors=True)

    result = {
        "round": {"positions": ACCOUNTS * MODELS, "accounts": ACCOUNTS, "stocks": STOCKS},
        "reveal_uploads": {
            "parquet": {**parquet, "file_bytes": "about 82 KB", "goal_per_second": 400},
            "csv": {**csv, "file_bytes": "about 141 KB", "goal_per_second": 200},
            "accepted": accepted,
        },
        "proof_lookups": {**lookups, "leaves_per_answer": MODELS, "goal_per_second": 5000,
                          "proofs_checked": checked},
        "load": f"wrk 1 thread, {CONNECTIONS} connections, on loopback beside the service",
        "service": "ape run oracle serve " + " ".join(SERVE),
    }  # fmt: skip
    if os.environ.get("BENCH_PY_SPY"):
        say(f"a profiled run's rates are not the benchmark's: {RESULTS} is left as it was")
        print(result)
        return
    write_result(RESULTS, result)


if __name__ == "__main__":
    main()
