"""Fixtures for the AWS operations tests: one moto server on 127.0.0.1 for the session.

Every test gets a clean moto state, dummy credentials, `AWS_ENDPOINT_URL` pointing at the server
(patched per test, so nothing leaks into other test folders) and its own copy of the example
catalog (the repository's stacks/ is never modified). The
account and region are those of the example catalog ARNs, so pinned ARNs such as
`.../model-package/mlops-churn/3` resolve once the matching versions are registered.
"""

import json
import logging
import os
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from mlops.delivery.registry import RegistryClients, registry_clients

EXAMPLE_CATALOG = Path(__file__).resolve().parents[2] / "stacks" / "models"
ACCOUNT = "111122223333"
REGION = "eu-west-1"
BUCKET = "mlops-dev-artifacts"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mlops-sklearn:1.4"


def point_aws_at(env: pytest.MonkeyPatch, endpoint: str) -> None:
    """Make AWS calls go to moto: AWS_ENDPOINT_URL, dummy credentials, no local AWS config,
    the example catalog's account and region."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_MAX_ATTEMPTS"):
        env.delenv(name, raising=False)
    env.setenv("AWS_CONFIG_FILE", os.devnull)
    env.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    env.setenv("AWS_ACCESS_KEY_ID", "testing")
    env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    env.setenv("AWS_DEFAULT_REGION", REGION)
    env.setenv("MOTO_ACCOUNT_ID", ACCOUNT)  # read by the in-process server on each request
    env.setenv("AWS_ENDPOINT_URL", endpoint)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real moto server (HTTP on 127.0.0.1, free port) shared by the whole session."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean moto state and the AWS environment pointing at it, for every test; the endpoint.
    The environment is patched per test so nothing leaks into other test folders."""
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    point_aws_at(monkeypatch, moto_endpoint)
    monkeypatch.setenv("COLUMNS", "200")  # rich prints as in a wide terminal
    return moto_endpoint


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with Pulumi.yaml and a copy of the example catalog files."""
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE_CATALOG, root / "stacks" / "models")
    (root / "Pulumi.yaml").write_text("name: mlops-platform\nruntime: python\n")
    return root


@pytest.fixture
def catalog_dir(project: Path) -> Path:
    """The copied `stacks/models` folder."""
    return project / "stacks" / "models"


@pytest.fixture(scope="session")
def clients(moto_endpoint: str) -> RegistryClients:
    """Registry clients built by the real factory; the endpoint comes from AWS_ENDPOINT_URL.
    Shared by the session (clients keep what they read from the environment when built);
    tests that hook into clients build their own."""
    with pytest.MonkeyPatch.context() as env:
        point_aws_at(env, moto_endpoint)
        return registry_clients()


@dataclass
class TrainingPipeline:
    """Registers model versions the way the training pipeline does: evaluation.json in S3,
    ModelMetrics pointing at it, status PendingManualApproval."""

    sagemaker: Any
    s3: Any

    def create_group(self, group: str) -> None:
        """Create the model package group (the registry component's job)."""
        self.sagemaker.create_model_package_group(ModelPackageGroupName=group)

    def register(
        self,
        group: str,
        *,
        metric: str,
        value: float,
        direction: str = "maximize",
        metadata: dict[str, str] | None = None,
        status: str = "PendingManualApproval",
    ) -> str:
        """Register one version whose evaluation report gives `metric` = `value`; its ARN."""
        listed = self.sagemaker.list_model_packages(ModelPackageGroupName=group)
        number = len(listed["ModelPackageSummaryList"]) + 1
        key = f"{group}/evaluations/{number}/evaluation.json"
        report = {
            "model_name": group,
            "primary_metric": {
                "name": metric,
                "value": value,
                "direction": direction,
                "threshold": 0.0,
                "passed": True,
            },
            "metrics": {metric: {"value": value}, "rows_scored": {"value": 114}},
            "dataset": {"test_rows": 114},
        }
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(report).encode())
        extra = {"CustomerMetadataProperties": metadata} if metadata else {}
        response = self.sagemaker.create_model_package(
            ModelPackageGroupName=group,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/{group}/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelMetrics={
                "ModelQuality": {
                    "Statistics": {"ContentType": "application/json", "S3Uri": f"s3://{BUCKET}/{key}"}
                }
            },
            **extra,
        )
        return response["ModelPackageArn"]

    def register_all(
        self,
        group: str,
        metric: str,
        values: list[float],
        approved: tuple[int, ...] = (),
        in_metadata: bool = False,
    ) -> list[str]:
        """Create the group and register one version per value (numbers 1..n); their ARNs.
        With `in_metadata`, the value is also in CustomerMetadataProperties `metric.<name>`."""
        self.create_group(group)
        return [
            self.register(
                group,
                metric=metric,
                value=value,
                status="Approved" if number in approved else "PendingManualApproval",
                metadata={f"metric.{metric}": str(value)} if in_metadata else None,
            )
            for number, value in enumerate(values, start=1)
        ]

    def describe(self, arn: str) -> dict[str, Any]:
        """The registry's view of a version."""
        return self.sagemaker.describe_model_package(ModelPackageName=arn)


@pytest.fixture(scope="session")
def plain_clients(moto_endpoint: str) -> tuple[Any, Any]:
    """Plain boto3 SageMaker and S3 clients, as the training pipeline would use."""
    with pytest.MonkeyPatch.context() as env:
        point_aws_at(env, moto_endpoint)
        session = boto3.session.Session()
        return session.client("sagemaker"), session.client("s3")


@pytest.fixture
def pipeline(plain_clients: tuple[Any, Any]) -> TrainingPipeline:
    """A registrar for this test, with the artifacts bucket created."""
    sagemaker, s3 = plain_clients
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return TrainingPipeline(sagemaker, s3)


@pytest.fixture
def churn_versions(pipeline: TrainingPipeline) -> list[str]:
    """mlops-churn versions 1-4 (auc 0.80, 0.85, 0.91, 0.92); 3 is Approved and, per the example
    catalog, pinned in test and prod; 4 is pending."""
    return pipeline.register_all("mlops-churn", "auc", [0.80, 0.85, 0.91, 0.92], approved=(3,))


@pytest.fixture
def fraud_versions(pipeline: TrainingPipeline) -> list[str]:
    """mlops-fraud versions 1-8 (f1); 7 (0.78, Approved) is the example catalog's test champion,
    8 (0.785, Approved) a challenger short of the catalog's 0.01 promotion margin."""
    values = [0.70, 0.71, 0.72, 0.73, 0.74, 0.75, 0.78, 0.785]
    return pipeline.register_all("mlops-fraud", "f1", values, approved=(7, 8))
