"""Training sources and serving modes in the catalog: what a bad combination says, what a plan has."""

from __future__ import annotations

import base64
import io
import tarfile
from pathlib import Path
from typing import Any

import pytest
from catalog_plans import edit_model, run_cli

DIGEST = "sha256:" + "0f" * 32


def image_source(tag: str | None = None, digest: str | None = None):
    def change(data: Any) -> None:
        del data["algorithm"]
        data["training"]["source"] = {"type": "image", **({"tag": tag} if tag else {}), **({"digest": digest} if digest else {})}

    return change


def set_in(path: str, value: Any):
    def change(data: Any) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value

    return change


def serve_batch(data: Any) -> None:
    data["serving"]["mode"] = "batch"
    data["serving"]["batch"] = {"schedule": "rate(7 days)"}


def serve_async_serverless(data: Any) -> None:
    data["serving"]["mode"] = "async"
    data["serving"]["serverless"] = {"memoryMb": 2048}


CASES = [
    pytest.param(
        "lead-scoring", set_in("training.source.frameworkVersion", "0.9-9"), "dev",
        "stacks/models/lead-scoring.yaml: training.source.frameworkVersion: no xgboost 0.9-9 py3 training image for ml.m5.xlarge in eu-west-1",
        id="framework-version-unknown-for-region",
    ),
    pytest.param(
        "lead-scoring", set_in("training.source.entryPoint", "fit.py"), "dev",
        "stacks/models/lead-scoring.yaml: training.source.entryPoint: stacks/models/lead-scoring/fit.py does not exist (allowed: evaluate.py, train.py)",
        id="entry-point-missing",
    ),
    pytest.param(
        "lead-scoring", set_in("algorithm", "ridge"), "dev",
        "stacks/models/lead-scoring.yaml:39: algorithm: a code source brings its own algorithm (allowed: no algorithm key)",
        id="algorithm-with-code",
    ),
    pytest.param(
        "churn", image_source(tag="v3"), "prod",
        "training.source.tag: tag 'v3' can move; prod runs images by digest (allowed: digest: sha256:<64 hex>)",
        id="image-without-digest-in-prod",
    ),
    pytest.param(
        "churn", serve_batch, "test",
        "serving.challenger: a batch-scored model has no endpoint to run a challenger on",
        id="batch-with-challenger",
    ),
    pytest.param(
        "demand-forecast", serve_async_serverless, "dev",
        "serving.serverless: asynchronous endpoints cannot be serverless",
        id="async-with-serverless",
    ),
]


@pytest.mark.parametrize(("model", "change", "stack", "says"), CASES)
def test_bad_source_or_mode_exits_2_with_one_line(project_copy: Path, model, change, stack, says):
    edit_model(project_copy, model, change)

    result = run_cli("plan", stack, "--project-dir", str(project_copy))

    assert result.exit_code == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert says in lines[0]
    assert "Traceback" not in result.stderr


def test_image_by_digest_is_accepted_in_prod(project_copy: Path):
    edit_model(project_copy, "churn", image_source(digest=DIGEST))

    result = run_cli("plan", "prod", "--project-dir", str(project_copy))

    assert result.exit_code == 0, result.stderr


def test_code_source_ships_the_model_folder_as_its_bundle(plan_of, project_dir: Path):
    plan = plan_of("dev")
    objects = {r["name"]: r for r in plan.of_type("aws:s3/bucketObjectv2:BucketObjectv2")}
    bundle = objects["mlops-dev-lead-scoring-training-code-model-code"]["inputs"]
    contract = objects["mlops-dev-lead-scoring-training-code-byo-contract"]["inputs"]

    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(bundle["contentBase64"]))) as archive:
        names = sorted(archive.getnames())
    assert names == ["evaluate.py", "train.py"]
    assert bundle["serverSideEncryption"] == "aws:kms" and bundle["kmsKeyId"]
    assert base64.b64decode(contract["contentBase64"]) == (project_dir / "pipelines" / "steps" / "byo_contract.py").read_bytes()
    assert "mlops-dev-churn-training-code-model-code" not in objects


def test_migration_status_and_model_list_show_source_and_serving_mode(project_dir: Path):
    import json

    status = json.loads(run_cli("migration", "status", "--json", "--project-dir", str(project_dir)).stdout)
    listed = json.loads(run_cli("model", "list", "--json", "--project-dir", str(project_dir)).stdout)

    by_name = {m["name"]: (m["source"], m["serving"]) for m in status["models"]}
    assert by_name["lead-scoring"] == ("code", "endpoint")
    assert by_name["customer-ltv"] == ("builtin", "batch")
    assert by_name["churn"] == ("builtin", "endpoint")
    rows = {r["name"]: r for r in listed}
    assert rows["lead-scoring"]["training"] == "own xgboost 1.7-1 code" and rows["lead-scoring"]["algorithm"] is None
    assert rows["customer-ltv"]["serving"] == "batch"


def test_image_source_flows_from_the_models_repository_into_training_and_registration(project_copy: Path):
    import json

    from catalog_plans import PIPELINE, Plan

    from infra.config import load_settings
    from mlops.plan import plan_stack

    edit_model(project_copy, "lead-scoring", lambda data: data["training"].__setitem__("source", {"type": "image", "digest": DIGEST}))
    plan = Plan.of(plan_stack(project_copy, "dev"), load_settings(project_copy, "dev"))
    (pipeline,) = plan.of_type(PIPELINE, plan.model_resources("lead-scoring"))
    steps = {s["Name"]: s for s in json.loads(pipeline["inputs"]["pipelineDefinition"])["Steps"]}
    register = {s["Name"]: s for s in steps["CheckQuality"]["Arguments"]["IfSteps"]}["RegisterModel"]
    image = f"111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlops-lead-scoring@{DIGEST}"

    assert steps["Train"]["Arguments"]["AlgorithmSpecification"]["TrainingImage"] == image
    assert steps["EvaluateInImage"]["Arguments"]["AppSpecification"]["ImageUri"] == image
    assert register["Arguments"]["InferenceSpecification"]["Containers"][0]["Image"] == image
    assert plan.doc["deploy"]["findings"] == [] and plan.doc["policy"]["violations"] == []
