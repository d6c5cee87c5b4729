"""Network facts and account resolution shared by every command that touches a chain."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from oracle import settings
from oracle.errors import AccountError, TournamentError

if TYPE_CHECKING:
    from ape.api import AccountAPI, ProviderAPI

#: Chain ids of development chains (anvil and ape's in-process chain): faucets and the anvil
#: accounts' default roles exist only there.
LOCAL_CHAIN_IDS = frozenset({31337, 1337})

#: On local chains the roles default to these indices of the development mnemonic's accounts.
LOCAL_ROLE_INDEX = {
    "deployer": 0,
    "treasury": 1,
    "operator": 2,
    "oracle": 3,
    "guardian": 4,
}


#: ``--account test:N`` names development account N on local chains (plain ``N`` too).
DEV_PREFIX = "test:"
#: How many development accounts anvil funds and unlocks (ape-config.yaml, anvil's default).
DEV_ACCOUNTS = 10


def is_local_chain(provider: ProviderAPI) -> bool:
    """True on a development chain: ape's local network with a development chain id."""
    return bool(provider.network.is_local and provider.chain_id in LOCAL_CHAIN_IDS)


def network_label(provider: ProviderAPI) -> str:
    """A readable `ecosystem:network:provider` label (the URI for ad-hoc networks)."""
    network = provider.network
    return f"{network.ecosystem.name}:{network.name}:{provider.name}"


def test_account(index: int) -> AccountAPI:
    """The development mnemonic's account ``index`` (only meaningful on local chains). The
    first ten are anvil's funded accounts; later ones are derived from the same mnemonic and
    hold nothing until funded."""
    from ape import accounts

    if index < DEV_ACCOUNTS:
        return accounts.test_accounts[index]
    if index not in _derived:
        _derived[index] = accounts.test_accounts.containers["test"].generate_account(index=index)
    return _derived[index]


_derived: dict[int, AccountAPI] = {}


def resolve_account(spec: str | None, role: str, provider: ProviderAPI) -> AccountAPI:
    """Find the account that signs as ``role``.

    1. No ``spec`` on a local chain: the development account for that role.
    2. ``N`` or ``test:N`` on a local chain: development account N of the mnemonic (0 to 9
       are anvil's funded accounts; later ones are derived and need funding).
    3. Otherwise an ape account alias (``ape accounts list``), unlocked without a prompt from
       ``APE_ACCOUNTS_<alias>_PASSPHRASE`` or, on a terminal, by asking once.
    """
    local = is_local_chain(provider)
    if spec is None:
        if role not in LOCAL_ROLE_INDEX or not local:
            raise AccountError(
                f"no {role} account given for chain {provider.chain_id}: "
                f"pass --account ALIAS (see `ape accounts list`)"
            )
        return test_account(LOCAL_ROLE_INDEX[role])
    index = spec.removeprefix(DEV_PREFIX)
    if index.isdigit():
        if not local:
            raise AccountError(
                f"development account {spec} exists only on local chains: pass an ape account alias"
            )
        return test_account(int(index))
    return load_keyfile_account(spec)


def load_keyfile_account(alias: str) -> AccountAPI:
    """Load an ape keyfile account and make it sign without prompts."""
    from ape import accounts
    from ape.exceptions import AccountsError
    from ape_accounts import KeyfileAccount

    try:
        account = accounts.load(alias)
    except (IndexError, AccountsError, KeyError) as err:
        raise AccountError(
            f"no account named '{alias}': import one with `ape accounts import {alias}` "
            "or pick one from `ape accounts list`"
        ) from err
    if isinstance(account, KeyfileAccount):
        env_name = settings.passphrase_variable(alias)
        passphrase = os.environ.get(env_name)
        if passphrase is None and not sys.stdin.isatty():
            raise AccountError(
                f"account '{alias}' is locked: set {env_name} or run from a terminal to type it"
            )
        try:
            account.set_autosign(True, passphrase=passphrase)
        except AccountsError as err:
            raise AccountError(f"cannot unlock account '{alias}': wrong passphrase") from err
    return account


def require_gas_funds(account: AccountAPI, provider: ProviderAPI, role: str) -> None:
    """Fail early, in one line, when ``account`` has no ether to pay for gas."""
    balance = provider.get_balance(account.address)
    if balance == 0:
        raise AccountError(
            f"{role} account {account.address} has no ether on chain {provider.chain_id} to pay "
            "for gas: fund it first"
        )


def checked_address(text: str, what: str) -> str:
    """A checksummed address, or a one-line error naming the argument."""
    from eth_utils import is_address, to_checksum_address

    if not is_address(text):
        raise TournamentError(
            f"{what}: '{text}' is not an address: pass a 0x-prefixed 20-byte address"
        )
    return str(to_checksum_address(text))
