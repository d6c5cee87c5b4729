// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {ITournamentToken} from "./interfaces/ITournamentToken.sol";

/// @title TournamentToken
/// @notice Fixed-supply staking token: 11,000,000 tokens minted once to the treasury, burnable,
/// with EIP-2612 permit. No owner and no way to mint again.
// slither-disable-next-line unimplemented-functions
contract TournamentToken is ERC20, ERC20Burnable, ERC20Permit, ITournamentToken {
    /// @inheritdoc ITournamentToken
    uint256 public constant MAX_SUPPLY = 11_000_000 * 10 ** 18;

    /// @param name_ The token's name (also the EIP-712 domain name used by permit).
    /// @param symbol_ The token's symbol.
    /// @param treasury The address that receives the whole supply.
    constructor(string memory name_, string memory symbol_, address treasury) ERC20(name_, symbol_) ERC20Permit(name_) {
        if (treasury == address(0)) revert TreasuryIsZeroAddress();
        _mint(treasury, MAX_SUPPLY);
    }

    /// @inheritdoc ITournamentToken
    function burn(uint256 value) public override(ERC20Burnable, ITournamentToken) {
        super.burn(value);
    }

    /// @inheritdoc ITournamentToken
    function burnFrom(address account, uint256 value) public override(ERC20Burnable, ITournamentToken) {
        super.burnFrom(account, value);
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, IERC20Permit) returns (uint256) {
        return super.nonces(owner);
    }
}
