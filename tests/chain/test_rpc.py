"""Talking to a node through a proxy that behaves like a hosted RPC (tests/helpers/rpcproxy.py):
paged logs under a log-range limit, retries under rate limits, and one line for a node that
stays down or is not there."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from web3 import HTTPProvider, Web3

from oracle.chain import rpc
from oracle.chain.devnet import free_port
from oracle.chain.logs import PagedLogs
from oracle.errors import RpcUnavailableError
from tests.helpers.harness import Devnet
from tests.helpers.rpcproxy import Faults, Proxy

pytestmark = [pytest.mark.chain, pytest.mark.anvil]


@pytest.fixture
def proxy(net: Devnet) -> Iterator[Proxy]:
    p = Proxy(f"http://127.0.0.1:{net.port}", Faults(rate_limited=0.0, latency=0.0)).start()
    yield p
    p.stop()


def hardened(url: str, attempts: int = 8) -> Web3:
    """A web3 the way every command gets one: through :func:`rpc.harden`."""
    provider = SimpleNamespace(http_uri=url, _web3=Web3(HTTPProvider(url)))
    rpc.harden(provider, rpc.RetryPolicy(attempts=attempts, base=0.01, cap=0.05))
    return provider._web3


def test_pagedLogs_underARangeLimit_readEveryLogInPagesTheNodeAccepts(
    net: Devnet, proxy: Proxy
) -> None:
    net.rpc("anvil_mine", hex(400), hex(0))
    head = int(net.web3.eth.block_number)
    address = net.tournament.address
    direct = net.web3.eth.get_logs({"address": address, "fromBlock": 0, "toBlock": head})
    proxy.faults.max_log_range = 50
    pages = PagedLogs(hardened(proxy.url).provider, address, max_range=2000)
    found = pages.fetch(0, head)
    assert [(int(x["blockNumber"], 16), int(x["logIndex"], 16)) for x in found] == [
        (x["blockNumber"], x["logIndex"]) for x in direct
    ]
    assert 0 < pages.good <= 50, "no page wider than the limit was answered"
    assert pages.refusals <= 8, "halving finds the limit in a few refusals"
    assert pages.requests <= head // 25 + pages.refusals + 2


def test_retries_carryReadsThroughAHalfRateLimitedNode(proxy: Proxy) -> None:
    proxy.faults.rate_limited = 0.5
    web3 = hardened(proxy.url, attempts=12)
    before = rpc.STATS.retries
    numbers = [web3.eth.block_number for _ in range(40)]
    assert len(numbers) == 40
    assert proxy.refused["429"] > 5
    assert rpc.STATS.retries - before >= proxy.refused["429"]


def test_aNodeThatStaysDown_isOneLineNamingWhatItDid(proxy: Proxy) -> None:
    proxy.faults.down = True
    with pytest.raises(RpcUnavailableError, match=r"is failing \(HTTP 503 after retries\)"):
        _ = hardened(proxy.url, attempts=2).eth.block_number
    proxy.faults.down = False
    proxy.faults.rate_limited = 1.0
    with pytest.raises(RpcUnavailableError, match=r"is rate-limiting \(HTTP 429 after retries\)"):
        _ = hardened(proxy.url, attempts=2).eth.block_number
    nowhere = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RpcUnavailableError, match="is unreachable"):
        rpc.probe(nowhere, rpc.RetryPolicy(attempts=2, base=0.01))
