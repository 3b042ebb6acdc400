"""No import cycle among the modules of ``planner`` or of ``ui`` (checked on grimp's module graph,
independently of the import-linter contracts). Imports inside functions count too: grimp reads every
import statement of a module, wherever it stands, so a lazy import cannot hide a cycle."""

from __future__ import annotations

import pytest

grimp = pytest.importorskip("grimp")


def strongly_connected_components(nodes: set[str], edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm (iterative): every strongly connected component of the graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[set[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.add(member)
                    if member == node:
                        break
                out.append(comp)
    return out


def test_tarjan_finds_a_planted_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    comps = strongly_connected_components({"a", "b", "c", "d"}, edges)
    assert sorted(map(sorted, comps)) == [["a", "b", "c"], ["d"]]


@pytest.fixture(scope="module")
def graph():  # type: ignore[no-untyped-def]
    return grimp.build_graph("planner", "ui", include_external_packages=False, cache_dir=None)


@pytest.mark.parametrize("package", ["planner", "ui"])
def test_no_import_cycle(graph, package: str) -> None:  # type: ignore[no-untyped-def]
    nodes = {m for m in graph.modules if m == package or m.startswith(package + ".")}
    edges = {m: {t for t in graph.find_modules_directly_imported_by(m) if t in nodes and t != m} for m in nodes}
    assert len(nodes) > 10
    cycles = [sorted(c) for c in strongly_connected_components(nodes, edges) if len(c) > 1]
    assert cycles == [], f"import cycles in {package}: {cycles}"


def test_lazy_imports_are_in_the_graph(graph) -> None:  # type: ignore[no-untyped-def]
    # ui.launcher imports ui.report only inside main(): grimp must still see the edge.
    assert "ui.report" in graph.find_modules_directly_imported_by("ui.launcher")
