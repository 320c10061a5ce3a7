"""The folders import each other in one direction (the layering of the design's layout).

    stacks (data) <- infra.config <- components <- infra <- mlops;  pipelines and policy are leaves

Every import counts, the ones inside functions included: a hidden back-edge is still a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("infra.config", "components", "infra", "pipelines", "policy", "mlops")
#: What each layer may import (besides itself).
ALLOWED = {
    "pipelines": set(),
    "policy": set(),
    "infra.config": {"pipelines", "policy"},
    "components": {"infra.config", "pipelines"},
    "infra": {"infra.config", "components", "pipelines", "policy"},
    "mlops": {"infra.config", "infra", "components", "pipelines", "policy"},
}


def layer(module: str) -> str | None:
    """The layer of a dotted module name, or None outside the project."""
    if module == "infra.config" or module.startswith("infra.config."):
        return "infra.config"
    top = module.split(".", 1)[0]
    return top if top in LAYERS else None


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, module)`` of every absolute import in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # ``from infra import config`` imports infra.config.
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)


def edges() -> dict[tuple[str, str], list[str]]:
    """(importer layer, imported layer) -> where, for every cross-layer import in the source."""
    found: dict[tuple[str, str], list[str]] = {}
    for top in ("infra", "components", "pipelines", "policy", "mlops"):
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT)
            source = layer(".".join(relative.with_suffix("").parts))
            for line, module in imports(path):
                target = layer(module)
                if target is not None and target != source:
                    found.setdefault((source, target), []).append(f"{relative}:{line}: {module}")
    return found


def test_every_import_follows_the_layering():
    wrong = [f"{where} ({source} must not import {target})" for (source, target), places in sorted(edges().items())
             if target not in ALLOWED[source] for where in places]
    assert wrong == []


def test_pipelines_import_nothing_of_the_platform():
    assert [where for (source, _), places in edges().items() if source == "pipelines" for where in places] == []


def test_the_folder_graph_has_no_cycle():
    graph: dict[str, set[str]] = {name: set() for name in LAYERS}
    for source, target in edges():
        graph[source].add(target)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:  # pragma: no cover - the failure message
        raise AssertionError(f"import cycle between folders: {error.args[1]}") from None
    assert order.index("infra.config") < order.index("components") < order.index("infra") < order.index("mlops")


def test_the_layer_rules_see_hidden_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from infra.program import build\n    import mlops.cli\n", encoding="utf-8")
    assert [(line, layer(name)) for line, name in imports(module)] == [(2, "infra"), (3, "mlops")]
