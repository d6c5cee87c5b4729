"""The word-by-word ABI codec agrees with eth_abi's, value for value, and leaves every other
case (other types, bad padding, another length) to eth_abi."""

from __future__ import annotations

import random

import pytest
from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError, NonEmptyPaddingBytes

from oracle.protocol.hashing import decode_static, encode_static

WORD_TYPES = ("uint256", "address", "bytes32")


def _value(kind: str, rng: random.Random) -> object:
    if kind == "uint256":
        return rng.choice([0, 1, 2**256 - 1, rng.getrandbits(256), rng.getrandbits(64)])
    if kind == "address":
        return "0x" + rng.randbytes(20).hex()
    return rng.randbytes(32)


def test_decodeStatic_ofWordTypes_givesEthAbisValues() -> None:
    rng = random.Random(7)
    for _ in range(500):
        types = tuple(rng.choice(WORD_TYPES) for _ in range(rng.randint(0, 6)))
        values = [_value(t, rng) for t in types]
        data = encode_static(types, values)
        assert data == encode(list(types), values)
        assert decode_static(types, data) == tuple(decode(list(types), data))


def test_decodeStatic_ofAnAddressWithDirtyPadding_raisesAsEthAbiDoes() -> None:
    word = b"\x01" + bytes(11) + bytes(range(20))
    with pytest.raises(NonEmptyPaddingBytes):
        decode_static(("address",), word)


def test_decodeStatic_ofOtherTypesOrLengths_isEthAbis() -> None:
    data = encode(["uint40", "bool", "string"], [2**39, True, "hello"])
    assert decode_static(("uint40", "bool", "string"), data) == (2**39, True, "hello")
    short = encode(["uint256"], [5])[:31]
    with pytest.raises(DecodingError):
        decode_static(("uint256",), short)
    # Longer data than the types need: eth_abi reads what the types take.
    assert decode_static(("uint256",), encode(["uint256", "uint256"], [5, 6])) == (5,)
