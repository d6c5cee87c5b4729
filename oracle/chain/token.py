"""The token contract handle (amounts and units live in :mod:`oracle.protocol.units`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oracle.chain.deployments import Deployment


def token_contract(deployment: Deployment) -> Any:
    """The deployed token as an ape contract instance."""
    from ape import project

    from oracle.chain.deploy import TOKEN_CONTRACT

    return project.TournamentToken.at(deployment.address_of(TOKEN_CONTRACT))
