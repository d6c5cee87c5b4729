"""A deliberately wrong resolution, for the demo's ``--faulty-oracle`` and the tests of
disputes: the honest results with one position's payout changed, re-treed so that the chain
accepts the post (totals within the budget and the clip) and only a recomputation finds it.

Nothing in the operator's normal flow calls this: ``resolve(..., misstate=True)`` only.
"""

from __future__ import annotations

import copy

from oracle.audit.results import Results
from oracle.errors import ResultsError
from oracle.protocol.merkle import LEAF_ENCODING, StandardMerkleTree
from oracle.protocol.results import SCORED, leaf_of


def misstated(results: Results) -> Results:
    """``results`` with the first burned scored position's burn dropped to zero (a loss
    forgiven), or failing that the first rewarded one's reward cut by one base unit."""
    document = copy.deepcopy(results.document)
    entries = document["positions"]
    scored = [e for e in entries if e["status"] == SCORED]
    burned = [e for e in scored if int(e["burn"]) > 0]
    rewarded = [e for e in scored if int(e["reward"]) > 0]
    if burned:
        burned[0]["burn"] = "0"
    elif rewarded:
        rewarded[0]["reward"] = str(int(rewarded[0]["reward"]) - 1)
    else:
        raise ResultsError("no position has a payout to misstate")
    round_id = int(document["round"])
    tree = StandardMerkleTree.of([leaf_of(round_id, e) for e in entries], LEAF_ENCODING)
    for i, entry in enumerate(entries):
        entry["leaf"] = "0x" + tree.leaf(i).hex()
        entry["proof"] = ["0x" + node.hex() for node in tree.proof(i)]
    document["totals"]["reward"] = str(sum(int(e["reward"]) for e in entries))
    document["totals"]["burn"] = str(sum(int(e["burn"]) for e in entries))
    document["root"] = "0x" + tree.root.hex()
    document["tree"] = tree.dump()
    return Results(document, tree)
