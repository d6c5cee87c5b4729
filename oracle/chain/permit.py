"""EIP-2612 permits for the tournament token: the typed message, and signing it with a raw key
(eth-account) or with any ape account (keyfile, development or hardware)."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data

PERMIT_TYPES = [
    {"name": "owner", "type": "address"},
    {"name": "spender", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


def permit_message(
    *,
    token_name: str,
    token_address: str,
    chain_id: int,
    owner: str,
    spender: str,
    value: int,
    nonce: int,
    deadline: int,
) -> SignableMessage:
    """The permit as an EIP-712 message over the token's domain (name, version "1", chain,
    address)."""
    return encode_typed_data(
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


def sign_permit(*, key: bytes | str, **fields: Any) -> tuple[int, bytes, bytes]:
    """(v, r, s) of a permit (see :func:`permit_message` for ``fields``) signed with ``key``."""
    signed = Account.sign_message(permit_message(**fields), key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


def sign_permit_with(account: Any, **fields: Any) -> tuple[int, bytes, bytes]:
    """(v, r, s) of a permit signed by an ape account (it must be the permit's owner)."""
    signature = account.sign_message(permit_message(**fields))
    if signature is None:
        from oracle.errors import AccountError

        raise AccountError(f"account {account.address} refused to sign the permit")
    # ape's signatures carry r and s as minimal big-endian bytes: a value below 2**248 comes
    # with fewer than 32 bytes, which a bytes32 argument would pad on the wrong side.
    return int(signature.v), _word(signature.r), _word(signature.s)


def _word(value: bytes) -> bytes:
    """A 32-byte big-endian word from minimal big-endian bytes."""
    if len(value) > 32:
        raise ValueError(f"a signature component of {len(value)} bytes")
    return bytes(value).rjust(32, b"\0")
