"""Model quality step: score an endpoint's captured predictions against ground truth that landed later.

Runs in the SageMaker scikit-learn processing container (numpy, pandas, scipy, boto3) and locally
alike, on S3 URIs or local folders with the same layout::

    python pipelines/steps/monitor_quality.py --model churn --version 3 --environment prod \
        --problem classification --metric auc --threshold 0.8 \
        --capture tests/pipelines/data/monitoring/capture-undrifted \
        --ground-truth tests/pipelines/data/monitoring/ground-truth \
        --window-end 2026-12-01T14:00:00Z --window-hours 12 --label-delay-hours 2 \
        --output-dir work/quality --no-publish

Predictions are those captured in the window ``[end - delay - hours, end - delay)``; labels are
read from the ground-truth folders ``yyyy/mm/dd/hh/`` of that window's start up to ``end``, since
they land after the prediction. Ground truth is JSON Lines, either Model Monitor's format
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html)::

    {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "<inference id>"},
     "eventVersion": "0"}

or ``{"inferenceId": "...", "label": 1}``, or CSV with an ``inferenceId`` and a ``label`` column.
Rows join by inference id (see ``monitoring_data.row_ids``); the later label of an id wins.

Computes every metric ``step_contract`` knows for the problem with numpy/scipy, the same
definitions as evaluate.py's scikit-learn calls (binary metrics take the second of the sorted
classes as positive and a 0.5 cut-off on its probability), writes ``quality-report.json`` and
``metrics.json``, and puts into CloudWatch (dimensions Model, Version, Environment):

- ``LabelledRows``: predictions that found their label (0 publishes nothing else);
- ``ModelQuality`` (extra dimension ``Metric``: the catalog's metric, e.g. ``auc``): its value.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import monitoring_data
import numpy as np
import step_contract
from scipy import stats

LABELLED_ROWS = "LabelledRows"
MODEL_QUALITY = "ModelQuality"
METRIC_DIMENSION = "Metric"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; defaults match the SageMaker processing container."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="catalog model name (dimension Model)")
    parser.add_argument("--version", required=True, help="the pinned registry version (dimension Version)")
    parser.add_argument("--environment", required=True, help="dev, test or prod (dimension Environment)")
    parser.add_argument("--problem", required=True, choices=step_contract.PROBLEMS)
    parser.add_argument("--metric", required=True, help="the catalog's quality metric, published as ModelQuality")
    parser.add_argument("--threshold", type=float, default=None, help="recorded in the report with its verdict")
    parser.add_argument("--classes", default="", help="comma-separated classes in the model's order (multi-class)")
    parser.add_argument("--capture", required=True, help="capture prefix of the endpoint variant: s3:// or folder")
    parser.add_argument("--ground-truth", required=True, help="ground-truth prefix: s3:// or folder")
    parser.add_argument("--window-end", required=True, help="ISO 8601 end of the run (exclusive)")
    parser.add_argument("--window-hours", type=float, default=24.0)
    parser.add_argument("--label-delay-hours", type=float, default=0.0, help="how long labels take to land")
    parser.add_argument("--namespace", default="MLOps/Monitoring")
    parser.add_argument("--region", default=None, help="AWS region of S3 and CloudWatch")
    parser.add_argument("--output-dir", default="/opt/ml/processing/output/quality")
    parser.add_argument("--no-publish", action="store_true", help="write metrics.json but put nothing into CloudWatch")
    args = parser.parse_args(argv)
    if args.metric not in step_contract.METRIC_DIRECTIONS[args.problem]:
        parser.error(
            f"--metric {args.metric!r} is not reported for a {args.problem} problem; "
            f"use one of {', '.join(step_contract.METRIC_DIRECTIONS[args.problem])}"
        )
    if args.label_delay_hours < 0:
        parser.error("--label-delay-hours must not be negative")
    return args


def _label(text: object) -> object:
    """A label as a number when it is one (so "1" and 1 are the same class), else as text."""
    try:
        number = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(text)
    return int(number) if number.is_integer() else number


def parse_ground_truth(location: str, content: bytes) -> dict[str, object]:
    """Labels by inference id from one ground-truth file."""
    text = content.decode("utf-8")
    labels: dict[str, object] = {}
    if location.endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        if not {"inferenceId", "label"} <= set(reader.fieldnames or ()):
            raise monitoring_data.MonitoringInputError(f"{location}: needs the columns inferenceId and label")
        for row in reader:
            labels[row["inferenceId"]] = _label(row["label"])
        return labels
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if "groundTruthData" in record:
                labels[str(record["eventMetadata"]["eventId"])] = _label(record["groundTruthData"]["data"])
            else:
                labels[str(record["inferenceId"])] = _label(record["label"])
        except (KeyError, TypeError, ValueError) as error:
            raise monitoring_data.MonitoringInputError(f"{location}:{number}: not a ground-truth record ({error})") from None
    return labels


def read_labels(storage: monitoring_data.Storage, prefix: str, window: monitoring_data.Window) -> dict[str, object]:
    """Every label under ``prefix`` in the window's folders."""
    labels: dict[str, object] = {}
    for location in storage.list_records(prefix, window.partitions()):
        labels.update(parse_ground_truth(location, storage.read(location) or b""))
    return labels


def join(requests, labels: dict[str, object]) -> tuple[list, list]:
    """Predictions and labels of the captured rows whose inference id has a label."""
    predictions, outcomes = [], []
    for request in requests:
        if not request.predictions:
            continue
        for row_id, prediction in zip(monitoring_data.row_ids(request), request.predictions, strict=True):
            if row_id in labels:
                predictions.append(prediction)
                outcomes.append(labels[row_id])
    return predictions, outcomes


def binary_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney U statistic of the positives' scores (ties count half)."""
    ranks = stats.rankdata(scores)
    positives = int(positive.sum())
    negatives = len(positive) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs both classes among the labelled rows")
    return float((ranks[positive].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _precision_recall_f1(truth: np.ndarray, predicted: np.ndarray, label: object) -> tuple[float, float, float]:
    """Precision, recall and F1 of one class (0 where undefined, as zero_division=0)."""
    true_positive = float(np.sum((predicted == label) & (truth == label)))
    predicted_positive, actual_positive = float(np.sum(predicted == label)), float(np.sum(truth == label))
    precision = true_positive / predicted_positive if predicted_positive else 0.0
    recall = true_positive / actual_positive if actual_positive else 0.0
    f1 = 2 * true_positive / (predicted_positive + actual_positive) if predicted_positive + actual_positive else 0.0
    return precision, recall, f1


def classification_scores(predictions: list, outcomes: list, classes: list) -> dict[str, float]:
    """AUC, accuracy, F1, precision and recall; binary for two classes, else one-vs-rest / macro."""
    truth = np.asarray(outcomes, dtype=object)
    classes = classes or sorted(set(outcomes), key=lambda value: (isinstance(value, str), value))
    scores = np.asarray(predictions, dtype=float)
    if len(classes) == 2 and scores.ndim == 1:
        predicted = np.where(scores >= 0.5, classes[1], classes[0]).astype(object)
        auc = binary_auc(truth == classes[1], scores)
        precision, recall, f1 = _precision_recall_f1(truth, predicted, classes[1])
    else:
        if scores.ndim != 2 or scores.shape[1] != len(classes):
            raise monitoring_data.MonitoringInputError(
                f"predictions have {scores.shape[1] if scores.ndim == 2 else 1} columns for {len(classes)} classes "
                f"{classes}; pass --classes in the model's order"
            )
        predicted = np.asarray(classes, dtype=object)[np.argmax(scores, axis=1)]
        auc = float(np.mean([binary_auc(truth == label, scores[:, index]) for index, label in enumerate(classes)]))
        per_class = np.array([_precision_recall_f1(truth, predicted, label) for label in classes])
        precision, recall, f1 = (float(value) for value in per_class.mean(axis=0))
    return {
        "auc": auc,
        "accuracy": float(np.mean(predicted == truth)),
        "f1": f1,
        "precision": precision,
        "recall": recall,
    }


def regression_scores(predictions: list, outcomes: list) -> dict[str, float]:
    """RMSE, MAE and R² (1 - residual / total sum of squares)."""
    predicted, truth = np.asarray(predictions, dtype=float), np.asarray(outcomes, dtype=float)
    errors = truth - predicted
    total = float(np.sum((truth - truth.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "mae": float(np.mean(np.abs(errors))),
        "r2": 1 - float(np.sum(errors**2)) / total if total else 0.0,
    }


def run(args: argparse.Namespace, storage: monitoring_data.Storage) -> tuple[dict, list[monitoring_data.Metric]]:
    """Compute the report and the metrics of one run (nothing is written or published)."""
    run_window = monitoring_data.Window.ending(args.window_end, args.window_hours + args.label_delay_hours)
    predictions_window = monitoring_data.Window(
        run_window.start, run_window.end - timedelta(hours=args.label_delay_hours)
    )
    dimensions = monitoring_data.model_dimensions(args.model, args.version, args.environment)
    labels = read_labels(storage, args.ground_truth, run_window)
    predictions, outcomes = join(monitoring_data.read_captured(storage, args.capture, predictions_window), labels)
    report = {
        "model": args.model,
        "version": args.version,
        "environment": args.environment,
        "capture": args.capture,
        "ground_truth": args.ground_truth,
        "window": predictions_window.to_json(),
        "labels_read": len(labels),
        "labelled_rows": len(predictions),
    }
    metrics = [monitoring_data.Metric(LABELLED_ROWS, len(predictions), dimensions, "Count")]
    if not predictions:
        report.update(status="no-labels")
        return report, metrics
    if args.problem == step_contract.CLASSIFICATION:
        classes = [_label(value) for value in args.classes.split(",") if value] if args.classes else []
        try:
            scores = classification_scores(predictions, outcomes, classes)
        except ValueError as error:
            report.update(status="undefined", reason=str(error))
            return report, metrics
    else:
        scores = regression_scores(predictions, outcomes)
    value = round(scores[args.metric], monitoring_data.DECIMALS)
    direction = step_contract.METRIC_DIRECTIONS[args.problem][args.metric]
    report.update(
        status="ok",
        metrics={name: round(score, monitoring_data.DECIMALS) for name, score in scores.items()},
        primary_metric={"name": args.metric, "value": value, "direction": direction, "threshold": args.threshold},
    )
    if args.threshold is not None:
        report["primary_metric"]["passed"] = step_contract.meets_threshold(value, args.threshold, direction)
    metrics.append(monitoring_data.Metric(MODEL_QUALITY, value, dimensions + ((METRIC_DIMENSION, args.metric),)))
    return report, metrics


def main(argv: list[str] | None = None) -> None:
    """Run the quality step: report, metrics.json, CloudWatch."""
    args = parse_args(argv)
    storage = monitoring_data.Storage(args.region)
    report, metrics = run(args, storage)
    output_dir = Path(args.output_dir)
    monitoring_data.write_json(output_dir / "quality-report.json", report)
    window = monitoring_data.Window.ending(args.window_end, args.window_hours)
    monitoring_data.write_json(output_dir / "metrics.json", monitoring_data.metrics_document(args.namespace, metrics, window))
    if not args.no_publish:
        cloudwatch = monitoring_data.aws_client("cloudwatch", args.region)
        monitoring_data.publish_metrics(cloudwatch, args.namespace, metrics, window.end)
    primary = report.get("primary_metric", {})
    print(
        f"monitor_quality: {args.model} v{args.version} in {args.environment}: {report['status']}, "
        f"{report['labelled_rows']} labelled rows" + (f", {primary['name']}={primary['value']}" if primary else "")
    )


if __name__ == "__main__":
    main()
