"""A round's inputs, gathered from the store and the chain: what ``resolve`` scores and what
``verify`` recomputes from public artefacts alone."""

from __future__ import annotations

from functools import partial

from oracle.audit.checking import warm_up
from oracle.audit.context import OracleContext, manifest_of
from oracle.audit.results import RoundInputs
from oracle.chain.events import RoundInfo
from oracle.errors import CommitmentMismatchError
from oracle.protocol.manifest import read_reveals_bundle


def round_inputs(
    ctx: OracleContext,
    info: RoundInfo,
    targets_hash: str,
    reveals_hash: str,
    *,
    public_only: bool,
    budget: int,
) -> RoundInputs:
    """Gather a round's inputs from the store and the chain (public artefacts only for verify)."""
    get = ctx.store.get
    manifest_hash = "0x" + info.live_data_hash.hex()
    manifest = manifest_of(ctx, info, public_only=public_only)
    config_hash = "0x" + info.scoring_config_hash.hex()
    if manifest.scoring_config != config_hash:
        raise CommitmentMismatchError(
            f"the manifest names scoring config {manifest.scoring_config}, the chain {config_hash}"
        )
    reveals = read_reveals_bundle(get(reveals_hash, public_only=public_only))
    warm_up(len(reveals))  # while the chain's positions are read
    return RoundInputs(
        chain_id=ctx.chain_id,
        tournament=ctx.tournament,
        round_id=info.round,
        manifest_hash=manifest_hash,
        manifest=manifest,
        config_bytes=get(config_hash, public_only=public_only),
        live_data=get(manifest.live_data, public_only=public_only),
        targets=get(targets_hash, public_only=public_only),
        reveals_hash=reveals_hash,
        reveals=reveals,
        positions=ctx.reader.positions(info.round),
        budget=budget,
        clip_ppm=info.clip_ppm,
        # A partial of the store's method pickles: worker processes read the files themselves.
        load_file=partial(get, public_only=public_only),
    )
