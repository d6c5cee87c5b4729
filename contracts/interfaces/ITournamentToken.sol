// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/// @title ITournamentToken
/// @notice The staking token of the tournament: a fixed-supply, burnable ERC-20 with EIP-2612 permit.
/// @dev The whole supply (`MAX_SUPPLY`) is minted once, at construction, to a treasury address.
/// There is no mint function, no owner, no pause and no upgrade path: `totalSupply` can only fall,
/// through `burn` and `burnFrom`. Errors are OpenZeppelin's ERC-6093 errors.
interface ITournamentToken is IERC20, IERC20Metadata, IERC20Permit {
    /// @notice Thrown at construction when the treasury is the zero address.
    error TreasuryIsZeroAddress();

    /// @notice The fixed supply minted at construction: 11,000,000 tokens of 18 decimals.
    /// @return The supply cap in the token's smallest unit.
    // slither-disable-next-line naming-convention
    function MAX_SUPPLY() external view returns (uint256);

    /// @notice Destroys `value` tokens of the caller, lowering `totalSupply`.
    /// @param value The amount to burn, in the token's smallest unit.
    function burn(uint256 value) external;

    /// @notice Destroys `value` tokens of `account`, spending the caller's allowance.
    /// @param account The holder whose tokens are burned.
    /// @param value The amount to burn, in the token's smallest unit.
    function burnFrom(address account, uint256 value) external;
}
