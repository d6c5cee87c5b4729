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
        """The tournament of this chain's deployment record; its events cached in the store's
        ``chain/`` folder and counted at ``confirmations`` depth (see
        :class:`~oracle.chain.events.TournamentReader`)."""
        deployment = deployments.require(provider.chain_id)
        store = store or default_store()
        root = getattr(store, "root", None)
        reader = TournamentReader(
            provider,
            deployment.address_of(TOURNAMENT_CONTRACT),
            from_block=deployment.block,
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


def manifest_of(ctx: OracleContext, info: RoundInfo, *, public_only: bool = False) -> RoundManifest:
    """The round's manifest from the store, as the chain's ``liveDataHash`` names it."""
    return RoundManifest.from_bytes(ctx.store.get(info.live_data_hash, public_only=public_only))


#: Progress lines for a person (a spinner's text, a log).
Say = Callable[[str], None]


def quiet(_message: str) -> None:
    """A :data:`Say` that says nothing."""
