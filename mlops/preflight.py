"""Live preconditions of ``pulumi up`` for one stack, read from the AWS account (boto3).

Offline plans cannot see the registry, so before a real deployment ``mlops preflight STACK`` asks
AWS what the plan assumes: the registry exists (dev deployed), every version the stack pins exists
with the status its environment needs, every monitored version has its drift baseline, and where
the platform stands in the deploy order, and the stacks it references (StackReference) are deployed
with the outputs the program reads::

    dev deployed -> first pipeline run registered a version -> a version approved
        -> promoted to test (mlops promote) -> test deployed -> promoted to prod -> prod deployed

Every check is one row with what to do next; the command exits non-zero while any row blocks.
``AWS_ENDPOINT_URL`` points the calls at another endpoint (the tests use moto's server).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from infra.config import Settings
from infra.config.names import group_name
from mlops.delivery.errors import DeliveryError, Problem
from mlops.delivery.registry import (
    APPROVED,
    REJECTED,
    RegistryClients,
    describe_version,
    list_versions,
)
from mlops.devstacks.automation import BackendError, StackNotFoundError
from pipelines.steps.step_contract import BASELINE_URI_METADATA_KEY

Status = Literal["ok", "warning", "missing", "blocked"]


@dataclass(frozen=True)
class Check:
    """One precondition: what was checked, its state, and what to do when it is not ok.

    Attributes:
        check: What the row is about, e.g. ``churn pinned in prod``.
        status: ``ok``; ``warning`` (deploys, but something is not watched); ``missing`` (blocks
            ``pulumi up``); ``blocked`` (an earlier step of the deploy order is missing).
        detail: What AWS said.
        next_step: The command or edit that moves it forward (empty when ok).
    """

    check: str
    status: Status
    detail: str
    next_step: str = ""

    def to_json(self) -> dict[str, str]:
        """The row as ``mlops preflight --json`` prints it."""
        return {"check": self.check, "status": self.status, "detail": self.detail, "next_step": self.next_step}


def preflight(settings: Settings, clients: RegistryClients, sts: Any = None) -> tuple[Check, ...]:
    """Every live precondition of deploying ``settings``' stack, in deploy order.

    ``sts``, when given, checks first that the credentials are the stack's account's (the stack
    file's ``mlops:accountId``; the AWS provider refuses other accounts too, but later and less clearly).
    """
    identity = (_identity(settings, sts),) if sts is not None else ()
    return identity + tuple(_checks(settings, clients))


def _identity(settings: Settings, sts: Any) -> Check:
    label = "credentials: account of the stack"
    account = sts.get_caller_identity()["Account"]
    if account != settings.env.account_id:
        return Check(label, "missing", f"the credentials are for account {account}; the stack deploys to {settings.env.account_id}",
                     f"use credentials (AWS_PROFILE) for account {settings.env.account_id}")
    return Check(label, "ok", f"account {account}")


def _checks(settings: Settings, clients: RegistryClients) -> Iterator[Check]:
    env = settings.env
    environment = env.environment
    models = settings.plan.in_environment(environment)
    prefix = env.name_prefix
    for model in models:
        group = group_name(prefix, model.name)
        label = f"{model.name}: registry group {group}"
        try:
            versions = list_versions(clients, group)
        except DeliveryError as error:
            if error.problem is Problem.UNAVAILABLE:
                raise
            if environment != "dev":
                yield Check(label, "blocked", "not in the registry", "deploy dev first (pulumi up --stack dev)")
            elif model.versions.pinned("dev"):
                yield Check(label, "missing", "not created yet, but versions.dev pins a version of it",
                            f"remove versions.dev from stacks/models/{model.name}.yaml for the first deployment")
            else:
                yield Check(label, "ok", "not created yet: this deployment creates it")
            continue
        yield Check(f"{model.name}: registry group {group}", "ok", f"{len(versions)} registered versions")
        if not versions:
            yield Check(
                f"{model.name}: first pipeline run", "missing" if model.versions.pinned(environment) else "ok",
                "no version registered yet",
                f"run the training pipeline {group}-training in dev (or wait for its schedule)",
            )
        elif not any(v.status == APPROVED for v in versions) and environment == "prod":
            yield Check(f"{model.name}: approval", "missing", "no Approved version",
                        f"mlops approve {model.name} --version N --by <approver> --reason ...")
        yield from _pinned(settings, clients, model.name, environment)


def _pinned(settings: Settings, clients: RegistryClients, model_name: str, environment: str) -> Iterator[Check]:
    model = next(m for m in settings.models if m.name == model_name)
    arn = model.versions.pinned(environment)
    label = f"{model.name}: version pinned in {environment}"
    if not arn:
        yield Check(label, "ok", "none pinned: no endpoint in this environment yet",
                    f"mlops promote {model.name} --to {environment} ..." if environment != "dev" else "")
        return
    version = describe_version(clients, arn)
    if version is None:
        yield Check(label, "missing", f"{arn} does not exist in the registry",
                    "run the pipeline and promote a registered version, or remove the pin")
        return
    if environment == "prod" and version.status != APPROVED:
        yield Check(label, "missing", f"{version.label} is {version.status}; prod runs only Approved versions",
                    f"mlops approve {model.name} --version {version.number} --by <approver> --reason ...")
        return
    if version.status == REJECTED:
        yield Check(label, "missing", f"{version.label} is Rejected", f"promote another version of {model.name}")
        return
    yield Check(label, "ok", f"{version.label} is {version.status}")
    if settings.env.monitoring.data_capture and settings.env.monitoring.schedule != "off":
        yield _baseline(clients, model.name, version.metadata.get(BASELINE_URI_METADATA_KEY))


def _baseline(clients: RegistryClients, model_name: str, uri: str | None) -> Check:
    # A missing baseline deploys; monitoring then reports BaselineMissing and its alarm fires.
    label = f"{model_name}: drift baseline of the pinned version"
    if not uri:
        return Check(label, "warning", f"the version records no {BASELINE_URI_METADATA_KEY}",
                     "promote a version registered by the current training pipeline (it records its baseline)")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    try:
        clients.s3.head_object(Bucket=bucket, Key=key)
    except clients.s3.exceptions.ClientError:
        return Check(label, "warning", f"{uri} does not exist", "re-run the pipeline that registered the version")
    return Check(label, "ok", uri)


def reference_checks(expected: Mapping[str, Iterable[str]], read_outputs: Callable[[str], Mapping[str, Any]] | None) -> tuple[Check, ...]:
    """Whether each stack the program references is deployed with the outputs it reads.

    Args:
        expected: Per referenced stack name (``dev``), the outputs its current program exports
            (its offline plan's): a deployed stack missing one was deployed by older code.
        read_outputs: Reads a deployed stack's outputs from the Pulumi backend; None when the Pulumi
            CLI is not installed (then the rows are warnings: ``pulumi up`` needs the CLI anyway).
    """
    return tuple(_reference(stack, set(keys), read_outputs) for stack, keys in sorted(expected.items()))


def _reference(stack: str, keys: set[str], read_outputs: Callable[[str], Mapping[str, Any]] | None) -> Check:
    label = f"stack reference: {stack} outputs"
    if read_outputs is None:
        return Check(label, "warning", "not read: the Pulumi CLI is not installed", "install the Pulumi CLI (pulumi up needs it too)")
    try:
        outputs = read_outputs(stack)
    except StackNotFoundError:
        return Check(label, "blocked", f"no stack {stack} in the Pulumi backend", f"deploy {stack} first (pulumi up --stack {stack})")
    except BackendError as error:
        return Check(label, "missing", f"cannot read them: {error}", "check PULUMI_BACKEND_URL and the backend's credentials")
    missing = sorted(keys - set(outputs))
    if missing:
        return Check(label, "missing", f"{stack} was deployed without {', '.join(missing)}",
                     f"deploy {stack} with the current code first (pulumi up --stack {stack})")
    return Check(label, "ok", f"{len(keys)} outputs present")


def blocking(checks: tuple[Check, ...]) -> bool:
    """Whether ``pulumi up`` would fail or deploy something broken."""
    return any(c.status in ("missing", "blocked") for c in checks)
