// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Tournament} from "../../../contracts/Tournament.sol";
import {TournamentToken} from "../../../contracts/TournamentToken.sol";
import {ITournament} from "../../../contracts/interfaces/ITournament.sol";
import {TestBase} from "../utils/TestBase.sol";
import {TournamentHandler} from "./TournamentHandler.sol";

contract TournamentInvariantTest is TestBase {
    uint256 internal constant CAP = 11_000_000 ether;
    uint256 internal constant SETTLEMENT = 2 days;
    uint256 internal constant RESOLUTION_BOND = 100 ether;
    uint256 internal constant DISPUTE_BOND = 40 ether;
    uint256 internal constant RULING = 1 days;

    TournamentToken internal token;
    Tournament internal tournament;
    TournamentHandler internal handler;
    address internal treasury = address(0x7EA5);

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new TournamentToken("Tournament Token", "TNMR", treasury);
        // The handler's address is known before it is deployed: it holds every role.
        address predicted = _predictAddress(address(this), 3);
        tournament = new Tournament(
            address(token),
            treasury,
            predicted,
            predicted,
            predicted,
            predicted,
            SETTLEMENT,
            RESOLUTION_BOND,
            DISPUTE_BOND,
            RULING
        );
        handler = new TournamentHandler(tournament, token, treasury);
        assertEq(address(handler), predicted, "handler address");
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](18);
        selectors[0] = handler.warp.selector;
        selectors[1] = handler.openRound.selector;
        selectors[2] = handler.fundRound.selector;
        selectors[3] = handler.stake.selector;
        selectors[4] = handler.withdraw.selector;
        selectors[5] = handler.postResolution.selector;
        selectors[6] = handler.veto.selector;
        selectors[7] = handler.cancel.selector;
        selectors[8] = handler.finalize.selector;
        selectors[9] = handler.claim.selector;
        selectors[10] = handler.refund.selector;
        selectors[11] = handler.releaseBudget.selector;
        selectors[12] = handler.stake.selector; // staking twice as likely as the rest
        selectors[13] = handler.dispute.selector;
        selectors[14] = handler.rule.selector;
        selectors[15] = handler.expireDispute.selector;
        selectors[16] = handler.depositBond.selector;
        selectors[17] = handler.withdrawBond.selector;
        targetSelector(FuzzSelector(address(handler), selectors));
    }

    /// 1. The tournament holds exactly the unsettled stakes, the unspent budgets and the bonds
    /// (the oracle's free pool, the bonds standing posts lock, and the disputers' bonds).
    function invariant_balanceEqualsStakesBudgetsAndBonds() public view {
        assertEq(
            token.balanceOf(address(tournament)),
            handler.ghostUnsettled() + handler.ghostBudgets() + handler.ghostPool() + handler.ghostLocked()
                + handler.ghostDisputeBonds(),
            "balance == unsettled stakes + unspent budgets + bonds"
        );
        assertEq(tournament.bondPool(), handler.ghostPool(), "free bond pool");
    }

    /// 2. Supply is the cap minus what claims burned and what rulings burned of the losing
    /// bonds; nothing else burns or mints.
    function invariant_supplyIsCapMinusProvenBurns() public view {
        assertEq(
            token.totalSupply(),
            CAP - handler.ghostBurned() - handler.ghostBondBurned(),
            "supply == cap - burned in claims - burned in rulings"
        );
        assertEq(handler.burnedOutsideClaims(), 0, "no burn outside claims and rulings");
    }

    /// 7. Bonds lock exactly one resolution bond per standing post and one dispute bond per
    /// standing dispute.
    function invariant_bondsLockedPerStandingPost() public view {
        uint256 posted;
        uint256 disputed;
        uint256 n = handler.roundCount();
        for (uint256 i; i < n; ++i) {
            ITournament.Status status = tournament.getRound(handler.roundIds(i)).status;
            if (status == ITournament.Status.Posted || status == ITournament.Status.Disputed) ++posted;
            if (status == ITournament.Status.Disputed) ++disputed;
        }
        assertEq(handler.ghostLocked(), posted * RESOLUTION_BOND, "one resolution bond per standing post");
        assertEq(handler.ghostDisputeBonds(), disputed * DISPUTE_BOND, "one dispute bond per dispute");
        assertTrue(!handler.bondMispaid(), "a ruling paid a bond to the wrong party or amount");
    }

    /// 3. No leaf is paid twice; no round pays out more than its stakes plus its budget.
    function invariant_noDoublePayAndRoundPayoutBounded() public view {
        assertTrue(!handler.paidTwice(), "a leaf was paid twice");
        uint256 n = handler.roundCount();
        for (uint256 i; i < n; ++i) {
            uint256 round = handler.roundIds(i);
            ITournament.RoundView memory v = tournament.getRound(round);
            uint256 staked = v.status == ITournament.Status.Pending && block.timestamp < v.params.closeTime
                ? v.totalStaked
                : (handler.ghostStakedAtClose(round) > 0 ? handler.ghostStakedAtClose(round) : v.totalStaked);
            assertLe(handler.ghostPaidOut(round), staked + handler.ghostFunded(round), "round paid more than it holds");
        }
    }

    /// 4. Once refunds open (after the resolution deadline without finalisation, or after the
    /// settlement deadline of a finalised round), every unsettled position is refundable in full.
    function invariant_refundsOpenAfterDeadlines() public view {
        assertTrue(!handler.refundDenied(), "an open refund was denied");
        uint256 n = handler.roundCount();
        for (uint256 i; i < n; ++i) {
            uint256 round = handler.roundIds(i);
            ITournament.RoundView memory v = tournament.getRound(round);
            bool finalized = v.status == ITournament.Status.Finalized;
            uint256 deadline = finalized ? tournament.settleBy(round) : v.params.resolveBy;
            if (v.status == ITournament.Status.Disputed) deadline = v.ruleBy;
            if (v.status != ITournament.Status.Cancelled && block.timestamp > deadline) {
                assertTrue(tournament.refundsOpen(round), "refunds closed after the deadline");
                uint256 m = handler.positionCount(round);
                for (uint256 j; j < m; ++j) {
                    TournamentHandler.Position memory p = handler.positionAt(round, j);
                    assertEq(tournament.stakeOf(round, p.account, p.modelId), p.stake, "full stake refundable");
                }
            }
        }
    }

    /// 5. No claim paid a leaf whose reward or burn exceeds clip x stake.
    function invariant_leafPayoutsWithinClip() public view {
        assertTrue(!handler.leafAboveClipPaid(), "a leaf above the clip was paid");
    }

    /// 6. No token is stuck: every staked token is eventually paid back or burned by a proven
    /// leaf. Past every deadline, refunds and releases empty the tournament completely.
    function afterInvariant() public {
        assertTrue(handler.drainAll(), "a position or budget could not be taken back");
        assertEq(token.balanceOf(address(tournament)), 0, "tokens left in the tournament");
        assertEq(handler.ghostUnsettled(), 0, "unsettled stake left");
        assertEq(handler.ghostLocked() + handler.ghostDisputeBonds() + handler.ghostPool(), 0, "bond left");
        assertEq(
            token.totalSupply(), CAP - handler.ghostBurned() - handler.ghostBondBurned(), "supply == cap - proven burns"
        );
    }

    /// The address `deployer` creates its `nonce`-th contract at (RLP of a short list).
    function _predictAddress(address deployer, uint256 nonce) internal pure returns (address) {
        return address(
            uint160(uint256(keccak256(abi.encodePacked(bytes1(0xd6), bytes1(0x94), deployer, bytes1(uint8(nonce))))))
        );
    }
}
