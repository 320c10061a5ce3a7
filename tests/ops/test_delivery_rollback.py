"""Rolling an environment back, against moto's server and a copy of the churn catalog (version 3
pinned in test and prod, each promoted once)."""

from datetime import UTC, datetime

import pytest
from ruamel.yaml import YAML

from mlops.delivery import DeliveryError, Problem, promote, reject, rollback
from mlops.delivery.catalog_edit import HistoryEntry
from mlops.delivery.rollback import rollback_candidates

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def churn_five(pipeline):
    """mlops-churn versions 1-5 with rising auc; 3, 4 and 5 Approved."""
    return pipeline.register_all("mlops-churn", "auc", [0.80, 0.85, 0.91, 0.92, 0.93], approved=(3, 4, 5))


def promote_churn(clients, catalog_dir, env: str, version: int):
    promote(
        clients, catalog_dir, "churn", group="mlops-churn", to_env=env, version=version,
        by="dana.reviewer", reason="better auc", now=NOW,
    )


def roll_back_churn(clients, catalog_dir, env: str):
    return rollback(
        clients, catalog_dir, "churn", env=env, by="omar.approver", reason="alarm", now=NOW
    )


def test_nothing_earlier_to_roll_back_to_is_refused(clients, catalog_dir, churn_versions):
    before = (catalog_dir / "churn.yaml").read_bytes()

    with pytest.raises(DeliveryError) as caught:
        roll_back_churn(clients, catalog_dir, "prod")

    assert caught.value.problem is Problem.REFUSED
    assert "cannot roll back churn in prod" in caught.value.message
    assert "no earlier promoted version" in caught.value.message
    assert (catalog_dir / "churn.yaml").read_bytes() == before


def test_repeated_rollbacks_walk_further_back_instead_of_flipping(clients, catalog_dir, churn_five):
    promote_churn(clients, catalog_dir, "test", 4)
    promote_churn(clients, catalog_dir, "test", 5)

    first = roll_back_churn(clients, catalog_dir, "test")
    second = roll_back_churn(clients, catalog_dir, "test")

    assert (first.version.number, first.replaced_arn) == (4, churn_five[4])
    assert (second.version.number, second.replaced_arn) == (3, churn_five[3])
    with pytest.raises(DeliveryError, match="no earlier promoted version"):
        roll_back_churn(clients, catalog_dir, "test")
    document = YAML().load((catalog_dir / "churn.yaml").read_text())
    assert document["versions"]["test"] == churn_five[2]
    assert [e["action"] for e in document["governance"]["history"]][-2:] == ["rollback", "rollback"]


def test_rollback_skips_versions_rejected_since_their_promotion(clients, catalog_dir, churn_five):
    promote_churn(clients, catalog_dir, "test", 4)
    promote_churn(clients, catalog_dir, "test", 5)
    reject(clients, "mlops-churn", 4, by="omar.approver", reason="bias found in audit")

    assert roll_back_churn(clients, catalog_dir, "test").version.number == 3


def test_prod_rollback_needs_a_version_that_is_still_approved(clients, catalog_dir, churn_five):
    promote_churn(clients, catalog_dir, "test", 4)
    promote_churn(clients, catalog_dir, "prod", 4)
    reject(clients, "mlops-churn", 3, by="omar.approver", reason="data licence expired")

    with pytest.raises(DeliveryError, match="may run in prod"):
        roll_back_churn(clients, catalog_dir, "prod")


def test_candidates_are_read_from_the_history_of_that_environment_only():
    def entry(env: str, version: str, action: str = "promote") -> HistoryEntry:
        return HistoryEntry(env, version, action, "someone", "why", "2026-01-01T00:00:00Z")

    history = [
        entry("test", "v1"), entry("prod", "v1"), entry("test", "v2"), entry("test", "v3"),
        entry("test", "v2", "rollback"), entry("test", "v3"), entry("prod", "v3"),
    ]

    # v3 was rolled away from, then promoted again: it is a fair target once more.
    assert rollback_candidates(history, "test", "v3") == ["v2", "v1"]
    assert rollback_candidates(history, "prod", "v3") == ["v1"]
    assert rollback_candidates(history[:5], "test", "v2") == ["v1"]
