"""keccak256 and static ABI encoding, fast: a round hashes tens of thousands of leaves,
commitments and files.

``keccak256`` uses pysha3's C implementation (``safe-pysha3``, already in the lock) when it is
there, about five times faster than eth-hash's default backend on short inputs, and falls
back to eth-utils. ``encode_static`` concatenates 32-byte words for the static types the
tournament's leaves and commitments use, exactly as ``abi.encode`` does, and defers to eth-abi
for anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak as _eth_keccak
from eth_utils import to_checksum_address

try:
    from sha3 import keccak_256 as _keccak_256

    def keccak256(data: bytes) -> bytes:
        """keccak256 of ``data``."""
        return bytes(_keccak_256(data).digest())

except ImportError:  # pragma: no cover - the lock installs safe-pysha3

    def keccak256(data: bytes) -> bytes:
        """keccak256 of ``data``."""
        return bytes(_eth_keccak(data))


def _uint256(value: Any) -> bytes:
    number = int(value)
    if number < 0:
        raise ValueError(f"uint256 cannot be negative: {number}")
    return number.to_bytes(32, "big")


def _address(value: Any) -> bytes:
    text = str(value)
    raw = bytes.fromhex(text[2:] if text.startswith("0x") else text)
    if len(raw) != 20:
        raise ValueError(f"not a 20-byte address: {text}")
    return b"\x00" * 12 + raw


def _bytes32(value: Any) -> bytes:
    raw = bytes(value)
    if len(raw) != 32:
        raise ValueError(f"bytes32 needs 32 bytes, got {len(raw)}")
    return raw


_WORDS: dict[str, Callable[[Any], bytes]] = {
    "uint256": _uint256,
    "address": _address,
    "bytes32": _bytes32,
}


def encode_static(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """``abi.encode(values)`` for ``types``; word by word for uint256, address and bytes32."""
    if len(types) != len(values):
        raise ValueError(f"{len(types)} types for {len(values)} values")
    if all(t in _WORDS for t in types):
        return b"".join(_WORDS[t](v) for t, v in zip(types, values, strict=True))
    return bytes(encode(list(types), list(values)))


def decode_static(types: Sequence[str], data: bytes) -> tuple[Any, ...]:
    """``abi.decode(data, types)`` as eth_abi decodes it (an address as lower-case hex); word by
    word when ``data`` is one word per type and every type is uint256, address or bytes32 with
    its padding zero (anything else goes to eth_abi, which raises for bad data)."""
    if len(data) == 32 * len(types) and all(t in _WORDS for t in types):
        values: list[Any] = []
        for k, kind in enumerate(types):
            word = data[32 * k : 32 * k + 32]
            if kind == "uint256":
                values.append(int.from_bytes(word, "big"))
            elif kind == "bytes32":
                values.append(word)
            elif word[:12] == _ZERO12:
                values.append("0x" + word[12:].hex())
            else:
                break
        else:
            return tuple(values)
    return tuple(decode(list(types), data))


_ZERO12 = bytes(12)


@lru_cache(maxsize=65_536)
def checksummed(address: str) -> str:
    """EIP-55 form of an address (cached: a round has few accounts and many positions)."""
    return str(to_checksum_address(address))
