"""A model's own training code or image: the contract run locally, and the pipeline built for it."""

import json
import shutil
from pathlib import Path

import pytest
from pipeline_specs import ARTIFACTS_BUCKET, spec_fields

from pipelines.definition import (
    CustomTraining,
    PipelineSpec,
    build_definition,
    code_files,
    custom_step_code,
    framework_image,
    offline_sdk,
)
from pipelines.local_run import LocalRunError, run_code_locally

PROJECT = Path(__file__).resolve().parents[2]
LEAD_SCORING = PROJECT / "stacks" / "models" / "lead-scoring"
IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlops-lead-scoring@sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def shipped_run(tmp_path_factory, child_environment) -> dict:
    """The shipped XGBoost example trained and evaluated through the contract."""
    work = tmp_path_factory.mktemp("lead-scoring")
    return run_code_locally(LEAD_SCORING, "train.py", "evaluate.py", "classification", "auc", 0.75, work, model_name="lead-scoring")


def test_shipped_xgboost_code_passes_the_contract_and_the_gate(shipped_run):
    assert set(shipped_run) == {"model_name", "primary_metric", "metrics", "dataset"}
    assert shipped_run["model_name"] == "lead-scoring"
    primary = shipped_run["primary_metric"]
    assert primary == {"name": "auc", "value": shipped_run["metrics"]["auc"]["value"], "direction": "maximize", "threshold": 0.75, "passed": True}
    assert primary["value"] > 0.9
    assert shipped_run["dataset"]["test_rows"] > 50


def broken_copy(tmp_path: Path, evaluate_body: str) -> Path:
    """The example's code with its evaluation script replaced."""
    code = tmp_path / "code"
    shutil.copytree(LEAD_SCORING, code)
    (code / "evaluate.py").write_text(evaluate_body)
    return code


REPORT_WITHOUT_METRIC = '''
import argparse, json, pathlib
parser = argparse.ArgumentParser()
for name in ("--model-dir", "--test-dir", "--output-dir", "--problem", "--metric"):
    parser.add_argument(name)
args = parser.parse_args()
pathlib.Path(args.output_dir).mkdir(parents=True, exist_ok=True)
pathlib.Path(args.output_dir, "evaluation.json").write_text(json.dumps({"metrics": {"accuracy": {"value": 0.9}}}))
'''
NO_REPORT = "print('scored, but wrote nothing')\n"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (REPORT_WITHOUT_METRIC, "training source contract: evaluation.json has no metrics.auc.value (the catalog metric; reported: accuracy)"),
        (NO_REPORT, "training source contract: the evaluation wrote no evaluation.json into --output-dir"),
    ],
)
def test_evaluation_that_breaks_the_contract_fails_with_its_message(tmp_path, child_environment, body, says):
    code = broken_copy(tmp_path, body)

    with pytest.raises(LocalRunError) as failure:
        run_code_locally(code, "train.py", "evaluate.py", "classification", "auc", 0.75, tmp_path / "work")

    assert "byo_contract.py exited with 1" in str(failure.value)
    assert str(failure.value).splitlines()[-1] == says


def custom_spec(kind: str) -> PipelineSpec:
    """A churn-like spec trained by the example's code (xgboost 1.7-1) or by an image."""
    files = code_files(LEAD_SCORING) if kind == "code" else None
    uris = {**spec_fields()["code_uris"], **{c.name: f"s3://{ARTIFACTS_BUCKET}/{c.key}" for c in custom_step_code(files)}}
    if kind == "code":
        with offline_sdk("eu-west-1"):
            training = framework_image("xgboost", "1.7-1", "eu-west-1", "ml.m5.xlarge", "training")
            serving = framework_image("xgboost", "1.7-1", "eu-west-1", "ml.m5.large", "inference")
        custom = CustomTraining("code", training, serving, "train.py", "evaluate.py")
    else:
        custom = CustomTraining("image", IMAGE, IMAGE)
    return PipelineSpec(**spec_fields(code_uris=uris, custom=custom, algorithm=""))


@pytest.fixture(scope="module")
def definitions() -> dict[str, dict]:
    return {kind: json.loads(build_definition(custom_spec(kind))) for kind in ("code", "image")}


def steps_of(definition: dict) -> dict[str, dict]:
    steps = {step["Name"]: step for step in definition["Steps"]}
    for step in list(steps.values()):
        for branch in ("IfSteps", "ElseSteps"):
            steps.update({s["Name"]: s for s in step.get("Arguments", {}).get(branch, [])})
    return steps


def test_code_source_trains_and_evaluates_in_the_framework_container(definitions):
    steps = steps_of(definitions["code"])
    train, evaluate = steps["Train"]["Arguments"], steps["Evaluate"]["Arguments"]
    xgboost_image = train["AlgorithmSpecification"]["TrainingImage"]

    assert list(steps)[:4] == ["Preprocess", "Train", "Evaluate", "CheckQuality"]
    assert xgboost_image.endswith(".dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1")
    assert train["HyperParameters"]["sagemaker_program"] == "train.py"
    assert train["HyperParameters"]["sagemaker_submit_directory"].endswith("/sourcedir.tar.gz")
    assert "algorithm" not in train["HyperParameters"]
    assert evaluate["AppSpecification"]["ImageUri"] == xgboost_image
    assert evaluate["AppSpecification"]["ContainerEntrypoint"][-1].endswith("/byo_contract.py")
    arguments = evaluate["AppSpecification"]["ContainerArguments"]
    assert arguments[arguments.index("--evaluation-script") + 1] == "evaluate.py"
    inputs = {i["InputName"] for i in evaluate["ProcessingInputs"]}
    assert {"model", "test", "model-code", "step-contract", "code"} <= inputs
    container = steps["RegisterModel"]["Arguments"]["InferenceSpecification"]["Containers"][0]
    assert container["Image"].endswith("sagemaker-xgboost:1.7-1")
    assert container["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == train["HyperParameters"]["sagemaker_submit_directory"]


def test_image_source_runs_the_image_and_checks_its_report(definitions):
    steps = steps_of(definitions["image"])

    assert list(steps)[:5] == ["Preprocess", "Train", "EvaluateInImage", "Evaluate", "CheckQuality"]
    assert steps["Train"]["Arguments"]["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    own = steps["EvaluateInImage"]["Arguments"]["AppSpecification"]
    assert own["ImageUri"] == IMAGE and own["ContainerEntrypoint"][0] == "evaluate"
    check = steps["Evaluate"]["Arguments"]
    assert "sagemaker-scikit-learn" in check["AppSpecification"]["ImageUri"]
    assert {"report", "model", "test"} <= {i["InputName"] for i in check["ProcessingInputs"]}
    assert steps["EvaluateInImage"]["Arguments"]["NetworkConfig"]["VpcConfig"]["Subnets"]
    container = steps["RegisterModel"]["Arguments"]["InferenceSpecification"]["Containers"][0]
    assert container["Image"] == IMAGE


@pytest.mark.parametrize("kind", ["code", "image"])
def test_quality_gate_reads_the_checked_report(definitions, kind):
    gate = steps_of(definitions[kind])["CheckQuality"]["Arguments"]["Conditions"][0]

    assert gate["LeftValue"]["Std:JsonGet"]["PropertyFile"]["Get"] == "Steps.Evaluate.PropertyFiles.EvaluationReport"
    assert gate["LeftValue"]["Std:JsonGet"]["Path"] == "metrics.auc.value"
