"""EIP-2612 permits for the tournament token, signed with eth-account."""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_typed_data

PERMIT_TYPES = [
    {"name": "owner", "type": "address"},
    {"name": "spender", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


def sign_permit(
    *,
    token_name: str,
    token_address: str,
    chain_id: int,
    key: bytes | str,
    owner: str,
    spender: str,
    value: int,
    nonce: int,
    deadline: int,
) -> tuple[int, bytes, bytes]:
    """(v, r, s) of a permit over the token's EIP-712 domain (name, version "1", chain, address)."""
    message = encode_typed_data(
        domain_data={
            "name": token_name,
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": token_address,
        },
        message_types={"Permit": PERMIT_TYPES},
        message_data={
            "owner": owner,
            "spender": spender,
            "value": value,
            "nonce": nonce,
            "deadline": deadline,
        },
    )
    signed = Account.sign_message(message, key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
