"""Deploy (or reuse) the tournament's contracts and record them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from oracle import deployments
from oracle.chain import network_label
from oracle.deployments import ContractRecord, Deployment

if TYPE_CHECKING:
    from ape.api import AccountAPI, ProviderAPI

TOKEN_CONTRACT = "TournamentToken"
DEFAULT_TOKEN_NAME = "Tournament Token"
DEFAULT_TOKEN_SYMBOL = "TNMR"


@dataclass(frozen=True)
class DeployResult:
    deployment: Deployment
    reused: bool
    reason: str


def is_live(deployment: Deployment, provider: ProviderAPI) -> bool:
    """True if every recorded contract still has code on the chain."""
    return bool(deployment.contracts) and all(
        len(provider.get_code(record.address)) > 0 for record in deployment.contracts.values()
    )


def deploy(
    provider: ProviderAPI,
    deployer: AccountAPI,
    treasury: str,
    *,
    token_name: str = DEFAULT_TOKEN_NAME,
    token_symbol: str = DEFAULT_TOKEN_SYMBOL,
    force: bool = False,
) -> DeployResult:
    """Deploy the token to ``provider``'s chain, or reuse what the record says is there.

    1. Without ``force``, a record whose contracts all have code is returned as it is.
    2. Otherwise the contracts are deployed, then the record is written atomically, so a failed
       deployment leaves any previous record untouched.
    """
    from ape import project

    chain_id = provider.chain_id
    existing = deployments.load(chain_id)
    if existing is not None and not force:
        if is_live(existing, provider):
            return DeployResult(existing, True, "recorded contracts found on chain")
        reason = "recorded contracts have no code on this chain (was it reset?): redeployed"
    else:
        reason = "forced redeploy" if existing is not None else "first deployment"

    token = project.TournamentToken.deploy(token_name, token_symbol, treasury, sender=deployer)
    receipt = token.creation_metadata.receipt if token.creation_metadata else None
    block = receipt.block_number if receipt is not None else provider.get_block("latest").number
    tx = receipt.txn_hash if receipt is not None else ""
    record = Deployment(
        chain_id=chain_id,
        network=network_label(provider),
        deployer=str(deployer.address),
        contracts={TOKEN_CONTRACT: ContractRecord(str(token.address), int(block or 0), str(tx))},
        roles={"treasury": str(treasury)},
        token={"name": token_name, "symbol": token_symbol, "decimals": 18},
    )
    deployments.save(record)
    return DeployResult(record, False, reason)
