"""The package's layout rules hold: no import circle, no import from a lower floor to a higher
one, the participant's side apart from the operator's, the study apart from the web stack, and
no module over 500 lines (tools/imports.py prints the graph)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from oracle import PROJECT_ROOT

MAX_LINES = 500


def _imports_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("imports_tool", PROJECT_ROOT / "tools/imports.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["imports_tool"] = module
    spec.loader.exec_module(module)
    return module


TOOL = _imports_tool()
GRAPH: dict[str, set[str]] = TOOL.module_graph()


def test_importGraph_hasNoCircle() -> None:
    assert TOOL.circles(GRAPH) == []
    assert TOOL.circles(TOOL.package_graph(GRAPH)) == []


def test_importGraph_neverImportsFromALowerFloorToAHigherOne() -> None:
    assert TOOL.upward(GRAPH) == []


def test_importGraph_findsTheImportsInsideFunctions() -> None:
    # oracle.chain.token imports oracle.chain.deploy inside a function only.
    assert "oracle.chain.deploy" in GRAPH["oracle.chain.token"]


def _reaches(prefix: str) -> dict[str, list[str]]:
    return {
        source: sorted(t for t in targets if t.startswith(prefix))
        for source, targets in GRAPH.items()
        if any(t.startswith(prefix) for t in targets)
    }


def test_wallet_importsNeitherTheResolverNorTheService() -> None:
    wallet = {s: t for s, t in _reaches("oracle.resolver").items() if s.startswith("oracle.wallet")}
    wallet.update(
        {s: t for s, t in _reaches("oracle.service").items() if s.startswith("oracle.wallet")}
    )
    assert wallet == {}


def test_audit_importsNeitherSide() -> None:
    """What anyone runs to check a round depends on neither the operator's side nor the
    participant's (both stand on it)."""
    sides = ("oracle.resolver", "oracle.wallet", "oracle.service")
    found = {
        source: [t for t in targets if t.startswith(sides)]
        for source, targets in GRAPH.items()
        if source.startswith("oracle.audit") and any(t.startswith(sides) for t in targets)
    }
    assert found == {}


def test_study_doesNotImportTheService() -> None:
    study = {s: t for s, t in _reaches("oracle.service").items() if s.startswith("oracle.simulate")}
    assert study == {}


def test_everyModule_isAtMost500Lines() -> None:
    long = {
        str(path.relative_to(PROJECT_ROOT)): n
        for path in sorted((PROJECT_ROOT / "oracle").rglob("*.py"))
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_everyPackage_hasAFloor() -> None:
    packages = {TOOL.package_of(m) for m in GRAPH}
    assert all(isinstance(TOOL.floor_of(p), int) for p in packages)


def test_layoutTool_seesACircleWhenThereIsOne(tmp_path: Path) -> None:
    assert TOOL.circles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
