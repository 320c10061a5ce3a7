"""The pipeline definition: its steps, gate, code, encryption, determinism, and that it is built offline.

The definitions are built by ``offline_build.py`` in fresh interpreters: with no AWS credentials,
region or config, botocore pointed at an unreachable endpoint, sockets that record any use, and
two different hash seeds.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pipeline_specs import (
    ARTIFACTS_BUCKET,
    KMS_KEY_ARN,
    REGRESSION_OVERRIDES,
    code_uris,
    spec_fields,
)

from pipelines.definition import PipelineSpec, baseline_prefix

OFFLINE_BUILD = Path(__file__).with_name("offline_build.py")
# churn as Model Monitor watches it (engine model-monitor); the others as the platform's own
# monitoring does (the default), which needs no Model Monitor analyzer.
SPECS = {
    "churn": spec_fields(model_monitor_baseline=True),
    "demand-forecast": spec_fields(**REGRESSION_OVERRIDES),
    "churn-monitoring-pipeline": spec_fields(),
}
JOB_STEPS = ("Preprocess", "Train", "Evaluate", "DataQualityBaseline")


@pytest.fixture(scope="module")
def offline_builds(subprocess_env, tmp_path_factory) -> list[dict]:
    """Results of two build processes with hash seeds 1 and 2.

    The first builds every spec, "churn" twice; the second builds "churn" once.
    """
    folder = tmp_path_factory.mktemp("offline-build")
    env = {
        name: value
        for name, value in subprocess_env.items()
        if not name.startswith(("AWS_", "SAGEMAKER_")) and name != "PYTHONHASHSEED"
    }
    env.update(HOME=str(folder), AWS_ENDPOINT_URL="http://127.0.0.1:9")
    processes = []
    for seed in ("1", "2"):
        request = folder / f"request-{seed}.json"
        # The second process only needs one spec to compare across seeds.
        specs = SPECS if seed == "1" else {"churn": SPECS["churn"]}
        request.write_text(json.dumps({"specs": specs, "repeat": ["churn"] if seed == "1" else []}))
        processes.append(
            subprocess.Popen(
                [sys.executable, str(OFFLINE_BUILD), str(request), str(folder / f"result-{seed}.json")],
                env={**env, "PYTHONHASHSEED": seed},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = []
    for seed, process in zip(("1", "2"), processes, strict=True):
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        result = json.loads((folder / f"result-{seed}.json").read_text())
        results.append({**result, "stdout": stdout, "stderr": stderr})
    return results


@pytest.fixture(scope="module")
def definitions(offline_builds) -> dict[str, dict]:
    return {spec_id: json.loads(texts[0]) for spec_id, texts in offline_builds[0]["definitions"].items()}


def all_steps(definition: dict) -> dict[str, dict]:
    """Every step by name, including those inside condition branches."""
    steps = {}
    for step in definition["Steps"]:
        steps[step["Name"]] = step
        if step["Type"] == "Condition":
            for branch in ("IfSteps", "ElseSteps"):
                steps.update(all_steps({"Steps": step["Arguments"][branch]}))
    return steps


def test_by_default_the_version_is_registered_with_its_drift_baseline_and_no_model_monitor_step(definitions):
    definition = definitions["churn-monitoring-pipeline"]
    gate = all_steps(definition)["CheckQuality"]["Arguments"]
    register = all_steps(definition)["RegisterModel"]["Arguments"]

    assert [(step["Name"], step["Type"]) for step in gate["IfSteps"]] == [("RegisterModel", "RegisterModel")]
    assert "model-monitor" not in json.dumps(definition), "no Model Monitor analyzer image: the service is closed to new accounts"
    # The evaluation report only (the SDK adds empty Bias and Explainability sections).
    assert register["ModelMetrics"]["ModelQuality"]["Statistics"]["ContentType"] == "application/json"
    assert "ModelDataQuality" not in register["ModelMetrics"] and "DriftCheckBaselines" not in register
    assert "mlops:baseline-uri" in register["CustomerMetadataProperties"]


def test_pipeline_has_the_expected_steps_and_branches(definitions):
    definition = definitions["churn"]
    top = [(step["Name"], step["Type"]) for step in definition["Steps"]]
    gate = all_steps(definition)["CheckQuality"]["Arguments"]

    assert top == [
        ("Preprocess", "Processing"),
        ("Train", "Training"),
        ("Evaluate", "Processing"),
        ("CheckQuality", "Condition"),
    ]
    assert [(step["Name"], step["Type"]) for step in gate["IfSteps"]] == [
        ("DataQualityBaseline", "QualityCheck"),
        ("RegisterModel", "RegisterModel"),
    ]
    assert [(step["Name"], step["Type"]) for step in gate["ElseSteps"]] == [("QualityGateFailed", "Fail")]


def test_parameters_default_to_the_spec(definitions):
    parameters = {parameter["Name"]: parameter for parameter in definitions["churn"]["Parameters"]}

    assert {name: (p["Type"], p["DefaultValue"]) for name, p in parameters.items()} == {
        "InputDataUri": ("String", "s3://mlops-dev-raw/models/churn/"),
        "ProcessingInstanceType": ("String", "ml.m5.large"),
        "TrainingInstanceType": ("String", "ml.m5.xlarge"),
        "QualityThreshold": ("Float", 0.8),
    }
    preprocess = all_steps(definitions["churn"])["Preprocess"]["Arguments"]
    raw_input = next(i for i in preprocess["ProcessingInputs"] if i["InputName"] == "raw")
    assert raw_input["S3Input"]["S3Uri"] == {"Get": "Parameters.InputDataUri"}


@pytest.mark.parametrize(
    ("spec_id", "condition_type", "path"),
    [
        ("churn", "GreaterThanOrEqualTo", "metrics.auc.value"),
        ("demand-forecast", "LessThanOrEqualTo", "metrics.rmse.value"),
    ],
)
def test_quality_gate_compares_the_metric_in_its_direction(definitions, spec_id, condition_type, path):
    gate = all_steps(definitions[spec_id])["CheckQuality"]["Arguments"]
    evaluate = all_steps(definitions[spec_id])["Evaluate"]
    report = {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"}

    assert gate["Conditions"] == [
        {
            "Type": condition_type,
            "LeftValue": {"Std:JsonGet": {"PropertyFile": report, "Path": path}},
            "RightValue": {"Get": "Parameters.QualityThreshold"},
        }
    ]
    assert evaluate["PropertyFiles"] == [
        {"PropertyFileName": "EvaluationReport", "OutputName": "evaluation", "FilePath": "evaluation.json"}
    ]


def test_failed_gate_explains_itself(definitions):
    message = all_steps(definitions["demand-forecast"])["QualityGateFailed"]["Arguments"]["ErrorMessage"]["Std:Join"]

    assert message["Values"][0] == (
        "Model demand-forecast: rmse on the test split is not at most the quality threshold "
    )
    assert {"Get": "Parameters.QualityThreshold"} in message["Values"]
    assert "no model version was registered" in message["Values"][2]


def test_model_is_registered_pending_manual_approval_with_its_metrics(definitions):
    register = all_steps(definitions["churn"])["RegisterModel"]["Arguments"]
    container = register["InferenceSpecification"]["Containers"][0]

    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    assert register["ModelPackageGroupName"] == "mlops-churn"
    assert container["ModelDataUrl"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    evaluation_dir = {"Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"}
    assert register["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == {
        "Std:Join": {"On": "/", "Values": [evaluation_dir, "evaluation.json"]}
    }
    assert register["ModelMetrics"]["ModelDataQuality"]["Statistics"]["S3Uri"] == {
        "Get": "Steps.DataQualityBaseline.CalculatedBaselineStatistics"
    }
    assert register["DriftCheckBaselines"]["ModelDataQuality"]["Constraints"]["S3Uri"] == {
        "Get": "Steps.DataQualityBaseline.BaselineUsedForDriftCheckConstraints"
    }


def test_data_quality_baseline_is_written_where_the_monitor_reads_it(definitions):
    baseline = all_steps(definitions["churn"])["DataQualityBaseline"]
    output = baseline["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
    dataset = baseline["Arguments"]["ProcessingInputs"][0]["S3Input"]

    assert baseline_prefix(ARTIFACTS_BUCKET, "churn") == f"s3://{ARTIFACTS_BUCKET}/models/churn/monitoring/baseline/"
    assert output["S3Uri"] == baseline_prefix(ARTIFACTS_BUCKET, "churn")
    assert dataset["S3Uri"] == {"Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"}
    assert baseline["CheckType"] == "DATA_QUALITY"
    assert "sagemaker-model-monitor-analyzer" in baseline["Arguments"]["AppSpecification"]["ImageUri"]


def test_steps_run_the_uploaded_step_code(definitions):
    steps = all_steps(definitions["churn"])
    uris = code_uris()

    for step_name, code in (("Preprocess", "preprocess"), ("Evaluate", "evaluate")):
        arguments = steps[step_name]["Arguments"]
        inputs = {i["InputName"]: i["S3Input"] for i in arguments["ProcessingInputs"]}
        assert inputs["code"]["S3Uri"] == uris[code]
        entrypoint = arguments["AppSpecification"]["ContainerEntrypoint"]
        assert entrypoint == ["python3", f"/opt/ml/processing/input/code/{code}.py"]
        # The shared module is delivered next to the code and importable from it.
        assert inputs["step-contract"]["S3Uri"] == uris["step-contract"]
        assert arguments["Environment"]["PYTHONPATH"] == inputs["step-contract"]["LocalPath"]
    hyperparameters = steps["Train"]["Arguments"]["HyperParameters"]
    assert hyperparameters["sagemaker_program"] == "train.py"
    assert hyperparameters["sagemaker_submit_directory"] == uris["train"]
    assert (hyperparameters["problem"], hyperparameters["algorithm"]) == ("classification", "gradient-boosting")
    serving = steps["RegisterModel"]["Arguments"]["InferenceSpecification"]["Containers"][0]["Environment"]
    assert (serving["SAGEMAKER_PROGRAM"], serving["SAGEMAKER_SUBMIT_DIRECTORY"]) == ("train.py", uris["train"])


@pytest.mark.parametrize(("spec_id", "region"), [("churn", "eu-west-1"), ("demand-forecast", "us-east-1")])
def test_containers_come_from_the_spec_region(definitions, spec_id, region):
    steps = all_steps(definitions[spec_id])
    sklearn_images = [
        steps["Preprocess"]["Arguments"]["AppSpecification"]["ImageUri"],
        steps["Evaluate"]["Arguments"]["AppSpecification"]["ImageUri"],
        steps["Train"]["Arguments"]["AlgorithmSpecification"]["TrainingImage"],
        steps["RegisterModel"]["Arguments"]["InferenceSpecification"]["Containers"][0]["Image"],
    ]
    analyzer_images = [steps["DataQualityBaseline"]["Arguments"]["AppSpecification"]["ImageUri"]] if "DataQualityBaseline" in steps else []

    for image in [*sklearn_images, *analyzer_images]:
        assert f".dkr.ecr.{region}.amazonaws.com/" in image
    assert all("/sagemaker-scikit-learn:1.9-0-cpu-py3" in image for image in sklearn_images)


def test_every_job_encrypts_its_volume_and_outputs_with_the_platform_key(definitions):
    steps = all_steps(definitions["churn"])

    for name in ("Preprocess", "Evaluate", "DataQualityBaseline"):
        arguments = steps[name]["Arguments"]
        assert arguments["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == KMS_KEY_ARN, name
        assert arguments["ProcessingOutputConfig"]["KmsKeyId"] == KMS_KEY_ARN, name
    train = steps["Train"]["Arguments"]
    assert train["ResourceConfig"]["VolumeKmsKeyId"] == KMS_KEY_ARN
    assert train["OutputDataConfig"]["KmsKeyId"] == KMS_KEY_ARN


def test_jobs_run_in_the_given_subnets_with_encrypted_inter_container_traffic(definitions):
    steps = all_steps(definitions["churn"])
    vpc = {"Subnets": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"], "SecurityGroupIds": ["sg-0123456789abcdef0"]}

    for name in ("Preprocess", "Evaluate", "DataQualityBaseline"):
        network = steps[name]["Arguments"]["NetworkConfig"]
        assert network["VpcConfig"] == vpc, name
        assert network["EnableInterContainerTrafficEncryption"] is True, name
    assert steps["Train"]["Arguments"]["VpcConfig"] == vpc
    assert steps["Train"]["Arguments"]["EnableInterContainerTrafficEncryption"] is True


def test_without_subnets_jobs_get_no_vpc_but_keep_traffic_encryption(definitions):
    steps = all_steps(definitions["demand-forecast"])

    for name in ("Preprocess", "Evaluate"):
        assert "VpcConfig" not in steps[name]["Arguments"]["NetworkConfig"], name
        assert steps[name]["Arguments"]["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
    assert "VpcConfig" not in steps["Train"]["Arguments"]
    assert steps["Train"]["Arguments"]["EnableInterContainerTrafficEncryption"] is True


def test_job_steps_carry_retry_policies_and_cache_config(definitions):
    steps = all_steps(definitions["churn"])

    for name in ("Preprocess", "Train", "Evaluate"):
        exception_types = {kind for policy in steps[name]["RetryPolicies"] for kind in policy["ExceptionType"]}
        assert {"Step.THROTTLING", "Step.SERVICE_FAULT", "SageMaker.CAPACITY_ERROR"} <= exception_types, name
    assert steps["RegisterModel"]["RetryPolicies"][0]["ExceptionType"] == ["Step.SERVICE_FAULT", "Step.THROTTLING"]
    # Preprocess reads a prefix that gains new data, so it must never be served from cache.
    assert steps["Preprocess"]["CacheConfig"] == {"Enabled": False}
    assert steps["Train"]["CacheConfig"] == {"Enabled": True, "ExpireAfter": "P30D"}
    assert steps["Evaluate"]["CacheConfig"] == {"Enabled": True, "ExpireAfter": "P30D"}


def test_outputs_go_to_a_prefix_per_execution(definitions):
    preprocess = all_steps(definitions["churn"])["Preprocess"]["Arguments"]
    outputs = {o["OutputName"]: o["S3Output"]["S3Uri"] for o in preprocess["ProcessingOutputConfig"]["Outputs"]}

    assert set(outputs) == {"train", "validation", "test", "baseline", "drift-baseline"}
    run_prefix = [f"s3://{ARTIFACTS_BUCKET}/models/churn/pipeline", {"Get": "Execution.PipelineExecutionId"}]
    assert outputs["train"] == {"Std:Join": {"On": "/", "Values": [*run_prefix, "preprocess", "train"]}}


def test_each_run_writes_its_drift_baseline_and_the_version_records_where(definitions):
    steps = all_steps(definitions["churn"])
    outputs = steps["Preprocess"]["Arguments"]["ProcessingOutputConfig"]["Outputs"]
    drift_baseline = next(o["S3Output"] for o in outputs if o["OutputName"] == "drift-baseline")
    run_folder = [f"s3://{ARTIFACTS_BUCKET}/models/churn/baselines", {"Get": "Execution.PipelineExecutionId"}]

    assert drift_baseline["LocalPath"] == "/opt/ml/processing/output/drift-baseline"
    assert drift_baseline["S3Uri"] == {"Std:Join": {"On": "/", "Values": run_folder}}
    metadata = steps["RegisterModel"]["Arguments"]["CustomerMetadataProperties"]
    assert metadata == {"mlops:baseline-uri": {"Std:Join": {"On": "/", "Values": [*run_folder, "baseline.json"]}}}


def test_same_spec_gives_byte_identical_sorted_json(offline_builds):
    first, again = offline_builds[0]["definitions"]["churn"]

    assert first == again
    assert first == json.dumps(json.loads(first), sort_keys=True, separators=(",", ":"))


def test_definition_does_not_depend_on_the_hash_seed(offline_builds):
    seed_1, seed_2 = (result["definitions"] for result in offline_builds)

    assert seed_1["churn"][0] == seed_2["churn"][0]


def test_build_makes_no_network_call_and_prints_nothing(offline_builds):
    for result in offline_builds:
        assert result["network_attempts"] == []
        assert result["stdout"] == ""
        # The SDK's warnings and log lines are silenced, not just moved off stdout.
        assert result["stderr"] == ""


def test_importing_the_definition_module_does_not_import_the_sdk(offline_builds):
    assert offline_builds[0]["sdk_loaded_by_import"] is False


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"code_uris": {**code_uris(), "train": "pipelines/steps/train.py"}},
            r"code_uris\['train'\] must be an s3:// URI, got 'pipelines/steps/train.py'",
        ),
        ({"code_uris": {"preprocess": "s3://b/p.py"}}, "code_uris lacks train, evaluate, step-contract"),
        ({"algorithm": "ridge"}, "algorithm 'ridge' does not fit a classification problem"),
        ({"metric": "rmse"}, "metric 'rmse' is not reported for a classification problem"),
        ({"direction": "minimize"}, "its direction must be 'maximize', not 'minimize'"),
        ({"security_group_ids": ()}, "subnet_ids and security_group_ids must be given together"),
    ],
)
def test_spec_rejects_what_the_pipeline_cannot_run(override, message):
    fields = {**spec_fields(), **override}
    fields["subnet_ids"] = tuple(fields["subnet_ids"])
    fields["security_group_ids"] = tuple(fields["security_group_ids"])

    with pytest.raises(ValueError, match=message):
        PipelineSpec(**fields)


def test_offline_build_context_hands_the_process_back_as_it_found_it(monkeypatch, capsys):
    """The build borrows the environment, boto3's default session and logging; a failure returns them too."""
    import logging

    import boto3

    from pipelines.definition.offline_sdk import offline_sdk as _offline_sdk

    monkeypatch.setenv("AWS_PROFILE", "analyst")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    before = dict(os.environ)
    default_session, root_handlers = boto3.DEFAULT_SESSION, list(logging.root.handlers)
    logging_disabled = logging.root.manager.disable

    with pytest.raises(RuntimeError, match="inside"), _offline_sdk("ap-southeast-2"):
        assert os.environ["AWS_DEFAULT_REGION"] == "ap-southeast-2"
        assert "AWS_PROFILE" not in os.environ
        print("stray SDK output")
        logging.getLogger("sagemaker.config").warning("noisy SDK warning")
        raise RuntimeError("inside")

    assert dict(os.environ) == before
    assert boto3.DEFAULT_SESSION is default_session
    assert logging.root.handlers == root_handlers
    assert logging.root.manager.disable == logging_disabled
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "stray SDK output" in captured.err
    assert "noisy SDK warning" not in captured.err
