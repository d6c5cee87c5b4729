"""A round's results, computed from public artefacts and the chain's positions alone.

``resolve`` and ``verify`` both call :func:`compute_results`, in the deterministic mode, so
the same inputs give the same bytes, the same results hash and the same root on any machine
with the same lock file.

Per position at close (sorted by account, then model id), exactly one leaf:

* **scored**: the reveal's salt and file hash reproduce the position's last commitment and the
  file passes :func:`~oracle.scoring.validate.read_submission`. Scored with the round's other
  scored positions (their stakes weight the meta model), paid by the round's payout rule;
* **rejected**: a reveal was received but fails one of those checks (or its scores are
  undefined): zero reward, zero burn, ``predictionsHash`` zero, and the reason is published;
* **unrevealed**: no reveal: zero reward, zero burn, ``predictionsHash`` zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from oracle import BLAS_CORE
from oracle.audit.checking import Checked, RevealCheck, check_reveals
from oracle.chain.events import Position
from oracle.errors import ResultsError
from oracle.protocol.manifest import Reveal, RoundManifest, canonical_json
from oracle.protocol.merkle import LEAF_ENCODING, StandardMerkleTree
from oracle.protocol.results import (
    REJECTED,
    RESULTS_FORMAT,
    SCORE_NAMES,
    SCORED,
    UNREVEALED,
)
from oracle.scoring import RoundData, ScoringConfig, compute_payouts, score_round
from oracle.scoring.bounded import read_bounded
from oracle.scoring.config import load_config_bytes
from oracle.scoring.fast_read import Universe
from oracle.scoring.round import combined_scores
from oracle.scoring.transforms import DEFAULT_CHUNK, deterministic
from oracle.store import content_hash

ZERO32 = b"\x00" * 32


@dataclass(frozen=True)
class RoundInputs:
    """Everything a round's results depend on."""

    chain_id: int
    tournament: str
    round_id: int
    manifest_hash: str
    manifest: RoundManifest
    config_bytes: bytes
    live_data: bytes
    targets: bytes
    reveals_hash: str
    reveals: list[Reveal]
    positions: list[Position]
    budget: int
    clip_ppm: int
    #: Reads a predictions file by content hash (integrity checked).
    load_file: Callable[[str], bytes]


@dataclass(frozen=True)
class Results:
    document: dict[str, Any]
    tree: StandardMerkleTree

    @property
    def data(self) -> bytes:
        return canonical_json(self.document)

    @property
    def root(self) -> bytes:
        return self.tree.root

    @property
    def totals(self) -> tuple[int, int, int]:
        t = self.document["totals"]
        return int(t["staked"]), int(t["reward"]), int(t["burn"])


def read_frame(data: bytes, what: str) -> pd.DataFrame:
    """A round artefact (live data, targets) as a frame indexed by id, read within the bounds
    of :mod:`oracle.scoring.bounded` (a published artefact is read by every verifier)."""
    frame = read_bounded(data, f"the {what} artefact", error=ResultsError).to_pandas()
    if "id" not in frame.columns:
        raise ResultsError(f"the {what} artefact has no id column")
    frame["id"] = frame["id"].astype(str)
    return frame.set_index("id")


def compute_results(
    inputs: RoundInputs,
    progress: Callable[[str], None] | None = None,
    *,
    workers: int | None = None,
) -> Results:
    """The round's results document and Merkle tree (see the module docstring). ``workers``
    is the number of processes that check the reveals (one per core by default): it cannot
    change the results."""
    say = progress or (lambda _msg: None)
    config = load_config_bytes(inputs.config_bytes)
    rule = replace(config.payout, clip_ppm=min(config.payout.clip_ppm, inputs.clip_ppm))
    live = read_frame(inputs.live_data, "live data")
    targets = read_frame(inputs.targets, "targets")
    universe = Universe(live.index)
    if not targets.index.equals(universe.index):
        raise ResultsError("the targets' ids differ from the live data's ids")
    if "target" not in targets.columns or not np.isfinite(targets["target"]).all():
        raise ResultsError("the targets artefact needs a finite target for every id")

    by_key = {r.key: r for r in inputs.reveals}
    status: dict[int, str] = {}
    reasons: dict[int, str] = {}
    say(f"checking {len(inputs.positions):,} positions against their reveals")
    revealed = {}
    for i, p in enumerate(inputs.positions):
        reveal = by_key.get((p.account, "0x" + p.model_id.hex()))
        if reveal is None:
            status[i] = UNREVEALED
        else:
            revealed[i] = reveal
    checked = check_reveals(
        inputs.chain_id,
        inputs.tournament,
        {i: RevealCheck(inputs.positions[i], reveal) for i, reveal in revealed.items()},
        inputs.load_file,
        universe,
        workers=workers,
    )
    for i, outcome in sorted(checked.outcomes.items()):
        if isinstance(outcome, str):
            status[i], reasons[i] = REJECTED, outcome
        else:
            status[i] = SCORED

    scores = _score(inputs, config, live, targets, checked, status, reasons, say)
    del checked
    scored = [i for i in range(len(inputs.positions)) if status[i] == SCORED]
    combined = dict(zip(scored, combined_scores(scores.loc[scored], rule), strict=True))
    payouts = compute_payouts(
        [inputs.positions[i].stake for i in scored],
        [combined[i] for i in scored],
        rule,
        inputs.budget,
    )
    paid = dict(zip(scored, payouts, strict=True))

    say("building the Merkle tree")
    leaves = []
    for i, p in enumerate(inputs.positions):
        payout = paid.get(i)
        predictions = (
            bytes.fromhex(by_key[(p.account, "0x" + p.model_id.hex())].predictions_hash[2:])
            if i in paid
            else ZERO32
        )
        leaves.append(
            (
                inputs.round_id,
                p.account,
                p.model_id,
                p.stake,
                payout.reward if payout else 0,
                payout.burn if payout else 0,
                predictions,
            )
        )
    if not leaves:
        raise ResultsError(
            f"round {inputs.round_id} has no staked position: nothing to resolve (after its "
            "deadline, releaseBudget returns its budget)"
        )
    tree = StandardMerkleTree.of(leaves, LEAF_ENCODING)

    # Each scored position's scores as Python floats, read off the frame at once (a scalar
    # .loc per score costs more than the whole tree).
    names = [name for name in SCORE_NAMES if name in scores]
    score_rows = dict(
        zip(scores.index.tolist(), scores[names].to_numpy(dtype=np.float64).tolist(), strict=True)
    )
    entries = []
    for i, p in enumerate(inputs.positions):
        payout = paid.get(i)
        entry: dict[str, Any] = {
            "account": p.account,
            "model_id": "0x" + p.model_id.hex(),
            "stake": str(p.stake),
            "commitment": "0x" + p.commitment.hex(),
            "status": status[i],
            "reason": reasons.get(i, ""),
            "predictions_hash": "0x" + leaves[i][6].hex(),
            "scores": None,
            "combined_score": None,
            "payout_ratio_ppb": 0,
            "reward": str(leaves[i][4]),
            "burn": str(leaves[i][5]),
            "leaf": "0x" + tree.leaf(i).hex(),
            "proof": ["0x" + node.hex() for node in tree.proof(i)],
        }
        if payout is not None:
            # score_round leaves out any model with an undefined score: every one is finite.
            entry["scores"] = dict(zip(names, score_rows[i], strict=True))
            entry["combined_score"] = combined[i]
            entry["payout_ratio_ppb"] = payout.ratio_ppb
        entries.append(entry)

    staked = sum(p.stake for p in inputs.positions)
    document = {
        "format": RESULTS_FORMAT,
        "chain_id": inputs.chain_id,
        "tournament": inputs.tournament,
        "round": inputs.round_id,
        "inputs": {
            "manifest": inputs.manifest_hash,
            "scoring_config": content_hash(inputs.config_bytes),
            "live_data": content_hash(inputs.live_data),
            "targets": content_hash(inputs.targets),
            "reveals": inputs.reveals_hash,
        },
        "engine": {
            "chunk": DEFAULT_CHUNK,
            "blas_threads": 1,
            "blas_core": BLAS_CORE,
            "score_scale": 10**9,
        },
        "payout_rule": {
            "corr_weight_ppm": rule.corr_weight_ppm,
            "mmc_weight_ppm": rule.mmc_weight_ppm,
            "tc_weight_ppm": rule.tc_weight_ppm,
            "clip_ppm": rule.clip_ppm,
            "stake_threshold": str(rule.stake_threshold),
        },
        "totals": {
            "positions": len(entries),
            "scored": len(scored),
            "rejected": sum(1 for s in status.values() if s == REJECTED),
            "unrevealed": sum(1 for s in status.values() if s == UNREVEALED),
            "staked": str(staked),
            "budget": str(inputs.budget),
            "reward": str(sum(leaf[4] for leaf in leaves)),
            "burn": str(sum(leaf[5] for leaf in leaves)),
        },
        "root": "0x" + tree.root.hex(),
        "positions": entries,
        "rejections": [
            {"account": e["account"], "model_id": e["model_id"], "reason": e["reason"]}
            for e in entries
            if e["status"] == REJECTED
        ],
        "tree": tree.dump(),
    }
    return Results(document, tree)


def _score(
    inputs: RoundInputs,
    config: ScoringConfig,
    live: pd.DataFrame,
    targets: pd.DataFrame,
    checked: Checked,
    status: dict[int, str],
    reasons: dict[int, str],
    say: Callable[[str], None],
) -> pd.DataFrame:
    """Scores of the scored positions (rows by position index). A position the engine leaves
    out (a score undefined on the live data) is marked rejected with the engine's reason.
    The predictions are scored in ``checked``'s matrix (its rows moved up over the rejected
    ones)."""
    feature_names = [c for c in live.columns if c.startswith("feature")]
    risk_names = [c for c in targets.columns if c.startswith("risk_")]
    neutralizer_names = [c for c in targets.columns if c.startswith("neutralizer_")]
    signals = inputs.manifest.kind == "signals"
    scored = [i for i in sorted(checked.outcomes) if status[i] == SCORED]
    if not scored:
        return pd.DataFrame(index=pd.Index([], dtype=np.int64), columns=["corr"])
    # One model-major (models, ids) array, each model's values contiguous, which is how the
    # frame stores its columns and how the ranking reads them (no strided copy).
    matrix = checked.scored_matrix(scored)
    predictions = pd.DataFrame(
        matrix.T, index=live.index, columns=[f"p{i}" for i in scored], copy=False
    )
    stakes = pd.Series(
        [inputs.positions[i].stake / 10**18 for i in scored], index=predictions.columns
    )
    data = RoundData(
        predictions=predictions,
        targets=targets["target"].astype(np.float64),
        stakes=stakes,
        features=live[feature_names].astype(np.float64) if feature_names else None,
        risk_factors=targets[risk_names].astype(np.float64) if risk_names else None,
        neutralizers=(targets[neutralizer_names].astype(np.float64) if signals else None),
        sample_weights=(targets["sample_weight"].astype(np.float64) if signals else None),
    )
    with deterministic() as chunk:
        out = score_round(data, config, chunk=chunk, progress=say)
    # The engine leaves out a model whose score is undefined, with the reason: that position
    # is rejected, so no NaN is ever paid.
    for name, reason in out.attrs.get("rejected", {}).items():
        status[int(name[1:])] = REJECTED
        reasons[int(name[1:])] = reason
    out.index = pd.Index([int(name[1:]) for name in out.index])
    return out
