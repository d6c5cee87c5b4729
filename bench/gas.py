"""Gas used by the token's (and later the tournament's) operations, measured on a real anvil.

Run with `make bench-gas`. Starts a throw-away anvil on a free port, deploys fresh contracts,
performs each operation once from a realistic state (warm balances, a cold recipient where it
matters) and merges the receipts' gasUsed into bench/results/gas.json.
"""

from __future__ import annotations

import json
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account import Account

from oracle import PROJECT_ROOT
from oracle.chain.devnet import Devnet, free_port, start, stop
from oracle.chain.permit import sign_permit

RESULTS = PROJECT_ROOT / "bench" / "results" / "gas.json"
ONE = 10**18


def permit_signature(
    token: Any, key: bytes, owner: str, spender: str, value: int, deadline: int, chain_id: int
) -> tuple[int, bytes, bytes]:
    return sign_permit(
        token_name=token.name(),
        token_address=str(token.address),
        chain_id=chain_id,
        key=key,
        owner=owner,
        spender=spender,
        value=value,
        nonce=token.nonces(owner),
        deadline=deadline,
    )


def measure_token(provider: Any) -> dict[str, int]:
    from ape import accounts, chain, project

    deployer, treasury, alice, bob = (accounts.test_accounts[i] for i in (0, 1, 5, 6))
    token = project.TournamentToken.deploy("Tournament Token", "TNMR", treasury, sender=deployer)
    gas: dict[str, int] = {"deploy": int(token.creation_metadata.receipt.gas_used)}
    gas["transfer_to_new_holder"] = token.transfer(alice, 100 * ONE, sender=treasury).gas_used
    gas["transfer_to_existing_holder"] = token.transfer(alice, ONE, sender=treasury).gas_used
    gas["approve"] = token.approve(bob, 10 * ONE, sender=alice).gas_used
    gas["transferFrom"] = token.transferFrom(alice, bob, ONE, sender=bob).gas_used
    owner = Account.create("gas-bench")
    token.transfer(owner.address, 10 * ONE, sender=treasury)
    deadline = chain.pending_timestamp + 3600
    v, r, s = permit_signature(
        token, owner.key, owner.address, bob.address, 5 * ONE, deadline, provider.chain_id
    )
    gas["permit"] = token.permit(
        owner.address, bob, 5 * ONE, deadline, v, r, s, sender=bob
    ).gas_used
    gas["burn"] = token.burn(ONE, sender=alice).gas_used
    gas["burnFrom"] = token.burnFrom(alice, ONE, sender=bob).gas_used
    return {k: int(v) for k, v in gas.items()}


def measure_tournament(provider: Any) -> dict[str, Any]:
    """Stake, resolve and settle on a real anvil; 10- and 10,000-leaf resolutions."""
    import os
    import statistics

    from ape import accounts, chain, project

    from oracle.protocol.merkle import LEAF_ENCODING, StandardMerkleTree

    dev = accounts.test_accounts
    deployer, treasury, operator, oracle, guardian = (dev[i] for i in range(5))
    token = project.TournamentToken.deploy("Tournament Token", "TNMR", treasury, sender=deployer)
    bond, dispute_bond = 500 * ONE, 100 * ONE
    t = project.Tournament.deploy(
        token, treasury, deployer, operator, oracle, guardian, 14 * 86_400, bond, dispute_bond,
        2 * 86_400, sender=deployer,
    )  # fmt: skip
    token.approve(t, 2**256 - 1, sender=treasury)
    gas: dict[str, Any] = {"depositBond": t.depositBond(20 * bond, sender=treasury).gas_used}
    stakers = [dev.generate_test_account() for _ in range(140)]
    for who in stakers:
        deployer.transfer(who, 10**18)
        token.transfer(who, 1_000 * ONE, sender=treasury)
        token.approve(t, 2**256 - 1, sender=who)

    def open_funded(budget: int) -> tuple[int, int, int]:
        now = chain.pending_timestamp
        close, after = now + 2 * 86400, now + 2 * 86400 + 3600
        params = (close, after, after + 7 * 86400, 86400, 50_000, ONE, b"\x01" * 32, b"\x02" * 32)
        receipt = t.openRound(params, sender=operator)
        rid = int(receipt.events.filter(t.RoundOpened)[0].round)
        t.fundRound(rid, budget, sender=treasury)
        return rid, close, after

    def model_id(i: int) -> bytes:
        return i.to_bytes(32, "big")

    big, _, big_after = open_funded(10_000 * ONE)
    small, _, small_after = open_funded(1_000 * ONE)
    gas["stake_first_model"] = t.stake(
        big, model_id(1), 10 * ONE, b"\xc1" * 32, sender=stakers[0]
    ).gas_used
    gas["stake_later_model"] = t.stake(
        big, model_id(2), 10 * ONE, b"\xc1" * 32, sender=stakers[0]
    ).gas_used
    gas["stake_add_to_position"] = t.stake(
        big, model_id(2), ONE, b"\xc2" * 32, sender=stakers[0]
    ).gas_used
    owner = Account.create("gas-permit")
    token.transfer(owner.address, 10 * ONE, sender=treasury)
    permit_staker = dev.generate_test_account()
    token.transfer(permit_staker, 10 * ONE, sender=treasury)
    deployer.transfer(permit_staker, 10**18)
    deadline = chain.pending_timestamp + 3600
    v, r, s_ = permit_signature(
        token,
        permit_staker.private_key,
        permit_staker.address,
        str(t.address),
        5 * ONE,
        deadline,
        provider.chain_id,
    )
    gas["stakeWithPermit"] = t.stakeWithPermit(
        big, model_id(1), 5 * ONE, b"\xc1" * 32, deadline, v, r, s_, sender=permit_staker
    ).gas_used
    gas["replaceCommitment"] = t.replaceCommitment(
        big, model_id(1), b"\xc3" * 32, sender=stakers[0]
    ).gas_used
    gas["withdraw_partial"] = t.withdraw(big, model_id(2), ONE, sender=stakers[0]).gas_used

    # 120 more positions in the big round, 10 in the small one.
    real: list[tuple[Any, ...]] = []
    for i, who in enumerate(stakers[1:121]):
        amount = (10 + i) * ONE
        t.stake(big, model_id(1), amount, b"\xc1" * 32, sender=who)
        reward = amount * 50_000 // 1_000_000 if i % 2 == 0 else 0
        burn = amount * 25_000 // 1_000_000 if i % 2 == 1 else 0
        real.append((big, who.address, model_id(1), amount, reward, burn, os.urandom(32)))
    for who in stakers[121:131]:
        t.stake(small, model_id(1), 10 * ONE, b"\xc1" * 32, sender=who)
    # Same kind of totals as the big round (non-zero reward and burn), so only the tree differs.
    small_leaves = [
        (
            small,
            w.address,
            model_id(1),
            10 * ONE,
            ONE // 4 if i % 2 == 0 else 0,
            ONE // 4 if i % 2 else 0,
            os.urandom(32),
        )
        for i, w in enumerate(stakers[121:131])
    ]
    # The other positions of the big round (stakers[0] and the permit staker) are left out of the tree.
    filler = [
        (big + 1000, "0x" + os.urandom(20).hex(), os.urandom(32), ONE, 0, 0, os.urandom(32))
        for _ in range(9_900)
    ]
    big_tree = StandardMerkleTree.of(real + filler, LEAF_ENCODING)
    small_tree = StandardMerkleTree.of(small_leaves, LEAF_ENCODING)

    chain.pending_timestamp = max(big_after, small_after)
    staked_big = int(t.getRound(big).totalStaked)
    total_reward = sum(x[4] for x in real)
    total_burn = sum(x[5] for x in real)
    gas["postResolution_10_leaves"] = t.postResolution(
        small, small_tree.root, 100 * ONE, 5 * ONE // 4, 5 * ONE // 4, b"\x03" * 32, sender=oracle
    ).gas_used
    gas["postResolution_10000_leaves"] = t.postResolution(
        big, big_tree.root, staked_big, total_reward, total_burn, b"\x03" * 32, sender=oracle
    ).gas_used
    chain.pending_timestamp = max(big_after, small_after) + 86400
    gas["finalize"] = t.finalize(big, sender=guardian).gas_used
    t.finalize(small, sender=guardian)

    # The next round, open for restakes.
    nxt, _, _ = open_funded(ONE)
    claim_gas = []
    for i in range(0, 100):
        leaf = real[i]
        claim_gas.append(int(t.claim(leaf, big_tree.proof(i), sender=deployer).gas_used))
    gas["claim_10000_leaf_tree"] = {
        "median": int(statistics.median(claim_gas)),
        "min": min(claim_gas),
        "max": max(claim_gas),
        "samples": len(claim_gas),
        "proof_length": len(big_tree.proof(0)),
    }
    batch = list(range(100, 119))
    many = t.claimMany(
        [real[i] for i in batch], [big_tree.proof(i) for i in batch], sender=deployer
    )
    gas["claimMany_per_leaf"] = {
        "leaves": len(batch),
        "total": int(many.gas_used),
        "per_leaf": int(many.gas_used) // len(batch),
    }
    restaker = stakers[120]
    gas["claimAndRestake"] = t.claimAndRestake(
        real[119], big_tree.proof(119), nxt, model_id(1), b"\xc4" * 32, sender=restaker
    ).gas_used

    # A round that times out: refunds.
    late, _, after = open_funded(ONE)
    t.stake(late, model_id(1), 5 * ONE, b"\xc1" * 32, sender=stakers[131])
    chain.pending_timestamp = after + 7 * 86400 + 1
    gas["refund"] = t.refund(late, stakers[131], model_id(1), sender=deployer).gas_used
    gas["releaseBudget"] = t.releaseBudget(late, sender=deployer).gas_used

    # Disputes: upheld, rejected in the window, rejected after it (finalises), expired.
    disputer = stakers[132]
    for case in ("uphold", "reject", "reject_and_finalize", "expire"):
        rid, _, after = open_funded(100 * ONE)
        t.stake(rid, model_id(1), 5 * ONE, b"\xc1" * 32, sender=stakers[133])
        chain.pending_timestamp = after
        t.postResolution(rid, b"\x77" * 32, 5 * ONE, 0, 0, b"\x03" * 32, sender=oracle)
        receipt = t.dispute(rid, b"\xbe" * 32, sender=disputer)
        gas["dispute"] = receipt.gas_used
        if case == "uphold":
            gas["rule_uphold"] = t.rule(rid, True, sender=guardian).gas_used
        elif case == "reject":
            gas["rule_reject"] = t.rule(rid, False, sender=guardian).gas_used
        elif case == "reject_and_finalize":
            chain.pending_timestamp = after + 86_400
            gas["rule_reject_and_finalize"] = t.rule(rid, False, sender=guardian).gas_used
        else:
            chain.pending_timestamp = after + 3 * 86_400
            gas["expireDispute"] = t.expireDispute(rid, sender=deployer).gas_used
    return {k: (int(v) if isinstance(v, int) else v) for k, v in gas.items()}


def main() -> None:
    from ape import networks

    with tempfile.TemporaryDirectory() as folder:
        devnet = Devnet(port=free_port(), folder=Path(folder))
        start(devnet, quiet=True)
        try:
            choice = "ethereum:local:foundry"
            with networks.parse_network_choice(
                choice, provider_settings={"host": devnet.url}
            ) as provider:
                token_gas = measure_token(provider)
                tournament_gas = measure_tournament(provider)
        finally:
            stop(devnet)

    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["token"] = token_gas
    results["tournament"] = tournament_gas
    results["anchors"] = {
        "NumeraiTournamentV3 stake of a new model": 81_207,
        "NumeraiTournamentV3 resolution per stake": 41_700,
        "merkle-distributor claim, 100k-leaf tree (average)": 83_900,
    }
    results["meta"] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "chain": "anvil (npm @foundry-rs/anvil-linux-amd64), evm cancun",
        "machine": f"{platform.machine()} {platform.system()}",
        "unit": "gasUsed from the transaction receipt (includes the 21,000 base cost)",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    for name, value in token_gas.items():
        print(f"token.{name:<28} {value:>9,}")
    for name, value in tournament_gas.items():
        print(f"tournament.{name:<28} {value}")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
