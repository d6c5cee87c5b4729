"""Deploy (or reuse) the tournament's contracts and record them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from oracle.chain import deployments
from oracle.chain.accounts import network_label
from oracle.chain.deployments import ContractRecord, Deployment

if TYPE_CHECKING:
    from ape.api import AccountAPI, ProviderAPI

TOKEN_CONTRACT = "TournamentToken"
TOURNAMENT_CONTRACT = "Tournament"
#: Every contract a complete deployment records.
CONTRACTS = (TOKEN_CONTRACT, TOURNAMENT_CONTRACT)
DEFAULT_TOKEN_NAME = "Tournament Token"
DEFAULT_TOKEN_SYMBOL = "TNMR"
#: Seconds after a round's resolution deadline that its leaves stay claimable (14 days).
DEFAULT_SETTLEMENT_PERIOD = 14 * 24 * 3600
#: What each post locks from the oracle's bond pool until finalisation or a ruling (tokens).
DEFAULT_RESOLUTION_BOND = 500 * 10**18
#: What a dispute of a posted root costs (tokens); fixed for the deployment's life.
DEFAULT_DISPUTE_BOND = 100 * 10**18
#: Seconds the guardian has to rule on a dispute before the round is cancelled (2 days).
DEFAULT_RULING_PERIOD = 2 * 24 * 3600
#: Resolution bonds the treasury deposits at a devnet deployment (enough for ten standing posts).
DEVNET_BOND_POSTS = 10


@dataclass(frozen=True)
class Roles:
    """Who holds what: the treasury receives the supply and unused budgets."""

    treasury: str
    operator: str
    oracle: str
    guardian: str


@dataclass(frozen=True)
class DeployResult:
    deployment: Deployment
    reused: bool
    reason: str


def is_live(deployment: Deployment, provider: ProviderAPI) -> bool:
    """True if the record is complete and every recorded contract still has code on the chain."""
    return set(CONTRACTS) <= set(deployment.contracts) and all(
        len(provider.get_code(record.address)) > 0 for record in deployment.contracts.values()
    )


def deploy(
    provider: ProviderAPI,
    deployer: AccountAPI,
    roles: Roles,
    *,
    token_name: str = DEFAULT_TOKEN_NAME,
    token_symbol: str = DEFAULT_TOKEN_SYMBOL,
    settlement_period: int = DEFAULT_SETTLEMENT_PERIOD,
    resolution_bond: int = DEFAULT_RESOLUTION_BOND,
    dispute_bond: int = DEFAULT_DISPUTE_BOND,
    ruling_period: int = DEFAULT_RULING_PERIOD,
    treasury_signer: AccountAPI | None = None,
    force: bool = False,
) -> DeployResult:
    """Deploy the token and the tournament, or reuse what the record says is there.

    1. Without ``force``, a complete record whose contracts all have code is returned as is.
    2. Otherwise the token is deployed with its supply minted to the treasury, then the
       tournament wired to it, with the deployer as admin and the given roles.
    3. With ``treasury_signer`` (the treasury's account, on a devnet), the treasury deposits
       :data:`DEVNET_BOND_POSTS` resolution bonds into the oracle's bond pool; elsewhere the
       treasury does it itself (``ape run treasury bond``).
    4. The record is written last, atomically: a failed deployment leaves any previous record
       untouched.
    """
    from ape import project

    chain_id = provider.chain_id
    existing = deployments.load(chain_id)
    if existing is not None and not force:
        if is_live(existing, provider):
            return DeployResult(existing, True, "recorded contracts found on chain")
        reason = "recorded contracts missing on this chain (was it reset?): redeployed"
    else:
        reason = "forced redeploy" if existing is not None else "first deployment"

    token = project.TournamentToken.deploy(
        token_name, token_symbol, roles.treasury, sender=deployer
    )
    tournament = project.Tournament.deploy(
        token,
        roles.treasury,
        deployer,
        roles.operator,
        roles.oracle,
        roles.guardian,
        settlement_period,
        resolution_bond,
        dispute_bond,
        ruling_period,
        sender=deployer,
    )
    if treasury_signer is not None and resolution_bond > 0:
        deposit = DEVNET_BOND_POSTS * resolution_bond
        token.approve(tournament, deposit, sender=treasury_signer)
        tournament.depositBond(deposit, sender=treasury_signer)
    record = Deployment(
        chain_id=chain_id,
        network=network_label(provider),
        deployer=str(deployer.address),
        contracts={
            TOKEN_CONTRACT: _record_of(token, provider),
            TOURNAMENT_CONTRACT: _record_of(tournament, provider),
        },
        roles={
            "admin": str(deployer.address),
            "treasury": str(roles.treasury),
            "operator": str(roles.operator),
            "oracle": str(roles.oracle),
            "guardian": str(roles.guardian),
        },
        token={"name": token_name, "symbol": token_symbol, "decimals": 18},
    )
    deployments.save(record)
    return DeployResult(record, False, reason)


def _record_of(contract: Any, provider: ProviderAPI) -> ContractRecord:
    receipt = contract.creation_metadata.receipt if contract.creation_metadata else None
    if receipt is None:
        return ContractRecord(
            str(contract.address), int(provider.get_block("latest").number or 0), ""
        )
    return ContractRecord(str(contract.address), int(receipt.block_number), str(receipt.txn_hash))
