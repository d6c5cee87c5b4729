"""Deployment records: ``deployments/<chain-id>.json``, written atomically."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from oracle import settings
from oracle.errors import DeploymentError


@dataclass
class ContractRecord:
    """One deployed contract: where it is and how it got there."""

    address: str
    block: int
    transaction: str


@dataclass
class Deployment:
    """What `ape run deploy` wrote for one chain."""

    chain_id: int
    network: str
    deployer: str
    contracts: dict[str, ContractRecord] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    token: dict[str, Any] = field(default_factory=dict)

    @property
    def block(self) -> int:
        """The first block of the deployment."""
        return min((c.block for c in self.contracts.values()), default=0)

    def address_of(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise DeploymentError(
                f"no {name} in the deployment for chain {self.chain_id}: "
                "run `ape run deploy --force` to redeploy"
            ) from None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["block"] = self.block
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        return cls(
            chain_id=int(data["chain_id"]),
            network=str(data["network"]),
            deployer=str(data["deployer"]),
            contracts={k: ContractRecord(**v) for k, v in data.get("contracts", {}).items()},
            roles=dict(data.get("roles", {})),
            token=dict(data.get("token", {})),
        )


def record_path(chain_id: int) -> Path:
    return settings.deployments_dir() / f"{chain_id}.json"


def load(chain_id: int) -> Deployment | None:
    """The recorded deployment for ``chain_id``, or None if there is none."""
    path = record_path(chain_id)
    if not path.exists():
        return None
    try:
        return Deployment.from_json(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError) as err:
        raise DeploymentError(
            f"{path} is not a valid deployment record ({err}): fix it or redeploy with --force"
        ) from err


def require(chain_id: int) -> Deployment:
    """The recorded deployment for ``chain_id``; a clear error when there is none."""
    deployment = load(chain_id)
    if deployment is None:
        raise DeploymentError(
            f"nothing deployed on chain {chain_id} ({record_path(chain_id)} missing): "
            "run `ape run deploy` first"
        )
    return deployment


def save(deployment: Deployment) -> Path:
    """Write the record atomically: a crash leaves the old file or the new one, never half."""
    from oracle.files import write_atomically

    path = record_path(deployment.chain_id)
    text = json.dumps(deployment.to_json(), indent=2, sort_keys=True) + "\n"
    write_atomically(path, text.encode())
    return path
