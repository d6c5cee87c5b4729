"""`ape run wallet <command> --account ALIAS`: a participant's wallet (see oracle/wallet/).

Each command is one method of :class:`oracle.wallet.Wallet`; this file parses the options,
prints the plan before anything is sent, and prints the answers. Amounts are in tokens
(``12.5``). Accounts are ape keyfile accounts (``APE_ACCOUNTS_<alias>_PASSPHRASE`` unlocks
one without a prompt); on the local devnet ``--account test:N`` is development account N.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from oracle.cli.boundary import cli_errors
from oracle.cli.commands import DevnetCommand
from oracle.cli.options import (
    account_option,
    confirmations_option,
    round_option,
    some_round_option,
    yes_option,
)
from oracle.errors import WalletError
from oracle.files import write_atomically
from oracle.protocol.units import format_amount, table_amount
from oracle.settings import service_url
from oracle.times import utc_time
from oracle.wallet import Plan, Wallet
from oracle.wallet.vault import Vault

console = Console(stderr=True, highlight=False, soft_wrap=True)
#: Answers go to stdout (wide when piped, so ids are never cut); plans and progress to stderr.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 250)


def confirm_on_terminal(provider: Any, yes: bool) -> Callable[[Plan], bool]:
    """Print the plan and its gas estimate; send with ``--yes`` or when the user agrees."""

    def confirm(plan: Plan) -> bool:
        console.print(f"[bold]{plan.action}[/bold]")
        for line in plan.lines:
            console.print(f"  {line}")
        try:
            fee = f", about {plan.gas * int(provider.base_fee) / 1e18:.6f} ETH at the current base fee"
        except Exception:  # a provider without a base fee: the gas alone
            fee = ""
        for step in plan.steps:
            console.print(f"  -> {step.label} (gas {step.gas:,})")
        console.print(f"  estimated gas: {plan.gas:,}{fee}")
        if yes:
            return True
        if not sys.stdin.isatty():
            raise WalletError(
                "not sending without a confirmation: pass --yes to send from a script"
            )
        return click.confirm("send?", default=False, err=True)

    return confirm


def wallet_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--account, --service, --wallet-dir and --yes, shared by every command."""
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        account_option("participant", required=True),
        click.option(
            "--service",
            default=None,
            metavar="URL",
            help=f"oracle service (default: $TOURNAMENT_SERVICE or {service_url()})",
        ),
        click.option(
            "--wallet-dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=None,
            help="where salts and files are saved (default: $TOURNAMENT_WALLET_DIR or "
            "~/.tournament)",
        ),
        yes_option("send without asking"),
        confirmations_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def open_wallet(
    provider: Any, account_spec: str, service: str | None, wallet_dir: Path | None, yes: bool
) -> Wallet:
    from oracle.chain.accounts import resolve_account

    return Wallet(
        provider,
        resolve_account(account_spec, "participant", provider),
        service,
        Vault(wallet_dir) if wallet_dir else None,
        confirm=confirm_on_terminal(provider, yes),
    )


def say_sent(sent: list[Any]) -> None:
    for s in sent:
        out.print(f"sent {s.label}: {s.tx_hash} (gas {s.gas_used:,})")


def when(timestamp: int) -> str:
    return utc_time(timestamp) if timestamp else "-"


@click.group()
def cli() -> None:
    """A participant's wallet: data, submit, reveal, status, claim, refund, withdraw."""


@cli.command("balance", cls=DevnetCommand)
@wallet_options
@cli_errors
def balance_command(
    provider: Any, account_spec: Any, service: Any, wallet_dir: Any, yes: Any
) -> None:
    """Tokens and ether held, and tokens at stake."""
    b = open_wallet(provider, account_spec, service, wallet_dir, yes).balance()
    out.print(f"account {b.address}")
    out.print(f"tokens  {format_amount(b.tokens)}")
    out.print(f"staked  {format_amount(b.staked)}")
    out.print(f"ether   {format_amount(b.ether)}")


@cli.command("models", cls=DevnetCommand)
@some_round_option
@wallet_options
@cli_errors
def models_command(
    provider: Any, round_id: Any, account_spec: Any, service: Any, wallet_dir: Any, yes: Any
) -> None:
    """My models and their stakes, per round. A model's id is keccak256("model:" + name)."""
    rows = open_wallet(provider, account_spec, service, wallet_dir, yes).models(round_id)
    if not rows:
        out.print("no positions")
        return
    table = Table("round", "model", "model id", "stake", "state", "saved")
    for r in rows:
        state = (
            f"{r.settled} {format_amount(r.payout)}"
            if r.settled
            else ("staked" if r.stake else ("not on chain" if r.note else "withdrawn"))
        )
        table.add_row(
            str(r.round),
            r.model or "?",
            r.model_id,
            table_amount(r.stake),
            state,
            "yes" if r.saved else "no",
        )
    out.print(table)
    for r in rows:
        if r.note:
            out.print(f"! round {r.round} {r.model or r.model_id}: {r.note}")


@cli.command("data", cls=DevnetCommand)
@round_option
@click.option("--training", is_flag=True, help="the training data instead of the live data")
@click.option("--validation", is_flag=True, help="the validation eras (with targets, for diagnose)")
@click.option(
    "--out",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="file to write (default: live-N.parquet, training-N.parquet or validation-N.parquet)",
)
@wallet_options
@cli_errors
def data_command(
    provider: Any,
    round_id: Any,
    training: Any,
    validation: Any,
    path: Any,
    account_spec: Any,
    service: Any,
    wallet_dir: Any,
    yes: Any,
) -> None:
    """Download a round's live data (or its training data or validation eras), checked
    against the chain."""
    if training and validation:
        raise click.UsageError("give --training or --validation, not both")
    wallet = open_wallet(provider, account_spec, service, wallet_dir, yes)
    what = "training" if training else "validation" if validation else "live"
    data = wallet.download(round_id, training=training, validation=validation)
    path = path or Path(f"{what}-{round_id}.parquet")
    write_atomically(path, data)
    from oracle.store import content_hash

    out.print(f"wrote {path} ({len(data):,} bytes, {content_hash(data)})")


@cli.command("diagnose", cls=DevnetCommand)
@round_option
@click.option(
    "--predictions",
    "predictions_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="predictions for every validation id (parquet or csv: id, prediction)",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="also write the diagnostics as one self-contained HTML page",
)
@click.option("--json", "as_json", is_flag=True, help="print every number as JSON instead")
@wallet_options
@cli_errors
def diagnose_command(
    provider: Any,
    round_id: Any,
    predictions_path: Any,
    html_path: Any,
    as_json: Any,
    account_spec: Any,
    service: Any,
    wallet_dir: Any,
    yes: Any,
) -> None:
    """Score predictions on the round's validation eras before staking: CORR, MMC, FNC and
    the correlation with the example model, per era and summarised."""
    wallet = open_wallet(provider, account_spec, service, wallet_dir, yes)
    with console.status("downloading the validation eras and scoring"):
        d = wallet.diagnose(round_id, predictions_path)
    if html_path is not None:
        from oracle.pages.diagnostics import render_diagnostics

        html = render_diagnostics(
            d,
            round_id=round_id,
            chain_id=wallet.context.chain_id,
            tournament=wallet.reader.address,
            model=predictions_path.name,
        )
        write_atomically(html_path, html.encode(), mode=0o644)
    if as_json:
        import json

        click.echo(json.dumps(d.to_json(), indent=2))
    else:
        print_diagnostics(d)
    if html_path is not None:
        console.print(f"wrote {html_path}")


def print_diagnostics(d: Any) -> None:
    """The per-era table and the summary, as rich tables."""
    from oracle.pages.diagnostics import SUMMARY_ROWS
    from oracle.pages.templating import plain, score
    from oracle.scoring.diagnostics import ERA_SCORES

    eras = Table(title="validation eras", title_justify="left")
    for name in ("era", *(label for label, _ in SUMMARY_ROWS)):
        eras.add_column(name, justify="left" if name == "era" else "right")
    for era, row in d.eras.iterrows():
        eras.add_row(
            str(era),
            *(score(None if v != v else float(v)) for v in row[list(ERA_SCORES)]),
        )
    out.print(eras)
    summary = Table(title="summary", title_justify="left")
    for name in ("score", "mean", "std", "Sharpe"):
        summary.add_column(name, justify="left" if name == "score" else "right")
    for label, key in SUMMARY_ROWS:
        s = d.summaries[key]
        if key == "example_corr":  # a similarity, not a return: its spread means little
            summary.add_row(label, score(s.mean), "-", "-")
        else:
            summary.add_row(label, score(s.mean), plain(s.std), score(s.sharpe))
    out.print(summary)
    out.print(f"max drawdown {plain(d.max_drawdown)}; worst era {d.worst_era or '-'} "
              f"(CORR {score(d.worst_corr)})")  # fmt: skip
    out.print(f"feature exposure: max {plain(d.max_exposure)}, RMS {plain(d.rms_exposure)}")


@cli.command("submit", cls=DevnetCommand)
@round_option
@click.option("--model", required=True, help="model name (its id is keccak256('model:' + name))")
@click.option(
    "--predictions",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="parquet or csv with columns id,prediction",
)
@click.option("--stake", required=True, help="total stake on this model, in tokens (12.5)")
@wallet_options
@cli_errors
def submit_command(
    provider: Any,
    round_id: Any,
    model: Any,
    predictions: Any,
    stake: Any,
    account_spec: Any,
    service: Any,
    wallet_dir: Any,
    yes: Any,
) -> None:
    """Validate, save the file and a fresh salt, then stake with the commitment."""
    wallet = open_wallet(provider, account_spec, service, wallet_dir, yes)
    result = wallet.submit(round_id, model, predictions, stake)
    say_submitted(wallet, result)


def say_submitted(wallet: Wallet, result: Any) -> None:
    s = result.submission
    say_sent(result.sent)
    folder = wallet.vault.folder(s.chain_id, s.tournament, s.round, s.account, s.model)
    if not result.sent:
        out.print(f"{s.model} in round {s.round} already holds this submission: nothing sent")
    out.print(
        f"submitted {s.model} to round {s.round}: stake {format_amount(result.stake)} tokens, "
        f"commitment {s.commitment}, salt saved in {folder}"
    )


@cli.command("reveal", cls=DevnetCommand)
@round_option
@wallet_options
@cli_errors
def reveal_command(
    provider: Any, round_id: Any, account_spec: Any, service: Any, wallet_dir: Any, yes: Any
) -> None:
    """After close, send every model's file and salt to the service (safe to repeat)."""
    answers = open_wallet(provider, account_spec, service, wallet_dir, yes).reveal(round_id)
    for a in answers:
        reason = f": {a.reason}" if a.reason else ""
        out.print(f"{a.model}: {a.status}{reason}")
    failed = [a for a in answers if a.status != "accepted"]
    if failed:
        raise WalletError(f"{len(failed)} of {len(answers)} reveal(s) were not accepted")


@cli.command("status", cls=DevnetCommand)
@round_option
@wallet_options
@cli_errors
def status_command(
    provider: Any, round_id: Any, account_spec: Any, service: Any, wallet_dir: Any, yes: Any
) -> None:
    """The round's phase, and my positions with their scores, reward and burn."""
    st = open_wallet(provider, account_spec, service, wallet_dir, yes).status(round_id)
    out.print(
        f"round {st.round}: {st.phase} (next: {st.next_action or '-'}); close {when(st.close_time)}, "
        f"reveals until {when(st.reveal_deadline)}, chain time {when(st.chain_time)}"
    )
    table = Table(
        "model", "stake", "saved", "result", "CORR", "MMC", "TC", "reward", "burn", "net", "settled"
    )
    for p in st.positions:
        scores = p.scores or {}
        table.add_row(
            p.model,
            table_amount(p.stake),
            "yes" if p.saved else "no",
            (p.result or "-") + (f" ({p.reason})" if p.reason else ""),
            *(f"{scores[k]:.4f}" if k in scores else "-" for k in ("corr", "mmc", "tc")),
            table_amount(p.reward),
            table_amount(p.burn),
            table_amount(p.reward - p.burn, signed=True),
            p.settled or "-",
        )
    out.print(table)


@cli.command("claim", cls=DevnetCommand)
@round_option
@click.option("--model", default=None, help="claim only this model (default: all)")
@click.option(
    "--restake-into",
    type=click.IntRange(min=1),
    default=None,
    metavar="ROUND",
    help="restake each payout on the same model in this round (claimAndRestake)",
)
@click.option(
    "--predictions",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="with --restake-into and --model: commit the restake to this file",
)
@wallet_options
@cli_errors
def claim_command(
    provider: Any,
    round_id: Any,
    model: Any,
    restake_into: Any,
    predictions: Any,
    account_spec: Any,
    service: Any,
    wallet_dir: Any,
    yes: Any,
) -> None:
    """Claim a finalized round's payouts, with the service's proofs checked on the way."""
    wallet = open_wallet(provider, account_spec, service, wallet_dir, yes)
    result = wallet.claim(round_id, restake_into=restake_into, model=model, predictions=predictions)
    say_sent(result.sent)
    where = f" restaked into round {result.restaked_into}" if result.restaked_into else " paid"
    for name, payout in result.claimed:
        out.print(f"{name}: {format_amount(payout)} tokens{where}")


@cli.command("refund", cls=DevnetCommand)
@round_option
@wallet_options
@cli_errors
def refund_command(
    provider: Any, round_id: Any, account_spec: Any, service: Any, wallet_dir: Any, yes: Any
) -> None:
    """Take back every stake of a cancelled or timed-out round."""
    say_sent(open_wallet(provider, account_spec, service, wallet_dir, yes).refund(round_id))


@cli.command("withdraw", cls=DevnetCommand)
@round_option
@click.option("--model", required=True)
@click.option("--amount", default=None, help="tokens to take out (default: the whole stake)")
@wallet_options
@cli_errors
def withdraw_command(
    provider: Any,
    round_id: Any,
    model: Any,
    amount: Any,
    account_spec: Any,
    service: Any,
    wallet_dir: Any,
    yes: Any,
) -> None:
    """Before close, take tokens out of a model's stake."""
    wallet = open_wallet(provider, account_spec, service, wallet_dir, yes)
    say_sent(wallet.withdraw(round_id, model, amount))


@cli.command("example-model", cls=DevnetCommand)
@round_option
@click.option("--model", default="example", show_default=True)
@click.option("--stake", required=True, help="stake in tokens")
@click.option(
    "--out",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="also write the predictions here",
)
@wallet_options
@cli_errors
def example_model_command(
    provider: Any,
    round_id: Any,
    model: Any,
    stake: Any,
    path: Any,
    account_spec: Any,
    service: Any,
    wallet_dir: Any,
    yes: Any,
) -> None:
    """Train LightGBM on the round's training data and submit its predictions."""
    from oracle.models.example import example_predictions

    wallet = open_wallet(provider, account_spec, service, wallet_dir, yes)
    with console.status("downloading the training and live data"):
        training = wallet.training_data(round_id)
        live = wallet.live_data(round_id)
    with console.status("training") as status:
        predictions = example_predictions(training, live, progress=status.update)
    if path is not None:
        predictions.to_csv(path, index=False)
        out.print(f"wrote {path}")
    say_submitted(wallet, wallet.submit(round_id, model, predictions, stake))
