"""One revert assertion that tells errors apart: it decodes the revert data itself.

ape 0.8.51's ``ape.reverts(<CustomError>, **inputs)`` passes on any revert ape did not decode
(an error rising from the token through the tournament, some errors on the in-process chain)
and then ignores the inputs. :func:`reverts` takes the raw revert data, decodes it against the
ABIs of every contract in the project (OpenZeppelin's errors included), and compares the error's
name and every value given.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from eth_abi import decode
from eth_utils import keccak, to_checksum_address


@cache
def _errors_by_selector() -> dict[bytes, tuple[str, list[str], list[str]]]:
    """selector -> (name, input names, input types) for every error of the project's contracts."""
    from ape import project

    table: dict[bytes, tuple[str, list[str], list[str]]] = {}
    for name in ("Tournament", "TournamentToken"):
        for error in getattr(project, name).contract_type.errors:
            types = [str(i.canonical_type) for i in error.inputs]
            selector = keccak(text=f"{error.name}({','.join(types)})")[:4]
            table[selector] = (error.name, [str(i.name) for i in error.inputs], types)
    return table


def _raw_revert_data(err: Exception) -> bytes | None:
    """The revert data of an undecoded ``ContractLogicError``, in whichever form ape left it."""
    for text in (getattr(err, "revert_message", None), *getattr(err, "args", ())):
        if not isinstance(text, str):
            continue
        text = text.removeprefix("execution reverted: ").strip()
        if text.startswith("0x"):
            try:
                return bytes.fromhex(text[2:])
            except ValueError:
                continue
        if text[:2] in ('b"', "b'"):
            value = ast.literal_eval(text)
            if isinstance(value, bytes):
                return value
    return None


def decode_revert(err: Exception) -> tuple[str, dict[str, Any]]:
    """The error name and its values for a revert raised by a project contract."""
    abi = getattr(err, "abi", None)
    if abi is not None and getattr(err, "inputs", None) is not None:
        return str(abi.name), dict(err.inputs)
    data = _raw_revert_data(err)
    if data is None or len(data) < 4:
        raise AssertionError(f"revert carries no error data to decode: {err!r}")
    known = _errors_by_selector().get(data[:4])
    if known is None:
        raise AssertionError(f"revert data 0x{data.hex()} matches no error of the project")
    name, names, types = known
    return name, dict(zip(names, decode(types, data[4:]), strict=True))


def _normalise(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if hasattr(value, "address"):
        return to_checksum_address(str(value.address))
    if isinstance(value, int):
        return int(value)
    return value


@contextmanager
def reverts(error: Any, **expected: Any) -> Iterator[None]:
    """Assert the block reverts with ``error`` (a contract's error class or its name) and,
    for every keyword given, that value."""
    from ape.exceptions import ContractLogicError

    want = error if isinstance(error, str) else error.__name__
    try:
        yield
    except ContractLogicError as err:
        name, values = decode_revert(err)
        if name != want:
            raise AssertionError(f"expected revert {want}, got {name}{values}") from err
        for key, value in expected.items():
            if key not in values:
                raise AssertionError(
                    f"{name} has no input '{key}' (it has {sorted(values)})"
                ) from err
            if _normalise(values[key]) != _normalise(value):
                raise AssertionError(
                    f"{name}: expected {key}={value!r}, got {values[key]!r}"
                ) from err
    else:
        raise AssertionError(f"expected revert {want}, but nothing reverted")
