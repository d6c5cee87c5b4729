// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Tournament} from "../../../contracts/Tournament.sol";
import {TournamentToken} from "../../../contracts/TournamentToken.sol";
import {ITournament} from "../../../contracts/interfaces/ITournament.sol";
import {TestBase} from "../utils/TestBase.sol";
import {TestMerkle} from "../utils/TestMerkle.sol";

/// @notice One tournament call per test from a fixed state; bench/gas-snapshot records them.
contract TournamentGasTest is TestBase {
    TournamentToken internal token;
    Tournament internal t;
    address internal treasury = address(0x7EA5);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    uint256 internal round;
    uint256 internal nextRound;
    ITournament.Leaf[] internal leaves;
    bytes32[] internal tree;
    uint256[] internal nodeOf;

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new TournamentToken("Tournament Token", "TNMR", treasury);
        t = new Tournament(
            address(token),
            treasury,
            address(this),
            address(this),
            address(this),
            address(this),
            14 days,
            100 ether,
            50 ether,
            2 days
        );
        vm.startPrank(treasury);
        token.transfer(alice, 1_000 ether);
        token.transfer(bob, 1_000 ether);
        token.approve(address(t), type(uint256).max);
        t.depositBond(1_000 ether);
        vm.stopPrank();
        vm.prank(alice);
        token.approve(address(t), type(uint256).max);
        vm.prank(bob);
        token.approve(address(t), type(uint256).max);
        round = _open();
        vm.prank(treasury);
        t.fundRound(round, 100 ether);
        vm.prank(bob);
        t.stake(round, bytes32(uint256(9)), 10 ether, bytes32(uint256(1)));
    }

    function _open() internal returns (uint256) {
        return t.openRound(
            ITournament.RoundParams({
                closeTime: uint40(block.timestamp + 1 days),
                resolveAfter: uint40(block.timestamp + 2 days),
                resolveBy: uint40(block.timestamp + 9 days),
                challengePeriod: 1 days,
                clipPpm: 50_000,
                minStake: 1 ether,
                liveDataHash: bytes32(uint256(1)),
                scoringConfigHash: bytes32(uint256(2))
            })
        );
    }

    /// @dev Four positions, resolved and finalised: alice earns, bob loses.
    function _resolved() internal {
        vm.prank(alice);
        t.stake(round, bytes32(uint256(1)), 10 ether, bytes32(uint256(1)));
        vm.prank(alice);
        t.stake(round, bytes32(uint256(2)), 10 ether, bytes32(uint256(1)));
        vm.prank(bob);
        t.stake(round, bytes32(uint256(1)), 10 ether, bytes32(uint256(1)));
        leaves.push(ITournament.Leaf(round, alice, bytes32(uint256(1)), 10 ether, 0.5 ether, 0, bytes32(uint256(5))));
        leaves.push(ITournament.Leaf(round, alice, bytes32(uint256(2)), 10 ether, 0.25 ether, 0, bytes32(uint256(6))));
        leaves.push(ITournament.Leaf(round, bob, bytes32(uint256(1)), 10 ether, 0, 0.5 ether, bytes32(uint256(7))));
        leaves.push(ITournament.Leaf(round, bob, bytes32(uint256(9)), 10 ether, 0, 0.25 ether, bytes32(uint256(8))));
        bytes32[] memory hashes = new bytes32[](4);
        for (uint256 i; i < 4; ++i) {
            hashes[i] = t.leafHash(leaves[i]);
        }
        (tree, nodeOf) = TestMerkle.build(hashes);
        vm.warp(block.timestamp + 2 days);
        t.postResolution(round, tree[0], 40 ether, 0.75 ether, 0.75 ether, bytes32(uint256(3)));
        vm.warp(block.timestamp + 1 days);
        t.finalize(round);
    }

    function test_gas_stakeFirstModel() public {
        vm.prank(alice);
        t.stake(round, bytes32(uint256(1)), 10 ether, bytes32(uint256(1)));
    }

    function test_gas_stakeAddToPosition() public {
        vm.prank(bob);
        t.stake(round, bytes32(uint256(9)), 1 ether, bytes32(uint256(2)));
    }

    function test_gas_withdraw() public {
        vm.prank(bob);
        t.withdraw(round, bytes32(uint256(9)), 1 ether);
    }

    function test_gas_postResolution() public {
        vm.warp(block.timestamp + 2 days);
        t.postResolution(round, bytes32(uint256(0xabc)), 10 ether, 0.5 ether, 0.5 ether, bytes32(uint256(3)));
    }

    function test_gas_finalize() public {
        vm.warp(block.timestamp + 2 days);
        t.postResolution(round, bytes32(uint256(0xabc)), 10 ether, 0.5 ether, 0.5 ether, bytes32(uint256(3)));
        vm.warp(block.timestamp + 1 days);
        t.finalize(round);
    }

    function test_gas_claimWithReward() public {
        _resolved();
        t.claim(leaves[0], TestMerkle.proof(tree, nodeOf[0]));
    }

    function test_gas_claimWithBurn() public {
        _resolved();
        t.claim(leaves[2], TestMerkle.proof(tree, nodeOf[2]));
    }

    function test_gas_claimAndRestake() public {
        _resolved();
        nextRound = _open();
        vm.prank(alice);
        t.claimAndRestake(
            leaves[0], TestMerkle.proof(tree, nodeOf[0]), nextRound, bytes32(uint256(1)), bytes32(uint256(4))
        );
    }

    /// @dev A posted root, disputed by alice.
    function _disputed() internal {
        vm.warp(block.timestamp + 2 days);
        t.postResolution(round, bytes32(uint256(0xabc)), 10 ether, 0.5 ether, 0.5 ether, bytes32(uint256(3)));
        vm.prank(alice);
        t.dispute(round, bytes32(uint256(0xbad)));
    }

    function test_gas_depositBond() public {
        vm.prank(treasury);
        t.depositBond(100 ether);
    }

    function test_gas_dispute() public {
        vm.warp(block.timestamp + 2 days);
        t.postResolution(round, bytes32(uint256(0xabc)), 10 ether, 0.5 ether, 0.5 ether, bytes32(uint256(3)));
        vm.prank(alice);
        t.dispute(round, bytes32(uint256(0xbad)));
    }

    function test_gas_ruleUphold() public {
        _disputed();
        t.rule(round, true);
    }

    function test_gas_ruleRejectInWindow() public {
        _disputed();
        t.rule(round, false);
    }

    function test_gas_ruleRejectAndFinalize() public {
        _disputed();
        vm.warp(block.timestamp + 1 days);
        t.rule(round, false);
    }

    function test_gas_expireDispute() public {
        _disputed();
        vm.warp(block.timestamp + 3 days);
        t.expireDispute(round);
    }

    function test_gas_refundAfterCancel() public {
        t.cancelRound(round);
        t.refund(round, bob, bytes32(uint256(9)));
    }
}
