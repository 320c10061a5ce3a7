"""Run real pulumi_aws constructors under Pulumi's mocks and return plan entries.

The entries have the shape `mlops plan STACK --json` emits (urn, type, name, parent, inputs,
options), so the rules are tested against the inputs Pulumi really produces, not guessed dicts.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import pulumi
from pulumi.runtime import mocks

ACCOUNT = "111122223333"
DROP = object()
"""Marks an argument or input to remove."""
REGION = "us-east-1"
# Inputs that hold a resource's physical name; AWS uses it as the id (bucket name, role name, ...).
_NAME_INPUTS = ("bucket", "name", "modelPackageGroupName", "domainName", "pipelineName")


class _Mocks(pulumi.runtime.Mocks):
    """Records every resource; answers with AWS-like ids and ARNs."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        physical = next((args.inputs[k] for k in _NAME_INPUTS if isinstance(args.inputs.get(k), str)), None)
        service = args.typ.split(":")[1].split("/")[0] if args.typ.count(":") >= 2 else "pulumi"
        name = physical or args.name
        # Keys carry their resource type, as real ARNs do, so rules can tell what an ARN names.
        path = f"key/{name}" if args.typ == "aws:kms/key:Key" else name
        state = {"name": name, **args.inputs, "arn": f"arn:aws:{service}:{REGION}:{ACCOUNT}:{path}"}
        if args.typ == "aws:s3/bucket:Bucket":
            state["bucket"] = name
        # Resources without a name input get provider-made ids (vpc-..., subnet-...) no input can match.
        return physical or f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        raise NotImplementedError(f"no mock for invoke {args.token}")


class _Monitor(mocks.MockMonitor):
    """Records the resource options the mocks do not see."""

    def __init__(self, mocks_: _Mocks) -> None:
        super().__init__(mocks_)
        self.registrations: dict[tuple[str, str], dict[str, Any]] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        self.registrations[(request.type, request.name)] = {
            "urn": response.urn,
            # As the offline plan records it: top-level resources have no parent.
            "parent": request.parent if "::pulumi:pulumi:Stack::" not in request.parent else None,
            "options": {
                "protect": request.protect,
                "retain_on_delete": request.retainOnDelete,
                "depends_on": sorted(request.dependencies),
                # As the offline plan records them: only inputs computed from other resources.
                "property_dependencies": {key: sorted(deps.urns)
                                          for key, deps in request.propertyDependencies.items() if deps.urns},
            },
        }
        return response


def plan(build: Callable[[], object], stack: str = "prod") -> list[dict[str, Any]]:
    """Run `build` (which constructs resources) as stack `stack`; return its plan entries."""
    recorder = _Mocks()
    monitor = _Monitor(recorder)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        pulumi.runtime.set_mocks(recorder, project="mlops", stack=stack, preview=False, monitor=monitor)

        @pulumi.runtime.test
        def run() -> None:
            build()

        run()
    finally:
        # Leave no mocks, root stack or closed loop behind for the next test.
        pulumi.runtime.settings.reset_options()
        pulumi.runtime.settings.set_root_resource(None)
        asyncio.set_event_loop(None)
        loop.close()
    return [
        {"type": args.typ, "name": args.name, "inputs": args.inputs, **monitor.registrations[(args.typ, args.name)]}
        for args in recorder.resources
    ]


@cache
def planned(build: Callable[[], object], stack: str = "prod") -> tuple[dict[str, Any], ...]:
    """`plan`, built once per test session (callers must not mutate the entries)."""
    return tuple(plan(build, stack))


def edited(resources: Sequence[dict[str, Any]], name: str, path: tuple[str | int, ...],
           value: Any) -> list[dict[str, Any]]:
    """A copy of plan entries with one existing input of resource `name` replaced.

    Only inputs the plan already has can be edited (KeyError otherwise), so an edit never invents
    an input shape. A `value` of DROP deletes the input; with an empty `path` it deletes the
    resource.
    """
    changed = copy.deepcopy(list(resources))
    [entry] = [r for r in changed if r["name"] == name]
    if not path:
        changed.remove(entry)
        return changed
    container = entry["inputs"]
    for step in path[:-1]:
        container = container[step]
    container[path[-1]]  # noqa: B018 (raises KeyError/IndexError for an input the plan does not have)
    if value is DROP:
        del container[path[-1]]
    else:
        container[path[-1]] = value
    return changed
