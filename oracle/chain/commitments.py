"""Prediction commitments and model ids, computed exactly as the contract and the wallet do."""

from __future__ import annotations

from oracle.chain.hashing import encode_static, keccak256

COMMITMENT_TYPES = ["uint256", "address", "uint256", "address", "bytes32", "bytes32", "bytes32"]


def commitment(
    chain_id: int,
    tournament: str,
    round_id: int,
    account: str,
    model_id: bytes,
    predictions_hash: bytes,
    salt: bytes,
) -> bytes:
    """keccak256(abi.encode(chainId, tournament, round, account, modelId, predictionsHash, salt)),
    the value ``stake`` binds a position to (see ITournament.stake)."""
    return keccak256(
        encode_static(
            COMMITMENT_TYPES,
            [chain_id, tournament, round_id, account, model_id, predictions_hash, salt],
        )
    )


def model_id_of(name: str) -> bytes:
    """The on-chain model id of a model name: keccak256 of ``"model:" + name`` (UTF-8)."""
    if not name or len(name) > 64 or name != name.strip():
        raise ValueError("a model name has 1 to 64 characters and no surrounding spaces")
    return keccak256(f"model:{name}".encode())
