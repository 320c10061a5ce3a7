"""The migration gates: each one broken once in a copy of the project, then the gate opened.

A broken gate is a configuration error: ``mlops plan`` (and ``mlops migration status``) exit 2
with one line on stderr naming the model file and the rule, print nothing on stdout and write
nothing. Opening the gate (pilot activated and signed off) lets scale-out models leave development.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from catalog_plans import (
    FORECAST_TEST,
    FRAUD_PROD,
    activate_fraud,
    edit_model,
    run_cli,
    sign_off_pilot,
    snapshot,
)

from infra.config import load_settings

CHURN_V4 = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-churn/4"


def _set(model: str, **fields: Any) -> Callable[[Path], None]:
    """Set top-level fields of a model file."""
    return lambda project: edit_model(project, model, lambda data: data.update(fields))


def _pin(model: str, environment: str, arn: str | None) -> Callable[[Path], None]:
    """Pin ``arn`` for ``environment`` (None removes the pin)."""

    def change(data: dict) -> None:
        if arn is None:
            del data["versions"][environment]
        else:
            data["versions"][environment] = arn

    return lambda project: edit_model(project, model, change)


def _history(model: str, keep: Callable[[dict], bool], rewrite: Callable[[dict], None] = lambda entry: None) -> Callable[[Path], None]:
    """Keep only the history entries ``keep`` accepts, each passed through ``rewrite``."""

    def change(data: dict) -> None:
        entries = [e for e in data["governance"]["history"] if keep(e)]
        for entry in entries:
            rewrite(entry)
        data["governance"]["history"] = entries

    return lambda project: edit_model(project, model, change)


def _all(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        for edit in edits:
            edit(project)

    return apply


_forecast_to_test = _all(_set("demand-forecast", phase="test-release"), _pin("demand-forecast", "test", FORECAST_TEST))


@dataclass(frozen=True)
class Gate:
    """One broken gate: the edit, and the line that must name it."""

    id: str
    edit: Callable[[Path], None]
    model: str
    key: str
    says: tuple[str, ...]
    not_says: tuple[str, ...] = ()


GATES = [
    Gate(
        "pilot-over-limit",
        _set("support-triage", wave="pilot"),
        "support-triage", "wave", ("pilot wave is full", "3 pilot models (churn, fraud, support-triage)", "limit 2"),
    ),
    Gate(
        "scale-out-before-pilot-complete-and-signed",
        _forecast_to_test,
        "demand-forecast", "phase", ("scale-out models stay in development", "fraud → activation", "pilot sign-off"),
    ),
    Gate(
        "scale-out-with-pilot-complete-but-unsigned",
        _all(activate_fraud, _forecast_to_test),
        "demand-forecast", "phase", ("scale-out models stay in development", "pilot sign-off"), ("fraud → activation",),
    ),
    Gate(
        "scale-out-with-pilot-signed-but-incomplete",
        _all(sign_off_pilot, _forecast_to_test),
        "demand-forecast", "phase", ("scale-out models stay in development", "fraud → activation"), ("pilot sign-off",),
    ),
    Gate(
        "test-release-without-test-version",
        _pin("fraud", "test", None),
        "fraud", "versions.test", ("phase test-release needs a version pinned for test",),
    ),
    Gate(
        "activation-skipping-test",
        _pin("churn", "test", None),
        "churn", "versions.test", ("phase activation needs a version pinned for test",),
    ),
    Gate(
        "activation-without-prod-version",
        _pin("churn", "prod", None),
        "churn", "versions.prod", ("phase activation needs a version pinned for prod",),
    ),
    Gate(
        "activation-without-prod-approval",
        _history("churn", keep=lambda e: e["environment"] != "prod"),
        "churn", "versions.prod", ("no recorded approval in governance.history",),
    ),
    Gate(
        "activation-with-unapproved-prod-version",
        _pin("churn", "prod", CHURN_V4),
        "churn", "versions.prod", ("no recorded approval in governance.history",),
    ),
    Gate(
        "prod-version-in-test-release",
        _pin("fraud", "prod", FRAUD_PROD),
        "fraud", "phase", ("pinned for prod but phase test-release does not reach prod",),
    ),
    Gate(
        "test-version-in-development",
        _pin("support-triage", "test", "arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-support-triage/2"),
        "support-triage", "phase", ("pinned for test but phase development does not reach test",),
    ),
]

#: A prod version recorded only as a rollback target was never promoted (approved) to prod.
ROLLBACK_ONLY = Gate(
    "activation-whose-prod-version-was-never-promoted",
    _history("churn", keep=lambda e: True, rewrite=lambda e: e.update(action="rollback") if e["environment"] == "prod" else None),
    "churn", "versions.prod", ("governance.history",),
)


def _check_refused(gate: Gate, project: Path, *command: str) -> None:
    before = snapshot(project)

    result = run_cli(*command, "--project-dir", str(project))

    assert result.exit_code == 2, f"exit {result.exit_code}: {result.stderr or result.stdout[-300:]}"
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"stacks/models/{gate.model}.yaml: {gate.key}: "), lines[0]
    for words in gate.says:
        assert words in lines[0]
    for words in gate.not_says:
        assert words not in lines[0]
    assert snapshot(project) == before


@pytest.mark.parametrize("gate", GATES, ids=lambda g: g.id)
def test_a_broken_gate_stops_the_plan_with_one_line_naming_model_and_rule(gate: Gate, project_copy: Path):
    gate.edit(project_copy)

    _check_refused(gate, project_copy, "plan", "dev", "--json")


@pytest.mark.parametrize("gate", [g for g in GATES if g.id in ("pilot-over-limit", "activation-without-prod-approval")], ids=lambda g: g.id)
def test_migration_status_refuses_a_broken_gate_the_same_way(gate: Gate, project_copy: Path):
    gate.edit(project_copy)

    _check_refused(gate, project_copy, "migration", "status", "--json")


def test_a_prod_version_recorded_only_as_a_rollback_is_not_an_approval(project_copy: Path):
    ROLLBACK_ONLY.edit(project_copy)

    # `migration status` validates the same gates without planning (fast whichever way it goes).
    _check_refused(ROLLBACK_ONLY, project_copy, "migration", "status", "--json")


def _status(project: Path) -> dict:
    result = run_cli("migration", "status", "--json", "--project-dir", str(project))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_migration_status_of_the_example_shows_what_blocks_scale_out(project_dir: Path):
    status = _status(project_dir)

    gates = {g["gate"]: g for g in status["gates"]}
    assert {name: g["open"] for name, g in gates.items()} == {
        "pilot size": True,
        "pilot activated": False,
        "pilot signed off": False,
        "scale-out open": False,
    }
    assert "fraud → activation" in gates["pilot activated"]["detail"]
    assert status["progress"] == "pilot 1/2 activated; scale-out closed: waiting for fraud → activation, pilot sign-off"
    assert status["audience"] == ["alice", "bob"]
    assert {m["name"]: m["environments"] for m in status["models"]} == {
        "churn": ["dev", "test", "prod"],
        "customer-ltv": ["dev"],
        "demand-forecast": ["dev"],
        "fraud": ["dev", "test"],
        "lead-scoring": ["dev"],
        "support-triage": ["dev"],
    }


def test_signing_off_the_activated_pilot_opens_scale_out(variants):
    opened = variants.folder("scale-out-open")  # pilot signed off, fraud activated, demand-forecast in test

    status = _status(opened)

    assert {g["gate"]: g["open"] for g in status["gates"]} == {
        "pilot size": True,
        "pilot activated": True,
        "pilot signed off": True,
        "scale-out open": True,
    }
    signed = next(g for g in status["gates"] if g["gate"] == "pilot signed off")
    assert "omar.approver" in signed["detail"] and "2026-12-01" in signed["detail"]
    assert status["progress"] == "pilot 2/2 activated; scale-out open: 0/4 activated"
    assert status["audience"] == ["alice", "bob", "carol", "dmitri", "erin", "farah"]
    models = {m["name"]: m for m in status["models"]}
    assert models["demand-forecast"]["phase"] == "test-release"
    assert models["demand-forecast"]["environments"] == ["dev", "test"]
    assert models["fraud"]["environments"] == ["dev", "test", "prod"]


def test_once_open_a_scale_out_model_plans_into_test(plan_of):
    test = plan_of("test", "scale-out-open")

    assert test.model_component("demand-forecast") is not None
    assert test.with_input("aws:sagemaker/endpoint:Endpoint", "name", "mlops-test-demand-forecast")


def test_once_open_users_outside_the_pilot_may_have_personal_stacks(variants):
    # Settings only: loading is where the audience gate applies (the plan itself is tested elsewhere).
    settings = load_settings(variants.folder("scale-out-open"), "dev-carol")

    assert settings.env.personal.owner == "carol"
