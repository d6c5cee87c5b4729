"""The keeper as a service: passes of :func:`~oracle.resolver.keeper.run_once` every few
seconds for days, unattended.

* Every line it logs starts with its UTC time.
* A pass that fails (the node down, say) is logged and the next one tries again; within a
  pass one round's failure does not stop the others (``run_once``).
* SIGTERM and SIGINT end it after the step in progress: no transaction is cut in half, and
  the journal makes a restart carry on where it stopped.
* ``/metrics`` answers in Prometheus' text format (prometheus-client), ``/healthz`` with 200
  while passes succeed and 503 once the last success is older than three intervals.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from oracle.audit.context import OracleContext
from oracle.chain import rpc
from oracle.errors import first_line
from oracle.resolver import transactions
from oracle.resolver.keeper import RoundStatus, run_once

log = logging.getLogger("oracle.keeper")


def utc_logging(level: int = logging.INFO) -> None:
    """Log lines as ``2026-12-02T06:30:00Z INFO message`` on standard output."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger("oracle")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


@dataclass
class KeeperState:
    """What the keeper knows of itself, for the metrics and the health check."""

    interval: float
    #: Seconds after a round's challenge period before its leaves are settled for the stakers.
    settle_after: int = 0
    started: float = field(default_factory=time.time)
    passes: int = 0
    failed_passes: int = 0
    round_failures: int = 0
    last_success: float | None = None
    last_block: int = 0
    statuses: list[RoundStatus] = field(default_factory=list)
    #: Rounds nothing more happens to, by id: not read again.
    finished: dict[int, RoundStatus] = field(default_factory=dict)
    last_error: str = ""

    def healthy(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        last = self.last_success if self.last_success is not None else self.started
        return now - last <= 3 * self.interval + 30


def _collector(state: KeeperState) -> Any:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
    from prometheus_client.registry import Collector

    class KeeperCollector(Collector):  # type: ignore[misc]
        def collect(self) -> Iterator[Any]:
            yield GaugeMetricFamily(
                "tournament_keeper_last_block", "Newest block the keeper has read", state.last_block
            )
            yield CounterMetricFamily(
                "tournament_keeper_passes", "Passes over every round", state.passes
            )
            yield CounterMetricFamily(
                "tournament_keeper_failed_passes",
                "Passes that failed as a whole",
                state.failed_passes,
            )
            yield CounterMetricFamily(
                "tournament_keeper_round_failures",
                "Round steps that failed (retried next pass)",
                state.round_failures,
            )
            yield GaugeMetricFamily(
                "tournament_keeper_last_success_timestamp_seconds",
                "When the last pass succeeded (Unix time)",
                state.last_success or 0,
            )
            phases = GaugeMetricFamily(
                "tournament_keeper_rounds", "Rounds by phase", labels=["phase"]
            )
            counts: dict[str, int] = {}
            for s in state.statuses:
                counts[s.phase] = counts.get(s.phase, 0) + 1
            for phase, count in sorted(counts.items()):
                phases.add_metric([phase], count)
            yield phases
            due = GaugeMetricFamily(
                "tournament_keeper_next_due_timestamp_seconds",
                "Chain time from which each round's next step can be taken",
                labels=["round", "action"],
            )
            for s in state.statuses:
                if s.due is not None:
                    due.add_metric([str(s.round_id), s.next_action], s.due)
            yield due
            requests = CounterMetricFamily(
                "tournament_rpc_requests", "JSON-RPC requests by method", labels=["method"]
            )
            for method, count in sorted(rpc.STATS.requests.items()):
                requests.add_metric([method], count)
            yield requests
            yield CounterMetricFamily(
                "tournament_rpc_retries",
                "Requests tried again (429, 5xx, timeouts)",
                rpc.STATS.retries,
            )
            yield CounterMetricFamily(
                "tournament_rpc_failures",
                "Requests that failed after every retry",
                rpc.STATS.failures,
            )
            sent = CounterMetricFamily(
                "tournament_keeper_transactions_sent",
                "Transactions broadcast, by kind",
                labels=["kind"],
            )
            for kind, count in sorted(transactions.STATS.items()):
                sent.add_metric([kind], count)
            yield sent

    return KeeperCollector()


def serve_metrics(state: KeeperState, host: str, port: int) -> ThreadingHTTPServer:
    """``/metrics`` and ``/healthz`` on ``host:port``, in a background thread."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry()
    registry.register(_collector(state))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/metrics"):
                status, body, kind = 200, generate_latest(registry), CONTENT_TYPE_LATEST
            elif self.path.startswith("/healthz"):
                ok = state.healthy()
                status = 200 if ok else 503
                text = "ok" if ok else f"no successful pass recently: {state.last_error}"
                body, kind = (text + "\n").encode(), "text/plain; charset=utf-8"
            else:
                status, body, kind = 404, b"try /metrics or /healthz\n", "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="keeper-metrics", daemon=True).start()
    return server


class Stopper:
    """Set by SIGTERM or SIGINT; the loop sleeps on it, so a stop never waits for a pass."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)

    def _stop(self, signum: int, _frame: Any) -> None:
        log.info("received %s: stopping after the step in progress", signal.Signals(signum).name)
        self.event.set()

    @property
    def stopped(self) -> bool:
        return self.event.is_set()


def keep(
    ctx: OracleContext,
    oracle_account: Any,
    state: KeeperState,
    stopper: Stopper,
    *,
    once: bool = False,
    before_pass: Callable[[], list[str]] | None = None,
) -> int:
    """Run passes until stopped (or one, with ``once``); returns the number of failed passes
    (for ``--once``'s exit status)."""
    # A pass reads the chain once: the event cache is synced at most once per pass.
    ctx.reader.cache.fresh_for = min(state.interval / 2, 5.0)
    while not stopper.stopped:
        state.passes += 1
        try:
            lines = list(before_pass()) if before_pass else []
            lines += run_once(
                ctx,
                oracle_account,
                say=lambda _m: None,
                stopped=stopper.event,
                settle_after=state.settle_after,
                finished=state.finished,
                statuses=state.statuses,
            )
            if ctx.reader.cache.last is not None:
                state.last_block = ctx.reader.cache.last.head.number
            failures = [line for line in lines if " failed: " in line]
            state.round_failures += len(failures)
            for line in lines:
                (log.warning if line in failures else log.info)("%s", line)
            state.last_success = time.time()
        except Exception as err:  # one pass's failure is the next pass's retry
            state.failed_passes += 1
            state.last_error = first_line(err)
            log.error("pass failed (retrying in %gs): %s", state.interval, state.last_error)
            if once:
                return 1
        if once:
            return 0
        stopper.event.wait(state.interval)
    log.info("stopped")
    return 0
