// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Tournament} from "../../../contracts/Tournament.sol";
import {TournamentToken} from "../../../contracts/TournamentToken.sol";
import {ITournament} from "../../../contracts/interfaces/ITournament.sol";
import {TestBase, Vm} from "../utils/TestBase.sol";
import {TestMerkle} from "../utils/TestMerkle.sol";

/// @notice Drives several actors across several rounds and keeps ghost totals of what the
/// tournament should hold, burn and pay. The handler holds every role (admin, operator, oracle,
/// guardian); stakers and the treasury act through pranks.
contract TournamentHandler is TestBase {
    uint256 internal constant PPM = 1_000_000;
    uint256 internal constant MAX_ROUNDS = 4;
    uint256 internal constant MODELS = 2;

    Tournament public immutable tournament;
    TournamentToken public immutable token;
    address public immutable treasury;
    address[3] internal actors = [address(0xA11CE), address(0xB0B), address(0xCA801)];

    struct Position {
        address account;
        bytes32 modelId;
        uint256 stake; // ghost: what the handler believes is unsettled
        uint256 reward; // in the posted resolution
        uint256 burn;
        bool settled;
    }

    uint256[] public roundIds;
    mapping(uint256 round => Position[]) internal positions;
    mapping(uint256 round => bytes32[]) internal trees;
    mapping(uint256 round => uint256[]) internal nodes;
    mapping(uint256 round => uint256) public ghostBudget; // funded - returned - rewards paid
    mapping(uint256 round => uint256) public ghostStakedAtClose;
    mapping(uint256 round => uint256) public ghostFunded;
    mapping(uint256 round => uint256) public ghostPaidOut; // everything that left for this round

    uint256 public ghostUnsettled; // sum of unsettled positions
    uint256 public ghostBudgets; // sum of ghostBudget
    uint256 public ghostBurned;
    uint256 public burnedOutsideClaims; // must stay 0
    bool public paidTwice;
    bool public leafAboveClipPaid;
    bool public refundDenied;
    mapping(bytes4 => uint256) public calls;

    uint256 public ghostPool; // the oracle's free bond
    uint256 public ghostLocked; // resolution bonds held by standing posts
    uint256 public ghostDisputeBonds; // disputers' bonds held by standing disputes
    uint256 public ghostBondBurned; // what rulings burned of the losing bonds
    bool public bondMispaid;
    mapping(uint256 round => address) public disputerOf;

    constructor(Tournament tournament_, TournamentToken token_, address treasury_) {
        tournament = tournament_;
        token = token_;
        treasury = treasury_;
        vm.prank(treasury);
        token.approve(address(tournament), type(uint256).max);
        for (uint256 i; i < actors.length; ++i) {
            vm.prank(treasury);
            token.transfer(actors[i], 1_000_000 ether);
            vm.prank(actors[i]);
            token.approve(address(tournament), type(uint256).max);
        }
        vm.prank(treasury);
        tournament.depositBond(300 ether);
        ghostPool = 300 ether;
    }

    function _lock() internal {
        uint256 bond = tournament.resolutionBond();
        ghostPool -= bond;
        ghostLocked += bond;
    }

    function _unlock() internal {
        uint256 bond = tournament.resolutionBond();
        ghostPool += bond;
        ghostLocked -= bond;
    }

    function _returnBudget(uint256 round, uint256 amount) internal {
        ghostBudget[round] -= amount;
        ghostBudgets -= amount;
        ghostPaidOut[round] += amount;
    }

    // ------------------------------------------------------------------ helpers

    function roundCount() external view returns (uint256) {
        return roundIds.length;
    }

    function positionCount(uint256 round) external view returns (uint256) {
        return positions[round].length;
    }

    function positionAt(uint256 round, uint256 i) external view returns (Position memory) {
        return positions[round][i];
    }

    function _round(uint256 seed) internal view returns (uint256 round, bool ok) {
        if (roundIds.length == 0) return (0, false);
        return (roundIds[seed % roundIds.length], true);
    }

    function _find(uint256 round, address account, bytes32 modelId) internal view returns (uint256, bool) {
        Position[] storage ps = positions[round];
        for (uint256 i; i < ps.length; ++i) {
            if (ps[i].account == account && ps[i].modelId == modelId) return (i, true);
        }
        return (0, false);
    }

    function _leaf(uint256 round, Position memory p) internal pure returns (ITournament.Leaf memory) {
        return
            ITournament.Leaf(round, p.account, p.modelId, p.stake, p.reward, p.burn, keccak256(abi.encode(p.modelId)));
    }

    // ------------------------------------------------------------------ actions

    function warp(uint256 secs) external {
        calls[this.warp.selector]++;
        vm.warp(block.timestamp + bound(secs, 1, 18 hours));
    }

    function openRound(uint256 closeIn, uint256 gap, uint256 window, uint256 challenge, uint256 clip) external {
        if (roundIds.length >= MAX_ROUNDS) return;
        calls[this.openRound.selector]++;
        uint40 closeTime = uint40(block.timestamp + bound(closeIn, 1 hours, 3 days));
        uint40 resolveAfter = closeTime + uint40(bound(gap, 0, 1 days));
        uint32 challengePeriod = uint32(bound(challenge, 1 hours, 2 days));
        uint40 resolveBy = resolveAfter + challengePeriod + uint40(bound(window, 0, 4 days));
        ITournament.RoundParams memory p = ITournament.RoundParams({
            closeTime: closeTime,
            resolveAfter: resolveAfter,
            resolveBy: resolveBy,
            challengePeriod: challengePeriod,
            clipPpm: uint32(bound(clip, 1, PPM)),
            minStake: 1 ether,
            liveDataHash: bytes32(uint256(1)),
            scoringConfigHash: bytes32(uint256(2))
        });
        roundIds.push(tournament.openRound(p));
    }

    function fundRound(uint256 roundSeed, uint256 amount) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok) return;
        amount = bound(amount, 1, 10_000 ether);
        vm.prank(treasury);
        try tournament.fundRound(round, amount) {
            calls[this.fundRound.selector]++;
            ghostBudget[round] += amount;
            ghostBudgets += amount;
            ghostFunded[round] += amount;
        } catch {}
    }

    function stake(uint256 actorSeed, uint256 roundSeed, uint256 modelSeed, uint256 amount) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok) return;
        address account = actors[actorSeed % actors.length];
        bytes32 modelId = bytes32(modelSeed % MODELS + 1);
        amount = bound(amount, 1 ether, 1_000 ether);
        vm.prank(account);
        try tournament.stake(round, modelId, amount, keccak256(abi.encode(amount))) {
            calls[this.stake.selector]++;
            (uint256 i, bool found) = _find(round, account, modelId);
            if (found) positions[round][i].stake += amount;
            else positions[round].push(Position(account, modelId, amount, 0, 0, false));
            ghostUnsettled += amount;
        } catch {}
    }

    function withdraw(uint256 roundSeed, uint256 posSeed, uint256 amount) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok || positions[round].length == 0) return;
        Position storage p = positions[round][posSeed % positions[round].length];
        if (p.stake == 0) return;
        amount = bound(amount, 1, p.stake);
        if (p.stake - amount != 0 && p.stake - amount < 1 ether) amount = p.stake;
        vm.prank(p.account);
        try tournament.withdraw(round, p.modelId, amount) {
            calls[this.withdraw.selector]++;
            p.stake -= amount;
            ghostUnsettled -= amount;
        } catch {}
    }

    /// @dev Posts leaves for every position, with honest or random totals.
    function postResolution(uint256 roundSeed, uint256 seed, bool honestTotals) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok || positions[round].length == 0) return;
        // Steer towards the resolution window: posts are what disputes and rulings need.
        uint256 resolveAfter = tournament.getRound(round).params.resolveAfter;
        if (block.timestamp < resolveAfter) vm.warp(resolveAfter + seed % 1 hours);
        (bytes32[] memory leaves, uint256 totalReward, uint256 totalBurn) = _scoreLeaves(round, seed);
        uint256 staked = tournament.getRound(round).totalStaked;
        if (!honestTotals) {
            totalReward = bound(seed, 0, 2 * tournament.getRound(round).budget + 1);
            totalBurn = bound(seed >> 128, 0, staked);
        }
        _post(round, leaves, staked, totalReward, totalBurn, bytes32(seed));
    }

    function _post(uint256 round, bytes32[] memory leaves, uint256 staked, uint256 reward, uint256 burn, bytes32 hash)
        internal
    {
        (bytes32[] memory tree, uint256[] memory nodeOf) = TestMerkle.build(leaves);
        try tournament.postResolution(round, tree[0], staked, reward, burn, hash) {
            calls[this.postResolution.selector]++;
            _lock();
            trees[round] = tree;
            nodes[round] = nodeOf;
            ghostStakedAtClose[round] = staked;
        } catch {}
    }

    /// @dev Rewards and burns may exceed the clip (a faulty oracle): the contract must refuse
    /// to pay those leaves.
    function _scoreLeaves(uint256 round, uint256 seed)
        internal
        returns (bytes32[] memory leaves, uint256 totalReward, uint256 totalBurn)
    {
        uint256 clipPpm = tournament.getRound(round).params.clipPpm;
        uint256 budget = tournament.getRound(round).budget;
        Position[] storage ps = positions[round];
        leaves = new bytes32[](ps.length);
        for (uint256 i; i < ps.length; ++i) {
            uint256 maxAmount = ps[i].stake * clipPpm / PPM;
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            ps[i].reward = r % 3 == 0 ? bound(r >> 8, 0, 2 * maxAmount) : 0;
            if (totalReward + ps[i].reward > budget) ps[i].reward = 0; // honest totals stay postable
            ps[i].burn = r % 3 == 1 ? bound(r >> 16, 0, maxAmount) : 0;
            totalReward += ps[i].reward;
            totalBurn += ps[i].burn;
            ITournament.Leaf memory leaf = _leaf(round, ps[i]);
            // A faulty oracle may also misstate a stake: that leaf can never settle, and the
            // position must come back in full after the settlement deadline.
            if (r % 7 == 6) leaf.stake += 1;
            leaves[i] = tournament.leafHash(leaf);
        }
    }

    function veto(uint256 roundSeed) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok) return;
        try tournament.veto(round) {
            calls[this.veto.selector]++;
            _unlock();
        } catch {}
    }

    function cancel(uint256 roundSeed, uint256 chance) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok || chance % 4 != 0) return;
        ITournament.RoundView memory v = tournament.getRound(round);
        try tournament.cancelRound(round) {
            calls[this.cancel.selector]++;
            _returnBudget(round, v.budget);
            if (v.status == ITournament.Status.Posted) _unlock();
        } catch {}
    }

    function finalize(uint256 roundSeed) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok) return;
        ITournament.RoundView memory v = tournament.getRound(round);
        try tournament.finalize(round) {
            calls[this.finalize.selector]++;
            _finalized(round, v);
        } catch {}
    }

    function _finalized(uint256 round, ITournament.RoundView memory before) internal {
        _returnBudget(round, before.budget - before.totalReward);
        _unlock();
    }

    /// @dev Anyone may dispute, with any reason (an honest root included: the guardian rules).
    function dispute(uint256 actorSeed, uint256 roundSeed, bytes32 reason) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok) return;
        address account = actors[actorSeed % actors.length];
        uint256 before = token.balanceOf(account);
        vm.prank(account);
        try tournament.dispute(round, reason) {
            calls[this.dispute.selector]++;
            uint256 bond = tournament.disputeBond();
            if (before - token.balanceOf(account) != bond) bondMispaid = true;
            ghostDisputeBonds += bond;
            disputerOf[round] = account;
        } catch {}
    }

    /// @dev Rules at once, or after a delay within the ruling period (past the window, a
    /// rejection finalises the round in the same call).
    function rule(uint256 roundSeed, bool uphold, uint256 delay) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok) return;
        uint256 ruleBy = tournament.getRound(round).ruleBy;
        if (delay % 2 == 0 && ruleBy > block.timestamp) {
            vm.warp(block.timestamp + bound(delay, 0, ruleBy - block.timestamp));
        }
        ITournament.RoundView memory v = tournament.getRound(round);
        address disputer = disputerOf[round];
        uint256 before = token.balanceOf(disputer);
        try tournament.rule(round, uphold) {
            calls[this.rule.selector]++;
            uint256 bond = tournament.resolutionBond();
            uint256 disputeBond_ = tournament.disputeBond();
            if (v.disputer != disputer) bondMispaid = true;
            ghostDisputeBonds -= disputeBond_;
            uint256 paid = token.balanceOf(disputer) - before;
            if (uphold) {
                ghostLocked -= bond;
                ghostBondBurned += bond - bond / 2;
                if (paid != disputeBond_ + bond / 2) bondMispaid = true;
            } else {
                ghostPool += disputeBond_ / 2;
                ghostBondBurned += disputeBond_ - disputeBond_ / 2;
                if (paid != 0) bondMispaid = true;
                if (tournament.getRound(round).status == ITournament.Status.Finalized) _finalized(round, v);
            }
        } catch {}
    }

    function expireDispute(uint256 roundSeed) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok) return;
        _expire(round);
    }

    function _expire(uint256 round) internal {
        ITournament.RoundView memory v = tournament.getRound(round);
        address disputer = disputerOf[round];
        uint256 before = token.balanceOf(disputer);
        try tournament.expireDispute(round) {
            calls[this.expireDispute.selector]++;
            uint256 disputeBond_ = tournament.disputeBond();
            if (token.balanceOf(disputer) - before != disputeBond_) bondMispaid = true;
            ghostDisputeBonds -= disputeBond_;
            _unlock();
            _returnBudget(round, v.budget);
        } catch {}
    }

    function depositBond(uint256 amount) external {
        amount = bound(amount, 1, 500 ether);
        vm.prank(treasury);
        tournament.depositBond(amount);
        calls[this.depositBond.selector]++;
        ghostPool += amount;
    }

    function withdrawBond(uint256 amount) external {
        if (ghostPool == 0) return;
        amount = bound(amount, 1, ghostPool);
        uint256 before = token.balanceOf(treasury);
        tournament.withdrawBond(amount);
        calls[this.withdrawBond.selector]++;
        if (token.balanceOf(treasury) - before != amount) bondMispaid = true;
        ghostPool -= amount;
    }

    function claim(uint256 roundSeed, uint256 posSeed) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok || positions[round].length == 0 || trees[round].length == 0) return;
        uint256 i = posSeed % positions[round].length;
        Position memory p = positions[round][i];
        if (i >= nodes[round].length) return; // staked after this tree was built: never in it
        ITournament.Leaf memory leaf = _leaf(round, p);
        bytes32[] memory proof = TestMerkle.proof(trees[round], nodes[round][i]);
        uint256 supplyBefore = token.totalSupply();
        try tournament.claim(leaf, proof) returns (uint256 payout) {
            calls[this.claim.selector]++;
            if (p.settled) paidTwice = true;
            uint256 maxAmount = p.stake * tournament.getRound(round).params.clipPpm / PPM;
            if (p.reward > maxAmount || p.burn > maxAmount) leafAboveClipPaid = true;
            positions[round][i].settled = true;
            positions[round][i].stake = 0;
            ghostUnsettled -= p.stake;
            ghostBudget[round] -= p.reward;
            ghostBudgets -= p.reward;
            ghostBurned += p.burn;
            ghostPaidOut[round] += payout + p.burn;
            assertEq(supplyBefore - token.totalSupply(), p.burn, "claim burns the leaf's burn");
        } catch {}
    }

    function refund(uint256 roundSeed, uint256 posSeed) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok || positions[round].length == 0) return;
        uint256 i = posSeed % positions[round].length;
        Position memory p = positions[round][i];
        bool open = tournament.refundsOpen(round);
        uint256 before = token.balanceOf(p.account);
        try tournament.refund(round, p.account, p.modelId) {
            calls[this.refund.selector]++;
            assertEq(token.balanceOf(p.account) - before, p.stake, "refund pays the full stake");
            positions[round][i].settled = true;
            positions[round][i].stake = 0;
            ghostUnsettled -= p.stake;
            ghostPaidOut[round] += p.stake;
        } catch {
            if (open && p.stake != 0) refundDenied = true;
        }
    }

    function releaseBudget(uint256 roundSeed) external {
        (uint256 round, bool ok) = _round(roundSeed);
        if (!ok) return;
        _release(round);
    }

    /// @dev Releases what `round` still holds for the treasury (a timed-out budget, or the
    /// unclaimed reward after the settlement deadline); returns whether the call succeeded.
    function _release(uint256 round) internal returns (bool) {
        uint256 before = token.balanceOf(treasury);
        ITournament.Status status = tournament.getRound(round).status;
        try tournament.releaseBudget(round) {
            calls[this.releaseBudget.selector]++;
            if (status == ITournament.Status.Posted) _unlock();
            uint256 amount = token.balanceOf(treasury) - before;
            assertEq(amount, ghostBudget[round], "release returns exactly what the round holds");
            ghostBudget[round] -= amount;
            ghostBudgets -= amount;
            ghostPaidOut[round] += amount;
            return true;
        } catch {
            return false;
        }
    }

    /// @dev The end state every round reaches: past every deadline, refund every position still
    /// unsettled and release every round. Returns whether every refund was allowed.
    function drainAll() external returns (bool allRefunded) {
        allRefunded = true;
        uint256 latest;
        for (uint256 k; k < roundIds.length; ++k) {
            uint256 deadline = tournament.settleBy(roundIds[k]);
            uint256 ruleBy = tournament.getRound(roundIds[k]).ruleBy;
            if (deadline > latest) latest = deadline;
            if (ruleBy > latest) latest = ruleBy;
        }
        vm.warp(latest + 1);
        for (uint256 k; k < roundIds.length; ++k) {
            uint256 round = roundIds[k];
            if (tournament.getRound(round).status == ITournament.Status.Disputed) _expire(round);
            Position[] storage ps = positions[round];
            for (uint256 i; i < ps.length; ++i) {
                Position memory p = ps[i];
                if (p.stake == 0) continue;
                try tournament.refund(round, p.account, p.modelId) {
                    ps[i].settled = true;
                    ps[i].stake = 0;
                    ghostUnsettled -= p.stake;
                    ghostPaidOut[round] += p.stake;
                } catch {
                    allRefunded = false;
                }
            }
            bool posted = tournament.getRound(round).status == ITournament.Status.Posted;
            if ((ghostBudget[round] != 0 || posted) && !_release(round)) allRefunded = false;
        }
        if (ghostPool != 0) {
            tournament.withdrawBond(ghostPool);
            ghostPool = 0;
        }
    }

    /// @dev Anyone burning outside a claim would show up here: the handler never does, so the
    /// supply invariant holds only if the tournament burns exactly in claims.
    function noteExternalBurn() external view returns (uint256) {
        return burnedOutsideClaims;
    }
}
