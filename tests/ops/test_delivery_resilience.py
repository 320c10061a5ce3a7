"""The registry misbehaving: throttling and 5xx are retried (botocore standard mode), and when the
registry stays down or cannot be reached the catalog file is left byte-identical.

Failures are injected at the HTTP layer with botocore's `before-send` event: the first calls get a
throttling or 503 response instead of reaching moto; everything else goes to moto's server."""

import json
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from botocore.awsrequest import AWSResponse

from mlops.delivery import DeliveryError, Problem, promote, registry_clients

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


class _Body:
    """The raw body botocore reads an AWSResponse from."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_):
        yield self._content


def failure(status: int, code: str) -> AWSResponse:
    """A SageMaker (JSON protocol) error response."""
    body = json.dumps({"__type": code, "message": f"injected {code}"}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "injected"}
    return AWSResponse("https://sagemaker.invalid/", status, headers, _Body(body))


class FlakyRegistry:
    """A before-send hook that answers the first calls with the given failures."""

    def __init__(self, *responses: AWSResponse) -> None:
        self.pending = list(responses)
        self.sent: list[str] = []

    def __call__(self, request, **_):
        self.sent.append(request.headers.get("X-Amz-Target", b"").decode())
        return self.pending.pop(0) if self.pending else None


def promote_churn_4(clients, catalog_dir: Path):
    return promote(
        clients, catalog_dir, "churn", group="mlops-churn", to_env="test", version=4,
        by="dana.reviewer", reason="AUC 0.92", now=NOW,
    )


def test_clients_use_aws_endpoint_url_unless_given_an_endpoint(aws):
    assert registry_clients().endpoint == aws
    assert registry_clients().s3.meta.endpoint_url == aws
    assert registry_clients(endpoint_url="http://127.0.0.1:9").endpoint == "http://127.0.0.1:9"


def test_region_comes_from_the_environment_then_from_the_catalog(monkeypatch):
    assert registry_clients(fallback_region="us-east-2").sagemaker.meta.region_name == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert registry_clients(fallback_region="us-east-2").sagemaker.meta.region_name == "eu-central-1"
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert registry_clients(fallback_region="us-east-2").sagemaker.meta.region_name == "us-east-2"
    with pytest.raises(DeliveryError) as caught:
        registry_clients()
    assert caught.value.problem is Problem.INVALID and "set AWS_REGION" in caught.value.message


def test_throttling_and_5xx_are_retried_until_the_promotion_succeeds(catalog_dir, churn_versions):
    clients = registry_clients(max_attempts=3)
    flaky = FlakyRegistry(failure(400, "ThrottlingException"), failure(503, "ServiceUnavailable"))
    clients.sagemaker.meta.events.register("before-send.sagemaker", flaky)

    result = promote_churn_4(clients, catalog_dir)

    assert result.version.number == 4
    assert flaky.sent[:3] == ["SageMaker.DescribeModelPackageGroup"] * 3  # two failures, then moto
    assert f"test: {churn_versions[3]}" in (catalog_dir / "churn.yaml").read_text()


def test_registry_failing_past_the_retries_leaves_the_catalog_identical(catalog_dir, churn_versions):
    clients = registry_clients(max_attempts=2)
    flaky = FlakyRegistry(*[failure(503, "ServiceUnavailable")] * 2)
    clients.sagemaker.meta.events.register("before-send.sagemaker.UpdateModelPackage", flaky)
    before = {path.relative_to(catalog_dir).as_posix(): path.read_bytes() for path in sorted(catalog_dir.rglob("*")) if path.is_file()}

    with pytest.raises(DeliveryError) as caught:
        promote_churn_4(clients, catalog_dir)

    assert caught.value.problem is Problem.UNAVAILABLE
    assert "the model registry at" in caught.value.message
    assert "reached max retries: 1" in caught.value.message
    assert caught.value.message.endswith("churn.yaml is unchanged")
    assert len(flaky.sent) == 2
    assert {path.relative_to(catalog_dir).as_posix(): path.read_bytes() for path in sorted(catalog_dir.rglob("*")) if path.is_file()} == before


def test_unreachable_registry_is_reported_with_its_endpoint(catalog_dir):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    before = (catalog_dir / "churn.yaml").read_bytes()

    with pytest.raises(DeliveryError) as caught:
        promote_churn_4(registry_clients(endpoint_url=closed, max_attempts=2), catalog_dir)

    assert caught.value.problem is Problem.UNAVAILABLE
    assert caught.value.message.startswith(f"cannot reach the model registry at {closed}: ")
    assert (catalog_dir / "churn.yaml").read_bytes() == before
