"""Promotion respects the staged migration: an edit the next plan would reject is refused first."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlops.delivery import DeliveryError, Problem, list_versions, promote

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
EXAMPLE_STACKS = Path(__file__).resolve().parents[2] / "stacks"


@pytest.fixture
def full_project(project: Path) -> Path:
    """The ops project copy plus the real migration plan, so the gates apply."""
    shutil.copy(EXAMPLE_STACKS / "migration.yaml", project / "stacks" / "migration.yaml")
    return project


def test_scale_out_model_cannot_reach_test_before_the_pilot_is_done(clients, full_project, pipeline):
    pipeline.register_all("mlops-demand-forecast", "rmse", [55.0], approved=(1,))
    catalog = full_project / "stacks" / "models" / "demand-forecast.yaml"
    before = catalog.read_bytes()

    with pytest.raises(DeliveryError) as caught:
        promote(clients, catalog.parent, "demand-forecast", group="mlops-demand-forecast", to_env="test",
                version=1, by="dana.reviewer", reason="first release", now=NOW)

    assert caught.value.problem is Problem.INVALID
    assert "scale-out models stay in development until the pilot is complete" in caught.value.message
    assert catalog.read_bytes() == before
    recorded = list_versions(clients, "mlops-demand-forecast")[0].metadata
    assert not any(key.startswith("promoted.") for key in recorded)


def test_pilot_model_promotion_passes_the_gates(clients, full_project, churn_versions):
    result = promote(clients, full_project / "stacks" / "models", "churn", group="mlops-churn", to_env="test",
                     version=4, by="dana.reviewer", reason="beats v3", now=NOW)

    assert result.changed
