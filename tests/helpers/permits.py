"""EIP-2612 permits signed with eth-account, as a participant's wallet signs them."""

from __future__ import annotations

from typing import Any

import ape

from oracle.chain import permit
from tests.helpers.tournament import TOKEN_NAME


def sign_permit(
    token: Any, key: bytes, owner: str, spender: str, value: int, nonce: int, deadline: int
) -> tuple[int, bytes, bytes]:
    """An EIP-2612 permit signed with eth-account over the token's EIP-712 domain."""
    return permit.sign_permit(
        token_name=TOKEN_NAME,
        token_address=str(token.address),
        chain_id=ape.chain.chain_id,
        key=key,
        owner=owner,
        spender=spender,
        value=value,
        nonce=nonce,
        deadline=deadline,
    )
