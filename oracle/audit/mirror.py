"""Verify from anywhere: find a service's tournament (checked against the chain), and copy
every public artefact of every round into a store of the same layout (``oracle mirror``).

What to copy comes from the chain, not from the service: each round's manifest and scoring
config hashes, its standing results hash; then what those files name (live and training data,
round secret, targets, reveals bundle and every revealed file). Every byte is checked against
its hash by :class:`~oracle.store.remote.FetchingStore` before it is kept, so a mirror holds
nothing the chain does not vouch for. What is already there is not fetched again: a mirror
killed halfway resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oracle.audit.context import ORIGIN, OracleContext
from oracle.audit.synthetic import secret_commitment
from oracle.chain import deployments
from oracle.chain.deploy import TOURNAMENT_CONTRACT
from oracle.errors import ArtefactMissingError, ManifestError, StoreError, TournamentError
from oracle.protocol.manifest import RoundManifest, load_json, read_reveals_bundle
from oracle.store import normalise_hash
from oracle.store.remote import API, TIMEOUT_SECONDS, FetchingStore

ZERO32 = b"\x00" * 32


def service_info(service: str, session: Any = None) -> dict[str, Any]:
    """The service's ``GET /api/v1``: its chain id, tournament and deployment block."""
    import requests

    url = f"{service.rstrip('/')}{API}"
    try:
        answer = (session or requests).get(url, timeout=TIMEOUT_SECONDS)
        answer.raise_for_status()
        info = answer.json()
        return {
            "chain_id": int(info["chain_id"]),
            "tournament": str(info["tournament"]),
            "deployment_block": int(info.get("deployment_block", 0)),
        }
    except (requests.RequestException, ValueError, KeyError, TypeError) as err:
        raise TournamentError(
            f"{url} does not answer as an oracle service ({type(err).__name__}): check --service"
        ) from None


def remote_context(
    provider: Any,
    service: str,
    root: Path,
    *,
    tournament: str | None = None,
    confirmations: int | None = None,
) -> OracleContext:
    """A context on the tournament ``service`` serves, with a :class:`FetchingStore` in
    ``root``. The tournament must be the one pinned (``tournament``, else this machine's
    deployment record if it has one) and have code on the connected chain."""
    from eth_utils import to_checksum_address

    info = service_info(service)
    chain_id = int(provider.chain_id)
    if info["chain_id"] != chain_id:
        raise TournamentError(
            f"{service} serves chain {info['chain_id']}, but the node is chain {chain_id}: "
            "connect to the service's chain with --network"
        )
    served = to_checksum_address(info["tournament"])
    record = deployments.load(chain_id)
    pinned = tournament or (record.address_of(TOURNAMENT_CONTRACT) if record else None)
    if pinned is not None and to_checksum_address(pinned) != served:
        raise TournamentError(
            f"{service} serves tournament {served}, not {to_checksum_address(pinned)}: it is "
            "another tournament's service (or pin the one it serves with --tournament)"
        )
    if not provider.get_code(served):
        raise TournamentError(f"no contract at {served} on chain {chain_id}: {service} is wrong")
    store = FetchingStore(root, service)
    origin = {"service": service, "chain_id": chain_id, **info, "tournament": served}
    if store.get_ref(ORIGIN) != origin:
        store.put_ref(ORIGIN, origin)
    return OracleContext.connect(provider, store, confirmations=confirmations)


@dataclass
class MirrorReport:
    """What a mirror pass found: artefacts held (fetched now or before), and what is missing."""

    #: Every artefact held, by hash.
    digests: set[str] = field(default_factory=set)
    fetched: int = 0
    #: (round, artefact name, why) for every required artefact the service did not give.
    missing: list[tuple[int, str, str]] = field(default_factory=list)
    #: (round, artefact name) not published yet (a round still open or unresolved).
    pending: list[tuple[int, str]] = field(default_factory=list)

    @property
    def held(self) -> int:
        return len(self.digests)


def mirror(ctx: OracleContext, say: Callable[[str], None] | None = None) -> MirrorReport:
    """Copy every public artefact of every round of ``ctx`` (whose store fetches what it
    lacks) into its store; see the module docstring."""
    store = ctx.store
    report = MirrorReport()
    before = getattr(store, "fetched", 0)

    def take(round_id: int, name: str, digest: str | bytes | None, *, required: bool) -> bytes:
        if digest is None or digest in (ZERO32, ""):
            return b""
        try:
            data = store.get(digest, public_only=True)
        except ArtefactMissingError as err:
            if required:
                report.missing.append((round_id, name, str(err)))
            else:
                report.pending.append((round_id, name))
            return b""
        except StoreError as err:
            report.missing.append((round_id, name, str(err)))
            return b""
        report.digests.add(normalise_hash(digest))
        return data

    for round_id in ctx.reader.round_ids():
        info = ctx.reader.round_info(round_id)
        if say:
            say(f"round {round_id}: {info.status.name.lower()}")
        raw = take(round_id, "manifest", info.live_data_hash, required=True)
        take(round_id, "scoring config", info.scoring_config_hash, required=True)
        manifest = None
        if raw:
            try:
                manifest = RoundManifest.from_bytes(raw)
            except ManifestError as err:
                report.missing.append((round_id, "manifest", str(err)))
        if manifest is not None:
            take(round_id, "live data", manifest.live_data, required=True)
            take(round_id, "training data", manifest.training_data, required=False)
            take(round_id, "validation data", manifest.validation_data, required=False)
            take(round_id, "benchmark predictions", manifest.benchmarks, required=False)
            take(round_id, "round secret", secret_commitment(manifest.market), required=False)
            take(round_id, "targets", manifest.targets_commitment, required=False)
        if info.results_hash == ZERO32:
            continue
        results = take(round_id, "results file", info.results_hash, required=True)
        if not results:
            continue
        named = load_json(results, "the results file").get("inputs", {})
        take(round_id, "targets", named.get("targets"), required=True)
        bundle = take(round_id, "reveals bundle", named.get("reveals"), required=True)
        if bundle:
            for reveal in read_reveals_bundle(bundle):
                take(
                    round_id,
                    f"reveal of {reveal.account}/{reveal.model_id}",
                    reveal.predictions_hash,
                    required=reveal.status == "accepted",
                )
    report.fetched = getattr(store, "fetched", 0) - before
    return report
