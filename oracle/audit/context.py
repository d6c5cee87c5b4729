"""What every oracle command works on: one tournament on one chain, read through the chain,
and the artefact store; plus the names of the oracle's records in the store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oracle.chain import deployments
from oracle.chain.deploy import TOURNAMENT_CONTRACT
from oracle.chain.events import RoundInfo, TournamentReader
from oracle.protocol.manifest import RoundManifest
from oracle.store import ArtefactStore, default_store


@dataclass
class OracleContext:
    """One tournament on the connected chain, and the store holding its artefacts."""

    provider: Any
    reader: TournamentReader
    store: ArtefactStore
    chain_id: int

    @classmethod
    def connect(
        cls,
        provider: Any,
        store: ArtefactStore | None = None,
        *,
        confirmations: int | None = None,
    ) -> OracleContext:
        """The tournament of this chain's deployment record (or, for a mirror's store with no
        record, the one its :data:`ORIGIN` record names); its events cached in the store's
        ``chain/`` folder and counted at ``confirmations`` depth (see
        :class:`~oracle.chain.events.TournamentReader`)."""
        store = store or default_store()
        address, from_block = _tournament_of(int(provider.chain_id), store)
        root = getattr(store, "root", None)
        reader = TournamentReader(
            provider,
            address,
            from_block=from_block,
            cache_dir=None if root is None else root / "chain",
            confirmations=confirmations,
        )
        return cls(provider, reader, store, int(provider.chain_id))

    @property
    def tournament(self) -> str:
        return self.reader.address

    @property
    def contract(self) -> Any:
        return self.reader.contract

    def ref(self, round_id: int, *parts: str) -> str:
        """The name of a record about ``round_id`` in the store."""
        return "/".join(("rounds", str(self.chain_id), self.tournament, str(round_id), *parts))

    def now(self) -> int:
        """Chain time: the latest block's timestamp (the clock every deadline is checked by)."""
        return self.reader.latest_timestamp()


#: The record a mirror keeps of where it was copied from: service, chain id, tournament and
#: its deployment block (see :mod:`oracle.audit.mirror`).
ORIGIN = "mirror/origin"


def _tournament_of(chain_id: int, store: ArtefactStore) -> tuple[str, int]:
    """The tournament address and deployment block: from this machine's deployment record, else
    from a mirror's origin record for the same chain."""
    record = deployments.load(chain_id)
    if record is not None:
        return record.address_of(TOURNAMENT_CONTRACT), record.block
    origin = store.get_ref(ORIGIN)
    if origin is not None and int(origin.get("chain_id", -1)) == chain_id:
        return str(origin["tournament"]), int(origin.get("deployment_block", 0))
    deployments.require(chain_id)  # raises: nothing deployed, nothing mirrored
    raise AssertionError("unreachable")


def manifest_of(ctx: OracleContext, info: RoundInfo, *, public_only: bool = False) -> RoundManifest:
    """The round's manifest from the store, as the chain's ``liveDataHash`` names it."""
    return RoundManifest.from_bytes(ctx.store.get(info.live_data_hash, public_only=public_only))


#: Progress lines for a person (a spinner's text, a log).
Say = Callable[[str], None]


def quiet(_message: str) -> None:
    """A :data:`Say` that says nothing."""
