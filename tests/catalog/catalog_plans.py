"""Plans of the example catalog and of a few small variants of it, and how tests read them.

A *variant* is a copy of the project's ``Pulumi.yaml`` and ``stacks/`` with one story applied
(the pilot signed off, a model onboarded with ``mlops model add``, a personal stack file). Plans
are cached by (variant, stack): the offline engine builds SageMaker pipeline definitions with the
SDK and plans dev first for every StackReference, so planning twice would only cost time.
"""

from __future__ import annotations

import datetime
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from typer.testing import CliRunner

from infra.config import Settings, load_settings
from mlops.cli import app
from mlops.plan import PlanResult, plan_stack

ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
SAGEMAKER_MODEL = "aws:sagemaker/model:Model"
PACKAGE_GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
PACKAGE_GROUP_POLICY = "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
PIPELINE = "aws:sagemaker/pipeline:Pipeline"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
EVENT_BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_PROFILE = "aws:sagemaker/userProfile:UserProfile"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
BUCKET_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
MODEL_COMPONENT = "mlops:model:ModelComponent"

#: The migration's sign-off as an approver would record it.
SIGN_OFF = {"by": "omar.approver", "date": datetime.date(2026, 12, 1)}
FRAUD_PROD = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-fraud/7"
FORECAST_TEST = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-demand-forecast/1"
TRIAGE_DEV = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-support-triage/2"
FRAUD_PROD_APPROVAL = {
    "environment": "prod",
    "version": FRAUD_PROD,
    "action": "promote",
    "by": "omar.approver",
    "reason": "Three weeks in shadow, F1 0.79, no drift",
    "at": "2026-11-23T10:00:00Z",
}


# --- copies of the project and edits of their YAML files ----------------------------------------


def copy_project(source: Path, target: Path) -> Path:
    """Copy ``Pulumi.yaml`` and ``stacks/`` of ``source`` into ``target`` (created)."""
    target.mkdir(parents=True)
    shutil.copy2(source / "Pulumi.yaml", target / "Pulumi.yaml")
    shutil.copytree(source / "stacks", target / "stacks")
    return target


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: comments and key order survive an edit
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    """Load ``path``, let ``change`` mutate the data in place, write it back."""
    yaml = _yaml()
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def edit_model(project: Path, model: str, change: Callable[[Any], None]) -> None:
    """Edit ``stacks/models/<model>.yaml`` of ``project``."""
    edit_yaml(project / "stacks" / "models" / f"{model}.yaml", change)


def sign_off_pilot(project: Path) -> None:
    """Record the pilot sign-off in ``stacks/migration.yaml``."""
    edit_yaml(project / "stacks" / "migration.yaml", lambda data: data.__setitem__("signOff", dict(SIGN_OFF)))


def activate_fraud(project: Path) -> None:
    """Move fraud to activation the way ``mlops promote`` would: a prod pin and its approval."""

    def change(data: Any) -> None:
        data["phase"] = "activation"
        data["versions"]["prod"] = FRAUD_PROD
        data["governance"]["history"].append(dict(FRAUD_PROD_APPROVAL))

    edit_model(project, "fraud", change)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (names relative to it) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_cli(*args: str):
    """``mlops ARGS`` through typer's runner (stdout and stderr kept apart)."""
    return CliRunner().invoke(app, list(args))


# --- the plan as a user reads it -----------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One stack's plan: the JSON contract of ``mlops plan --json``, the result, the settings."""

    result: PlanResult
    doc: dict[str, Any]
    settings: Settings
    _by_urn: dict[str, dict[str, Any]] = field(repr=False, default_factory=dict)

    @classmethod
    def of(cls, result: PlanResult, settings: Settings) -> "Plan":
        doc = json.loads(result.dumps())
        return cls(result, doc, settings, {r["urn"]: r for r in doc["resources"]})

    @property
    def resources(self) -> list[dict[str, Any]]:
        """Every planned resource, components included."""
        return self.doc["resources"]

    @property
    def outputs(self) -> dict[str, Any]:
        """The stack outputs."""
        return self.doc["outputs"]

    @property
    def prefix(self) -> str:
        """``<namePrefix>-<stack>``: the prefix of every resource of the stack."""
        return f"{self.settings.env.name_prefix}-{self.settings.stack}"

    def of_type(self, type_token: str, within: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Resources of one type token (of the whole plan, or of ``within``)."""
        return [r for r in (self.resources if within is None else within) if r["type"] == type_token]

    def one(self, type_token: str, within: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The single resource of ``type_token`` (in ``within``); fails if none or several."""
        found = self.of_type(type_token, within)
        assert len(found) == 1, f"{self.settings.stack}: expected one {type_token}, found {[r['name'] for r in found]}"
        return found[0]

    def with_input(self, type_token: str, key: str, value: Any) -> list[dict[str, Any]]:
        """Resources of ``type_token`` whose input ``key`` equals ``value``."""
        return [r for r in self.of_type(type_token) if r["inputs"].get(key) == value]

    def descendants(self, component: dict[str, Any]) -> list[dict[str, Any]]:
        """Every resource below ``component`` in the parent tree."""
        found = []
        for resource in self.resources:
            parent = resource["parent"]
            while parent is not None:
                if parent == component["urn"]:
                    found.append(resource)
                    break
                parent = self._by_urn[parent]["parent"] if parent in self._by_urn else None
        return found

    def model_component(self, model: str) -> dict[str, Any] | None:
        """The ``ModelComponent`` of ``model`` in this stack, if it has one."""
        found = [r for r in self.of_type(MODEL_COMPONENT) if r["name"] == f"{self.prefix}-{model}"]
        return found[0] if found else None

    def model_resources(self, model: str) -> list[dict[str, Any]]:
        """Everything ``model``'s component registers here (empty if the model is absent)."""
        component = self.model_component(model)
        return self.descendants(component) if component else []

    def property_dependencies(self, resource: dict[str, Any]) -> dict[str, list[str]]:
        """Which inputs of ``resource`` came from which resources (URNs), as the engine records."""
        return next(r.property_dependencies for r in self.result.registrations if r.urn == resource["urn"])


def policy(resource: dict[str, Any], key: str) -> dict[str, Any]:
    """A JSON policy document input, parsed."""
    return json.loads(resource["inputs"][key])


def event_pattern(rule: dict[str, Any]) -> dict[str, Any]:
    """An EventBridge rule's pattern, parsed."""
    return json.loads(rule["inputs"]["eventPattern"])


# --- variants and the plan cache -------------------------------------------------------------------


@dataclass(frozen=True)
class ModelAdd:
    """What ``mlops model add pricing --owner revenue-science`` did in the ``pricing`` variant."""

    exit_code: int
    stdout: str
    stderr: str
    before: dict[str, bytes]
    after: dict[str, bytes]


PERSONAL_STACK = "dev-alice-exp1"


def _scale_out_open(project: Path) -> None:
    """The pilot complete and signed off; the scale-out wave moving (demand-forecast in test)."""
    sign_off_pilot(project)
    activate_fraud(project)

    def forecast(data: Any) -> None:
        data["phase"] = "test-release"
        data["versions"]["test"] = FORECAST_TEST

    edit_model(project, "demand-forecast", forecast)
    # The Kubernetes-served model has a version pinned in dev (so it would have an endpoint if
    # the target were ignored).
    edit_model(project, "support-triage", lambda data: data["versions"].__setitem__("dev", TRIAGE_DEV))


def _model_monitor(project: Path) -> None:
    """Every monitored model on SageMaker Model Monitor (an account that still has the service)."""

    def engine(data: Any) -> None:
        for key in ("groundTruth", "qualityThreshold"):
            data["monitoring"].pop(key, None)
        data["monitoring"]["engine"] = "model-monitor"

    for model in ("churn", "fraud"):
        edit_model(project, model, engine)


def _personal_file(project: Path) -> None:
    """``stacks/Pulumi.dev-alice-exp1.yaml``: dev's settings plus alice's personal block (churn only)."""
    yaml = _yaml()
    dev = yaml.load((project / "stacks" / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    dev["config"]["mlops:personal"] = {"owner": "alice", "slug": "exp1", "models": ["churn"]}
    with (project / "stacks" / f"Pulumi.{PERSONAL_STACK}.yaml").open("w", encoding="utf-8") as handle:
        yaml.dump(dev, handle)


def _single_account(project: Path) -> None:
    """Every stack in dev's account: no reader accounts, and test/prod name dev's account."""
    account = "111122223333"

    def dev(data: Any) -> None:
        del data["config"]["mlops:registry"]["readerAccounts"]

    def other(data: Any) -> None:
        data["config"]["mlops:accountId"] = account
        data["config"]["mlops:registry"]["accountId"] = account

    edit_yaml(project / "stacks" / "Pulumi.dev.yaml", dev)
    for stack in ("test", "prod"):
        edit_yaml(project / "stacks" / f"Pulumi.{stack}.yaml", other)


def _team_stacks(project: Path) -> None:
    """The scale-out story with every environment in the team-stacks layout."""
    _scale_out_open(project)
    for stack in ("dev", "test", "prod"):
        edit_yaml(project / "stacks" / f"Pulumi.{stack}.yaml", lambda data: data["config"].__setitem__("mlops:layout", "team-stacks"))


def _team_stacks_model_added(project: Path) -> None:
    """``team-stacks``, then team payments-risk onboards ``pricing`` with ``mlops model add``."""
    _team_stacks(project)
    result = run_cli("model", "add", "pricing", "--owner", "payments-risk", "--project-dir", str(project))
    assert result.exit_code == 0, result.output


@dataclass
class Variants:
    """The example project and its variants, built on first use; plans cached per (variant, stack)."""

    example: Path
    root: Path
    folders: dict[str, Path] = field(default_factory=dict)
    plans: dict[tuple[str, str], Plan] = field(default_factory=dict)
    model_add: ModelAdd | None = None
    #: Per variant, its plans by stack: a referenced stack is planned once for all that read it.
    results: dict[str, dict[str, PlanResult]] = field(default_factory=dict)

    def folder(self, variant: str) -> Path:
        """The project folder of ``variant`` ("example" is the real project, read only)."""
        if variant == "example":
            return self.example
        if variant not in self.folders:
            project = copy_project(self.example, self.root / variant)
            if variant == "scale-out-open":
                _scale_out_open(project)
            elif variant == "personal":
                _personal_file(project)
            elif variant == "single-account":
                _single_account(project)
            elif variant == "model-monitor":
                _model_monitor(project)
            elif variant == "team-stacks":
                _team_stacks(project)
            elif variant == "team-stacks-model-added":
                _team_stacks_model_added(project)
            elif variant == "pricing":
                before = snapshot(project)
                result = run_cli("model", "add", "pricing", "--owner", "revenue-science", "--project-dir", str(project))
                self.model_add = ModelAdd(result.exit_code, result.stdout, result.stderr, before, snapshot(project))
            else:
                raise KeyError(f"no variant {variant!r}")
            self.folders[variant] = project
        return self.folders[variant]

    def plan(self, variant: str, stack: str) -> Plan:
        """``stack`` of ``variant``, planned once per session."""
        key = (variant, stack)
        if key not in self.plans:
            folder = self.folder(variant)
            result = plan_stack(folder, stack, planned=self.results.setdefault(variant, {}))
            self.plans[key] = Plan.of(result, load_settings(folder, stack))
        return self.plans[key]


