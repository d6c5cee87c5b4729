// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice OpenZeppelin StandardMerkleTree layout, built on chain for tests: leaves sorted by hash
/// at the end of a 2n-1 node array, inner nodes hashed as sorted pairs.
library TestMerkle {
    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    /// @return tree The node array (root at 0).
    /// @return nodeOf For each input leaf, its index in `tree`.
    function build(bytes32[] memory leaves) internal pure returns (bytes32[] memory tree, uint256[] memory nodeOf) {
        uint256 n = leaves.length;
        uint256[] memory order = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            order[i] = i;
        }
        for (uint256 i = 1; i < n; ++i) {
            uint256 j = i;
            while (j > 0 && leaves[order[j - 1]] > leaves[order[j]]) {
                (order[j - 1], order[j]) = (order[j], order[j - 1]);
                --j;
            }
        }
        tree = new bytes32[](2 * n - 1);
        nodeOf = new uint256[](n);
        for (uint256 pos; pos < n; ++pos) {
            uint256 node = tree.length - 1 - pos;
            tree[node] = leaves[order[pos]];
            nodeOf[order[pos]] = node;
        }
        for (uint256 k = tree.length - n; k > 0; --k) {
            uint256 i = k - 1;
            tree[i] = hashPair(tree[2 * i + 1], tree[2 * i + 2]);
        }
    }

    function proof(bytes32[] memory tree, uint256 node) internal pure returns (bytes32[] memory p) {
        uint256 depth;
        for (uint256 i = node; i > 0; i = (i - 1) / 2) {
            ++depth;
        }
        p = new bytes32[](depth);
        for (uint256 d; node > 0; ++d) {
            p[d] = tree[node % 2 == 1 ? node + 1 : node - 1];
            node = (node - 1) / 2;
        }
    }
}
