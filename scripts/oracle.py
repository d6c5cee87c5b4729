"""`ape run oracle <command>`: the operator's round pipeline (see oracle/resolver/).

Every command reads the tournament from the chain and its artefacts from the store
(`--store`, default `$TOURNAMENT_STORE` or `.store/`), so each can be run again safely.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from oracle.audit.context import OracleContext
from oracle.audit.verify import verify_round
from oracle.chain.accounts import is_local_chain, resolve_account
from oracle.cli.boundary import cli_errors
from oracle.cli.commands import DevnetCommand
from oracle.cli.options import (
    DURATION,
    account_option,
    round_option,
    seconds_of,
    store_option,
    yes_option,
)
from oracle.errors import TournamentError
from oracle.protocol.units import format_amount, parse_amount, table_amount
from oracle.resolver import keeper, opening, pipeline
from oracle.resolver.intake import Intake, publish_targets
from oracle.scoring import ScoringConfig
from oracle.store import LocalStore, default_store
from oracle.times import utc_time

console = Console(stderr=True)


def context(provider: Any, store_path: Path | None) -> OracleContext:
    store = LocalStore(store_path) if store_path else default_store()
    store.sweep()
    return OracleContext.connect(provider, store)


@click.group()
def cli() -> None:
    """Run tournament rounds: open, intake reveals, publish targets, resolve, finalize, settle,
    verify, status, the keeper loop, the service and round reports."""


def _secret_from(path: Path) -> bytes:
    """A round secret from a file: 64 hex digits (``0x`` optional)."""
    text = path.read_text(errors="replace").strip().removeprefix("0x")
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != 32:
        raise TournamentError(f"{path} must hold a 32-byte secret as 64 hex digits")
    return secret


#: The keys of a rounds config file, and how each is read.
_PLAN_KEYS: dict[str, Any] = {
    "kind": str,
    "seed": int,
    "live_stocks": int,
    "budget": lambda v: parse_amount(str(v)),
    "min_stake": lambda v: parse_amount(str(v)),
    "close_in": lambda v: seconds_of(str(v)),
    "reveal_window": lambda v: seconds_of(str(v)),
    "resolve_after": lambda v: seconds_of(str(v)),
    "resolve_window": lambda v: seconds_of(str(v)),
    "challenge": lambda v: seconds_of(str(v)),
    "config": lambda v: ScoringConfig.load(Path(v)),
    "benchmarks": bool,
}


def _plan_from(path: Path | None) -> opening.RoundPlan:
    """The rounds config file's round (open-round's defaults where it says nothing)."""
    if path is None:
        return opening.RoundPlan()
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise TournamentError(f"cannot read the rounds config {path}: {err}") from None
    if not isinstance(raw, dict):
        raise TournamentError(f"{path} must hold a JSON object of open-round's options")
    unknown = sorted(set(raw) - set(_PLAN_KEYS))
    if unknown:
        raise TournamentError(
            f"{path}: unknown key(s) {', '.join(unknown)}: use {', '.join(sorted(_PLAN_KEYS))}"
        )
    try:
        return opening.RoundPlan(**{k: _PLAN_KEYS[k](v) for k, v in raw.items()})
    except (TypeError, ValueError) as err:
        raise TournamentError(f"{path}: {err}") from None


@cli.command("open-round", cls=DevnetCommand)
@click.option(
    "--kind", type=click.Choice(["classic", "signals"]), default="classic", show_default=True
)
@click.option("--seed", type=int, default=0, show_default=True, help="synthetic market seed")
@click.option("--live-stocks", type=click.IntRange(min=10), default=5000, show_default=True)
@click.option(
    "--live-data",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="open on your own live data (parquet: id + features); targets come later",
)
@click.option(
    "--validation-data",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="publish your own validation eras (parquet: era, id, features, target) for diagnostics",
)
@click.option(
    "--benchmarks/--no-benchmarks",
    default=True,
    show_default=True,
    help="fit the benchmark models and publish their validation predictions (about 3 s)",
)
@click.option(
    "--secret-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="draw the synthetic round with this 32-byte secret (64 hex digits) instead of a fresh "
    "one; keep the file private until the reveal deadline",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="scoring config JSON (default: 0.5 CORR + 2 MMC, clip 5%)",
)
@click.option("--budget", default="1000", show_default=True, help="reward budget in tokens")
@click.option("--min-stake", default="1", show_default=True, help="smallest stake in tokens")
@click.option("--close-in", type=DURATION, default="1h", show_default=True, help="staking window")
@click.option(
    "--reveal-window", type=DURATION, default="1h", show_default=True, help="reveals after close"
)
@click.option(
    "--resolve-after",
    type=DURATION,
    default="0s",
    show_default=True,
    help="time after the reveal deadline before the resolution may be posted",
)
@click.option(
    "--resolve-window",
    type=DURATION,
    default="7d",
    show_default=True,
    help="time after the reveal deadline by which the round must be resolved",
)
@click.option(
    "--challenge", type=DURATION, default="1d", show_default=True, help="challenge period"
)
@account_option("operator")
@click.option(
    "--treasury-account",
    default=None,
    metavar="ALIAS|N",
    help="account that funds the budget (default: the treasury's development account)",
)
@store_option
@cli_errors
def open_round_command(
    provider: Any,
    kind: Any,
    seed: Any,
    live_stocks: Any,
    live_data: Any,
    validation_data: Any,
    benchmarks: Any,
    secret_file: Any,
    config_path: Any,
    budget: Any,
    min_stake: Any,
    close_in: Any,
    reveal_window: Any,
    resolve_after: Any,
    resolve_window: Any,
    challenge: Any,
    account_spec: Any,
    treasury_account: Any,
    store_path: Any,
) -> None:
    """Write the round's manifest and data to the store, open it on chain, fund its budget.

    The windows count from when the round lands: the chain time plus the blocks its
    transaction and the confirmations take, at the chain's recent block time."""
    ctx = context(provider, store_path)
    operator = resolve_account(account_spec, "operator", provider)
    treasury = resolve_account(treasury_account, "treasury", provider)
    plan = opening.RoundPlan(
        kind=kind,
        seed=seed,
        live_stocks=live_stocks,
        budget=parse_amount(budget),
        min_stake=parse_amount(min_stake),
        close_in=close_in,
        reveal_window=reveal_window,
        resolve_after=resolve_after,
        resolve_window=resolve_window,
        challenge=challenge,
        config=ScoringConfig.load(config_path) if config_path else None,
        secret=_secret_from(secret_file) if secret_file else None,
        live_data=live_data,
        validation_data=validation_data,
        benchmarks=benchmarks,
    )
    with console.status("opening a round") as status:
        opened = opening.open_planned(ctx, operator, treasury, plan, say=status.update)
    m = opened.manifest
    click.echo(
        f"opened round {opened.round_id} ({kind}, {m.universe:,} ids), budget "
        f"{format_amount(opened.budget)}"
    )
    click.echo(f"  manifest {opened.manifest_hash} (the round's liveDataHash)")
    click.echo(f"  live data {m.live_data}; training data {m.training_data or '-'}")
    click.echo(
        f"  validation data {m.validation_data or '-'}; benchmark predictions {m.benchmarks or '-'}"
    )
    click.echo(
        f"  close {utc_time(m.schedule.close_time)}, reveal deadline "
        f"{utc_time(m.schedule.reveal_deadline)}, resolve after "
        f"{utc_time(m.schedule.resolve_after)}, resolve by {utc_time(m.schedule.resolve_by)}"
    )
    left = m.schedule.close_time - ctx.now()
    click.echo(f"  staking open for {left} s more (asked for {close_in} s)")


@cli.command("intake", cls=DevnetCommand)
@click.argument("reveals", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@store_option
@cli_errors
def intake_command(provider: Any, reveals: Any, store_path: Any) -> None:
    """Take reveals: each REVEAL is a JSON file {round, account, model_id, salt, predictions}
    whose predictions path is relative to it. Prints accepted or rejected with the reason for
    each; exits 1 if any was rejected."""
    ctx = context(provider, store_path)
    rejected = 0
    sessions: dict[int, Intake] = {}
    for path in reveals:
        try:
            record = json.loads(path.read_text())
            round_id = int(record["round"])
            predictions = (path.parent / record["predictions"]).read_bytes()
            if round_id not in sessions:
                sessions[round_id] = Intake(ctx, round_id)
            session = sessions[round_id]
            result = session.take(
                str(record["account"]),
                bytes.fromhex(record["model_id"].removeprefix("0x")),
                bytes.fromhex(record["salt"].removeprefix("0x")),
                predictions,
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            click.echo(f"{path}: rejected: not a readable reveal record ({err})")
            rejected += 1
            continue
        rejected += not result.accepted
        reason = f": {result.reason}" if result.reason else ""
        click.echo(f"{path}: {result.status}{reason}")
    if rejected:
        raise TournamentError(f"{rejected} of {len(reveals)} reveal(s) rejected")


@cli.command("publish-targets", cls=DevnetCommand)
@round_option
@click.option(
    "--targets",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="the targets (parquet: id, target, ...) of a round opened on your own data",
)
@store_option
@cli_errors
def publish_targets_command(provider: Any, round_id: Any, targets: Any, store_path: Any) -> None:
    """After the reveal deadline: publish the reveals and the targets together."""
    ctx = context(provider, store_path)
    done = publish_targets(ctx, round_id, targets, say=console.print)
    click.echo(f"round {round_id}: targets {done.targets}, reveals {done.reveals}")


@cli.command("resolve", cls=DevnetCommand)
@round_option
@account_option("oracle")
@click.option(
    "--misstate",
    is_flag=True,
    hidden=True,
    help="post a deliberately wrong resolution (one payout changed): for dispute drills only",
)
@store_option
@cli_errors
def resolve_command(
    provider: Any, round_id: Any, account_spec: Any, misstate: Any, store_path: Any
) -> None:
    """Score the round, store the results file and post the root (once)."""
    ctx = context(provider, store_path)
    oracle_account = resolve_account(account_spec, "oracle", provider)
    started = time.perf_counter()
    with console.status(f"resolving round {round_id}") as status:
        r = pipeline.resolve(
            ctx, oracle_account, round_id, say=lambda msg: status.update(msg), misstate=misstate
        )
    staked, reward, burn = r.totals
    verb = "posted" if r.posted_now else "already posted"
    click.echo(f"round {round_id}: {verb} root 0x{r.root.hex()}")
    click.echo(
        f"  results {r.results_hash}; staked {format_amount(staked)}, reward "
        f"{format_amount(reward)}, burn {format_amount(burn)} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    if r.results is not None:
        t = r.results.document["totals"]
        click.echo(
            f"  {t['positions']} positions: {t['scored']} scored, {t['rejected']} "
            f"rejected, {t['unrevealed']} unrevealed"
        )


@cli.command("finalize", cls=DevnetCommand)
@round_option
@account_option("finalizer (anyone)")
@store_option
@cli_errors
def finalize_command(provider: Any, round_id: Any, account_spec: Any, store_path: Any) -> None:
    """Finalise a posted round after its challenge window."""
    ctx = context(provider, store_path)
    account = resolve_account(account_spec, "oracle", provider)
    changed = pipeline.finalize(ctx, account, round_id)
    click.echo(f"round {round_id}: {'finalized' if changed else 'already finalized'}")


@cli.command("settle", cls=DevnetCommand)
@round_option
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=None,
    help="leaves per claimMany (default: what half a block's gas allows)",
)
@account_option("settler (anyone)")
@store_option
@cli_errors
def settle_command(
    provider: Any, round_id: Any, batch: Any, account_spec: Any, store_path: Any
) -> None:
    """Claim every unsettled leaf on behalf of its owner, in batches."""
    ctx = context(provider, store_path)
    account = resolve_account(account_spec, "oracle", provider)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"settling round {round_id}", total=None)

        def on_batch(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = pipeline.settle(ctx, account, round_id, max_batch=batch, on_batch=on_batch)
    per_leaf = result.gas_used // result.settled if result.settled else 0
    click.echo(
        f"round {round_id}: settled {result.settled} leaf(s) in {result.transactions} "
        f"transaction(s) ({per_leaf:,} gas per leaf); {result.skipped} already settled"
    )


def service_options(func: Any) -> Any:
    """``--service URL`` and ``--tournament ADDRESS``: read a round's artefacts from a service
    (checked against the chain), not from the operator's store."""
    func = click.option(
        "--tournament",
        default=None,
        metavar="ADDRESS",
        help="the tournament the service must serve (default: this machine's deployment "
        "record, else the one the service names, checked to have code on the chain)",
    )(func)
    return click.option(
        "--service",
        default=None,
        metavar="URL",
        help="fetch every public artefact from this oracle service (or a mirror), each checked "
        "against its hash; --store is then the local copy",
    )(func)


def remote(
    provider: Any, service: str, tournament: str | None, store_path: Path | None, default: Path
) -> OracleContext:
    from oracle.audit.mirror import remote_context

    return remote_context(provider, service, store_path or default, tournament=tournament)


@cli.command("verify", cls=DevnetCommand)
@round_option
@service_options
@store_option
@cli_errors
def verify_command(
    provider: Any, round_id: Any, service: Any, tournament: Any, store_path: Any
) -> None:
    """Recompute a round from public artefacts and the chain; print OK and the root, or the
    first difference (and exit 1). With --service it runs on any machine: the artefacts come
    from the service (into --store, default a temporary folder)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="verify-") as scratch:
        if service:
            ctx = remote(provider, service, tournament, store_path, Path(scratch))
        else:
            ctx = context(provider, store_path)
        with console.status(f"verifying round {round_id}") as status:
            verdict = verify_round(ctx, round_id, say=lambda msg: status.update(msg))
    click.echo(verdict.line())
    if not verdict.ok:
        raise SystemExit(1)


@cli.command("reputation", cls=DevnetCommand)
@service_options
@store_option
@click.option("--json", "as_json", is_flag=True, help="print every model's record as JSON")
@cli_errors
def reputation_command(
    provider: Any, service: Any, tournament: Any, store_path: Any, as_json: Any
) -> None:
    """Recompute every model's reputation, cumulative return and totals from the resolved
    rounds' results files (the service's leaderboard shows the same numbers). With --service
    it runs on any machine, the results files fetched and checked against their hashes."""
    import tempfile

    from oracle.audit.reputation import by_reputation, records, resolved_documents

    with tempfile.TemporaryDirectory(prefix="reputation-") as scratch:
        if service:
            ctx = remote(provider, service, tournament, store_path, Path(scratch))
        else:
            ctx = context(provider, store_path)
        with console.status("reading the resolved rounds' results files"):
            documents = resolved_documents(ctx)
            names = _model_names(ctx, service)
    table = sorted(
        records(documents).values(),
        key=lambda r: by_reputation(r.reputation, names.get(r.model_id) or r.model_id),
    )
    if as_json:
        click.echo(json.dumps(
            {"rounds": [r for r, _ in documents],
             "models": [{**r.to_json(), "name": names.get(r.model_id)} for r in table]},
            indent=2,
        ))  # fmt: skip
        return
    rows = Table("model", "reputation", "cumulative return", "rounds", "total staked", "total net")
    for r in table:
        rows.add_row(
            names.get(r.model_id) or r.model_id,
            "-" if r.reputation is None else f"{r.reputation:+.4f}",
            f"{r.cumulative_return * 100:+.2f}%",
            str(len(r.rounds)),
            table_amount(r.total_staked),
            table_amount(r.total_net, signed=True),
        )
    Console(width=max(Console().width, 120)).print(rows)
    click.echo(f"{len(table)} model(s) over {len(documents)} resolved round(s)")


def _model_names(ctx: OracleContext, service: str | None) -> dict[str, str]:
    """Model names by id: the store's log, and the service's leaderboard when given, each kept
    only if it hashes to its id."""
    from oracle.protocol.commitments import model_id_of

    claimed = {r["model_id"]: r["name"] for r in ctx.store.read_log("model-names")}
    if service:
        import httpx

        try:
            rows = httpx.get(f"{service.rstrip('/')}/api/v1/leaderboard", timeout=30).json()
            claimed.update({m["model_id"]: m["name"] for m in rows["models"] if m.get("name")})
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            pass  # names are a convenience: ids stand in for them
    names = {}
    for model_id, name in claimed.items():
        try:
            if "0x" + model_id_of(str(name)).hex() == model_id:
                names[model_id] = str(name)
        except ValueError:
            continue
    return names


@cli.command("mirror", cls=DevnetCommand)
@click.option("--service", required=True, metavar="URL", help="the service to copy")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="the mirror's store folder (created; a second run copies only what is new)",
)
@click.option("--tournament", default=None, metavar="ADDRESS", help="the tournament it must serve")
@cli_errors
def mirror_command(provider: Any, service: Any, out: Any, tournament: Any) -> None:
    """Copy every public artefact of every round from a service into a store of the same
    layout, each checked against its hash; then `verify --store DIR` works offline and
    `serve --store DIR` republishes it (read-only)."""
    from oracle.audit.mirror import mirror, remote_context

    ctx = remote_context(provider, service, out, tournament=tournament)
    with console.status(f"mirroring {service}") as status:
        report = mirror(ctx, say=lambda msg: status.update(msg))
    for round_id, name in report.pending:
        console.print(f"round {round_id}: {name} not published yet")
    click.echo(
        f"mirror of {ctx.tournament} on chain {ctx.chain_id} in {out}: {report.held} "
        f"artefact(s), {report.fetched} fetched now"
    )
    if report.missing:
        for round_id, name, why in report.missing:
            click.echo(f"round {round_id}: {name}: {why}", err=True)
        raise TournamentError(
            f"{len(report.missing)} artefact(s) the chain names could not be copied (above): "
            "the service withholds or alters them; try another mirror"
        )


@cli.command("status", cls=DevnetCommand)
@store_option
@cli_errors
def status_command(provider: Any, store_path: Any) -> None:
    """Every round: phase, counts, totals and the next action due."""
    ctx = context(provider, store_path)
    now = ctx.now()
    rounds = keeper.all_status(ctx)
    if not rounds:
        click.echo(
            f"no round on chain {ctx.chain_id} yet: open one with `ape run oracle open-round`"
        )
        return
    table = Table(title=f"rounds on chain {ctx.chain_id} (chain time {now})")
    for column in (
        "round",
        "phase",
        "positions",
        "reveals ok/rejected",
        "staked",
        "budget",
        "reward",
        "burn",
        "next",
        "due",
    ):
        table.add_column(column)
    for s in rounds:
        due = "-" if s.due is None else ("now" if s.due <= now else f"in {s.due - now} s")
        table.add_row(
            str(s.round_id),
            s.phase,
            str(s.positions),
            f"{s.accepted}/{s.rejected}",
            format_amount(s.staked),
            format_amount(s.budget),
            format_amount(s.reward),
            format_amount(s.burn),
            s.next_action,
            due,
        )
    Console(width=max(Console().width, 160)).print(table)
    bonds = ctx.reader.bonds()
    click.echo(
        f"bonds: a post locks {format_amount(bonds['resolution_bond'])}, a dispute costs "
        f"{format_amount(bonds['dispute_bond'])}, the guardian rules within "
        f"{bonds['ruling_period'] // 3600} h; the oracle's free pool holds "
        f"{format_amount(bonds['bond_pool'])}"
    )
    for s in rounds:
        for d in ctx.reader.disputes(s.round_id):
            ruled = (
                f"{d.outcome}: paid {format_amount(d.paid)}, burned {format_amount(d.burned)}"
                if d.outcome != "pending"
                else f"pending: the guardian rules by {utc_time(d.rule_by)}"
            )
            click.echo(
                f"round {s.round_id}: root {d.root[:10]}... disputed by {d.disputer} "
                f"(bond {format_amount(d.bond)}, reason {d.reason[:10]}...): {ruled}"
            )


@cli.command("run", cls=DevnetCommand)
@click.option("--once", is_flag=True, help="one pass, then exit (for cron)")
@click.option(
    "--interval",
    type=click.IntRange(min=1),
    default=15,
    show_default=True,
    help="seconds between passes",
)
@click.option(
    "--settle-after",
    type=DURATION,
    default="0s",
    show_default=True,
    help="time after a round's challenge period during which stakers claim for themselves "
    "before the keeper settles the remaining leaves",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="serve /metrics (Prometheus) and /healthz on this port",
)
@click.option(
    "--metrics-host", default="127.0.0.1", show_default=True, help="address of --metrics-port"
)
@click.option(
    "--open-every",
    type=DURATION,
    default=None,
    help="open the next round this long after the last one (at once the first time), as "
    "--rounds-config describes it",
)
@click.option(
    "--rounds-config",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="JSON of open-round's options for --open-every (keys as the options, durations like 7d)",
)
@click.option(
    "--operator-account", default=None, metavar="ALIAS|N", help="opens rounds for --open-every"
)
@click.option(
    "--treasury-account", default=None, metavar="ALIAS|N", help="funds rounds for --open-every"
)
@account_option("oracle")
@store_option
@cli_errors
def run_command(
    provider: Any,
    once: Any,
    interval: Any,
    settle_after: Any,
    metrics_port: Any,
    metrics_host: Any,
    open_every: Any,
    rounds_config: Any,
    operator_account: Any,
    treasury_account: Any,
    account_spec: Any,
    store_path: Any,
) -> None:
    """The keeper: publish, resolve, finalize and settle every round as each becomes due.

    Runs until SIGTERM or Ctrl-C (the step in progress is finished first), logging each line
    with its UTC time; a failed pass is logged and tried again at the next interval.
    """
    from oracle.resolver import daemon

    daemon.utc_logging()
    ctx = context(provider, store_path)
    oracle_account = resolve_account(account_spec, "oracle", provider)
    state = daemon.KeeperState(interval=float(interval), settle_after=int(settle_after))
    stopper = daemon.Stopper()
    stopper.install()
    if metrics_port is not None:
        server = daemon.serve_metrics(state, metrics_host, metrics_port)
        daemon.log.info(
            "metrics on http://%s:%d/metrics, health on /healthz",
            metrics_host,
            server.server_address[1],
        )
    daemon.log.info(
        "keeping tournament %s on chain %d (%d confirmation(s)), a pass every %ds",
        ctx.tournament,
        ctx.chain_id,
        ctx.reader.confirmations,
        interval,
    )
    before_pass = None
    if open_every is not None:
        plan = _plan_from(rounds_config)
        operator = resolve_account(operator_account, "operator", provider)
        treasury = resolve_account(treasury_account, "treasury", provider)

        def before_pass() -> list[str]:
            return opening.open_on_schedule(ctx, operator, treasury, plan, open_every)

    failed = daemon.keep(ctx, oracle_account, state, stopper, once=once, before_pass=before_pass)
    if failed:
        raise TournamentError(f"the pass failed: {state.last_error}")


@cli.command("serve", cls=DevnetCommand)
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--max-upload-mb",
    type=click.FloatRange(min=0.001),
    default=8.0,
    show_default=True,
    help="largest predictions file a reveal may upload",
)
@click.option(
    "--max-ids",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="most ids a predictions file may hold",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="URL",
    help="allow browser calls from this origin (repeatable; CORS is off without it)",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="worker threads for reveal checks and reads",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="service processes sharing the port (reveal checks use about a core each)",
)
@click.option(
    "--upload-timeout",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="seconds a request body may take to arrive (a pause over 10 s also ends it)",
)
@click.option(
    "--max-concurrent-uploads",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="request bodies read at once per process; more are answered 503 at once",
)
@click.option("--access-log", is_flag=True, help="log every request")
@click.option(
    "--read-only",
    is_flag=True,
    help="serve a mirror (`oracle mirror`): every public artefact and page, no reveals taken "
    "(the default for a store that holds a mirror)",
)
@store_option
@cli_errors
def serve_command(
    provider: Any,
    host: Any,
    port: Any,
    max_upload_mb: Any,
    max_ids: Any,
    cors_origins: Any,
    threads: Any,
    workers: Any,
    upload_timeout: Any,
    max_concurrent_uploads: Any,
    access_log: Any,
    read_only: Any,
    store_path: Any,
) -> None:
    """Serve the API (/api/v1, described at /docs) and the leaderboard pages. Holds no key:
    it reads the chain and the store, and takes reveals through the intake (not as a
    read-only mirror)."""
    from oracle.audit.context import ORIGIN
    from oracle.service.server import serve
    from oracle.service.state import ServiceLimits

    ctx = context(provider, store_path)
    read_only = bool(read_only or ctx.store.get_ref(ORIGIN) is not None)
    limits = ServiceLimits(
        int(max_upload_mb * 1024 * 1024),
        max_ids,
        tuple(cors_origins),
        threads=threads,
        body_timeout=upload_timeout,
        idle_timeout=min(10.0, upload_timeout),
        max_uploads=max_concurrent_uploads,
        read_only=read_only,
    )

    def ready() -> None:
        mode = "a read-only mirror of " if read_only else ""
        click.echo(
            f"serving {mode}chain {ctx.chain_id}'s tournament {ctx.tournament} on "
            f"http://{host}:{port} (pages at /, API at /api/v1, its docs at /docs); Ctrl-C stops",
            err=True,
        )

    serve(
        ctx,
        provider,
        limits,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        ready=ready,
    )


@cli.command("report", cls=DevnetCommand)
@round_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="where to write it (default: reports/round-<n>.html)",
)
@store_option
@cli_errors
def report_command(provider: Any, round_id: Any, out: Any, store_path: Any) -> None:
    """Save a round's leaderboard page as one self-contained HTML file (opens with no server)."""
    from oracle import PROJECT_ROOT
    from oracle.service import TournamentView, write_round_report

    ctx = context(provider, store_path)
    path = out or PROJECT_ROOT / "reports" / f"round-{round_id}.html"
    write_round_report(TournamentView(ctx), round_id, path)
    click.echo(f"round {round_id}: wrote {path}")


#: A dispute's gas when it cannot be estimated yet (before the approval it needs).
DISPUTE_GAS = 90_000
#: Where the watcher and the disputer keep their copy of the artefacts and their journal.
WATCH_STORE = Path(".watcher")


@cli.command("dispute", cls=DevnetCommand)
@round_option
@click.option("--service", required=True, metavar="URL", help="the service to verify against")
@click.option("--tournament", default=None, metavar="ADDRESS", help="the tournament it must serve")
@account_option("disputer (anyone)")
@yes_option("send without asking")
@store_option
@cli_errors
def dispute_command(
    provider: Any,
    round_id: Any,
    service: Any,
    tournament: Any,
    account_spec: Any,
    yes: Any,
    store_path: Any,
) -> None:
    """Verify a posted round from the service and, only on a MISMATCH, dispute its root with
    the bond: the report is stored public (--store, default .watcher/) and its hash sent as the
    reason. On OK it refuses."""
    from oracle.cli.confirm import confirm_plan, gas_line
    from oracle.resolver import disputes

    ctx = remote(provider, service, tournament, store_path, WATCH_STORE)
    account = resolve_account(account_spec, "disputer", provider)
    with console.status(f"verifying round {round_id}") as status:
        verdict = verify_round(ctx, round_id, say=lambda msg: status.update(msg))
    click.echo(verdict.line())
    plan = disputes.plan_dispute(ctx, account, verdict)
    if plan.approve:
        gas = DISPUTE_GAS + 50_000
    else:
        gas = int(
            ctx.contract.dispute.estimate_gas_cost(
                round_id, bytes.fromhex(plan.reason[2:]), sender=account
            )
        )
    confirm_plan(
        [*plan.lines(str(account.address)), gas_line(provider, gas)],
        yes or is_local_chain(provider),
    )
    tx = disputes.send_dispute(ctx, account, plan)
    info = ctx.reader.round_info(round_id)
    click.echo(f"disputed round {round_id} in {tx}: the guardian rules by {utc_time(info.rule_by)}")


@cli.command("rule", cls=DevnetCommand)
@round_option
@click.option("--uphold/--reject", required=True, help="veto the root, or let it stand")
@account_option("guardian")
@yes_option("send without asking")
@store_option
@cli_errors
def rule_command(
    provider: Any, round_id: Any, uphold: Any, account_spec: Any, yes: Any, store_path: Any
) -> None:
    """The guardian's ruling on a disputed round: --uphold vetoes the root (the disputer gets
    its bond and half the oracle's), --reject lets it stand (half the disputer's bond to the
    oracle's pool, the rest burned)."""
    from oracle.cli.confirm import confirm_plan
    from oracle.resolver import disputes

    ctx = context(provider, store_path)
    guardian = resolve_account(account_spec, "guardian", provider)
    info = ctx.reader.round_info(round_id)
    verb = "uphold" if uphold else "reject"
    with console.status(f"verifying round {round_id} to check the dispute's reason"):
        check = disputes.check_reason(ctx, round_id)
    confirm_plan(
        [
            f"{verb} the dispute of round {round_id}'s root 0x{info.root.hex()}",
            f"  disputer {info.disputer}, reason {disputes.reason_of(ctx, round_id)}",
            f"  this store's verify: {check}",
            f"  ruling open until {utc_time(info.rule_by)}",
        ],
        yes or is_local_chain(provider),
    )
    tx = disputes.rule(ctx, guardian, round_id, uphold)
    after = ctx.reader.round_info(round_id)
    done = "upheld" if uphold else "rejected"
    click.echo(
        f"round {round_id}: dispute {done} in {tx}; the round is {after.status.name.lower()}"
    )


@cli.command("watch", cls=DevnetCommand)
@click.option("--service", required=True, metavar="URL", help="the service to verify against")
@click.option("--tournament", default=None, metavar="ADDRESS", help="the tournament it must serve")
@account_option("disputer (anyone)")
@click.option("--interval", type=DURATION, default="30s", show_default=True, help="between passes")
@click.option("--once", is_flag=True, help="one pass, then exit")
@store_option
@cli_errors
def watch_command(
    provider: Any,
    service: Any,
    tournament: Any,
    account_spec: Any,
    interval: Any,
    once: Any,
    store_path: Any,
) -> None:
    """Verify every newly posted root from the service and dispute a MISMATCH, once (its
    journal in --store, default .watcher/, survives restarts). Anyone may run it."""
    from oracle.resolver import daemon, disputes

    daemon.utc_logging()
    ctx = remote(provider, service, tournament, store_path, WATCH_STORE)
    account = resolve_account(account_spec, "disputer", provider)
    stopper = daemon.Stopper()
    stopper.install()
    daemon.log.info(
        "watching tournament %s on chain %d through %s as %s, a pass every %ds",
        ctx.tournament,
        ctx.chain_id,
        service,
        account.address,
        interval,
    )
    while not stopper.stopped:
        try:
            for line in disputes.watch_once(ctx, account):
                daemon.log.info("%s", line)
        except TournamentError as err:
            daemon.log.warning("pass failed: %s", err)
        if once:
            break
        stopper.event.wait(interval)
