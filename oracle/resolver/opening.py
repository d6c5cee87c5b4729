"""Opening a round: its artefacts into the store, its manifest committing to them, the round on
chain, and its budget funded.

The artefacts come from the caller: a synthetic round's from
:func:`oracle.audit.synthetic.draw_round`, an operator's own live data from
:func:`own_live_data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oracle.audit.context import OracleContext, Say, quiet
from oracle.audit.results import read_frame
from oracle.audit.synthetic import RoundArtefacts, draw_round
from oracle.errors import RoundDataError
from oracle.protocol.manifest import RoundManifest, Schedule
from oracle.protocol.units import UNIT
from oracle.scoring import ScoringConfig
from oracle.times import utc_time


@dataclass(frozen=True)
class OpenedRound:
    round_id: int
    manifest_hash: str
    manifest: RoundManifest
    budget: int


def landing_time(ctx: OracleContext) -> int:
    """When a round opened now will be seen open: the chain time plus a block for its
    transaction to be included and ``confirmations`` more before readers count it, at the
    chain's recent block time. Windows are counted from here, so a slow or confirmation-heavy
    network does not eat into them."""
    import math

    from oracle.chain.logs import block_interval

    blocks = 1 + ctx.reader.confirmations
    return ctx.now() + math.ceil(blocks * block_interval(ctx.provider.web3.provider))


def next_round_id(ctx: OracleContext) -> int:
    """The id the next opened round will get (a synthetic round is drawn for it)."""
    return int(ctx.contract.nextRound())


def own_live_data(path: Path) -> RoundArtefacts:
    """An operator's live data file (parquet, an ``id`` column and features), as stored; its
    targets come at the reveal deadline (``publish-targets --targets FILE``)."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise RoundDataError(f"cannot read {path}: {err.strerror or err}") from None
    frame = read_frame(data, f"live data {path}")
    if frame.index.has_duplicates:
        raise RoundDataError(f"live data {path} repeats ids: give each id once")
    if len(frame) < 2:
        raise RoundDataError(f"live data {path} needs at least 2 ids")
    return RoundArtefacts(live=data)


def with_own_validation(artefacts: RoundArtefacts, path: Path) -> RoundArtefacts:
    """``artefacts`` with an operator's own validation eras (parquet: ``era``, ``id``, features
    and ``target``) instead of the synthetic ones; no benchmark predictions come with them."""
    from dataclasses import replace

    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise RoundDataError(f"cannot read {path}: {err.strerror or err}") from None
    frame = read_frame(data, f"validation data {path}")
    missing = [c for c in ("era", "target") if c not in frame.columns]
    if missing:
        raise RoundDataError(
            f"validation data {path} lacks the column(s) {', '.join(missing)}: give era, id, "
            "features and target"
        )
    if frame.index.has_duplicates:
        raise RoundDataError(f"validation data {path} repeats ids: give each id once")
    return replace(artefacts, validation=data, benchmarks=None, benchmark_stakes=None)


def open_round(
    ctx: OracleContext,
    operator: Any,
    treasury: Any,
    artefacts: RoundArtefacts,
    *,
    schedule: Schedule,
    budget: int,
    min_stake: int,
    config: ScoringConfig | None = None,
    kind: str = "classic",
    say: Say = quiet,
) -> OpenedRound:
    """Write the round's artefacts and manifest to the store, open it on chain and fund it.

    The targets and the round secret (when the artefacts have them) are stored private; the
    manifest commits to both, and ``publish_targets`` publishes them at the reveal deadline.
    """
    config = config or ScoringConfig()
    schedule.check(ctx.now())
    store = ctx.store
    secret_hash = targets_hash = training_hash = None
    if artefacts.secret is not None:
        secret_hash = store.put(artefacts.secret.to_bytes(), public=False)
    if artefacts.targets is not None:
        targets_hash = store.put(artefacts.targets, public=False)
    if artefacts.training is not None:
        training_hash = store.put(artefacts.training)
    market_info = artefacts.market_info(secret_hash)
    validation = None
    if artefacts.validation is not None:
        validation = {
            "data": store.put(artefacts.validation),
            "benchmarks": None if artefacts.benchmarks is None else store.put(artefacts.benchmarks),
            "stakes": artefacts.benchmark_stakes or {},
        }
    manifest = RoundManifest(
        kind=kind,
        chain_id=ctx.chain_id,
        tournament=ctx.tournament,
        live_data=store.put(artefacts.live),
        scoring_config=store.put(config.to_json().encode()),
        universe=len(read_frame(artefacts.live, "live data")),
        schedule=schedule,
        clip_ppm=config.payout.clip_ppm,
        min_stake=min_stake,
        targets_commitment=targets_hash,
        training_data=training_hash,
        market=market_info,
        validation=validation,
    )
    manifest_hash = store.put(manifest.to_bytes())
    params = (
        schedule.close_time,
        schedule.resolve_after,
        schedule.resolve_by,
        schedule.challenge_period,
        config.payout.clip_ppm,
        min_stake,
        bytes.fromhex(manifest_hash[2:]),
        bytes.fromhex(manifest.scoring_config[2:]),
    )
    round_id = artefacts.round_number
    if round_id is None:
        round_id = next_round_id(ctx)
    say(f"opening round {round_id} on chain")
    receipt = ctx.contract.openRound(params, sender=operator)
    opened = [e for e in receipt.events if e.event_name == "RoundOpened"]
    round_id = int(opened[0].round) if opened else round_id
    store.put_ref(
        ctx.ref(round_id, "open"),
        {"manifest": manifest_hash, "targets": targets_hash, "secret": secret_hash},
    )
    if budget:
        fund_round(ctx, treasury, round_id, budget)
    return OpenedRound(round_id, manifest_hash, manifest, budget)


def fund_round(ctx: OracleContext, treasury: Any, round_id: int, amount: int) -> None:
    """Move ``amount`` from the treasury into the round's budget (approving it first)."""
    from ape import project

    token = project.TournamentToken.at(ctx.contract.token())
    if token.allowance(treasury.address, ctx.tournament) < amount:
        token.approve(ctx.tournament, amount, sender=treasury)
    ctx.contract.fundRound(round_id, amount, sender=treasury)


@dataclass(frozen=True)
class RoundPlan:
    """Everything ``open-round`` is told about a round: its market, money and windows
    (seconds, counted from when the round lands; see :func:`landing_time`)."""

    kind: str = "classic"
    seed: int = 0
    live_stocks: int = 5000
    budget: int = 1000 * UNIT
    min_stake: int = UNIT
    close_in: int = 3600
    reveal_window: int = 3600
    resolve_after: int = 0
    resolve_window: int = 7 * 86_400
    challenge: int = 86_400
    config: ScoringConfig | None = None
    #: The round secret to draw a synthetic round with (default: a fresh one).
    secret: bytes | None = None
    #: The operator's own live data instead of a synthetic round.
    live_data: Path | None = None
    #: Fit the benchmark models and publish their validation predictions (about 3 s).
    benchmarks: bool = True
    #: The operator's own validation eras (parquet: ``era``, ``id``, features, ``target``).
    validation_data: Path | None = None


def open_planned(
    ctx: OracleContext, operator: Any, treasury: Any, plan: RoundPlan, say: Say = quiet
) -> OpenedRound:
    """Draw (or read) the round ``plan`` describes and open and fund it, its windows counted
    from when it lands."""
    from oracle.market import MarketSpec

    now = ctx.now()
    close = landing_time(ctx) + plan.close_in
    deadline = close + plan.reveal_window
    schedule = Schedule(
        close,
        deadline,
        deadline + plan.resolve_after,
        deadline + plan.resolve_window,
        plan.challenge,
    )
    schedule.check(now)
    if plan.live_data is not None:
        say(f"reading the live data {plan.live_data}")
        artefacts = own_live_data(plan.live_data)
    else:
        spec = MarketSpec(seed=plan.seed, live_stocks=plan.live_stocks)
        artefacts = draw_round(
            next_round_id(ctx), spec, plan.kind, plan.secret, say=say, benchmarks=plan.benchmarks
        )
    if plan.validation_data is not None:
        artefacts = with_own_validation(artefacts, plan.validation_data)
    return open_round(
        ctx,
        operator,
        treasury,
        artefacts,
        schedule=schedule,
        budget=plan.budget,
        min_stake=plan.min_stake,
        config=plan.config,
        kind=plan.kind,
        say=say,
    )


def open_on_schedule(
    ctx: OracleContext,
    operator: Any,
    treasury: Any,
    plan: RoundPlan,
    every: int,
    say: Say = quiet,
) -> list[str]:
    """Open the next round of ``plan`` when ``every`` seconds of chain time have passed since
    the last one this schedule opened (at once the first time); what was done.

    The schedule's record in the store names the round being opened before anything is sent,
    so a keeper killed half-way does not open a second round on restart: it finds the round
    on chain and funds whatever part of its budget did not arrive."""
    name = f"rounds/{ctx.chain_id}/{ctx.tournament}/schedule"
    record = ctx.store.get_ref(name) or {}
    now = ctx.now()
    opening = record.get("opening")
    if opening is not None and next_round_id(ctx) > int(opening):
        round_id = int(opening)
        budget = ctx.reader.round_info(round_id).budget
        done = [f"round {round_id}: found opened by an interrupted pass"]
        if budget < plan.budget:
            fund_round(ctx, treasury, round_id, plan.budget - budget)
            done.append(f"round {round_id}: funded the rest of its budget")
        ctx.store.put_ref(name, {"opened_at": now, "last_round": round_id})
        return done
    if "opened_at" in record and now < int(record["opened_at"]) + every:
        return []
    ctx.store.put_ref(name, {**record, "opening": next_round_id(ctx)})
    opened = open_planned(ctx, operator, treasury, plan, say)
    ctx.store.put_ref(name, {"opened_at": now, "last_round": opened.round_id})
    close = utc_time(opened.manifest.schedule.close_time)
    return [f"round {opened.round_id}: opened on schedule; staking closes {close}"]
