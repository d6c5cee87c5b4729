"""TournamentToken on ape's in-process chain: ERC-20, burn, EIP-2612 permit with real signatures."""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_account import Account

from oracle.chain import permit
from tests.helpers.permits import sign_permit
from tests.helpers.reverts import reverts
from tests.helpers.tournament import CAP, TOKEN_NAME, TOKEN_SYMBOL

pytestmark = pytest.mark.chain

ONE = 10**18


@pytest.fixture
def signer() -> Any:
    return Account.create("tournament-token-permit-tests")


def test_constructor_mintsCapToTreasury(token: Any, treasury: Any) -> None:
    assert token.totalSupply() == CAP
    assert token.MAX_SUPPLY() == CAP
    assert token.balanceOf(treasury) == CAP
    assert token.name() == TOKEN_NAME
    assert token.symbol() == TOKEN_SYMBOL
    assert token.decimals() == 18


def test_constructor_rejectsZeroTreasury(project: Any, deployer: Any) -> None:
    with reverts(project.TournamentToken.TreasuryIsZeroAddress):
        project.TournamentToken.deploy("T", "T", ape.utils.ZERO_ADDRESS, sender=deployer)


def test_transfer_movesBalanceAndEmits(token: Any, treasury: Any, alice: Any) -> None:
    receipt = token.transfer(alice, 5 * ONE, sender=treasury)
    assert token.balanceOf(alice) == 5 * ONE
    assert token.balanceOf(treasury) == CAP - 5 * ONE
    assert receipt.events == [token.Transfer(treasury, alice, 5 * ONE)]


def test_transfer_revertsAboveBalance(token: Any, alice: Any, bob: Any) -> None:
    with reverts(token.ERC20InsufficientBalance, sender=alice.address, balance=0, needed=1):
        token.transfer(bob, 1, sender=alice)


def test_transferFrom_spendsAllowance(token: Any, treasury: Any, alice: Any, bob: Any) -> None:
    token.approve(alice, 10 * ONE, sender=treasury)
    assert token.allowance(treasury, alice) == 10 * ONE
    token.transferFrom(treasury, bob, 4 * ONE, sender=alice)
    assert token.allowance(treasury, alice) == 6 * ONE
    assert token.balanceOf(bob) == 4 * ONE
    with reverts(
        token.ERC20InsufficientAllowance, spender=alice.address, allowance=6 * ONE, needed=7 * ONE
    ):
        token.transferFrom(treasury, bob, 7 * ONE, sender=alice)


def test_permit_validSignatureSetsAllowance(token: Any, signer: Any, bob: Any) -> None:
    deadline = ape.chain.pending_timestamp + 3600
    v, r, s = sign_permit(token, signer.key, signer.address, bob.address, 7 * ONE, 0, deadline)
    receipt = token.permit(signer.address, bob, 7 * ONE, deadline, v, r, s, sender=bob)
    assert token.allowance(signer.address, bob) == 7 * ONE
    assert token.nonces(signer.address) == 1
    assert receipt.events == [token.Approval(signer.address, bob, 7 * ONE)]


def test_permit_signedByAnApeAccountWorksWhenItsRHasALeadingZeroByte(
    token: Any, alice: Any, bob: Any
) -> None:
    """ape hands r and s over as minimal bytes; one signature in 128 has a 31-byte one, which
    must still reach the contract as the same 32-byte word."""
    fields = {
        "token_name": TOKEN_NAME,
        "token_address": str(token.address),
        "chain_id": ape.chain.chain_id,
        "owner": alice.address,
        "spender": bob.address,
        "value": ONE,
        "nonce": 0,
    }
    start = ape.chain.pending_timestamp + 3600
    for deadline in range(start, start + 5000):
        raw = alice.sign_message(permit.permit_message(**fields, deadline=deadline))
        if min(len(bytes(raw.r)), len(bytes(raw.s))) < 32:
            break
    else:
        pytest.fail("no signature with a short r or s in 5,000 tries")
    v, r, s = permit.sign_permit_with(alice, **fields, deadline=deadline)
    assert len(r) == len(s) == 32
    token.permit(alice.address, bob, ONE, deadline, v, r, s, sender=bob)
    assert token.allowance(alice.address, bob) == ONE


def test_permit_expiredDeadlineReverts(token: Any, signer: Any, bob: Any) -> None:
    deadline = ape.chain.pending_timestamp - 1
    v, r, s = sign_permit(token, signer.key, signer.address, bob.address, ONE, 0, deadline)
    with reverts(token.ERC2612ExpiredSignature, deadline=deadline):
        token.permit(signer.address, bob, ONE, deadline, v, r, s, sender=bob)
    assert token.nonces(signer.address) == 0


def test_permit_wrongSignerReverts(token: Any, signer: Any, bob: Any) -> None:
    impostor = Account.create("impostor")
    deadline = ape.chain.pending_timestamp + 3600
    v, r, s = sign_permit(token, impostor.key, signer.address, bob.address, ONE, 0, deadline)
    with reverts(token.ERC2612InvalidSigner, signer=impostor.address, owner=signer.address):
        token.permit(signer.address, bob, ONE, deadline, v, r, s, sender=bob)
    assert token.allowance(signer.address, bob) == 0


def test_permit_replayedNonceReverts(token: Any, signer: Any, bob: Any) -> None:
    deadline = ape.chain.pending_timestamp + 3600
    v, r, s = sign_permit(token, signer.key, signer.address, bob.address, ONE, 0, deadline)
    token.permit(signer.address, bob, ONE, deadline, v, r, s, sender=bob)
    # The same signature again: the digest now commits to nonce 1, so it recovers someone else.
    with reverts(token.ERC2612InvalidSigner):
        token.permit(signer.address, bob, ONE, deadline, v, r, s, sender=bob)
    assert token.nonces(signer.address) == 1


def test_burn_lowersSupplyAndBalance(token: Any, treasury: Any) -> None:
    receipt = token.burn(3 * ONE, sender=treasury)
    assert token.totalSupply() == CAP - 3 * ONE
    assert token.balanceOf(treasury) == CAP - 3 * ONE
    assert receipt.events == [token.Transfer(treasury, ape.utils.ZERO_ADDRESS, 3 * ONE)]


def test_burnFrom_spendsAllowanceAndLowersSupply(token: Any, treasury: Any, alice: Any) -> None:
    token.approve(alice, 5 * ONE, sender=treasury)
    token.burnFrom(treasury, 2 * ONE, sender=alice)
    assert token.totalSupply() == CAP - 2 * ONE
    assert token.allowance(treasury, alice) == 3 * ONE
    with reverts(
        token.ERC20InsufficientAllowance, spender=alice.address, allowance=3 * ONE, needed=4 * ONE
    ):
        token.burnFrom(treasury, 4 * ONE, sender=alice)


def test_abi_hasNoWayToMint(token: Any) -> None:
    """Every state-changing function is one of ERC-20, burn or permit; none can mint."""
    mutable = {m.name for m in token.contract_type.mutable_methods}
    assert mutable == {"transfer", "transferFrom", "approve", "burn", "burnFrom", "permit"}


def test_everyMutableFunction_neverRaisesSupply(
    token: Any, treasury: Any, alice: Any, bob: Any, signer: Any
) -> None:
    token.transfer(alice, 100 * ONE, sender=treasury)
    token.approve(bob, 50 * ONE, sender=alice)
    token.transferFrom(alice, bob, 10 * ONE, sender=bob)
    token.burn(ONE, sender=bob)
    token.burnFrom(alice, ONE, sender=bob)
    deadline = ape.chain.pending_timestamp + 60
    v, r, s = sign_permit(token, signer.key, signer.address, bob.address, ONE, 0, deadline)
    token.permit(signer.address, bob, ONE, deadline, v, r, s, sender=bob)
    assert token.totalSupply() == CAP - 2 * ONE
    total = sum(token.balanceOf(a) for a in (treasury, alice, bob, signer.address))
    assert total == token.totalSupply()
