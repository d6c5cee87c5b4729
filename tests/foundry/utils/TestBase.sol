// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The subset of forge's cheatcodes these tests use (forge serves them at `VM_ADDRESS`).
/// @dev forge-std is not published on any package registry this project installs from, so the
/// tests declare the cheatcodes they call; the signatures are forge's own.
interface Vm {
    function warp(uint256 timestamp) external;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 selector) external;
    function expectRevert() external;
    function assume(bool condition) external;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function label(address account, string calldata newLabel) external;
}

/// @notice Minimal test base: cheatcodes, assertions that report both values, `bound`, and the
/// hooks forge's invariant runner reads (`targetContracts`, `targetSelectors`).
abstract contract TestBase {
    address internal constant VM_ADDRESS = address(uint160(uint256(keccak256("hevm cheat code"))));
    Vm internal constant vm = Vm(VM_ADDRESS);

    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetContracts;
    FuzzSelector[] private _targetSelectors;

    error AssertionFailed(string what);
    error AssertionFailedUint(string what, uint256 left, uint256 right);
    error AssertionFailedAddress(string what, address left, address right);
    error AssertionFailedBytes32(string what, bytes32 left, bytes32 right);

    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }

    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    function targetSelector(FuzzSelector memory selector) internal {
        _targetSelectors.push(selector);
    }

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert AssertionFailed(what);
    }

    function assertEq(uint256 left, uint256 right, string memory what) internal pure {
        if (left != right) revert AssertionFailedUint(what, left, right);
    }

    function assertLe(uint256 left, uint256 right, string memory what) internal pure {
        if (left > right) revert AssertionFailedUint(what, left, right);
    }

    function assertEq(address left, address right, string memory what) internal pure {
        if (left != right) revert AssertionFailedAddress(what, left, right);
    }

    function assertEq(bytes32 left, bytes32 right, string memory what) internal pure {
        if (left != right) revert AssertionFailedBytes32(what, left, right);
    }

    /// @dev Maps `x` into [min, max] uniformly enough for fuzzing, keeping small values as they are.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }
}
