"""Prediction commitments and model ids, computed exactly as the contract and the wallet do."""

from __future__ import annotations

import re

from oracle.protocol.hashing import encode_static, keccak256

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


#: A model name: 1 to 64 characters, no line break, no space or tab at either end (the same
#: pattern the service's API schema states).
NAME_PATTERN = r"^[^ \t\n\r\f\v]([^\n\r]{0,62}[^ \t\n\r\f\v])?$"
_NAME = re.compile(NAME_PATTERN.removesuffix("$") + r"\Z")


def model_id_of(name: str) -> bytes:
    """The on-chain model id of a model name: keccak256 of ``"model:" + name`` (UTF-8)."""
    if not _NAME.match(name):
        raise ValueError(
            "a model name has 1 to 64 characters, no line break and no space at either end"
        )
    return keccak256(f"model:{name}".encode())
