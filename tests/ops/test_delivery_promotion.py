"""Promotion rules a model approver runs into, against moto's server and copies of the example
catalog (churn: version 3 pinned in test and prod; fraud: version 7 in test, margin 0.01)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlops.delivery import DeliveryError, Problem, approve, promote, reject

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def promote_churn(clients, catalog_dir: Path, to_env: str, version: int | None, **extra):
    return promote(
        clients, catalog_dir, "churn", group="mlops-churn", to_env=to_env, version=version,
        by="dana.reviewer", reason="AUC 0.92, beats v3 (0.91)", now=NOW, **extra,
    )


def promote_fraud(clients, catalog_dir: Path, version: int, **extra):
    return promote(
        clients, catalog_dir, "fraud", group="mlops-fraud", to_env="test", version=version,
        by="dana.reviewer", reason="retrained on October", now=NOW, **extra,
    )


def refusal(call) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        call()
    return caught.value


def test_pending_version_may_go_to_test_but_not_to_prod(clients, catalog_dir, churn_versions):
    result = promote_churn(clients, catalog_dir, "test", 4)
    assert result.version.status == "PendingManualApproval"
    before = (catalog_dir / "churn.yaml").read_bytes()

    error = refusal(lambda: promote_churn(clients, catalog_dir, "prod", 4))

    assert error.problem is Problem.REFUSED
    assert "version 4 of mlops-churn is PendingManualApproval; prod runs only Approved" in error.message
    assert (catalog_dir / "churn.yaml").read_bytes() == before


def test_rejected_version_is_refused_even_for_test(clients, catalog_dir, churn_versions):
    reject(clients, "mlops-churn", 4, by="omar.approver", reason="leaks the label")

    error = refusal(lambda: promote_churn(clients, catalog_dir, "test", 4))

    assert error.problem is Problem.REFUSED and "is Rejected" in error.message


def test_prod_takes_only_versions_that_have_been_in_test(clients, catalog_dir, churn_versions):
    approve(clients, "mlops-churn", 4, by="omar.approver", reason="ok")

    error = refusal(lambda: promote_churn(clients, catalog_dir, "prod", 4))

    assert error.problem is Problem.REFUSED
    assert "never been pinned in test; promote it to test first" in error.message
    promote_churn(clients, catalog_dir, "test", 4)
    assert promote_churn(clients, catalog_dir, "prod", 4).phase == "activation"


def test_promoting_the_pinned_version_changes_nothing(clients, catalog_dir, churn_versions, pipeline):
    before = (catalog_dir / "churn.yaml").read_bytes()

    result = promote_churn(clients, catalog_dir, "prod", 3)

    assert result.changed is False and result.gate is None
    assert (catalog_dir / "churn.yaml").read_bytes() == before
    assert "CustomerMetadataProperties" not in pipeline.describe(churn_versions[2])


def test_without_a_version_the_latest_approved_one_is_promoted(clients, catalog_dir, churn_versions, pipeline):
    pipeline.register("mlops-churn", metric="auc", value=0.99)  # version 5, still pending
    approve(clients, "mlops-churn", 4, by="omar.approver", reason="ok")

    assert promote_churn(clients, catalog_dir, "test", None).version.number == 4


def test_without_any_approved_version_promotion_is_refused(clients, catalog_dir, pipeline):
    pipeline.register_all("mlops-demand-forecast", "rmse", [50.0])

    error = refusal(
        lambda: promote(
            clients, catalog_dir, "demand-forecast", group="mlops-demand-forecast", to_env="test",
            version=None, by="a", reason="b", now=NOW,
        )
    )

    assert error.problem is Problem.REFUSED and "no Approved version in model package group" in error.message


def test_unknown_model_version_and_group_are_usage_errors(clients, catalog_dir, churn_versions):
    unknown_model = refusal(
        lambda: promote(
            clients, catalog_dir, "churm", group="mlops-churm", to_env="test", version=1,
            by="a", reason="b", now=NOW,
        )
    )
    unknown_version = refusal(lambda: promote_churn(clients, catalog_dir, "test", 9))
    unknown_group = refusal(
        lambda: promote(
            clients, catalog_dir, "churn", group="acme-churn", to_env="test", version=1,
            by="a", reason="b", now=NOW,
        )
    )

    assert {unknown_model.problem, unknown_version.problem, unknown_group.problem} == {Problem.INVALID}
    assert "unknown model 'churm'" in unknown_model.message
    assert "known models: churn, customer-ltv, demand-forecast, fraud, lead-scoring, support-triage" in unknown_model.message
    assert "unknown version 9 of model package group mlops-churn: it has versions 1 to 4" in unknown_version.message
    assert "model package group acme-churn not found" in unknown_group.message


def test_bad_environment_and_empty_signoff_are_usage_errors(clients, catalog_dir, churn_versions):
    to_dev = refusal(lambda: promote_churn(clients, catalog_dir, "dev", 4))
    no_reason = refusal(
        lambda: promote(
            clients, catalog_dir, "churn", group="mlops-churn", to_env="test", version=4,
            by="dana", reason="  ", now=NOW,
        )
    )

    assert (to_dev.problem, no_reason.problem) == (Problem.INVALID, Problem.INVALID)
    assert "unknown environment 'dev': expected one of test, prod" in to_dev.message
    assert "--reason is empty" in no_reason.message


def test_gate_refuses_a_challenger_short_of_the_margin_and_shows_both_numbers(
    clients, catalog_dir, fraud_versions
):
    before = (catalog_dir / "fraud.yaml").read_bytes()

    error = refusal(lambda: promote_fraud(clients, catalog_dir, 8))

    assert error.problem is Problem.REFUSED
    assert "challenger version 8 has f1 0.785" in error.message
    assert "champion version 7 has 0.78" in error.message
    assert "margin 0.01" in error.message and "f1 >= 0.78 + 0.01 = 0.79" in error.message
    assert (catalog_dir / "fraud.yaml").read_bytes() == before


def test_margin_override_lets_a_close_challenger_through(clients, catalog_dir, fraud_versions):
    result = promote_fraud(clients, catalog_dir, 8, margin_override=0.0)

    assert result.gate.passed and result.gate.margin == 0.0
    assert "test: " + fraud_versions[7] in (catalog_dir / "fraud.yaml").read_text()


def test_challenger_exactly_at_champion_plus_margin_passes(clients, catalog_dir, fraud_versions, pipeline):
    pipeline.register("mlops-fraud", metric="f1", value=0.79, status="Approved")  # 0.78 + 0.01

    assert promote_fraud(clients, catalog_dir, 9).gate.passed


def test_metric_in_metadata_wins_over_the_evaluation_report(clients, catalog_dir, fraud_versions, pipeline):
    pipeline.register(
        "mlops-fraud", metric="f1", value=0.5, status="Approved", metadata={"metric.f1": "0.95"}
    )

    assert promote_fraud(clients, catalog_dir, 9).gate.challenger_value == 0.95


def test_version_without_the_gate_metric_is_refused(clients, catalog_dir, fraud_versions, pipeline):
    pipeline.register("mlops-fraud", metric="precision", value=0.9, status="Approved")

    error = refusal(lambda: promote_fraud(clients, catalog_dir, 9))

    assert error.problem is Problem.REFUSED and "version 9 of mlops-fraud has no f1 metric" in error.message


def test_promotion_is_recorded_on_the_model_package(clients, catalog_dir, churn_versions, pipeline):
    promote_churn(clients, catalog_dir, "test", 4)

    metadata = pipeline.describe(churn_versions[3])["CustomerMetadataProperties"]
    # The registry allows only letters, digits, spaces and _.:/=+-@; the catalog keeps the text.
    assert metadata["promoted.test.reason"] == "AUC 0.92 beats v3 0.91"
    assert (metadata["promoted.test.by"], metadata["promoted.test.at"]) == (
        "dana.reviewer", "2026-11-20T09:30:00Z",
    )
    assert "reason: AUC 0.92, beats v3 (0.91)" in (catalog_dir / "churn.yaml").read_text()


def test_approval_keeps_the_metric_metadata_the_pipeline_registered(clients, pipeline):
    pipeline.create_group("mlops-churn")
    arn = pipeline.register("mlops-churn", metric="auc", value=0.9, metadata={"metric.auc": "0.9"})

    result = approve(clients, "mlops-churn", 1, by="omar.approver", reason="holdout AUC 0.9")

    described = pipeline.describe(arn)
    assert (result.previous_status, result.version.status) == ("PendingManualApproval", "Approved")
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == "omar.approver: holdout AUC 0.9"
    assert described["CustomerMetadataProperties"] == {"metric.auc": "0.9"}


def test_approval_refuses_a_reason_longer_than_the_registry_keeps(clients, churn_versions, pipeline):
    error = refusal(lambda: approve(clients, "mlops-churn", 4, by="omar", reason="x" * 1020))

    assert error.problem is Problem.INVALID and "at most 1024" in error.message
    assert pipeline.describe(churn_versions[3])["ModelApprovalStatus"] == "PendingManualApproval"
