"""A model's whole delivery lifecycle against moto's server: register, approve, promote through
the champion/challenger gate to test and prod, roll back."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from infra.config.loader import load_models
from mlops.delivery import DeliveryError, Problem, approve, promote, rollback

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
GROUP = "mlops-demand-forecast"


def test_register_approve_promote_gate_and_roll_back(clients, project: Path, catalog_dir: Path, pipeline):
    pipeline.create_group(GROUP)
    v1 = pipeline.register(GROUP, metric="rmse", value=52.0, direction="minimize")
    v2 = pipeline.register(GROUP, metric="rmse", value=58.5, direction="minimize")
    catalog_file = catalog_dir / "demand-forecast.yaml"

    approve(clients, GROUP, 1, by="omar.approver", reason="holdout RMSE 52")
    first = promote(
        clients, catalog_dir, "demand-forecast", group=GROUP, to_env="test", version=None,
        by="dana.reviewer", reason="first candidate", now=NOW,
    )
    assert (first.version.arn, first.gate, first.phase, first.changed) == (v1, None, "test-release", True)
    promote(
        clients, catalog_dir, "demand-forecast", group=GROUP, to_env="prod", version=1,
        by="omar.approver", reason="two weeks in test", now=NOW,
    )

    # A worse challenger (higher RMSE) is refused in test, and nothing is written.
    approve(clients, GROUP, 2, by="omar.approver", reason="looks fine")
    before = catalog_file.read_bytes()
    with pytest.raises(DeliveryError) as refused:
        promote(
            clients, catalog_dir, "demand-forecast", group=GROUP, to_env="test", version=2,
            by="dana.reviewer", reason="retrained", now=NOW,
        )
    assert refused.value.problem is Problem.REFUSED
    assert "rmse 58.5" in refused.value.message and "has 52" in refused.value.message
    assert "margin 0" in refused.value.message
    assert catalog_file.read_bytes() == before

    # A better one passes test, then prod, replacing version 1 there.
    v3 = pipeline.register(GROUP, metric="rmse", value=47.25, direction="minimize")
    approve(clients, GROUP, 3, by="omar.approver", reason="holdout RMSE 47.25")
    to_test = promote(
        clients, catalog_dir, "demand-forecast", group=GROUP, to_env="test", version=3,
        by="dana.reviewer", reason="beats v1", now=NOW,
    )
    assert to_test.gate.passed and (to_test.gate.champion_value, to_test.gate.challenger_value) == (52.0, 47.25)
    to_prod = promote(
        clients, catalog_dir, "demand-forecast", group=GROUP, to_env="prod", version=None,
        by="omar.approver", reason="ready", now=NOW,
    )
    assert (to_prod.version.arn, to_prod.previous_arn, to_prod.phase) == (v3, v1, "activation")

    back = rollback(
        clients, catalog_dir, "demand-forecast", env="prod", by="omar.approver",
        reason="p99 latency regression", now=NOW,
    )
    assert (back.version.arn, back.replaced_arn) == (v1, v3)

    document = YAML().load(catalog_file.read_text())
    assert document["phase"] == "activation"
    assert dict(document["versions"]) == {"test": v3, "prod": v1}
    assert [(e["environment"], e["version"], e["action"]) for e in document["governance"]["history"]] == [
        ("test", v1, "promote"),
        ("prod", v1, "promote"),
        ("test", v3, "promote"),
        ("prod", v3, "promote"),
        ("prod", v1, "rollback"),
    ]
    # What promote and rollback wrote is a valid catalog file for the platform's own loader.
    spec = {m.name: m for m in load_models(project)}["demand-forecast"]
    assert (spec.phase, spec.versions.test, spec.versions.prod) == ("activation", v3, v1)
    last = document["governance"]["history"][-1]
    assert (last["by"], last["reason"], last["at"]) == (
        "omar.approver", "p99 latency regression", "2026-11-20T09:30:00Z",
    )

    registered = pipeline.describe(v1)
    assert registered["ModelApprovalStatus"] == "Approved"
    assert registered["ApprovalDescription"] == "omar.approver: holdout RMSE 52"
    assert {k: v for k, v in registered["CustomerMetadataProperties"].items() if k.startswith("promoted.")} == {
        "promoted.test.action": "promote",
        "promoted.test.by": "dana.reviewer",
        "promoted.test.reason": "first candidate",
        "promoted.test.at": "2026-11-20T09:30:00Z",
        "promoted.prod.action": "rollback",
        "promoted.prod.by": "omar.approver",
        "promoted.prod.reason": "p99 latency regression",
        "promoted.prod.at": "2026-11-20T09:30:00Z",
        # the same ids as the catalog's history entries for those pins
        "promoted.test.id": document["governance"]["history"][0]["id"],
        "promoted.prod.id": document["governance"]["history"][-1]["id"],
    }
    assert pipeline.describe(v2)["ModelApprovalStatus"] == "Approved"
    assert "CustomerMetadataProperties" not in pipeline.describe(v2)
