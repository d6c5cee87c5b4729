"""docs/incentives.md states what bench/results/incentives.json holds: the digest, every cell
of the side-by-side table, and each rule's totals."""

from __future__ import annotations

import json
import re

from oracle import PROJECT_ROOT

DOC = (PROJECT_ROOT / "docs" / "incentives.md").read_text()
RESULTS = json.loads((PROJECT_ROOT / "bench" / "results" / "incentives.json").read_text())


def _table(header_start: str) -> list[list[str]]:
    lines = DOC[DOC.index(header_start) :].splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_docs_digest_isTheResultsDigest() -> None:
    assert RESULTS["config"]["rounds"] == 200 and RESULTS["config"]["seed"] == 0
    assert f"`{RESULTS['digest']}`" in DOC


def test_docs_sideBySideTable_matchesTheResults() -> None:
    rows = _table("| strategy | default (0.5 CORR + 2 MMC)")
    rules = [r["name"] for r in RESULTS["rules"]]
    assert [r[0] for r in rows] == [s["name"] for s in RESULTS["population"]["strategies"]]
    for i, row in enumerate(rows):
        for rule, cell in zip(rules, row[1:], strict=True):
            s = RESULTS["summary"][rule][i]
            low, high = s["ci95_pct"]
            mark = {"earns": "**", "loses": "_"}.get(s["verdict"], "")
            assert cell == f"{mark}{s['mean_pct']:+.2f}{mark} [{low:+.2f}, {high:+.2f}]"


def test_docs_totals_matchTheResults() -> None:
    rows = _table("| rule | reward paid | burned |")
    assert [r[0] for r in rows] == [r["name"] for r in RESULTS["rules"]]
    for row in rows:
        rounds = RESULTS["rounds"][row[0]]
        assert row[1] == f"{sum(rounds['reward']):,.1f}"
        assert row[2] == f"{sum(rounds['burned']):,.1f}"
        used = sum(rounds["budget_used"]) / len(rounds["budget_used"])
        assert row[4] == f"{used * 100:.1f}%"
        assert row[5] == f"{rounds['supply'][-1]:,.2f}"
        (budget,) = [
            p["detail"]
            for p in RESULTS["properties"]
            if p["rule"] == row[0] and p["property"] == "no round pays more than its budget"
        ]
        assert f"scaled down to the budget in {row[3]} of 200 rounds" in budget
    failing = {p["rule"] for p in RESULTS["properties"] if not p["holds"]}
    split = next(line for line in DOC.splitlines() if line.startswith("| a stake split"))
    assert len(re.findall(r"\*\*fails", split)) == len(failing)
