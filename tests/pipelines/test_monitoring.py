"""The monitoring steps on the shipped sample data, publishing to moto's CloudWatch; the monitoring definition."""

import ast
import filecmp
import json
import logging
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import boto3
import numpy as np
import pytest
from monitoring_samples import DATA, WINDOW_END, WINDOW_HOURS, write_samples
from moto.server import ThreadedMotoServer
from sklearn.metrics import f1_score, mean_squared_error, roc_auc_score

STEPS_DIR = Path(__file__).resolve().parents[2] / "pipelines" / "steps"
# The step scripts import their siblings by plain name, as they do when run.
sys.path.insert(0, str(STEPS_DIR))

import monitor_drift  # noqa: E402
import monitor_quality  # noqa: E402
import monitoring_data  # noqa: E402
import step_contract  # noqa: E402

from pipelines.definition.monitoring import (  # noqa: E402
    MonitoringPipelineSpec,
    build_monitoring_definition,
    monitoring_step_code,
)

REGION = "eu-west-1"
NAMESPACE = "MLOps/Monitoring"
STEP_SCRIPTS = ("monitor_drift.py", "monitor_quality.py", "monitoring_data.py", "step_contract.py")


@pytest.fixture(scope="module")
def moto_endpoint():
    """A real moto server (HTTP on 127.0.0.1, free port) for this module."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def cloudwatch(moto_endpoint, monkeypatch):
    """AWS calls of the steps go to a freshly reset moto; a client to read what they published."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")).close()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return boto3.client("cloudwatch", region_name=REGION, endpoint_url=moto_endpoint)


def published(cloudwatch, name: str, version: str, **extra: str) -> list[float]:
    """The values CloudWatch holds for one metric of churn in prod, version ``version``."""
    dimensions = {"Model": "churn", "Version": version, "Environment": "prod", **extra}
    response = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=name,
        Dimensions=[{"Name": key, "Value": value} for key, value in dimensions.items()],
        StartTime=datetime(2026, 11, 30, tzinfo=timezone.utc),
        EndTime=datetime(2026, 12, 2, tzinfo=timezone.utc),
        Period=60,
        Statistics=["Maximum"],
    )
    return [point["Maximum"] for point in response["Datapoints"]]


def drift(output: Path, version: str, capture: str, baseline: Path = DATA / "baseline.json") -> dict:
    """Run the drift step as its command line would, publishing; its report."""
    monitor_drift.main(
        [
            "--model", "churn", "--version", version, "--environment", "prod",
            "--baseline", str(baseline), "--capture", str(DATA / capture),
            "--window-end", WINDOW_END, "--window-hours", str(WINDOW_HOURS),
            "--namespace", NAMESPACE, "--region", REGION, "--output-dir", str(output),
        ]
    )  # fmt: skip
    return json.loads((output / "drift-report.json").read_text())


def test_shipped_samples_are_what_their_generator_and_preprocess_write(tmp_path):
    write_samples(tmp_path)
    subprocess.run(
        [sys.executable, str(STEPS_DIR / "preprocess.py"), "--problem", "classification",
         "--input-dir", str(tmp_path / "raw"), "--output-dir", str(tmp_path / "preprocess")],
        check=True, capture_output=True,
    )  # fmt: skip

    assert (tmp_path / "preprocess" / "drift-baseline" / "baseline.json").read_bytes() == (
        DATA / "baseline.json"
    ).read_bytes()
    shipped = sorted(p.relative_to(DATA) for p in DATA.rglob("*") if p.is_file() and p.name != "baseline.json")
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file() and "preprocess" not in p.parts)
    assert shipped == made
    assert all(filecmp.cmp(DATA / path, tmp_path / path, shallow=False) for path in shipped)


def test_baseline_types_bins_and_cdf_follow_the_training_data():
    baseline = json.loads((DATA / "baseline.json").read_text())
    features = {entry["name"]: entry for entry in baseline["features"]}

    assert baseline["format"] == "mlops-feature-baseline/1" and baseline["rows"] == 360
    assert [entry["name"] for entry in baseline["features"]] == ["tenure", "monthly_charges", "contract", "support_calls"]
    assert features["contract"]["type"] == "categorical" and set(features["contract"]["categories"]) == {"0", "1", "2"}
    charges = features["monthly_charges"]
    assert charges["type"] == "numeric" and len(charges["bin_edges"]) == 9
    assert sum(charges["bin_proportions"]) == pytest.approx(1, abs=1e-5)
    assert charges["cdf_probabilities"][-1] == 1.0 and charges["cdf_values"] == sorted(charges["cdf_values"])


def test_drifted_traffic_separates_clearly_from_undrifted_on_the_published_metric(cloudwatch, tmp_path):
    calm = drift(tmp_path / "undrifted", "3", "capture-undrifted")
    shifted = drift(tmp_path / "drifted", "4", "capture-drifted")

    calm_psi, shifted_psi = published(cloudwatch, "MaxFeaturePSI", "3"), published(cloudwatch, "MaxFeaturePSI", "4")
    assert calm_psi == [calm["max_psi"]] and calm_psi[0] < 0.15
    assert shifted_psi == [shifted["max_psi"]] and shifted_psi[0] > 0.5
    assert published(cloudwatch, "DriftedFeatures", "3") == [0]
    assert set(shifted["drifted_features"]) == {"monthly_charges", "contract"}
    assert published(cloudwatch, "DriftedFeatures", "4") == [2]
    # Per feature too: the shifted feature, not only the maximum.
    assert published(cloudwatch, "FeaturePSI", "4", Feature="monthly_charges")[0] > 0.5
    assert published(cloudwatch, "FeaturePSI", "3", Feature="monthly_charges")[0] < 0.15
    # The window ends at 12:00: the six later requests are left out, the one filed under 12/ is in.
    assert calm["captured_rows"] == 234 and published(cloudwatch, "CapturedRows", "3") == [234]
    assert published(cloudwatch, "BaselineMissing", "3") == [0]


def test_a_missing_baseline_publishes_baseline_missing_and_no_drift(cloudwatch, tmp_path):
    report = drift(tmp_path / "out", "5", "capture-drifted", baseline=tmp_path / "no-such" / "baseline.json")

    assert report["status"] == "baseline-missing"
    assert published(cloudwatch, "BaselineMissing", "5") == [1]
    assert published(cloudwatch, "MaxFeaturePSI", "5") == []
    written = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert [metric["name"] for metric in written["metrics"]] == ["BaselineMissing"]


def test_the_steps_read_s3_like_a_folder(cloudwatch, moto_endpoint, tmp_path):
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket="capture", CreateBucketConfiguration={"LocationConstraint": REGION})
    for path in (DATA / "capture-drifted").rglob("*.jsonl"):
        s3.upload_file(str(path), "capture", f"churn/champion/{path.relative_to(DATA / 'capture-drifted')}")
    s3.upload_file(str(DATA / "baseline.json"), "capture", "baselines/run-1/baseline.json")
    storage = monitoring_data.Storage(REGION)
    args = monitor_drift.parse_args(
        ["--model", "churn", "--version", "4", "--environment", "prod",
         "--baseline", "s3://capture/baselines/run-1/baseline.json", "--capture", "s3://capture/churn/champion",
         "--window-end", WINDOW_END, "--window-hours", str(WINDOW_HOURS)]
    )  # fmt: skip

    from_s3, _ = monitor_drift.run(args, storage)
    from_disk = drift(tmp_path, "4", "capture-drifted")
    assert from_s3["features"] == from_disk["features"] and from_s3["captured_rows"] == 234
    args.baseline = "s3://capture/baselines/run-2/baseline.json"
    assert monitor_drift.run(args, storage)[0]["status"] == "baseline-missing"


def test_each_environment_reads_the_baseline_its_pinned_version_recorded(cloudwatch, moto_endpoint, tmp_path):
    # Prod serves version N, dev has trained N+1 with a different baseline: prod's job, given only
    # the pinned version's ARN, must compare with N's baseline, never the newest one.
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=moto_endpoint)
    sagemaker = boto3.client("sagemaker", region_name=REGION, endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    newer = json.loads((DATA / "baseline.json").read_text())
    for feature in newer["features"]:
        if "bin_proportions" in feature:
            feature["bin_proportions"] = list(reversed(feature["bin_proportions"]))
    s3.upload_file(str(DATA / "baseline.json"), "artifacts", "models/churn/baselines/run-n/baseline.json")
    s3.put_object(Bucket="artifacts", Key="models/churn/baselines/run-n1/baseline.json", Body=json.dumps(newer).encode())
    sagemaker.create_model_package_group(ModelPackageGroupName="mlops-churn")

    def register(metadata: dict) -> str:
        return sagemaker.create_model_package(
            ModelPackageGroupName="mlops-churn", ModelApprovalStatus="Approved",
            InferenceSpecification={"Containers": [{"Image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/churn:1"}],
                                    "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
            **({"CustomerMetadataProperties": metadata} if metadata else {}),
        )["ModelPackageArn"]  # fmt: skip

    key = step_contract.BASELINE_URI_METADATA_KEY
    version_n = register({key: "s3://artifacts/models/churn/baselines/run-n/baseline.json"})
    version_n1 = register({key: "s3://artifacts/models/churn/baselines/run-n1/baseline.json"})
    unrecorded = register({})
    storage = monitoring_data.Storage(REGION)

    def run(arn: str, version: str) -> dict:
        args = monitor_drift.parse_args(
            ["--model", "churn", "--version", version, "--environment", "prod", "--baseline", "", "--model-package", arn,
             "--capture", str(DATA / "capture-undrifted"), "--window-end", WINDOW_END, "--window-hours", str(WINDOW_HOURS),
             "--region", REGION]
        )  # fmt: skip
        return monitor_drift.run(args, storage)[0]

    prod, dev = run(version_n, "1"), run(version_n1, "2")

    assert prod["baseline"].endswith("/run-n/baseline.json") and dev["baseline"].endswith("/run-n1/baseline.json")
    assert prod["features"] == drift(tmp_path / "shipped", "1", "capture-undrifted")["features"]
    assert prod["status"] == "ok" and dev["features"] != prod["features"]
    assert run(unrecorded, "3")["status"] == "baseline-missing"
    assert run(version_n.replace("/1", "/99"), "99")["status"] == "baseline-missing"


def test_publishing_splits_requests_at_the_cloudwatch_limit(cloudwatch):
    dimensions = monitoring_data.model_dimensions("churn", "3", "prod")
    metrics = [monitoring_data.Metric("FeaturePSI", 0.01, dimensions + (("Feature", f"f{i:04d}"),)) for i in range(1001)]
    at = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)

    assert monitoring_data.publish_metrics(cloudwatch, NAMESPACE, metrics, at) == 2
    assert published(cloudwatch, "FeaturePSI", "3", Feature="f1000") == [0.01]
    with pytest.raises(ValueError, match="not a finite number"):
        monitoring_data.publish_metrics(cloudwatch, NAMESPACE, [monitoring_data.Metric("X", float("nan"), ())], at)


def test_quality_on_captured_predictions_and_late_labels_matches_scikit_learn(cloudwatch, tmp_path):
    monitor_quality.main(
        [
            "--model", "churn", "--version", "3", "--environment", "prod",
            "--problem", "classification", "--metric", "auc", "--threshold", "0.8",
            "--capture", str(DATA / "capture-undrifted"), "--ground-truth", str(DATA / "ground-truth"),
            "--window-end", "2026-12-01T14:00:00Z", "--window-hours", "12", "--label-delay-hours", "2",
            "--namespace", NAMESPACE, "--region", REGION, "--output-dir", str(tmp_path),
        ]
    )  # fmt: skip
    report = json.loads((tmp_path / "quality-report.json").read_text())

    # The same join done independently: captured probabilities and the labels, by inference id.
    labels = {}
    for line in (DATA / "ground-truth" / "2026" / "12" / "01" / "13" / "labels.jsonl").read_text().splitlines():
        record = json.loads(line)
        labels[record["eventMetadata"]["eventId"]] = int(record["groundTruthData"]["data"])
    scores, truth = [], []
    for path in sorted((DATA / "capture-undrifted").rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            inference_id = record["eventMetadata"]["inferenceId"]
            if inference_id in labels and record["eventMetadata"]["inferenceTime"] < "2026-12-01T12":
                scores.append(float(record["captureData"]["endpointOutput"]["data"]))
                truth.append(labels[inference_id])
    expected_auc = roc_auc_score(truth, scores)

    assert report["labelled_rows"] == len(truth) == 211
    assert report["metrics"]["auc"] == pytest.approx(expected_auc, abs=1e-6)
    assert report["metrics"]["f1"] == pytest.approx(f1_score(truth, np.array(scores) >= 0.5), abs=1e-6)
    assert published(cloudwatch, "ModelQuality", "3", Metric="auc") == [pytest.approx(expected_auc, abs=1e-6)]
    assert published(cloudwatch, "LabelledRows", "3") == [211]


def test_metric_implementations_match_scikit_learn():
    generator = np.random.default_rng(7)
    truth = generator.integers(0, 2, 500)
    scores = np.clip(truth * 0.3 + generator.random(500) * 0.7, 0, 1).round(2)  # ties on purpose
    binary = monitor_quality.classification_scores(list(scores), list(truth), [])
    assert binary["auc"] == pytest.approx(roc_auc_score(truth, scores), abs=1e-12)

    classes = generator.integers(0, 3, 400)
    probabilities = generator.dirichlet([1, 1, 1], 400) + np.eye(3)[classes] * 0.3
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    multi = monitor_quality.classification_scores([list(row) for row in probabilities], list(classes), [0, 1, 2])
    assert multi["auc"] == pytest.approx(roc_auc_score(classes, probabilities, multi_class="ovr"), abs=1e-12)
    assert multi["f1"] == pytest.approx(f1_score(classes, probabilities.argmax(axis=1), average="macro"), abs=1e-12)

    actual = generator.normal(150, 60, 300)
    predicted = actual + generator.normal(0, 40, 300)
    regression = monitor_quality.regression_scores(list(predicted), list(actual))
    assert regression["rmse"] == pytest.approx(np.sqrt(mean_squared_error(actual, predicted)), abs=1e-9)


def test_step_scripts_import_only_what_the_sklearn_image_ships():
    allowed = set(sys.stdlib_module_names) | {"numpy", "pandas", "scipy", "boto3", "botocore", "__future__"}
    siblings = {Path(name).stem for name in STEP_SCRIPTS}
    seen = {}
    for script in STEP_SCRIPTS:
        tree = ast.parse((STEPS_DIR / script).read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        roots = seen[script] = {name.split(".")[0] for name in imported}
        assert roots <= allowed | siblings, f"{script} imports {sorted(roots - allowed - siblings)}"
    # The scan sees imports at every level (boto3 is imported inside a function).
    assert {"scipy", "monitoring_data", "step_contract"} <= seen["monitor_drift.py"]
    assert "boto3" in seen["monitoring_data.py"]


def spec(**overrides) -> MonitoringPipelineSpec:
    """A prod monitoring spec of churn, version 3, in a VPC."""
    fields = {
        "model_name": "churn",
        "environment": "prod",
        "model_version": "3",
        "problem": "classification",
        "metric": "auc",
        "quality_threshold": 0.8,
        "region": REGION,
        "role_arn": "arn:aws:iam::111122223333:role/mlops-prod-monitoring",
        "baseline_uri": "s3://mlops-dev-artifacts/models/churn/baselines/exec-3/baseline.json",
        "capture_uri": "s3://mlops-prod-capture/mlops-prod-churn/champion/",
        "ground_truth_uri": "s3://mlops-prod-monitoring/ground-truth/churn/",
        "report_uri": "s3://mlops-prod-monitoring/models/churn/reports",
        "code_uris": {code.name: f"s3://mlops-dev-artifacts/{code.key}" for code in monitoring_step_code()},
        "kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "window_hours": 1,
        "label_delay_hours": 24,
        "subnet_ids": ("subnet-0a1b2c3d",),
        "security_group_ids": ("sg-0123456789abcdef0",),
    }
    return MonitoringPipelineSpec(**{**fields, **overrides})


def test_monitoring_definition_is_byte_identical_and_runs_the_shipped_code():
    first, again = build_monitoring_definition(spec()), build_monitoring_definition(spec())
    definition = json.loads(first)
    steps = {step["Name"]: step["Arguments"] for step in definition["Steps"]}

    assert first == again == json.dumps(definition, sort_keys=True, separators=(",", ":"))
    assert set(steps) == {"DriftCheck", "QualityCheck"}
    code = {c.name: c for c in monitoring_step_code()}
    drift_step = steps["DriftCheck"]
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in drift_step["ProcessingInputs"]}
    assert inputs["code"] == f"s3://mlops-dev-artifacts/{code['monitor-drift'].key}"
    assert inputs["monitoring-data"] == f"s3://mlops-dev-artifacts/{code['monitoring-data'].key}"
    assert "sagemaker-scikit-learn" in drift_step["AppSpecification"]["ImageUri"]
    arguments = drift_step["AppSpecification"]["ContainerArguments"]
    assert arguments[arguments.index("--baseline") + 1] == {"Get": "Parameters.BaselineUri"}
    assert arguments[arguments.index("--window-end") + 1] == {"Get": "Execution.StartDateTime"}
    assert drift_step["NetworkConfig"]["VpcConfig"]["Subnets"] == ["subnet-0a1b2c3d"]
    assert drift_step["ProcessingOutputConfig"]["KmsKeyId"] == spec().kms_key_arn
    parameters = {p["Name"]: p.get("DefaultValue") for p in definition["Parameters"]}
    assert parameters["BaselineUri"] == spec().baseline_uri and parameters["WindowHours"] == 1
    assert parameters["LabelDelayHours"] == 24


def test_without_ground_truth_only_drift_is_checked_and_bad_specs_are_refused():
    definition = json.loads(build_monitoring_definition(spec(ground_truth_uri="", baseline_uri="")))

    assert [step["Name"] for step in definition["Steps"]] == ["DriftCheck"]
    assert {p["Name"]: p.get("DefaultValue") for p in definition["Parameters"]}["BaselineUri"] == ""
    with pytest.raises(ValueError, match="capture_uri must be an s3:// URI"):
        spec(capture_uri="capture/churn")
    with pytest.raises(ValueError, match="metric 'rmse' is not reported"):
        spec(metric="rmse")
    with pytest.raises(ValueError, match="code_uris lacks monitoring-data"):
        spec(code_uris={"monitor-drift": "s3://b/k", "monitor-quality": "s3://b/k", "step-contract": "s3://b/k"})


def test_the_alarms_watch_the_metric_names_and_dimensions_the_steps_publish():
    from components import monitoring_pipeline as alarms

    published = {
        alarms.BASELINE_MISSING: monitor_drift.BASELINE_MISSING,
        alarms.CAPTURED_ROWS: monitor_drift.CAPTURED_ROWS,
        alarms.MAX_FEATURE_PSI: monitor_drift.MAX_FEATURE_PSI,
        alarms.DRIFTED_FEATURES: monitor_drift.DRIFTED_FEATURES,
        alarms.MODEL_QUALITY: monitor_quality.MODEL_QUALITY,
        alarms.LABELLED_ROWS: monitor_quality.LABELLED_ROWS,
        alarms.METRIC_DIMENSION: monitor_quality.METRIC_DIMENSION,
    }
    assert all(watched == step for watched, step in published.items()), published
    assert [name for name, _ in monitoring_data.model_dimensions("m", "1", "prod")] == ["Model", "Version", "Environment"]
