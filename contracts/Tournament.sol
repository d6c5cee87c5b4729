// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ITournament} from "./interfaces/ITournament.sol";
import {ITournamentToken} from "./interfaces/ITournamentToken.sol";

/// @title Tournament
/// @notice Rounds of committed stakes resolved by one bounded Merkle root each. See ITournament.
/// @dev Storage is laid out by access path: staking touches slot 0 of a round, settlement
/// (post, finalise, claim) slot 1, and a position is one slot that settlement clears.
contract Tournament is ITournament, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Opens rounds.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice Posts resolutions.
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");
    /// @notice Vetoes resolutions, cancels rounds, pauses new stakes and resolutions.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @dev The clip's denominator: parts per million.
    uint256 private constant PPM = 1_000_000;
    /// @dev The loser's bond of a ruled dispute: half to the winner, the rest burned (so neither
    /// side can dispute itself for free).
    uint256 private constant WINNER_SHARE_PPM = 500_000;

    struct RoundData {
        // slot 0: the staking path
        uint40 closeTime;
        uint96 totalStaked;
        uint96 minStake;
        // slot 1: the settlement path
        uint96 rewardLeft;
        uint96 burnLeft;
        uint32 clipPpm;
        Status status;
        // slot 2: schedule and budget
        uint40 resolveAfter;
        uint40 resolveBy;
        uint40 challengeEnds;
        uint32 challengePeriod;
        uint96 budget;
        // slots 3-7
        bytes32 root;
        bytes32 resultsHash;
        bytes32 liveDataHash;
        bytes32 scoringConfigHash;
        uint96 totalReward;
        uint96 totalBurn;
        // slot 8: the dispute, written only by `dispute`
        address disputer;
        uint40 ruleBy;
    }

    IERC20 private immutable _token;
    uint256 private immutable _settlementPeriod;
    uint256 private immutable _resolutionBond;
    uint256 private immutable _disputeBond;
    uint256 private immutable _rulingPeriod;
    address private _treasury;
    /// @dev The oracle's free bond; each standing post holds `_resolutionBond` out of it.
    uint256 private _bondPool;
    uint256 private _nextRound = 1;
    mapping(uint256 round => RoundData) private _rounds;
    /// @dev keccak256(abi.encode(round, account, modelId)) => unsettled stake.
    mapping(bytes32 position => uint256) private _stakes;

    /// @param token_ The staking token (burnable).
    /// @param treasury_ Receives unused budgets.
    /// @param admin Holds DEFAULT_ADMIN_ROLE (a timelock or multisig on real networks).
    /// @param operator Holds OPERATOR_ROLE.
    /// @param oracle Holds ORACLE_ROLE.
    /// @param guardian Holds GUARDIAN_ROLE.
    /// @param settlementPeriod_ Seconds after a round's resolution deadline that its leaves stay claimable.
    /// @param resolutionBond_ What each post locks from the oracle's bond pool (zero: no bond).
    /// @param disputeBond_ What a dispute costs (positive).
    /// @param rulingPeriod_ Seconds the guardian has to rule on a dispute (below the settlement period).
    constructor(
        address token_,
        address treasury_,
        address admin,
        address operator,
        address oracle,
        address guardian,
        uint256 settlementPeriod_,
        uint256 resolutionBond_,
        uint256 disputeBond_,
        uint256 rulingPeriod_
    ) {
        if (
            token_ == address(0) || treasury_ == address(0) || admin == address(0) || operator == address(0)
                || oracle == address(0) || guardian == address(0)
        ) revert ZeroAddress();
        if (settlementPeriod_ == 0 || settlementPeriod_ > type(uint32).max) revert InvalidSettlementPeriod();
        if (rulingPeriod_ == 0 || rulingPeriod_ >= settlementPeriod_) {
            revert InvalidRulingPeriod(rulingPeriod_, settlementPeriod_);
        }
        if (disputeBond_ == 0 || disputeBond_ > type(uint96).max || resolutionBond_ > type(uint96).max) {
            revert InvalidBond(resolutionBond_, disputeBond_);
        }
        _token = IERC20(token_);
        _settlementPeriod = settlementPeriod_;
        _resolutionBond = resolutionBond_;
        _disputeBond = disputeBond_;
        _rulingPeriod = rulingPeriod_;
        _treasury = treasury_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, operator);
        _grantRole(ORACLE_ROLE, oracle);
        _grantRole(GUARDIAN_ROLE, guardian);
    }

    // ------------------------------------------------------------ operator and treasury

    /// @inheritdoc ITournament
    function openRound(RoundParams calldata p) external onlyRole(OPERATOR_ROLE) returns (uint256 round) {
        if (
            p.closeTime <= block.timestamp || p.resolveAfter < p.closeTime || p.challengePeriod == 0
                || uint256(p.resolveAfter) + p.challengePeriod > p.resolveBy
        ) revert InvalidSchedule(p.closeTime, p.resolveAfter, p.resolveBy, p.challengePeriod);
        if (p.clipPpm == 0 || p.clipPpm > PPM) revert InvalidClip(p.clipPpm);
        if (p.minStake == 0) revert InvalidMinStake();

        round = _nextRound++;
        RoundData storage r = _rounds[round];
        r.closeTime = p.closeTime;
        r.minStake = p.minStake;
        r.clipPpm = p.clipPpm;
        r.resolveAfter = p.resolveAfter;
        r.resolveBy = p.resolveBy;
        r.challengePeriod = p.challengePeriod;
        r.liveDataHash = p.liveDataHash;
        r.scoringConfigHash = p.scoringConfigHash;
        emit RoundOpened(round, p);
    }

    /// @inheritdoc ITournament
    function fundRound(uint256 round, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        RoundData storage r = _existing(round);
        Status status = r.status;
        if (status != Status.Pending && status != Status.Posted) revert WrongStatus(round, status);
        if (block.timestamp > r.resolveBy) revert ResolutionDeadlinePassed(round, r.resolveBy);
        uint256 budget = r.budget + amount;
        if (budget > type(uint96).max) revert AmountTooLarge(budget);
        r.budget = uint96(budget);
        _token.safeTransferFrom(msg.sender, address(this), amount);
        emit RoundFunded(round, msg.sender, amount, budget);
    }

    /// @inheritdoc ITournament
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newTreasury == address(0)) revert ZeroAddress();
        address previous = _treasury;
        _treasury = newTreasury;
        emit TreasuryUpdated(previous, newTreasury);
    }

    // ------------------------------------------------------------ participants

    /// @inheritdoc ITournament
    function stake(uint256 round, bytes32 modelId, uint256 amount, bytes32 commitment) external whenNotPaused {
        _addStake(round, msg.sender, modelId, amount, commitment);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ITournament
    function stakeWithPermit(
        uint256 round,
        bytes32 modelId,
        uint256 amount,
        bytes32 commitment,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external whenNotPaused {
        _addStake(round, msg.sender, modelId, amount, commitment);
        // A front-run permit reverts here but has already set the allowance: carry on and let
        // transferFrom decide (OpenZeppelin's recommended pattern for permit in a larger call).
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ITournament
    function replaceCommitment(uint256 round, bytes32 modelId, bytes32 commitment) external whenNotPaused {
        if (commitment == bytes32(0)) revert ZeroCommitment();
        _requireStakingOpen(round, _existing(round));
        if (_stakes[_positionKey(round, msg.sender, modelId)] == 0) revert NoPosition(round, msg.sender, modelId);
        emit CommitmentReplaced(round, msg.sender, modelId, commitment);
    }

    /// @inheritdoc ITournament
    function withdraw(uint256 round, bytes32 modelId, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        RoundData storage r = _existing(round);
        _requireStakingOpen(round, r);
        bytes32 key = _positionKey(round, msg.sender, modelId);
        uint256 current = _stakes[key];
        if (current == 0) revert NoPosition(round, msg.sender, modelId);
        if (amount > current) revert InsufficientStake(amount, current);
        uint256 remaining;
        // Cannot underflow: amount <= current was checked, and the position is part of the total.
        unchecked {
            remaining = current - amount;
            r.totalStaked -= uint96(amount);
        }
        if (remaining != 0 && remaining < r.minStake) revert StakeBelowMinimum(remaining, r.minStake);
        _stakes[key] = remaining;
        _token.safeTransfer(msg.sender, amount);
        emit Withdrawn(round, msg.sender, modelId, amount, remaining);
    }

    // ------------------------------------------------------------ oracle and guardian

    /// @inheritdoc ITournament
    function postResolution(
        uint256 round,
        bytes32 root,
        uint256 totalStaked,
        uint256 totalReward,
        uint256 totalBurn,
        bytes32 resultsHash
    ) external onlyRole(ORACLE_ROLE) whenNotPaused {
        RoundData storage r = _existing(round);
        if (r.status != Status.Pending) revert WrongStatus(round, r.status);
        uint256 latest = uint256(r.resolveBy) - r.challengePeriod;
        if (block.timestamp < r.resolveAfter || block.timestamp > latest) {
            revert OutsideResolutionWindow(round, block.timestamp, r.resolveAfter, latest);
        }
        if (root == bytes32(0)) revert ZeroRoot();
        if (totalStaked != r.totalStaked) revert TotalStakedMismatch(totalStaked, r.totalStaked);
        if (totalReward > r.budget) revert RewardAboveBudget(totalReward, r.budget);
        uint256 maxBurn = totalStaked * r.clipPpm / PPM;
        if (totalBurn > maxBurn) revert BurnAboveClip(totalBurn, maxBurn);
        uint256 bond = _resolutionBond;
        if (bond != 0) {
            uint256 pool = _bondPool;
            if (pool < bond) revert InsufficientBond(bond, pool);
            // Cannot underflow: checked just above.
            unchecked {
                _bondPool = pool - bond;
            }
        }

        uint40 challengeEnds = uint40(block.timestamp) + r.challengePeriod;
        r.status = Status.Posted;
        // Both fit: totalReward <= budget (uint96) and totalBurn <= totalStaked (uint96).
        r.rewardLeft = uint96(totalReward);
        r.burnLeft = uint96(totalBurn);
        r.totalReward = uint96(totalReward);
        r.totalBurn = uint96(totalBurn);
        r.challengeEnds = challengeEnds;
        r.root = root;
        r.resultsHash = resultsHash;
        emit ResolutionPosted(round, root, totalStaked, totalReward, totalBurn, resultsHash, challengeEnds);
    }

    /// @inheritdoc ITournament
    function veto(uint256 round) external onlyRole(GUARDIAN_ROLE) {
        RoundData storage r = _existing(round);
        if (r.status != Status.Posted) revert WrongStatus(round, r.status);
        if (block.timestamp >= r.challengeEnds) revert ChallengeWindowClosed(round, r.challengeEnds);
        bytes32 root = _clearResolution(r);
        _bondPool += _resolutionBond;
        emit ResolutionVetoed(round, msg.sender, root);
    }

    /// @inheritdoc ITournament
    function dispute(uint256 round, bytes32 reasonHash) external nonReentrant {
        if (reasonHash == bytes32(0)) revert ZeroReason();
        RoundData storage r = _existing(round);
        if (r.status != Status.Posted) revert WrongStatus(round, r.status);
        if (block.timestamp >= r.challengeEnds) revert ChallengeWindowClosed(round, r.challengeEnds);
        uint40 ruleBy = uint40(block.timestamp + _rulingPeriod);
        r.status = Status.Disputed;
        r.disputer = msg.sender;
        r.ruleBy = ruleBy;
        uint256 bond = _disputeBond;
        _token.safeTransferFrom(msg.sender, address(this), bond);
        emit ResolutionDisputed(round, msg.sender, r.root, reasonHash, bond, ruleBy);
    }

    /// @inheritdoc ITournament
    function rule(uint256 round, bool uphold) external onlyRole(GUARDIAN_ROLE) nonReentrant {
        RoundData storage r = _existing(round);
        if (r.status != Status.Disputed) revert WrongStatus(round, r.status);
        if (block.timestamp > r.ruleBy) revert RulingPeriodOver(round, r.ruleBy);
        address disputer = r.disputer;
        r.disputer = address(0);
        r.ruleBy = 0;
        if (uphold) {
            bytes32 root = _clearResolution(r);
            uint256 share = _resolutionBond * WINNER_SHARE_PPM / PPM;
            uint256 burned = _resolutionBond - share;
            uint256 paid = _disputeBond + share;
            _token.safeTransfer(disputer, paid);
            if (burned != 0) ITournamentToken(address(_token)).burn(burned);
            emit DisputeUpheld(round, msg.sender, disputer, root, paid, burned);
        } else {
            uint256 toOracle = _disputeBond * WINNER_SHARE_PPM / PPM;
            uint256 burned = _disputeBond - toOracle;
            _bondPool += toOracle;
            r.status = Status.Posted;
            emit DisputeRejected(round, msg.sender, disputer, r.root, toOracle, burned);
            // A dispute ruled on after the window: the round finalises now (its deadline may
            // have passed while the dispute held it).
            if (block.timestamp >= r.challengeEnds) _finalize(round, r);
            ITournamentToken(address(_token)).burn(burned);
        }
    }

    /// @inheritdoc ITournament
    function expireDispute(uint256 round) external nonReentrant {
        RoundData storage r = _existing(round);
        if (r.status != Status.Disputed) revert WrongStatus(round, r.status);
        if (block.timestamp <= r.ruleBy) revert RulingPeriodOpen(round, r.ruleBy);
        address disputer = r.disputer;
        r.status = Status.Cancelled;
        r.rewardLeft = 0;
        r.burnLeft = 0;
        r.disputer = address(0);
        r.ruleBy = 0;
        uint256 budget = r.budget;
        r.budget = 0;
        _bondPool += _resolutionBond;
        if (budget != 0) _token.safeTransfer(_treasury, budget);
        _token.safeTransfer(disputer, _disputeBond);
        emit DisputeExpired(round, disputer, budget);
    }

    /// @inheritdoc ITournament
    function depositBond(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 pool = _bondPool + amount;
        _bondPool = pool;
        _token.safeTransferFrom(msg.sender, address(this), amount);
        emit BondDeposited(msg.sender, amount, pool);
    }

    /// @inheritdoc ITournament
    function withdrawBond(uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 pool = _bondPool;
        if (amount > pool) revert InsufficientBond(amount, pool);
        // Cannot underflow: checked just above.
        unchecked {
            pool -= amount;
        }
        _bondPool = pool;
        address to = _treasury;
        _token.safeTransfer(to, amount);
        emit BondWithdrawn(to, amount, pool);
    }

    /// @inheritdoc ITournament
    function cancelRound(uint256 round) external onlyRole(GUARDIAN_ROLE) nonReentrant {
        RoundData storage r = _existing(round);
        Status status = r.status;
        if (status != Status.Pending && status != Status.Posted) revert WrongStatus(round, status);
        if (status == Status.Posted) _bondPool += _resolutionBond;
        r.status = Status.Cancelled;
        r.rewardLeft = 0;
        r.burnLeft = 0;
        // A round cancelled while staking is open closes now.
        if (block.timestamp < r.closeTime) r.closeTime = uint40(block.timestamp);
        uint256 budget = r.budget;
        r.budget = 0;
        if (budget != 0) _token.safeTransfer(_treasury, budget);
        emit RoundCancelled(round, msg.sender, budget);
    }

    /// @inheritdoc ITournament
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @inheritdoc ITournament
    function unpause() external onlyRole(GUARDIAN_ROLE) {
        _unpause();
    }

    // ------------------------------------------------------------ settlement

    /// @inheritdoc ITournament
    function finalize(uint256 round) external nonReentrant {
        RoundData storage r = _existing(round);
        if (r.status != Status.Posted) revert WrongStatus(round, r.status);
        if (block.timestamp < r.challengeEnds) revert ChallengeWindowOpen(round, r.challengeEnds);
        if (block.timestamp > r.resolveBy) revert ResolutionDeadlinePassed(round, r.resolveBy);
        _finalize(round, r);
    }

    /// @inheritdoc ITournament
    function claim(Leaf calldata leaf, bytes32[] calldata proof) external nonReentrant returns (uint256 payout) {
        payout = _settle(leaf, proof);
        _token.safeTransfer(leaf.account, payout);
        if (leaf.burn != 0) ITournamentToken(address(_token)).burn(leaf.burn);
        emit Claimed(leaf.round, leaf.account, leaf.modelId, leaf.stake, leaf.reward, leaf.burn, payout);
    }

    /// @inheritdoc ITournament
    function claimMany(Leaf[] calldata leaves, bytes32[][] calldata proofs)
        external
        nonReentrant
        returns (uint256 total)
    {
        if (leaves.length != proofs.length) revert LengthMismatch();
        uint256 burned = 0;
        for (uint256 i; i < leaves.length; ++i) {
            Leaf calldata leaf = leaves[i];
            uint256 payout = _settle(leaf, proofs[i]);
            _token.safeTransfer(leaf.account, payout);
            emit Claimed(leaf.round, leaf.account, leaf.modelId, leaf.stake, leaf.reward, leaf.burn, payout);
            total += payout;
            burned += leaf.burn;
        }
        if (burned != 0) ITournamentToken(address(_token)).burn(burned);
    }

    /// @inheritdoc ITournament
    function claimAndRestake(
        Leaf calldata leaf,
        bytes32[] calldata proof,
        uint256 toRound,
        bytes32 toModelId,
        bytes32 commitment
    ) external nonReentrant whenNotPaused returns (uint256 payout) {
        if (leaf.account != msg.sender) revert NotAccount(msg.sender, leaf.account);
        payout = _settle(leaf, proof);
        // The payout stays in the contract and becomes the new stake.
        _addStake(toRound, msg.sender, toModelId, payout, commitment);
        if (leaf.burn != 0) ITournamentToken(address(_token)).burn(leaf.burn);
        emit Claimed(leaf.round, leaf.account, leaf.modelId, leaf.stake, leaf.reward, leaf.burn, payout);
    }

    /// @inheritdoc ITournament
    function refund(uint256 round, address account, bytes32 modelId) external nonReentrant {
        RoundData storage r = _existing(round);
        if (!_refundsOpen(r)) revert RefundsNotOpen(round, _refundsOpenAfter(r));
        bytes32 key = _positionKey(round, account, modelId);
        uint256 amount = _stakes[key];
        if (amount == 0) revert NoPosition(round, account, modelId);
        delete _stakes[key];
        _token.safeTransfer(account, amount);
        emit Refunded(round, account, modelId, amount);
    }

    /// @inheritdoc ITournament
    function releaseBudget(uint256 round) external nonReentrant {
        RoundData storage r = _existing(round);
        Status status = r.status;
        // An expired dispute returns its bonds too: `expireDispute` does it all.
        if (status == Status.Disputed) revert WrongStatus(round, status);
        if (!_refundsOpen(r)) revert RefundsNotOpen(round, _refundsOpenAfter(r));
        // A finalised round holds no budget, only the reward its unclaimed leaves did not take.
        uint256 amount = r.budget;
        if (status == Status.Finalized) {
            amount = r.rewardLeft;
            r.rewardLeft = 0;
            r.burnLeft = 0;
        } else if (status == Status.Posted) {
            // A post that timed out gives its bond back, once: the round is cancelled.
            r.status = Status.Cancelled;
            _bondPool += _resolutionBond;
            if (amount == 0) {
                emit BudgetReleased(round, 0);
                return;
            }
        }
        if (amount == 0) revert ZeroAmount();
        r.budget = 0;
        _token.safeTransfer(_treasury, amount);
        emit BudgetReleased(round, amount);
    }

    // ------------------------------------------------------------ views

    /// @inheritdoc ITournament
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc ITournament
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc ITournament
    function settlementPeriod() external view returns (uint256) {
        return _settlementPeriod;
    }

    /// @inheritdoc ITournament
    function settleBy(uint256 round) external view returns (uint256) {
        return _settleBy(_existing(round));
    }

    /// @inheritdoc ITournament
    function resolutionBond() external view returns (uint256) {
        return _resolutionBond;
    }

    /// @inheritdoc ITournament
    function disputeBond() external view returns (uint256) {
        return _disputeBond;
    }

    /// @inheritdoc ITournament
    function rulingPeriod() external view returns (uint256) {
        return _rulingPeriod;
    }

    /// @inheritdoc ITournament
    function bondPool() external view returns (uint256) {
        return _bondPool;
    }

    /// @inheritdoc ITournament
    function nextRound() external view returns (uint256) {
        return _nextRound;
    }

    /// @inheritdoc ITournament
    function getRound(uint256 round) external view returns (RoundView memory v) {
        RoundData storage r = _existing(round);
        v.params = RoundParams({
            closeTime: r.closeTime,
            resolveAfter: r.resolveAfter,
            resolveBy: r.resolveBy,
            challengePeriod: r.challengePeriod,
            clipPpm: r.clipPpm,
            minStake: r.minStake,
            liveDataHash: r.liveDataHash,
            scoringConfigHash: r.scoringConfigHash
        });
        v.status = r.status;
        v.totalStaked = r.totalStaked;
        v.budget = r.budget;
        v.root = r.root;
        v.resultsHash = r.resultsHash;
        v.totalReward = r.totalReward;
        v.totalBurn = r.totalBurn;
        v.rewardLeft = r.rewardLeft;
        v.burnLeft = r.burnLeft;
        v.challengeEnds = r.challengeEnds;
        v.disputer = r.disputer;
        v.ruleBy = r.ruleBy;
    }

    /// @inheritdoc ITournament
    function stakeOf(uint256 round, address account, bytes32 modelId) external view returns (uint256) {
        return _stakes[_positionKey(round, account, modelId)];
    }

    /// @inheritdoc ITournament
    function commitmentOf(uint256 round, address account, bytes32 modelId, bytes32 predictionsHash, bytes32 salt)
        external
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), round, account, modelId, predictionsHash, salt));
    }

    /// @inheritdoc ITournament
    function leafHash(Leaf calldata leaf) public pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                keccak256(
                    abi.encode(
                        leaf.round, leaf.account, leaf.modelId, leaf.stake, leaf.reward, leaf.burn, leaf.predictionsHash
                    )
                )
            )
        );
    }

    /// @inheritdoc ITournament
    function refundsOpen(uint256 round) external view returns (bool) {
        return _refundsOpen(_existing(round));
    }

    // ------------------------------------------------------------ internals

    function _existing(uint256 round) private view returns (RoundData storage r) {
        r = _rounds[round];
        if (r.closeTime == 0) revert UnknownRound(round);
    }

    function _requireStakingOpen(uint256 round, RoundData storage r) private view {
        if (block.timestamp >= r.closeTime) revert StakingClosed(round, r.closeTime);
    }

    function _refundsOpen(RoundData storage r) private view returns (bool) {
        return r.status == Status.Cancelled || block.timestamp > _refundsOpenAfter(r);
    }

    /// @dev Refunds open after this time unless the round is cancelled: the resolution deadline,
    /// for a finalised round the end of its claims, for a disputed one the end of its ruling.
    function _refundsOpenAfter(RoundData storage r) private view returns (uint256) {
        Status status = r.status;
        if (status == Status.Finalized) return _settleBy(r);
        if (status == Status.Disputed) return r.ruleBy;
        return r.resolveBy;
    }

    /// @dev Drops the standing resolution (a veto or an upheld dispute); returns its root.
    function _clearResolution(RoundData storage r) private returns (bytes32 root) {
        root = r.root;
        r.status = Status.Pending;
        r.rewardLeft = 0;
        r.burnLeft = 0;
        r.totalReward = 0;
        r.totalBurn = 0;
        r.challengeEnds = 0;
        r.root = bytes32(0);
        r.resultsHash = bytes32(0);
    }

    /// @dev Opens claims: the unused budget goes to the treasury, the oracle's bond to its pool.
    function _finalize(uint256 round, RoundData storage r) private {
        r.status = Status.Finalized;
        // Cannot underflow: postResolution checked totalReward <= budget, and the budget only grows.
        uint256 unused;
        unchecked {
            unused = uint256(r.budget) - r.totalReward;
        }
        // What stays is reserved for the claims and tracked by rewardLeft.
        r.budget = 0;
        _bondPool += _resolutionBond;
        if (unused != 0) _token.safeTransfer(_treasury, unused);
        emit RoundFinalized(round, r.root, unused);
    }

    function _settleBy(RoundData storage r) private view returns (uint256) {
        return uint256(r.resolveBy) + _settlementPeriod;
    }

    function _positionKey(uint256 round, address account, bytes32 modelId) private pure returns (bytes32) {
        return keccak256(abi.encode(round, account, modelId));
    }

    /// @dev Adds `amount` to a position and the round's total; the caller moves the tokens.
    function _addStake(uint256 round, address account, bytes32 modelId, uint256 amount, bytes32 commitment) private {
        if (amount == 0) revert ZeroAmount();
        if (commitment == bytes32(0)) revert ZeroCommitment();
        RoundData storage r = _rounds[round];
        uint40 closeTime = r.closeTime;
        if (closeTime == 0) revert UnknownRound(round);
        if (block.timestamp >= closeTime) revert StakingClosed(round, closeTime);
        uint256 total = uint256(r.totalStaked) + amount;
        if (total > type(uint96).max) revert AmountTooLarge(total);
        bytes32 key = _positionKey(round, account, modelId);
        // Cannot overflow: the position is part of the total, which fits 96 bits.
        uint256 position;
        unchecked {
            position = _stakes[key] + amount;
        }
        if (position < r.minStake) revert StakeBelowMinimum(position, r.minStake);
        _stakes[key] = position;
        r.totalStaked = uint96(total);
        emit Staked(round, account, modelId, amount, position, commitment);
    }

    /// @dev Checks a leaf of a finalised round, verifies its proof and marks it settled
    /// (clears the position, counts down the round's reward and burn). Returns the payout.
    function _settle(Leaf calldata leaf, bytes32[] calldata proof) private returns (uint256 payout) {
        RoundData storage r = _rounds[leaf.round];
        Status status = r.status;
        if (status != Status.Finalized) revert WrongStatus(leaf.round, status);
        if (block.timestamp > _settleBy(r)) revert SettlementClosed(leaf.round, _settleBy(r));
        bytes32 key = _positionKey(leaf.round, leaf.account, leaf.modelId);
        uint256 recorded = _stakes[key];
        if (recorded == 0) revert NoPosition(leaf.round, leaf.account, leaf.modelId);
        if (leaf.stake != recorded) revert StakeMismatch(leaf.stake, recorded);
        uint256 maxAmount = recorded * r.clipPpm / PPM;
        if (leaf.reward > maxAmount) revert LeafAboveClip(leaf.reward, maxAmount);
        if (leaf.burn > maxAmount) revert LeafAboveClip(leaf.burn, maxAmount);
        uint96 rewardLeft = r.rewardLeft;
        uint96 burnLeft = r.burnLeft;
        if (leaf.reward > rewardLeft) revert ExceedsPostedTotal(leaf.reward, rewardLeft);
        if (leaf.burn > burnLeft) revert ExceedsPostedTotal(leaf.burn, burnLeft);
        if (!MerkleProof.verifyCalldata(proof, r.root, leafHash(leaf))) {
            revert InvalidProof(leaf.round, leaf.account, leaf.modelId);
        }

        delete _stakes[key];
        // Cannot underflow: both were checked against what is left just above.
        unchecked {
            r.rewardLeft = rewardLeft - uint96(leaf.reward);
            r.burnLeft = burnLeft - uint96(leaf.burn);
            // burn <= clip x stake <= stake, so the payout is never negative.
            payout = recorded + leaf.reward - leaf.burn;
        }
    }
}
