"""Evaluate step: score the trained model on the test split and write ``evaluation.json``.

Runs inside the SageMaker scikit-learn processing container and locally alike::

    python pipelines/steps/evaluate.py --model-name churn --problem classification \
        --metric auc --threshold 0.8 --model-dir work/model --test-dir work/preprocess/test \
        --output-dir work/evaluation

The model folder may hold the training job's ``model.tar.gz`` (in the pipeline) or
``model.joblib`` (a local run); ``--model-dir`` may also name either file. The report, read by the
pipeline's condition step and by the promotion tooling, has exactly this shape (values rounded to
6 decimals, keys sorted)::

    {"dataset": {"test_rows": 114},
     "metrics": {"accuracy": {"value": 0.88}, "auc": {"value": 0.91}, ...},
     "model_name": "churn",
     "primary_metric": {"direction": "maximize", "name": "auc", "passed": true,
                        "threshold": 0.8, "value": 0.91}}
"""

from __future__ import annotations

import argparse
import json
import math
import tarfile
from pathlib import Path

import joblib
import pandas as pd
import step_contract
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

MODEL_ARCHIVE = "model.tar.gz"
DECIMALS = 6


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; defaults match the SageMaker processing container."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-name", required=True, help="catalog name, recorded in the report")
    parser.add_argument("--problem", required=True, choices=step_contract.PROBLEMS)
    parser.add_argument("--metric", required=True, help="the metric the quality gate compares")
    parser.add_argument("--threshold", type=float, required=True)
    parser.add_argument("--model-dir", default="/opt/ml/processing/input/model")
    parser.add_argument("--test-dir", default="/opt/ml/processing/input/test")
    parser.add_argument("--output-dir", default="/opt/ml/processing/output/evaluation")
    args = parser.parse_args(argv)
    if args.metric not in step_contract.METRIC_DIRECTIONS[args.problem]:
        parser.error(
            f"--metric {args.metric!r} is not reported for a {args.problem} problem; "
            f"use one of {', '.join(step_contract.METRIC_DIRECTIONS[args.problem])}"
        )
    return args


def load_model(location: Path):
    """Load the model from a ``model.tar.gz``, a ``model.joblib``, or a folder holding either."""
    if location.is_dir():
        for name in (MODEL_ARCHIVE, step_contract.MODEL_FILENAME):
            if (location / name).is_file():
                return load_model(location / name)
        raise SystemExit(f"evaluate: neither {MODEL_ARCHIVE} nor {step_contract.MODEL_FILENAME} in {location}")
    if location.name.endswith(".tar.gz"):
        # Read the one member in place: nothing from the archive is written to disk.
        with tarfile.open(location, "r:gz") as archive:
            for member in archive.getmembers():
                if member.isfile() and Path(member.name).name == step_contract.MODEL_FILENAME:
                    return joblib.load(archive.extractfile(member))
        raise SystemExit(f"evaluate: {location} does not contain {step_contract.MODEL_FILENAME}")
    if location.is_file():
        return joblib.load(location)
    raise SystemExit(f"evaluate: no model at {location}")


def classification_scores(model, features: pd.DataFrame, target: pd.Series) -> dict[str, float]:
    """AUC, accuracy, F1, precision and recall; binary metrics use the second class as positive."""
    predicted = model.predict(features)
    probabilities = model.predict_proba(features)
    classes = model.classes_
    if len(classes) == 2:
        auc = roc_auc_score(target == classes[1], probabilities[:, 1])
        averaging = {"average": "binary", "pos_label": classes[1]}
    else:
        auc = roc_auc_score(target, probabilities, multi_class="ovr", labels=classes)
        averaging = {"average": "macro"}
    return {
        "auc": auc,
        "accuracy": accuracy_score(target, predicted),
        "f1": f1_score(target, predicted, zero_division=0, **averaging),
        "precision": precision_score(target, predicted, zero_division=0, **averaging),
        "recall": recall_score(target, predicted, zero_division=0, **averaging),
    }


def regression_scores(model, features: pd.DataFrame, target: pd.Series) -> dict[str, float]:
    """RMSE, MAE and R²."""
    predicted = model.predict(features)
    return {
        "rmse": math.sqrt(mean_squared_error(target, predicted)),
        "mae": mean_absolute_error(target, predicted),
        "r2": r2_score(target, predicted),
    }


def evaluation_report(
    model_name: str, problem: str, metric: str, threshold: float, scores: dict[str, float], test_rows: int
) -> dict:
    """The evaluation.json document: every metric of the problem type, the gated one, its verdict."""
    metrics = {
        name: {"value": round(float(scores[name]), DECIMALS)} for name in step_contract.METRIC_DIRECTIONS[problem]
    }
    direction = step_contract.METRIC_DIRECTIONS[problem][metric]
    value = metrics[metric]["value"]
    threshold = round(threshold, DECIMALS)
    return {
        "model_name": model_name,
        "primary_metric": {
            "name": metric,
            "value": value,
            "direction": direction,
            "threshold": threshold,
            # Judged on the rounded value: the condition step reads the same number from the file.
            "passed": step_contract.meets_threshold(value, threshold, direction),
        },
        "metrics": metrics,
        "dataset": {"test_rows": test_rows},
    }


def main(argv: list[str] | None = None) -> None:
    """Run the evaluate step."""
    args = parse_args(argv)
    model = load_model(Path(args.model_dir))
    test = pd.read_csv(Path(args.test_dir) / "test.csv")
    features, target = test.drop(columns=[step_contract.TARGET]), test[step_contract.TARGET]
    score = classification_scores if args.problem == step_contract.CLASSIFICATION else regression_scores
    report = evaluation_report(
        args.model_name, args.problem, args.metric, args.threshold, score(model, features, target), len(test)
    )

    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "evaluation.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    primary = report["primary_metric"]
    print(
        f"evaluate: {primary['name']}={primary['value']} on {len(test)} test rows, "
        f"threshold {primary['threshold']} ({primary['direction']}): {'passed' if primary['passed'] else 'FAILED'}"
    )


if __name__ == "__main__":
    main()
