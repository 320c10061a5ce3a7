"""What a promotion does to the catalog file a reviewer reads: only the delivery keys change,
comments and layout survive, and a failed write leaves the file byte-identical."""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlops.delivery import DeliveryError, Problem, promote, registry_clients
from mlops.delivery.catalog_edit import CatalogFile

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
PIN_ID = "0123456789abcdef"


def promote_churn_4(clients, catalog_dir: Path):
    return promote(
        clients, catalog_dir, "churn", group="mlops-churn", to_env="test", version=4,
        by="dana.reviewer", reason="AUC 0.92 on the April holdout", now=NOW, promotion_id=PIN_ID,
    )


def test_catalog_files_read_and_rendered_unchanged_are_byte_identical(catalog_dir: Path):
    for path in sorted(catalog_dir.glob("*.yaml")):
        assert CatalogFile.load(catalog_dir, path.stem).render() == path.read_text(), path.name


def test_promotion_changes_only_the_pin_and_appends_to_the_history(clients, catalog_dir, churn_versions):
    path = catalog_dir / "churn.yaml"
    original = path.read_text()

    promote_churn_4(clients, catalog_dir)

    entry = (
        "    - environment: test\n"
        f"      version: {churn_versions[3]}\n"
        "      action: promote\n"
        "      by: dana.reviewer\n"
        "      reason: AUC 0.92 on the April holdout\n"
        '      at: "2026-11-20T09:30:00Z"\n'
        f"      id: {PIN_ID}\n"
    )
    expected = original.replace("versions:\n", entry + "versions:\n").replace(
        f"  test: {churn_versions[2]}\n", f"  test: {churn_versions[3]}\n"
    )
    assert path.read_text() == expected
    assert path.read_text().startswith("# Churn propensity for consumer subscriptions")


def test_first_pin_writes_a_block_mapping_and_starts_the_history(clients, catalog_dir, pipeline):
    path = catalog_dir / "demand-forecast.yaml"
    original = path.read_text()
    arn = pipeline.register_all("mlops-demand-forecast", "rmse", [50.0], approved=(1,))[0]

    promote(
        clients, catalog_dir, "demand-forecast", group="mlops-demand-forecast", to_env="test",
        version=1, by="dana.reviewer", reason="first candidate", now=NOW, promotion_id=PIN_ID,
    )

    expected = (
        original.replace("phase: development", "phase: test-release")
        .replace(
            "  riskRating: low\n",
            "  riskRating: low\n"
            "  history:\n"
            "    - environment: test\n"
            f"      version: {arn}\n"
            "      action: promote\n"
            "      by: dana.reviewer\n"
            "      reason: first candidate\n"
            '      at: "2026-11-20T09:30:00Z"\n'
            f"      id: {PIN_ID}\n",
        )
        .replace("versions: {}\n", f"versions:\n  test: {arn}\n")
    )
    assert path.read_text() == expected


def test_failed_write_leaves_the_file_identical_and_undoes_the_registry_record(
    clients, catalog_dir, pipeline, monkeypatch
):
    # The versions carry metadata: moto cannot restore a version to *no* metadata (see report).
    arns = pipeline.register_all("mlops-churn", "auc", [0.80, 0.85, 0.91, 0.92], (3,), in_metadata=True)
    before = {path.relative_to(catalog_dir).as_posix(): path.read_bytes() for path in sorted(catalog_dir.rglob("*")) if path.is_file()}

    def disk_full(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(DeliveryError) as caught:
        promote_churn_4(clients, catalog_dir)

    assert caught.value.problem is Problem.UNAVAILABLE
    assert "churn.yaml: could not be written: [Errno 28] No space left on device" in caught.value.message
    assert "the registry record on version 4 of mlops-churn was undone" in caught.value.message
    assert {path.relative_to(catalog_dir).as_posix(): path.read_bytes() for path in sorted(catalog_dir.rglob("*")) if path.is_file()} == before  # no temp file left
    assert pipeline.describe(arns[3])["CustomerMetadataProperties"] == {"metric.auc": "0.92"}


def test_catalog_edited_during_a_promotion_is_not_overwritten(catalog_dir, pipeline):
    arns = pipeline.register_all("mlops-churn", "auc", [0.80, 0.85, 0.91, 0.92], (3,), in_metadata=True)
    path = catalog_dir / "churn.yaml"
    own = registry_clients()
    edits = []

    def colleague_edits_the_file(**_):
        if not edits:
            edits.append(path.read_text())
            path.write_text(edits[0] + "# edited by a colleague\n")

    own.sagemaker.meta.events.register(
        "before-send.sagemaker.UpdateModelPackage", colleague_edits_the_file
    )
    with pytest.raises(DeliveryError) as caught:
        promote_churn_4(own, catalog_dir)

    assert "churn.yaml changed on disk while this ran; it was not written" in caught.value.message
    assert "the registry record on version 4 of mlops-churn was undone" in caught.value.message
    assert path.read_text() == edits[0] + "# edited by a colleague\n"
    assert pipeline.describe(arns[3])["CustomerMetadataProperties"] == {"metric.auc": "0.92"}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda text: text.replace("direction: maximize", "direction: up"),
            "churn.yaml: training.direction: is 'up', expected maximize or minimize",
        ),
        (lambda text: text.replace("name: churn", "name: churn-v2"), "churn.yaml: name: is 'churn-v2'"),
        (lambda text: "name: churn\nversions: [\n", "churn.yaml: not valid YAML"),
    ],
)
def test_malformed_catalog_files_are_usage_errors_naming_file_and_key(
    clients, catalog_dir, churn_versions, edit, expected
):
    path = catalog_dir / "churn.yaml"
    path.write_text(edit(path.read_text()))

    with pytest.raises(DeliveryError) as caught:
        promote_churn_4(clients, catalog_dir)

    assert caught.value.problem is Problem.INVALID
    assert expected in caught.value.message
