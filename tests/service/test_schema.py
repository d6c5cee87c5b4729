"""The schemas /openapi.json gives for the answers served as bytes (the results file, the tree)
match what the resolver writes: a client generated from them reads a real round."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oracle.audit.results import compute_results
from oracle.service.schema import MerkleTreeDump, ResultsFile, inline_schema
from tests.helpers.rounds import build


@pytest.mark.parametrize("kind", ["classic", "signals"])
def test_resultsFileSchema_describesARealResultsFile(tmp_path: Path, kind: str) -> None:
    document = json.loads(compute_results(build(tmp_path, kind=kind)).data)
    parsed = ResultsFile.model_validate(document)
    assert parsed.tree.values and len(parsed.positions) == parsed.totals["positions"]
    MerkleTreeDump.model_validate(document["tree"])


def test_inlineSchema_leavesNoReferenceBehind() -> None:
    text = json.dumps(inline_schema(ResultsFile))
    assert "$ref" not in text and "$defs" not in text
    assert "treeIndex" in text and "reason" in text
