"""Print the import graph of oracle/ and scripts/ by package, its circles and its layer breaches.

    python tools/imports.py            # the package graph, circles, upward imports
    python tools/imports.py --modules  # one line per module import

Imports inside functions count as much as imports at the top: a circle hidden in a function is
still a circle.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if parts[0] == "scripts":
        return "scripts." + ".".join(parts[1:])
    return ".".join(parts)


def imports_of(path: Path, name: str, modules: set[str]) -> set[str]:
    """The project modules ``path`` imports (``from pkg import sub`` names ``pkg.sub`` only)."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return {f for f in found if f.split(".")[0] == "oracle"}


def module_graph() -> dict[str, set[str]]:
    files = sorted((ROOT / "oracle").rglob("*.py")) + sorted((ROOT / "scripts").glob("*.py"))
    names = {module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        targets = set()
        for target in imports_of(path, name, set(names)):
            while target and target not in names:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def package_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "scripts":
        return "scripts"
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph.items():
        packages[package_of(source)]
        for target in targets:
            if package_of(target) != package_of(source):
                packages[package_of(source)].add(package_of(target))
    return dict(packages)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


# Lowest first. A package may import only packages on its own floor or below.
LAYERS: list[set[str]] = [
    {"oracle", "oracle.errors", "oracle.times", "oracle.files", "oracle.settings", "oracle.faults"},
    {"oracle.protocol"},
    {"oracle.scoring", "oracle.store", "oracle.chain"},
    {"oracle.market", "oracle.pages"},
    {"oracle.models"},
    {"oracle.audit", "oracle.resolver", "oracle.wallet", "oracle.simulate"},
    {"oracle.service"},
    {"oracle.cli", "oracle.demo"},
    {"scripts"},
]


def floor_of(package: str) -> int:
    for floor, members in enumerate(LAYERS):
        if package in members:
            return floor
    raise SystemExit(f"error: {package} has no floor in tools/imports.py LAYERS: add it")


def upward(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (source, target)
        for source, targets in graph.items()
        for target in targets
        if floor_of(package_of(target)) > floor_of(package_of(source))
    )


def main() -> int:
    graph = module_graph()
    if "--modules" in sys.argv:
        for source in sorted(graph):
            for target in sorted(graph[source]):
                print(f"{source} -> {target}")
        return 0
    packages = package_graph(graph)
    for source in sorted(packages, key=lambda p: (floor_of(p), p)):
        targets = ", ".join(sorted(packages[source])) or "-"
        print(f"[{floor_of(source)}] {source} -> {targets}")
    found = circles(graph)
    print(f"\ncircles between modules: {len(found)}")
    for component in found:
        print("  " + " <-> ".join(component))
    package_circles = circles(packages)
    print(f"circles between packages: {len(package_circles)}")
    for component in package_circles:
        print("  " + " <-> ".join(component))
    breaches = upward(graph)
    print(f"imports from a lower floor to a higher one: {len(breaches)}")
    for source, target in breaches:
        print(f"  {source} -> {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
