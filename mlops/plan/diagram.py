"""A diagram of a planned stack from its plan JSON: the platform's components and how data flows
between them, as Mermaid text (renders in GitHub markdown) or Graphviz DOT (for ``dot -Tsvg``).

Nodes are the component resources (``mlops:*``) that hold AWS or Kubernetes resources, grouped
under the foundation and each model. An edge A → B says a resource of B takes an input from a
resource of A (``options.depends_on``). Components every resource leans on (the platform key,
roles and access policies, the network) are drawn without their edges: they would connect
everything to everything and hide the flows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from mlops.plan.diff import FOUNDATION, resource_groups

#: Component types drawn without edges: every resource depends on them.
CROSS_CUTTING = frozenset(
    {
        "mlops:security:PlatformKey",
        "mlops:identity:PlatformRoles",
        "mlops:identity:AccessPolicies",
        "mlops:network:PlatformNetwork",
        "mlops:platform:Foundation",
        "mlops:model:ModelComponent",
    }
)

#: Dependencies whose data flows the other way, with the flow's label: (dependency type,
#: dependent type or "*") → (reversed, label). A pipeline names its registry and writes versions
#: into it; a bucket names its access-log bucket and writes logs into it; resources name the
#: dead-letter queue and alert topic they send to.
_FLOWS = {
    ("mlops:registry:ModelRegistry", "mlops:pipelines:TrainingPipeline"): (True, "registers versions"),
    ("mlops:storage:SecureBucket", "mlops:storage:SecureBucket"): (True, "access logs"),
    ("mlops:storage:SecureBucket", "mlops:pipelines:TrainingPipeline"): (False, "data"),
    ("mlops:storage:SecureBucket", "mlops:serving:ModelEndpoint"): (True, "captured requests"),
    ("mlops:storage:SecureBucket", "mlops:monitoring:ModelMonitor"): (True, "reports"),
    ("mlops:serving:ModelEndpoint", "mlops:monitoring:ModelMonitor"): (False, "captured traffic"),
    # The monitoring pipeline reads the endpoint's captured traffic, the pinned version's baseline and
    # the ground truth from the buckets, and writes its reports back.
    ("mlops:serving:ModelEndpoint", "mlops:monitoring:MonitoringPipeline"): (False, "captured traffic"),
    ("mlops:storage:SecureBucket", "mlops:monitoring:MonitoringPipeline"): (False, "data"),
    ("mlops:observability:DeadLetterQueue", "*"): (True, "failed events"),
    ("mlops:observability:AlertTopic", "*"): (True, "alerts"),
}

#: Mermaid node shapes per component type: cylinders for storage, hexagons for compute.
_STORAGE = ("mlops:storage:", "mlops:registry:")
_COMPUTE = ("mlops:pipelines:", "mlops:serving:", "mlops:kubernetes:KubernetesServing")


@dataclass(frozen=True)
class Node:
    """One component: its URN, name, type and group."""

    urn: str
    name: str
    type: str
    group: str
    resources: int

    @property
    def label(self) -> str:
        """``name`` and the component kind, e.g. ``churn-training (TrainingPipeline, 6)``."""
        return f"{self.name}<br/>{self.type.rsplit(':', 1)[-1]} · {self.resources} resources"


@dataclass(frozen=True)
class Diagram:
    """Components and the flows between them."""

    stack: str
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str, str], ...]

    def groups(self) -> list[str]:
        """Foundation first, then models by name."""
        return sorted({n.group for n in self.nodes}, key=lambda g: (g != FOUNDATION, g))


def build(plan: dict[str, Any]) -> Diagram:
    """The diagram of a plan JSON document (``mlops plan --json``)."""
    resources = plan.get("resources", [])
    by_urn = {r["urn"]: r for r in resources}
    groups = resource_groups(plan)

    def owner(urn: str) -> str | None:
        # The nearest component (mlops:*) above a resource; a component is its own owner.
        seen = 0
        while urn in by_urn and seen < 64:
            if by_urn[urn]["type"].startswith("mlops:") and by_urn[urn]["type"] != "mlops:model:ModelComponent":
                return urn
            urn = by_urn[urn].get("parent") or ""
            seen += 1
        return None

    counts: dict[str, int] = {}
    for r in resources:
        if not r["type"].startswith(("mlops:", "pulumi:")):
            component = owner(r["urn"])
            if component:
                counts[component] = counts.get(component, 0) + 1
    nodes = tuple(
        sorted(
            (
                Node(urn, by_urn[urn]["name"], by_urn[urn]["type"], groups.get(urn, FOUNDATION), count)
                for urn, count in counts.items()
                if by_urn[urn]["type"] != "mlops:platform:Foundation"
            ),
            key=lambda n: (n.group != FOUNDATION, n.group, n.type, n.name),
        )
    )
    drawn = {n.urn for n in nodes}
    edges: set[tuple[str, str, str]] = set()
    for r in resources:
        target = owner(r["urn"])
        if target not in drawn or by_urn[target]["type"] in CROSS_CUTTING:
            continue
        for dependency in r["options"].get("depends_on", []):
            source = owner(dependency)
            if source not in drawn or source == target or by_urn[source]["type"] in CROSS_CUTTING or _contains(by_urn, source, target):
                continue
            kinds = (by_urn[source]["type"], by_urn[target]["type"])
            reverse, label = _FLOWS.get(kinds) or _FLOWS.get((kinds[0], "*")) or (False, "")
            edges.add((target, source, label) if reverse else (source, target, label))
    # Serving runs the version pinned in the model's registry (an ARN, not a planned reference).
    for registry in (n for n in nodes if n.type == "mlops:registry:ModelRegistry"):
        for serving in (n for n in nodes if n.group == registry.group and n.type.startswith(_COMPUTE) and "pipelines" not in n.type):
            edges.add((registry.urn, serving.urn, "pinned version"))
    return Diagram(plan.get("stack", ""), nodes, tuple(sorted(edges)))


def _contains(by_urn: dict[str, dict[str, Any]], outer: str, inner: str) -> bool:
    # A component and the components inside it are one box, not a flow.
    urn: str | None = inner
    while urn:
        if urn == outer:
            return True
        urn = by_urn.get(urn, {}).get("parent")
    return False


def _ids(diagram: Diagram) -> dict[str, str]:
    # Stable, readable node ids: the component's name with anything else than [A-Za-z0-9_] as _.
    ids: dict[str, str] = {}
    for node in diagram.nodes:
        base = "n_" + re.sub(r"\W", "_", f"{node.type.rsplit(':', 1)[-1]}_{node.name}")
        candidate, i = base, 2
        while candidate in ids.values():
            candidate, i = f"{base}_{i}", i + 1
        ids[node.urn] = candidate
    return ids


def _slug(text: str) -> str:
    return re.sub(r"\W", "_", text)


def _mermaid_label(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(diagram: Diagram, changes: dict[str, str] | None = None) -> str:
    """Mermaid ``flowchart LR`` text; ``changes`` (component URN → create/update/replace/delete)
    colours the components a plan diff touches."""
    ids = _ids(diagram)
    lines = [f"%% {diagram.stack}: components and data flows (mlops diagram)", "flowchart LR"]
    for group in diagram.groups():
        title = "foundation" if group == FOUNDATION else f"model {group}"
        lines.append(f'  subgraph g_{_slug(group)}["{_mermaid_label(title)}"]')
        for node in (n for n in diagram.nodes if n.group == group):
            label = _mermaid_label(node.label)
            if node.type.startswith(_STORAGE):
                shape = f'[("{label}")]'
            elif node.type.startswith(_COMPUTE):
                shape = f'{{{{"{label}"}}}}'
            else:
                shape = f'["{label}"]'
            lines.append(f"    {ids[node.urn]}{shape}")
        lines.append("  end")
    for source, target, label in diagram.edges:
        arrow = f"-->|{_mermaid_label(label)}|" if label else "-->"
        lines.append(f"  {ids[source]} {arrow} {ids[target]}")
    if changes:
        styles = {"create": "fill:#d4f8d4", "update": "fill:#fff3c4", "replace": "fill:#f6d0f6", "delete": "fill:#f8d4d4"}
        for action, style in styles.items():
            touched = sorted(ids[u] for u, a in changes.items() if a == action and u in ids)
            if touched:
                lines.append(f"  classDef {action} {style}")
                lines.append(f"  class {','.join(touched)} {action}")
    return "\n".join(lines) + "\n"


def to_dot(diagram: Diagram) -> str:
    """Graphviz DOT text (``dot -Tsvg`` draws it)."""
    ids = _ids(diagram)
    lines = [f"digraph {json.dumps(diagram.stack)} {{", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    for index, group in enumerate(diagram.groups()):
        title = "foundation" if group == FOUNDATION else f"model {group}"
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f"    label={json.dumps(title)};")
        for node in (n for n in diagram.nodes if n.group == group):
            shape = "cylinder" if node.type.startswith(_STORAGE) else "hexagon" if node.type.startswith(_COMPUTE) else "box"
            label = node.label.replace("<br/>", "\n")
            lines.append(f"    {ids[node.urn]} [label={json.dumps(label)}, shape={shape}];")
        lines.append("  }")
    for source, target, label in diagram.edges:
        attributes = f" [label={json.dumps(label)}]" if label else ""
        lines.append(f"  {ids[source]} -> {ids[target]}{attributes};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def component_changes(plan: dict[str, Any], changes: list[dict[str, Any]]) -> dict[str, str]:
    """Component URN → the strongest action a plan diff takes on its resources
    (delete > replace > create > update)."""
    by_urn = {r["urn"]: r for r in plan.get("resources", [])}
    rank = {"update": 0, "create": 1, "replace": 2, "delete": 3}
    found: dict[str, str] = {}
    for change in changes:
        urn = by_urn.get(change["urn"], {}).get("parent")
        while urn and urn in by_urn and not by_urn[urn]["type"].startswith("mlops:"):
            urn = by_urn[urn].get("parent")
        if urn and (urn not in found or rank[change["action"]] > rank[found[urn]]):
            found[urn] = change["action"]
    return found
