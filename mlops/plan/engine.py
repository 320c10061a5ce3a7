"""The offline plan: run the real program with a stack's settings under Pulumi's mock engine.

No Pulumi CLI, no provider plugins, no credentials. The result lists every resource the
program registers, with inputs and options, in a deterministic order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import set_mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.config import Settings
from infra.program import PROJECT, build
from mlops.deploy.findings import DeployFinding
from mlops.plan.mocks import PlanMocks, RecordingMonitor, Registration
from mlops.plan.references import ReferenceResolver
from policy.engine import Violation

#: Account used in ARNs when a stack names none (the real program asks AWS who it is).
PLACEHOLDER_ACCOUNT = "123456789012"


@dataclass(frozen=True)
class PlanResult:
    """What a stack would register."""

    stack: str
    environment: str
    registrations: tuple[Registration, ...]
    outputs: dict[str, Any]
    violations: tuple[Violation, ...] = field(default_factory=tuple)
    deploy_findings: tuple[DeployFinding, ...] = field(default_factory=tuple)
    #: The monthly cost estimate (``mlops.cost.estimate``), once the plan has been priced.
    cost: dict[str, Any] | None = None

    @property
    def blocking(self) -> bool:
        """Whether ``pulumi up`` must not run: a mandatory policy violation or a deploy error."""
        return any(v.enforcement == "mandatory" for v in self.violations) or any(
            f.severity == "error" for f in self.deploy_findings
        )

    def to_json(self, *, property_dependencies: bool = False) -> dict[str, Any]:
        """The plan contract: stack, environment, resources, outputs, policy, deploy, cost.

        ``property_dependencies`` adds, per resource option, which inputs came from which
        resources; the policy rules use it, the published contract leaves it out.
        """
        return {
            "stack": self.stack,
            "environment": self.environment,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent,
                    "inputs": r.inputs,
                    "options": {
                        "protect": r.protect,
                        "retain_on_delete": r.retain_on_delete,
                        "depends_on": list(r.depends_on),
                        **({"property_dependencies": r.property_dependencies} if property_dependencies else {}),
                    },
                }
                for r in self.registrations
            ],
            "outputs": self.outputs,
            "policy": {"violations": [v.to_json() for v in self.violations]},
            "deploy": {"findings": [f.to_json() for f in self.deploy_findings]},
            **({"cost": self.cost} if self.cost is not None else {}),
        }

    def dumps(self) -> str:
        """The plan as JSON text: sorted keys, so the same input gives the same bytes."""
        return json.dumps(self.to_json(), sort_keys=True, indent=2, default=_plain) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, pulumi.Resource):
        return f"<resource {type(value).__name__}>"
    raise TypeError(f"cannot render {type(value).__name__} in a plan")


def _integral(value: Any) -> Any:
    # The engine carries every number as a float; show whole numbers as integers.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def _normalise(value: Any) -> Any:
    """Round-trip through JSON so the plan holds only plain, sorted data."""
    return _integral(json.loads(json.dumps(value, sort_keys=True, default=_plain)))


#: Type tokens the progress report counts: a training pipeline component registers at once, its
#: pipeline resource once the definition is built.
PIPELINE_COMPONENT = "mlops:pipelines:TrainingPipeline"
PIPELINE_RESOURCE = "aws:sagemaker/pipeline:Pipeline"


class _Counter:
    """Reports ``building pipeline definitions i/N, K resources`` as registrations arrive."""

    def __init__(self, progress: Callable[[str], None]) -> None:
        self._progress = progress
        self._pipelines = self._built = self._resources = 0

    def __call__(self, registration: Registration) -> None:
        self._resources += 1
        if registration.type == PIPELINE_COMPONENT:
            self._pipelines += 1
        elif registration.type == PIPELINE_RESOURCE:
            self._built += 1
        stage = f"building pipeline definitions {self._built}/{self._pipelines}, " if self._built < self._pipelines else ""
        self._progress(f"{stage}registering resources: {self._resources}")


def run_program(
    program: Callable[[], Any],
    *,
    stack: str,
    account_id: str,
    region: str,
    stack_references: Callable[[str], dict[str, Any]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[tuple[Registration, ...], dict[str, Any]]:
    """Run ``program`` under the mock engine; return its registrations (sorted by URN) and outputs.

    ``program`` registers resources and returns the values to resolve as outputs (or None).
    The whole stack plan runs through here, and so can a single component in a test. ``progress``
    is told, as resources register, how many pipeline definitions are built and how many
    resources are registered.
    """
    mocks = PlanMocks(
        account_id=account_id,
        region=region,
        stack_references=stack_references or _no_stack_references,
    )
    monitor = RecordingMonitor(mocks, _Counter(progress) if progress else None)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runtime_settings.reset_options()
    pulumi.runtime.settings.set_root_resource(None)
    set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    outputs: dict[str, Any] = {}

    async def run() -> None:
        registered = program()
        if registered is not None:
            outputs.update(await pulumi.Output.from_input(registered).future())

    try:
        _sync_await(run_pulumi_func(run))
    finally:
        runtime_settings.reset_options()
        pulumi.runtime.settings.set_root_resource(None)
        asyncio.set_event_loop(None)
        loop.close()
    registrations = tuple(
        sorted(
            (
                Registration(**{**r.__dict__, "inputs": _normalise(r.inputs)})
                for r in monitor.registrations
            ),
            key=lambda r: r.urn,
        )
    )
    return registrations, _normalise(outputs)


def _no_stack_references(name: str) -> dict[str, Any]:
    raise LookupError(f"no outputs for the stack reference {name!r}")


def run_plan(settings: Settings, resolver: ReferenceResolver, progress: Callable[[str], None] | None = None) -> PlanResult:
    """Run the program for ``settings`` under the mock engine and collect its registrations."""
    registrations, outputs = run_program(
        lambda: build(settings),
        stack=settings.stack,
        account_id=settings.env.account_id or PLACEHOLDER_ACCOUNT,
        region=settings.env.region,
        stack_references=resolver.outputs,
        progress=progress,
    )
    return PlanResult(
        stack=settings.stack,
        environment=settings.env.environment,
        registrations=registrations,
        outputs=outputs,
    )
