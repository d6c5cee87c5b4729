"""OpenZeppelin StandardMerkleTree, in Python: the same leaves, root and proofs, bit for bit.

The layout follows @openzeppelin/merkle-tree ("standard-v1"):

1. A leaf is ``keccak256(keccak256(abi.encode(values)))`` (double-hashed, so no leaf can be
   mistaken for an inner node).
2. Leaves are sorted by hash and laid out at the end of an array of ``2n - 1`` nodes, in
   reverse order; node ``i`` is the hash of its children ``2i + 1`` and ``2i + 2``, sorted
   before hashing (so proofs need no left/right flags).
3. The root is node 0; a proof lists the siblings on the way from a leaf to the root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oracle.protocol.hashing import encode_static
from oracle.protocol.hashing import keccak256 as keccak

#: The leaf encoding of the tournament's resolutions (see ITournament.Leaf).
LEAF_ENCODING: tuple[str, ...] = (
    "uint256",  # round
    "address",  # account
    "bytes32",  # modelId
    "uint256",  # stake
    "uint256",  # reward
    "uint256",  # burn
    "bytes32",  # predictionsHash
)


def leaf_hash(encoding: Sequence[str], values: Sequence[Any]) -> bytes:
    """keccak256(keccak256(abi.encode(values)))."""
    return keccak(keccak(encode_static(encoding, values)))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """The commutative inner-node hash: keccak256 of the two children, smaller first."""
    return keccak(a + b) if a < b else keccak(b + a)


@dataclass(frozen=True)
class StandardMerkleTree:
    """A built tree: the node array, and for each value (in input order) its node index."""

    encoding: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    tree: tuple[bytes, ...]
    tree_indices: tuple[int, ...]

    @classmethod
    def of(cls, values: Sequence[Sequence[Any]], encoding: Sequence[str]) -> StandardMerkleTree:
        """Build the tree of ``values`` (each a tuple matching ``encoding``)."""
        if not values:
            raise ValueError("a Merkle tree needs at least one leaf")
        encoding = tuple(encoding)
        hashed = [(leaf_hash(encoding, v), i) for i, v in enumerate(values)]
        hashed.sort(key=lambda item: item[0])
        n = len(hashed)
        tree: list[bytes] = [b""] * (2 * n - 1)
        tree_indices = [0] * n
        for position, (digest, value_index) in enumerate(hashed):
            node = len(tree) - 1 - position
            tree[node] = digest
            tree_indices[value_index] = node
        for node in range(len(tree) - 1 - n, -1, -1):
            tree[node] = hash_pair(tree[2 * node + 1], tree[2 * node + 2])
        return cls(encoding, tuple(tuple(v) for v in values), tuple(tree), tuple(tree_indices))

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def leaf(self, index: int) -> bytes:
        """The leaf hash of value ``index`` (input order)."""
        return self.tree[self.tree_indices[index]]

    def proof(self, index: int) -> list[bytes]:
        """The sibling hashes proving value ``index`` (input order) against the root."""
        node = self.tree_indices[index]
        proof: list[bytes] = []
        while node > 0:
            sibling = node + 1 if node % 2 == 1 else node - 1
            proof.append(self.tree[sibling])
            node = (node - 1) // 2
        return proof

    def dump(self) -> dict[str, Any]:
        """The tree in @openzeppelin/merkle-tree's JSON format ("standard-v1")."""
        return {
            "format": "standard-v1",
            "leafEncoding": list(self.encoding),
            "tree": ["0x" + node.hex() for node in self.tree],
            "values": [
                {"value": [_jsonable(x) for x in value], "treeIndex": tree_index}
                for value, tree_index in zip(self.values, self.tree_indices, strict=True)
            ],
        }


def verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    """True if ``proof`` leads from ``leaf`` to ``root`` (MerkleProof.verify)."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node == root


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, int):
        return str(value)
    return value
