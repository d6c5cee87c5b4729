"""Compiled ABIs of the project's contracts, and fast read-only calls through them.

ape's contract calls check the address's code before every call, and web3's go through
middlewares that ask the node for its chain id each time; :class:`Views` makes each read one
raw ``eth_call``, encoded and decoded against the compiled ABI.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from eth_abi import decode

from oracle.errors import TournamentError


@cache
def _abi(name: str) -> tuple[dict[str, Any], ...]:
    from ape import project

    contract_type = getattr(project, name).contract_type
    return tuple(item.model_dump(mode="json", by_alias=True) for item in contract_type.abi)


def abi_of(name: str) -> list[dict[str, Any]]:
    """The ABI of contract ``name`` (``Tournament``, ``TournamentToken``), as web3 takes it."""
    return list(_abi(name))


def canonical_type(item: dict[str, Any]) -> str:
    """The ABI type of an input or output, tuples spelled out: ``(uint40,bytes32)[]``."""
    kind = str(item["type"])
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in item["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


class Views:
    """The view functions of contract ``name`` at ``address``: :meth:`call` is one raw
    ``eth_call`` at the latest block."""

    def __init__(self, web3: Any, name: str, address: str) -> None:
        self.address = address
        self.name = name
        self._provider = web3.provider
        self._encoder = web3.eth.contract(address=address, abi=abi_of(name))
        self._outputs = {
            str(f["name"]): [canonical_type(o) for o in f.get("outputs", [])]
            for f in abi_of(name)
            if f.get("type") == "function"
        }

    def encode(self, function: str, *args: Any) -> str:
        """The calldata of ``function(*args)``, hex."""
        return str(self._encoder.encode_abi(function, args=list(args)))

    def call(self, function: str, *args: Any) -> Any:
        """``function(*args)``'s return value (a tuple when it returns several)."""
        from oracle.chain import rpc
        from oracle.errors import RpcRefusedError

        data = self.encode(function, *args)
        try:
            result = rpc.request(
                self._provider, "eth_call", [{"to": self.address, "data": data}, "latest"]
            )
        except RpcRefusedError as err:
            raise TournamentError(
                f"{self.name}.{function} failed at {self.address}: {err.message}"
            ) from None
        values = decode(self._outputs[function], bytes.fromhex(str(result)[2:]))
        return values[0] if len(values) == 1 else values
