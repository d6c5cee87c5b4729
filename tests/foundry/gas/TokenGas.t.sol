// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TournamentToken} from "../../../contracts/TournamentToken.sol";
import {TestBase} from "../utils/TestBase.sol";

/// @notice One call per test, from a fixed state: the committed snapshot (bench/gas-snapshot)
/// turns any change in these costs into a failing `make test`.
contract TokenGasTest is TestBase {
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    uint256 internal constant OWNER_KEY = 0xA11CE;

    TournamentToken internal token;
    address internal treasury = address(0x7EA5);
    address internal holder = address(0xB0B);
    address internal owner;

    function setUp() public {
        token = new TournamentToken("Tournament Token", "TNMR", treasury);
        owner = vm.addr(OWNER_KEY);
        vm.startPrank(treasury);
        token.transfer(holder, 1 ether);
        token.transfer(owner, 1 ether);
        token.approve(address(this), 1 ether);
        vm.stopPrank();
    }

    function test_gas_transferToNewHolder() public {
        vm.prank(treasury);
        token.transfer(address(0xCAFE), 1 ether);
    }

    function test_gas_transferToExistingHolder() public {
        vm.prank(treasury);
        token.transfer(holder, 1 ether);
    }

    function test_gas_approve() public {
        vm.prank(treasury);
        token.approve(holder, 1 ether);
    }

    function test_gas_transferFrom() public {
        token.transferFrom(treasury, holder, 1 ether);
    }

    function test_gas_permit() public {
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, owner, holder, 1 ether, 0, block.timestamp));
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(OWNER_KEY, digest);
        token.permit(owner, holder, 1 ether, block.timestamp, v, r, s);
    }

    function test_gas_burn() public {
        vm.prank(treasury);
        token.burn(1 ether);
    }

    function test_gas_burnFrom() public {
        token.burnFrom(treasury, 1 ether);
    }
}
