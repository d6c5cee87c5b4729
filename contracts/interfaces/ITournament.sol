// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ITournament
/// @notice A staking tournament: rounds, stakes bound to prediction commitments, one bounded
/// Merkle resolution per round with a challenge window, claims that pay rewards from the
/// round's budget and burn losses, and full refunds when a round is cancelled or never resolved.
/// @dev Lifecycle of a round:
/// 1. `openRound` (operator) fixes the schedule, clip, minimum stake and content hashes.
///    `fundRound` (anyone, the treasury in practice) adds to its reward budget.
/// 2. Until `closeTime`: `stake` / `stakeWithPermit` / `replaceCommitment` / `withdraw`.
/// 3. Between `resolveAfter` and `resolveBy - challengePeriod`: `postResolution` (oracle)
///    checks the totals against the round and opens the challenge window.
///    The post locks `resolutionBond()` of the oracle's bond pool (`depositBond`).
/// 4. During the window the guardian may `veto` (the oracle may post again) or `cancelRound`,
///    and anyone may `dispute` the root with a bond of `disputeBond()` and a reason hash: the
///    round is `Disputed` and cannot be finalised. The guardian then has `rulingPeriod()` to
///    `rule`: upheld, the root is vetoed, the disputer gets its bond back plus half the oracle's
///    bond and the other half is burned; rejected, half the disputer's bond goes to the oracle's
///    bond pool, the other half is burned, and the round goes on (finalised at once when its
///    window is over). With no ruling by then, `expireDispute` (anyone) cancels the round:
///    refunds open, the budget goes back to the treasury and both bonds to their owners.
/// 5. After the window and no later than `resolveBy`: `finalize` (anyone) returns the unused
///    budget to the treasury, the oracle's bond to its pool, and opens claims: `claim`,
///    `claimMany`, `claimAndRestake`.
/// 6. If the round is cancelled, or `resolveBy` passes without finalisation: `refund` pays
///    every stake back in full, and `releaseBudget` returns the budget to the treasury (and
///    the bond of a timed-out post to the pool; the round is then `Cancelled`).
/// 7. Claims of a finalised round stay open until `settleBy(round)` = `resolveBy` +
///    `settlementPeriod()`. After it no leaf can be claimed: `refund` pays every position still
///    unsettled back in full (one the tree omitted or cannot settle), and `releaseBudget`
///    returns the unclaimed reward to the treasury. So no stake is ever locked for good; the
///    oracle's keeper (or anyone) settles every leaf before then, so no burn is dodged by waiting.
/// Bonds never touch stakes, rewards or burns: a dispute only delays a round, and at worst
/// (no ruling) cancels it with every stake refunded in full.
/// Commitments are not stored: they are emitted in `Staked` and `CommitmentReplaced`, and the
/// last one emitted for a position counts. A settled position's slot is cleared.
interface ITournament {
    /// @notice Where a round is in its resolution.
    /// @dev A timed-out round is `Pending` or `Posted` with `block.timestamp > resolveBy`; a
    /// `Disputed` round is ruled on or expires at its `ruleBy`, never times out before it.
    enum Status {
        Pending, // no resolution posted (or the last one was vetoed or disputed away)
        Posted, // a resolution is in its challenge window
        Finalized, // claims are open
        Cancelled, // refunds are open
        Disputed // the posted resolution is disputed and awaits the guardian's ruling
    }

    /// @notice Everything `openRound` takes.
    /// @param closeTime End of the staking window (exclusive).
    /// @param resolveAfter Earliest time the oracle may post a resolution.
    /// @param resolveBy Resolution deadline: no finalisation after it; refunds open after it.
    /// @param challengePeriod Seconds between a post and the earliest finalisation.
    /// @param clipPpm Largest fraction of a stake that can be rewarded or burned, in parts per million.
    /// @param minStake Smallest stake a position may hold.
    /// @param liveDataHash Content hash of the round's live data.
    /// @param scoringConfigHash Content hash of the scoring config (weights, threshold, target).
    struct RoundParams {
        uint40 closeTime;
        uint40 resolveAfter;
        uint40 resolveBy;
        uint32 challengePeriod;
        uint32 clipPpm;
        uint96 minStake;
        bytes32 liveDataHash;
        bytes32 scoringConfigHash;
    }

    /// @notice A round as stored, for views.
    struct RoundView {
        RoundParams params;
        Status status;
        uint256 totalStaked;
        uint256 budget;
        bytes32 root;
        bytes32 resultsHash;
        uint256 totalReward;
        uint256 totalBurn;
        uint256 rewardLeft;
        uint256 burnLeft;
        uint40 challengeEnds;
        address disputer;
        uint40 ruleBy;
    }

    /// @notice One leaf of a resolution (OpenZeppelin StandardMerkleTree layout, double-hashed
    /// `abi.encode` of these fields in this order).
    struct Leaf {
        uint256 round;
        address account;
        bytes32 modelId;
        uint256 stake;
        uint256 reward;
        uint256 burn;
        bytes32 predictionsHash;
    }

    // ---------------------------------------------------------------- errors

    /// @notice No round has this id.
    error UnknownRound(uint256 round);
    /// @notice The schedule is out of order: need now < closeTime <= resolveAfter and
    /// resolveAfter + challengePeriod <= resolveBy.
    error InvalidSchedule(uint40 closeTime, uint40 resolveAfter, uint40 resolveBy, uint32 challengePeriod);
    /// @notice The clip must be in (0, 1,000,000] parts per million.
    error InvalidClip(uint32 clipPpm);
    /// @notice The minimum stake must be positive.
    error InvalidMinStake();
    /// @notice An address argument was the zero address.
    error ZeroAddress();
    /// @notice An amount argument was zero.
    error ZeroAmount();
    /// @notice A commitment argument was zero.
    error ZeroCommitment();
    /// @notice The staking window of `round` closed at `closeTime`.
    error StakingClosed(uint256 round, uint256 closeTime);
    /// @notice A position would hold `stake`, below the round's `minimum` (and above zero).
    error StakeBelowMinimum(uint256 stake, uint256 minimum);
    /// @notice The position holds `available`, less than `requested`.
    error InsufficientStake(uint256 requested, uint256 available);
    /// @notice The caller has no stake on `modelId` in `round`.
    error NoPosition(uint256 round, address account, bytes32 modelId);
    /// @notice A stake or budget would not fit the contract's 96-bit amounts.
    error AmountTooLarge(uint256 amount);
    /// @notice The round is in `status`, which does not allow this call.
    error WrongStatus(uint256 round, Status status);
    /// @notice A resolution may be posted only from `earliest` to `latest`; it is `nowTime`.
    error OutsideResolutionWindow(uint256 round, uint256 nowTime, uint256 earliest, uint256 latest);
    /// @notice The posted total stake differs from the stake the contract recorded.
    error TotalStakedMismatch(uint256 posted, uint256 recorded);
    /// @notice The posted total reward exceeds the round's budget.
    error RewardAboveBudget(uint256 reward, uint256 budget);
    /// @notice The posted total burn exceeds clip x total staked.
    error BurnAboveClip(uint256 burn, uint256 maxBurn);
    /// @notice The root is zero.
    error ZeroRoot();
    /// @notice The challenge window of `round` is open until `challengeEnds`.
    error ChallengeWindowOpen(uint256 round, uint256 challengeEnds);
    /// @notice The challenge window of `round` closed at `challengeEnds`.
    error ChallengeWindowClosed(uint256 round, uint256 challengeEnds);
    /// @notice The resolution deadline of `round` passed at `resolveBy`.
    error ResolutionDeadlinePassed(uint256 round, uint256 resolveBy);
    /// @notice Refunds of `round` are not open: it is not cancelled, and they open only after
    /// `opensAfter` (the round's resolveBy, or its settleBy once finalised).
    error RefundsNotOpen(uint256 round, uint256 opensAfter);
    /// @notice The proof does not prove the leaf against the round's root.
    error InvalidProof(uint256 round, address account, bytes32 modelId);
    /// @notice The leaf's stake differs from the recorded stake (zero once settled).
    error StakeMismatch(uint256 leafStake, uint256 recordedStake);
    /// @notice A leaf's reward or burn exceeds clip x its stake.
    error LeafAboveClip(uint256 amount, uint256 maxAmount);
    /// @notice The claims would pay more reward (or burn more) than the posted total.
    error ExceedsPostedTotal(uint256 amount, uint256 left);
    /// @notice Only the account itself may restake its payout.
    error NotAccount(address caller, address account);
    /// @notice Array arguments differ in length.
    error LengthMismatch();
    /// @notice Claims of `round` closed at `settleBy`: unsettled positions are refunded instead.
    error SettlementClosed(uint256 round, uint256 settleBy);
    /// @notice The settlement period must be from 1 second to 2^32 - 1 seconds.
    error InvalidSettlementPeriod();
    /// @notice The ruling period must be positive and shorter than the settlement period.
    error InvalidRulingPeriod(uint256 rulingPeriod, uint256 settlementPeriod);
    /// @notice The dispute bond must be positive (a free dispute would cost the guardian's time
    /// for nothing); either bond must fit 96 bits.
    error InvalidBond(uint256 resolutionBond, uint256 disputeBond);
    /// @notice The oracle's bond pool holds `available`, less than the `required` amount.
    error InsufficientBond(uint256 required, uint256 available);
    /// @notice A dispute needs a non-zero reason hash (the content hash of its report).
    error ZeroReason();
    /// @notice The ruling period of the dispute of `round` ended at `ruleBy`.
    error RulingPeriodOver(uint256 round, uint256 ruleBy);
    /// @notice The guardian may still rule on the dispute of `round` until `ruleBy`.
    error RulingPeriodOpen(uint256 round, uint256 ruleBy);

    // ---------------------------------------------------------------- events

    /// @notice The operator opened `round`.
    event RoundOpened(uint256 indexed round, RoundParams params);
    /// @notice `funder` added `amount` to the budget of `round`, now `budget`.
    event RoundFunded(uint256 indexed round, address indexed funder, uint256 amount, uint256 budget);
    /// @notice `account` added `amount` to its stake on `modelId`, now `stake`, bound to `commitment`.
    event Staked(
        uint256 indexed round,
        address indexed account,
        bytes32 indexed modelId,
        uint256 amount,
        uint256 stake,
        bytes32 commitment
    );
    /// @notice `account` replaced the commitment of its stake on `modelId`.
    event CommitmentReplaced(
        uint256 indexed round, address indexed account, bytes32 indexed modelId, bytes32 commitment
    );
    /// @notice `account` withdrew `amount` from its stake on `modelId`, now `stake`.
    event Withdrawn(
        uint256 indexed round, address indexed account, bytes32 indexed modelId, uint256 amount, uint256 stake
    );
    /// @notice The oracle posted a resolution of `round`; it can be finalised from `challengeEnds`.
    event ResolutionPosted(
        uint256 indexed round,
        bytes32 root,
        uint256 totalStaked,
        uint256 totalReward,
        uint256 totalBurn,
        bytes32 resultsHash,
        uint256 challengeEnds
    );
    /// @notice `guardian` vetoed the posted `root` of `round`.
    event ResolutionVetoed(uint256 indexed round, address indexed guardian, bytes32 root);
    /// @notice `guardian` cancelled `round`; `budgetReturned` went back to the treasury.
    event RoundCancelled(uint256 indexed round, address indexed guardian, uint256 budgetReturned);
    /// @notice `round` was finalised; `budgetReturned` (the unused budget) went back to the treasury.
    event RoundFinalized(uint256 indexed round, bytes32 root, uint256 budgetReturned);
    /// @notice A leaf of `round` was claimed: `payout` = stake + reward - burn went to `account`.
    event Claimed(
        uint256 indexed round,
        address indexed account,
        bytes32 indexed modelId,
        uint256 stake,
        uint256 reward,
        uint256 burn,
        uint256 payout
    );
    /// @notice `account` took back its full `stake` on `modelId` in a cancelled or timed-out round.
    event Refunded(uint256 indexed round, address indexed account, bytes32 indexed modelId, uint256 stake);
    /// @notice The budget of a timed-out `round`, or the unclaimed reward of a finalised round
    /// past its settlement deadline, went back to the treasury.
    event BudgetReleased(uint256 indexed round, uint256 amount);
    /// @notice `disputer` disputed the posted `root` of `round` with `bond` and the content hash of
    /// its report; the guardian may rule until `ruleBy`.
    event ResolutionDisputed(
        uint256 indexed round, address indexed disputer, bytes32 root, bytes32 reasonHash, uint256 bond, uint256 ruleBy
    );
    /// @notice `guardian` upheld the dispute of `round`: `root` is vetoed, `disputer` received
    /// `paid` (its bond and its share of the oracle's bond) and `burned` of the oracle's bond burned.
    event DisputeUpheld(
        uint256 indexed round,
        address indexed guardian,
        address indexed disputer,
        bytes32 root,
        uint256 paid,
        uint256 burned
    );
    /// @notice `guardian` rejected the dispute of `round`: `toOracle` of the disputer's bond went
    /// to the oracle's bond pool and `burned` was burned; `root` stands.
    event DisputeRejected(
        uint256 indexed round,
        address indexed guardian,
        address indexed disputer,
        bytes32 root,
        uint256 toOracle,
        uint256 burned
    );
    /// @notice No ruling came by the dispute's deadline: `round` is cancelled, the disputer's bond
    /// went back to `disputer`, the oracle's to its pool and `budgetReturned` to the treasury.
    event DisputeExpired(uint256 indexed round, address indexed disputer, uint256 budgetReturned);
    /// @notice `from` added `amount` to the oracle's bond pool, now `pool` (free, not locked).
    event BondDeposited(address indexed from, uint256 amount, uint256 pool);
    /// @notice `amount` of the free bond pool went to the treasury, leaving `pool`.
    event BondWithdrawn(address indexed to, uint256 amount, uint256 pool);
    /// @notice The admin set the treasury that receives unused budgets.
    event TreasuryUpdated(address indexed previous, address indexed treasury);

    // ---------------------------------------------------------------- operator and treasury

    /// @notice Opens a new round (operator only). Round ids start at 1.
    /// @return round The new round's id.
    function openRound(RoundParams calldata params) external returns (uint256 round);

    /// @notice Moves `amount` tokens from the caller into the budget of `round` (before it is
    /// finalised, cancelled or past its deadline).
    function fundRound(uint256 round, uint256 amount) external;

    /// @notice Sets the address that receives unused budgets (admin only).
    function setTreasury(address newTreasury) external;

    // ---------------------------------------------------------------- participants

    /// @notice Stakes `amount` on `modelId` in `round` (adding to an existing stake) and binds the
    /// position to `commitment` = keccak256(abi.encode(chainId, tournament, round, account,
    /// modelId, predictionsHash, salt)). Needs an allowance of `amount`.
    function stake(uint256 round, bytes32 modelId, uint256 amount, bytes32 commitment) external;

    /// @notice `stake` with an EIP-2612 permit for `amount`, in one transaction. A permit that
    /// fails (for example because it was front-run) is ignored when the allowance suffices.
    function stakeWithPermit(
        uint256 round,
        bytes32 modelId,
        uint256 amount,
        bytes32 commitment,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Replaces the commitment of the caller's stake on `modelId` (before close).
    function replaceCommitment(uint256 round, bytes32 modelId, bytes32 commitment) external;

    /// @notice Takes `amount` back from the caller's stake on `modelId` (before close; never paused).
    /// What stays must be zero or at least the round's minimum stake.
    function withdraw(uint256 round, bytes32 modelId, uint256 amount) external;

    // ---------------------------------------------------------------- oracle and guardian

    /// @notice Posts the resolution of `round` (oracle only), opening its challenge window.
    /// @param root Merkle root of the round's leaves.
    /// @param totalStaked Must equal the stake the contract recorded at close.
    /// @param totalReward Sum of the leaves' rewards; at most the round's budget.
    /// @param totalBurn Sum of the leaves' burns; at most clip x totalStaked.
    /// @param resultsHash Content hash of the published results file.
    function postResolution(
        uint256 round,
        bytes32 root,
        uint256 totalStaked,
        uint256 totalReward,
        uint256 totalBurn,
        bytes32 resultsHash
    ) external;

    /// @notice Rejects the posted resolution during its challenge window (guardian only).
    function veto(uint256 round) external;

    /// @notice Cancels `round` before finalisation (guardian only): refunds open, budget returns.
    function cancelRound(uint256 round) external;

    /// @notice Disputes the posted root of `round` during its challenge window (anyone): moves
    /// `disputeBond()` from the caller and records `reasonHash`, the content hash of the report
    /// that shows the mismatch (published with the round's artefacts). Needs an allowance.
    function dispute(uint256 round, bytes32 reasonHash) external;

    /// @notice Rules on the dispute of `round` before its `ruleBy` (guardian only): `uphold`
    /// vetoes the root; otherwise the root stands.
    function rule(uint256 round, bool uphold) external;

    /// @notice Cancels a disputed `round` whose ruling period passed with no ruling (anyone):
    /// refunds open, the budget returns to the treasury and both bonds to their owners.
    function expireDispute(uint256 round) external;

    /// @notice Adds `amount` to the oracle's bond pool (anyone; the treasury in practice).
    function depositBond(uint256 amount) external;

    /// @notice Sends `amount` of the pool's free (unlocked) bond to the treasury (admin only).
    function withdrawBond(uint256 amount) external;

    /// @notice Pauses new stakes and new resolutions (guardian only). Exits and disputes stay open.
    function pause() external;

    /// @notice Lifts the pause (guardian only).
    function unpause() external;

    // ---------------------------------------------------------------- settlement

    /// @notice Finalises `round` after its challenge window (anyone): claims open and the unused
    /// budget returns to the treasury.
    function finalize(uint256 round) external;

    /// @notice Pays a leaf of a finalised round to its account (anyone may call): stake + reward
    /// - burn to the account, the burn burned.
    /// @return payout What the account received.
    function claim(Leaf calldata leaf, bytes32[] calldata proof) external returns (uint256 payout);

    /// @notice `claim` for many leaves (each with its own proof) in one call.
    /// @return total The sum of the payouts.
    function claimMany(Leaf[] calldata leaves, bytes32[][] calldata proofs) external returns (uint256 total);

    /// @notice Claims a leaf of the caller and stakes the payout on `toModelId` in open round
    /// `toRound`, bound to `commitment`, without moving tokens out.
    /// @return payout The amount restaked.
    function claimAndRestake(
        Leaf calldata leaf,
        bytes32[] calldata proof,
        uint256 toRound,
        bytes32 toModelId,
        bytes32 commitment
    ) external returns (uint256 payout);

    /// @notice Pays back the full stake of `account` on `modelId` in a cancelled or timed-out
    /// round, or in a finalised round past `settleBy(round)` (anyone may call), with no burn.
    function refund(uint256 round, address account, bytes32 modelId) external;

    /// @notice Returns the budget of a timed-out round, or the unclaimed reward of a finalised
    /// round past `settleBy(round)`, to the treasury (anyone may call).
    function releaseBudget(uint256 round) external;

    // ---------------------------------------------------------------- views

    /// @notice The staking token.
    function token() external view returns (address);

    /// @notice The address that receives unused budgets.
    function treasury() external view returns (address);

    /// @notice Seconds after a round's `resolveBy` during which the leaves of a finalised round
    /// can be claimed (fixed at deployment).
    function settlementPeriod() external view returns (uint256);

    /// @notice The end of `round`'s claims: `resolveBy` + `settlementPeriod()`.
    function settleBy(uint256 round) external view returns (uint256);

    /// @notice The bond each post locks from the oracle's pool until finalisation or a ruling.
    function resolutionBond() external view returns (uint256);

    /// @notice The bond a dispute costs, fixed at deployment.
    function disputeBond() external view returns (uint256);

    /// @notice Seconds the guardian has to rule on a dispute, fixed at deployment.
    function rulingPeriod() external view returns (uint256);

    /// @notice The oracle's free bond: deposited, not locked by a standing post.
    function bondPool() external view returns (uint256);

    /// @notice The id the next `openRound` returns.
    function nextRound() external view returns (uint256);

    /// @notice Everything stored about `round`.
    function getRound(uint256 round) external view returns (RoundView memory);

    /// @notice The unsettled stake of `account` on `modelId` in `round` (zero once claimed or refunded).
    function stakeOf(uint256 round, address account, bytes32 modelId) external view returns (uint256);

    /// @notice The commitment a participant must post for these predictions and salt.
    function commitmentOf(uint256 round, address account, bytes32 modelId, bytes32 predictionsHash, bytes32 salt)
        external
        view
        returns (bytes32);

    /// @notice The leaf hash the root must contain for `leaf`.
    function leafHash(Leaf calldata leaf) external pure returns (bytes32);

    /// @notice True once refunds of `round` are open: cancelled, past its deadline unfinalised
    /// (a disputed round: past its `ruleBy`), or finalised and past `settleBy(round)`.
    function refundsOpen(uint256 round) external view returns (bool);
}
