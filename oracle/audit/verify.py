"""``verify``: recompute a round from public artefacts and the chain, with no oracle key.

1. The chain gives the round (its manifest hash, scoring config hash, root, totals and results
   hash) and, from its events, every position with its last commitment.
2. The store's public artefacts give the manifest, the scoring config, the live data, the
   results file, and through it the targets and the reveals bundle. Every read checks the
   bytes against their hash, so a changed byte is reported with the artefact's name.
3. The targets must match the manifest's commitment; for a synthetic round, the published round
   secret must match its commitment in the manifest and regenerate the round's training data,
   live data and targets exactly; every reveal is checked against its
   commitment and validated again; scores, payouts, leaves and the tree are recomputed in the
   deterministic mode.
4. The recomputed results must equal the published file, byte for byte, and its root and hash
   what the chain holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oracle.audit.context import OracleContext, manifest_of
from oracle.audit.inputs import round_inputs
from oracle.audit.results import compute_results
from oracle.audit.synthetic import RoundSecret, regeneration_mismatch, secret_commitment
from oracle.chain.events import Status
from oracle.errors import (
    ArtefactMissingError,
    CorruptArtefactError,
    ManifestError,
    StoreError,
    TournamentError,
    shortened,
)
from oracle.protocol.manifest import RoundManifest, load_json
from oracle.store import content_hash


@dataclass(frozen=True)
class Verdict:
    ok: bool
    round_id: int
    root: str
    difference: str = ""

    def line(self) -> str:
        if self.ok:
            return f"OK round {self.round_id} root {self.root}"
        return f"MISMATCH round {self.round_id}: {self.difference}"


def _first_difference(expected: Any, found: Any, path: str = "") -> str | None:
    """Where two JSON values first differ, as ``path: expected X, found Y``."""
    if isinstance(expected, dict) and isinstance(found, dict):
        for key in sorted(set(expected) | set(found)):
            if key not in found:
                return f"{path}{key}: expected {_short(expected[key])}, missing"
            if key not in expected:
                return f"{path}{key}: not expected, found {_short(found[key])}"
            diff = _first_difference(expected[key], found[key], f"{path}{key}.")
            if diff:
                return diff
        return None
    if isinstance(expected, list) and isinstance(found, list):
        for i, (a, b) in enumerate(zip(expected, found, strict=False)):
            diff = _first_difference(a, b, f"{path}{_label(a, i)}.")
            if diff:
                return diff
        if len(expected) != len(found):
            return f"{path.rstrip('.')}: expected {len(expected)} entries, found {len(found)}"
        return None
    if expected != found:
        return f"{path.rstrip('.')}: expected {_short(expected)}, found {_short(found)}"
    return None


def _label(entry: Any, i: int) -> str:
    if isinstance(entry, dict) and "account" in entry and "model_id" in entry:
        return f"[{i}] ({entry['account']} model {entry['model_id']})"
    return f"[{i}]"


def _short(value: Any) -> str:
    text = repr(value)
    return shortened(text, 120)


def _manifest_names(manifest: RoundManifest | None) -> dict[str, str]:
    """The artefacts a manifest names, by hash."""
    if manifest is None:
        return {}
    named = {
        manifest.live_data: "live data",
        manifest.training_data: "training data",
        manifest.validation_data: "validation data",
        manifest.benchmarks: "benchmark predictions",
        secret_commitment(manifest.market): "round secret",
    }
    return {digest: name for digest, name in named.items() if digest}


def _regenerated(
    ctx: OracleContext, manifest: RoundManifest, live_data: bytes, targets: bytes
) -> str | None:
    """For a synthetic round: the published round secret must be the one the manifest
    committed to, and must regenerate the round's training data, validation eras, live data and
    targets."""
    digest = secret_commitment(manifest.market)
    if digest is None or manifest.market is None:
        return None
    try:
        secret = RoundSecret.from_bytes(ctx.store.get(digest, public_only=True))
    except ArtefactMissingError:
        raise TournamentError(
            f"round secret: the manifest commits to {digest}, but it is not published: the "
            "operator publishes it with the targets after the reveal deadline"
        ) from None
    except ManifestError as err:
        return f"round secret: {err}"
    training = (
        ctx.store.get(manifest.training_data, public_only=True) if manifest.training_data else None
    )
    validation = (
        ctx.store.get(manifest.validation_data, public_only=True)
        if manifest.validation_data
        else None
    )
    try:
        return regeneration_mismatch(
            manifest.kind,
            manifest.market,
            secret,
            live_data=live_data,
            targets=targets,
            training_data=training,
            validation_data=validation,
        )
    except (ManifestError, KeyError, TypeError, ValueError) as err:
        return f"round secret: it cannot regenerate the round ({err})"


#: How verify names a results file's inputs in its messages.
INPUT_NAMES = {"reveals": "reveals bundle"}


def _reveal_named(text: str, inputs_named: dict[str, Any], ctx: OracleContext) -> str | None:
    """``reveal of ACCOUNT/MODEL`` when ``text`` names a revealed file's hash."""
    from oracle.protocol.manifest import read_reveals_bundle

    digest = inputs_named.get("reveals")
    if not digest:
        return None
    try:
        reveals = read_reveals_bundle(ctx.store.get(str(digest), public_only=True))
    except (StoreError, ManifestError):
        return None
    for reveal in reveals:
        if reveal.predictions_hash in text:
            return f"reveal of {reveal.account}/{reveal.model_id}"
    return None


def report_of(ctx: OracleContext, verdict: Verdict) -> bytes:
    """The mismatch report a dispute's reason hash names: canonical JSON of the round, the
    chain's root and the verdict, so anyone who runs ``verify`` on the same round gets the
    same bytes and the same hash."""
    from oracle.protocol.manifest import canonical_json

    return canonical_json(
        {
            "format": "tournament-dispute-report/1",
            "chain_id": ctx.chain_id,
            "tournament": ctx.tournament,
            "round": verdict.round_id,
            "root": verdict.root,
            "verdict": verdict.line(),
        }
    )


def verify_round(
    ctx: OracleContext, round_id: int, say: Callable[[str], None] | None = None
) -> Verdict:
    """Recompute round ``round_id`` and compare; never raises for a mismatch, only for a round
    that cannot be verified at all (not posted, an artefact missing)."""
    info = ctx.reader.round_info(round_id)
    root = "0x" + info.root.hex()
    if info.status not in (Status.POSTED, Status.FINALIZED, Status.DISPUTED):
        raise TournamentError(
            f"round {round_id} has no posted resolution to verify (it is "
            f"{info.status.name.lower()})"
        )

    def mismatch(what: str) -> Verdict:
        return Verdict(False, round_id, root, what)

    try:
        results_data = ctx.store.get(info.results_hash, public_only=True)
    except CorruptArtefactError as err:
        return mismatch(f"results file: {err}")
    except ArtefactMissingError as err:
        raise TournamentError(f"round {round_id} cannot be verified: results file: {err}") from None
    published = load_json(results_data, "the results file")
    inputs_named = published.get("inputs", {})
    manifest: RoundManifest | None = None
    try:
        manifest = manifest_of(ctx, info, public_only=True)
        targets_hash = str(inputs_named["targets"])
        if manifest.targets_commitment is not None and targets_hash != manifest.targets_commitment:
            return mismatch(
                f"targets: the results file names {targets_hash}, but the manifest committed "
                f"to {manifest.targets_commitment}"
            )
        inputs = round_inputs(
            ctx,
            info,
            targets_hash,
            str(inputs_named["reveals"]),
            public_only=True,
            budget=ctx.reader.posted_budget(round_id),
        )
        drawn = _regenerated(ctx, manifest, inputs.live_data, inputs.targets)
        if drawn is not None:
            return mismatch(drawn)
        recomputed = compute_results(inputs, progress=say)
    except (CorruptArtefactError, ArtefactMissingError) as err:
        text = str(err)
        names = {
            "0x" + info.live_data_hash.hex(): "manifest",
            "0x" + info.scoring_config_hash.hex(): "scoring config",
            **{str(v): INPUT_NAMES.get(k, k.replace("_", " ")) for k, v in inputs_named.items()},
            **_manifest_names(manifest),
        }
        found = next((name for digest, name in names.items() if digest in text), "artefact")
        if text.startswith("reveal of"):
            found = ""
        elif found == "artefact":
            found = _reveal_named(text, inputs_named, ctx) or found
        named = f"{found}: {text}" if found else text
        if isinstance(err, ArtefactMissingError):
            raise TournamentError(f"round {round_id} cannot be verified: {named}") from None
        return mismatch(named)
    except (KeyError, StoreError) as err:
        raise TournamentError(f"round {round_id} cannot be verified: {err}") from None
    diff = (
        None
        if recomputed.data == results_data
        else _first_difference(recomputed.document, published)
    )
    if diff is None and recomputed.data != results_data:
        diff = "the encoding (same content, other bytes: not canonical JSON)"
    if diff:
        return mismatch(f"results file differs from the recomputation at {diff}")
    if recomputed.root != info.root:
        return mismatch(f"root: recomputed 0x{recomputed.root.hex()}, chain holds {root}")
    if content_hash(recomputed.data) != "0x" + info.results_hash.hex():
        return mismatch("results hash: the recomputed file's hash differs from the chain's")
    keys = [(e["account"], e["model_id"]) for e in recomputed.document["positions"]]
    if len(set(keys)) != len(inputs.positions):
        return mismatch("positions: not every position has exactly one leaf")
    totals = recomputed.totals
    chain_totals = (info.total_staked, info.total_reward, info.total_burn)
    if totals != chain_totals:
        return mismatch(f"totals: recomputed {totals}, chain holds {chain_totals}")
    return Verdict(True, round_id, root)
