// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {TournamentToken} from "../../contracts/TournamentToken.sol";
import {ITournamentToken} from "../../contracts/interfaces/ITournamentToken.sol";
import {TestBase} from "./utils/TestBase.sol";

contract TournamentTokenTest is TestBase {
    uint256 internal constant CAP = 11_000_000 ether;
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    TournamentToken internal token;
    address internal treasury = address(0x7EA5);

    function setUp() public {
        token = new TournamentToken("Tournament Token", "TNMR", treasury);
    }

    function test_constructor_mintsCapToTreasury() public view {
        assertEq(token.totalSupply(), CAP, "supply");
        assertEq(token.balanceOf(treasury), CAP, "treasury balance");
        assertEq(token.MAX_SUPPLY(), CAP, "MAX_SUPPLY");
        assertEq(uint256(token.decimals()), 18, "decimals");
    }

    function test_constructor_rejectsZeroTreasury() public {
        vm.expectRevert(ITournamentToken.TreasuryIsZeroAddress.selector);
        new TournamentToken("T", "T", address(0));
    }

    function testFuzz_transfer_movesExactAmount(address to, uint256 amount) public {
        vm.assume(to != address(0) && to != treasury);
        amount = bound(amount, 0, CAP);
        vm.prank(treasury);
        token.transfer(to, amount);
        assertEq(token.balanceOf(to), amount, "recipient");
        assertEq(token.balanceOf(treasury), CAP - amount, "sender");
        assertEq(token.totalSupply(), CAP, "supply unchanged");
    }

    function testFuzz_transfer_revertsAboveBalance(address from, uint256 balance, uint256 amount) public {
        vm.assume(from != address(0) && from != treasury);
        balance = bound(balance, 0, CAP - 1);
        amount = bound(amount, balance + 1, type(uint256).max);
        vm.prank(treasury);
        token.transfer(from, balance);
        vm.prank(from);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, from, balance, amount));
        token.transfer(treasury, amount);
    }

    function testFuzz_burn_lowersSupply(uint256 amount) public {
        amount = bound(amount, 0, CAP);
        vm.prank(treasury);
        token.burn(amount);
        assertEq(token.totalSupply(), CAP - amount, "supply");
        assertEq(token.balanceOf(treasury), CAP - amount, "balance");
    }

    function testFuzz_burnFrom_spendsAllowance(address spender, uint256 allowance, uint256 amount) public {
        vm.assume(spender != address(0));
        allowance = bound(allowance, 0, CAP);
        amount = bound(amount, 0, allowance);
        vm.prank(treasury);
        token.approve(spender, allowance);
        vm.prank(spender);
        token.burnFrom(treasury, amount);
        assertEq(token.totalSupply(), CAP - amount, "supply");
        assertEq(token.allowance(treasury, spender), allowance - amount, "allowance left");
    }

    function testFuzz_burnFrom_revertsAboveAllowance(address spender, uint256 allowance, uint256 amount) public {
        vm.assume(spender != address(0) && spender != treasury);
        allowance = bound(allowance, 0, CAP - 1);
        amount = bound(amount, allowance + 1, CAP);
        vm.prank(treasury);
        token.approve(spender, allowance);
        vm.prank(spender);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, spender, allowance, amount)
        );
        token.burnFrom(treasury, amount);
    }

    function testFuzz_permit_setsAllowanceOnce(uint256 ownerKey, address spender, uint256 value, uint256 deadline)
        public
    {
        ownerKey = bound(ownerKey, 1, 2 ** 128);
        vm.assume(spender != address(0));
        deadline = bound(deadline, block.timestamp, type(uint64).max);
        address owner = vm.addr(ownerKey);
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(ownerKey, owner, spender, value, 0, deadline);

        token.permit(owner, spender, value, deadline, v, r, s);
        assertEq(token.allowance(owner, spender), value, "allowance");
        assertEq(token.nonces(owner), 1, "nonce");

        // Replaying the signature recovers a different signer (the nonce moved on), so it reverts.
        vm.expectRevert();
        token.permit(owner, spender, value, deadline, v, r, s);
    }

    function testFuzz_permit_rejectsExpired(uint256 ownerKey, uint256 deadline, uint256 now_) public {
        ownerKey = bound(ownerKey, 1, 2 ** 128);
        now_ = bound(now_, 1, type(uint64).max);
        deadline = bound(deadline, 0, now_ - 1);
        vm.warp(now_);
        address owner = vm.addr(ownerKey);
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(ownerKey, owner, address(this), 1, 0, deadline);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        token.permit(owner, address(this), 1, deadline, v, r, s);
    }

    function testFuzz_permit_rejectsWrongSigner(uint256 ownerKey, uint256 otherKey) public {
        ownerKey = bound(ownerKey, 1, 2 ** 128);
        otherKey = bound(otherKey, 1, 2 ** 128);
        vm.assume(ownerKey != otherKey);
        address owner = vm.addr(ownerKey);
        address other = vm.addr(otherKey);
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(otherKey, owner, address(this), 1, 0, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612InvalidSigner.selector, other, owner));
        token.permit(owner, address(this), 1, block.timestamp, v, r, s);
    }

    /// @dev Every state-changing entry point, driven with arbitrary arguments, never raises supply.
    function testFuzz_noCallRaisesSupply(uint8 op, address who, address to, uint256 amount) public {
        vm.assume(who != address(0) && to != address(0));
        vm.prank(treasury);
        token.transfer(who, CAP / 2);
        vm.startPrank(who);
        op = uint8(bound(op, 0, 4));
        amount = bound(amount, 0, CAP / 2);
        if (op == 0) token.transfer(to, amount);
        else if (op == 1) token.approve(to, amount);
        else if (op == 2) token.burn(amount);
        else if (op == 3) token.burnFrom(who, 0);
        else token.transfer(who, amount);
        vm.stopPrank();
        assertLe(token.totalSupply(), CAP, "supply never above cap");
    }

    function _signPermit(uint256 key, address owner, address spender, uint256 value, uint256 nonce, uint256 deadline)
        internal
        view
        returns (uint8, bytes32, bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, nonce, deadline));
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
        return vm.sign(key, digest);
    }
}
