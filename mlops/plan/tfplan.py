"""The offline plan as a Terraform plan JSON, so scanners built for Terraform can read a Pulumi stack.

pulumi-aws bridges the Terraform AWS provider, so types and attributes map mechanically: the type
token ``aws:<module>/<name>:<Name>`` becomes ``aws_<module>_<name_snake>`` (EC2 types drop the
module), camelCase inputs become snake_case, nested objects become one-element block lists (maps
such as tags stay maps), and blocks Pulumi pluralises are made singular again. Links between
resources are rebuilt as Terraform ``references``: the mock engine's ids, ARNs and names are
recomputed for every resource and matched against each top-level input, preferring the resource's
own dependencies, so graph checks (a bucket and its policy, a VPC and its flow log) work.

Format: https://developer.hashicorp.com/terraform/internals/json-format
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from mlops.plan.mocks import _NAME_KEYS, PlanMocks

FORMAT_VERSION = "1.2"
TERRAFORM_VERSION = "1.9.0"

#: Tokens whose Terraform type the mechanical rule does not give.
TYPE_OVERRIDES = {
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": "aws_cloudwatch_event_bus_policy",
    # The deprecated Terraform name is the one scanners' checks know; the attributes are the same.
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_bucket_object",
}
#: Attributes that are maps in Terraform (not blocks), at any depth.
MAP_ATTRIBUTES = frozenset({
    "tags", "tags_all", "default_tags", "environment", "dimensions", "variables", "parameters",
    "input_paths_map", "labels", "annotations", "request_parameters", "hyper_parameters",
})
#: Blocks Pulumi names in the plural where Terraform's block name is singular.
SINGULAR_BLOCKS = {
    "rules": "rule",
    "encryption_configurations": "encryption_configuration",
    "notifications": "notification",
    "cost_filters": "cost_filter",
    "metric_queries": "metric_query",
    "transitions": "transition",
    "noncurrent_version_transitions": "noncurrent_version_transition",
    "cors_rules": "cors_rule",
    "containers": "container",
}
#: Per Terraform type, inputs whose Terraform name differs from the snake_case of Pulumi's.
RENAMED_ATTRIBUTES = {"aws_sns_topic_subscription": {"topic": "topic_arn"}}


def snake(name: str) -> str:
    """camelCase or PascalCase → snake_case (``kmsKeyId`` → ``kms_key_id``, ``SSEAlgorithm`` → ``sse_algorithm``)."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def terraform_type(token: str) -> str | None:
    """The Terraform type of a pulumi-aws type token; None for anything that is not an AWS resource."""
    if token in TYPE_OVERRIDES:
        return TYPE_OVERRIDES[token]
    match = re.fullmatch(r"aws:([a-zA-Z0-9]+)/[a-zA-Z0-9]+:([A-Za-z0-9]+)", token)
    if not match:
        return None
    module, name = match.groups()
    if module == "ec2":
        return f"aws_{snake(name)}"
    return f"aws_{snake(module)}_{snake(name)}"


def _convert(value: Any, key: str | None = None) -> Any:
    """Pulumi input values → Terraform attribute values."""
    if isinstance(value, Mapping):
        if key in MAP_ATTRIBUTES:
            return {str(k): _convert(v) for k, v in sorted(value.items())}
        return [_attributes(value)]
    if isinstance(value, list):
        items = [_convert(item, key) for item in value]
        # A list of objects is a repeated block: its items are objects, not one-element lists.
        return [item[0] if isinstance(item, list) and len(item) == 1 and isinstance(item[0], dict)
                and isinstance(value[i], Mapping) else item for i, item in enumerate(items)]
    return value


def _attributes(inputs: Mapping[str, Any], renames: Mapping[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sorted(inputs.items()):
        name = snake(key)
        if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
            name = SINGULAR_BLOCKS.get(name, name)
        name = (renames or {}).get(name, name)
        out[name] = _convert(value, name)
    return out


def _address_name(name: str) -> str:
    """A Pulumi name as a Terraform resource name (letters, digits, ``_`` and ``-``; no leading digit)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"r_{cleaned}"


class _Identities:
    """The values (ids, ARNs, names) each resource will have, recomputed with the mock engine."""

    def __init__(self, plan: Mapping[str, Any], addresses: Mapping[str, str]):
        outputs = plan.get("outputs") or {}
        mocks = PlanMocks(account_id=str(outputs.get("accountId", "")), region=str(outputs.get("region", "")),
                          stack_references=lambda _: {})
        self.by_urn: dict[str, dict[str, str]] = {}
        self.everywhere: dict[str, set[tuple[str, str]]] = {}
        for resource in plan["resources"]:
            urn = resource["urn"]
            if urn not in addresses:
                continue
            args = SimpleNamespace(typ=resource["type"], name=resource["name"], inputs=resource.get("inputs") or {}, custom=True)
            resource_id, state = mocks.new_resource(args)
            values = {"id": str(resource_id)}
            # Only values the resource makes itself (its id, ARN, its own name input such as a bucket's):
            # other inputs, such as a bucket policy's bucket, point at another resource.
            own = ["arn", "keyId", "repositoryUrl", *([_NAME_KEYS[resource["type"]]] if resource["type"] in _NAME_KEYS else [])]
            values.update({snake(k): state[k] for k in own if isinstance(state.get(k), str)})
            # Where one value is several attributes (a bucket's name is its id), Terraform's usual one wins: id.
            self.by_urn[urn] = {value: attr for attr, value in sorted(values.items(), key=lambda item: item[0] == "id") if value}
            for value, attr in self.by_urn[urn].items():
                self.everywhere.setdefault(value, set()).add((urn, attr))

    def match(self, value: str, own: str, dependencies: list[str]) -> tuple[str, str] | None:
        """The (urn, attribute) ``value`` comes from: one of ``dependencies`` first, else the one
        resource in the stack that has it; never the resource itself."""
        for urn in dependencies:
            attr = self.by_urn.get(urn, {}).get(value)
            if attr and urn != own:
                return urn, attr
        owners = sorted(owner for owner in self.everywhere.get(value, ()) if owner[0] != own)
        return owners[0] if len(owners) == 1 else None


def to_tfplan(plan: Mapping[str, Any]) -> dict[str, Any]:
    """Convert ``mlops plan STACK --json`` output to a Terraform plan JSON document.

    Every AWS resource becomes a managed resource to create; components, providers and stack
    references are left out (they have no Terraform counterpart). The same plan gives the same
    document.
    """
    addresses: dict[str, str] = {}
    types: dict[str, str] = {}
    taken: set[str] = set()
    for resource in sorted(plan["resources"], key=lambda r: r["urn"]):
        tf_type = terraform_type(resource["type"])
        if tf_type is None:
            continue
        name = _address_name(resource["name"])
        while f"{tf_type}.{name}" in taken:
            name += "_"
        taken.add(f"{tf_type}.{name}")
        addresses[resource["urn"]] = f"{tf_type}.{name}"
        types[resource["urn"]] = tf_type
    identities = _Identities(plan, addresses)

    planned, changes, configured = [], [], []
    for resource in sorted(plan["resources"], key=lambda r: addresses.get(r["urn"], "")):
        urn = resource["urn"]
        if urn not in addresses:
            continue
        tf_type, address = types[urn], addresses[urn]
        values = _attributes(resource.get("inputs") or {}, RENAMED_ATTRIBUTES.get(tf_type))
        dependencies = [d for d in (resource.get("options") or {}).get("depends_on") or [] if d in addresses]
        expressions: dict[str, Any] = {}
        for attr, value in values.items():
            candidates = value if isinstance(value, list) else [value]
            refs = []
            for candidate in candidates:
                if isinstance(candidate, str):
                    found = identities.match(candidate, urn, dependencies)
                    if found:
                        refs += [f"{addresses[found[0]]}.{found[1]}", addresses[found[0]]]
            expressions[attr] = {"references": list(dict.fromkeys(refs))} if refs else {"constant_value": value}
        name = address.split(".", 1)[1]
        common = {"address": address, "mode": "managed", "type": tf_type, "name": name,
                  "provider_name": "registry.terraform.io/hashicorp/aws"}
        planned.append({**common, "schema_version": 0, "values": values, "sensitive_values": {}})
        changes.append({**common, "change": {"actions": ["create"], "before": None, "after": values,
                                             "after_unknown": {}, "before_sensitive": False, "after_sensitive": {}}})
        configured.append({"address": address, "mode": "managed", "type": tf_type, "name": name,
                           "provider_config_key": "aws", "expressions": expressions, "schema_version": 0,
                           "depends_on": sorted({addresses[d] for d in dependencies})})
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}},
                          "root_module": {"resources": configured}},
    }
