"""Gas used by the token's (and later the tournament's) operations, measured on a real anvil.

Run with `make bench-gas`. Starts a throw-away anvil on a free port, deploys fresh contracts,
performs each operation once from a realistic state (warm balances, a cold recipient where it
matters) and merges the receipts' gasUsed into bench/results/gas.json.
"""

from __future__ import annotations

import json
import platform
import socket
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from oracle import PROJECT_ROOT
from oracle.devnet import Devnet, start, stop

RESULTS = PROJECT_ROOT / "bench" / "results" / "gas.json"
ONE = 10**18


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def permit_signature(
    token: Any, key: bytes, owner: str, spender: str, value: int, deadline: int, chain_id: int
) -> tuple[int, bytes, bytes]:
    message = encode_typed_data(
        domain_data={
            "name": token.name(),
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": str(token.address),
        },
        message_types={
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ]
        },
        message_data={
            "owner": owner,
            "spender": spender,
            "value": value,
            "nonce": token.nonces(owner),
            "deadline": deadline,
        },
    )
    signed = Account.sign_message(message, key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


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
        finally:
            stop(devnet)

    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["token"] = token_gas
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
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
