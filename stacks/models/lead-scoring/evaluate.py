"""Lead scoring: the team's own evaluation, run by the platform's evaluate step.

Receives the arguments of the training source contract (``pipelines/steps/byo_contract.py``)
and writes ``evaluation.json`` with the catalog metric under ``metrics.<name>.value``.
"""

from __future__ import annotations

import argparse
import json
import math
import tarfile
import tempfile
from pathlib import Path

import pandas as pd
import xgboost
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, mean_squared_error, roc_auc_score

from train import MODEL_FILE, TARGET


def parse_args() -> argparse.Namespace:
    """The contract's arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("--model-dir", "--test-dir", "--output-dir", "--problem", "--metric"):
        parser.add_argument(name, required=True)
    return parser.parse_args()


def load_booster(model_dir: Path) -> xgboost.Booster:
    """The booster from the training job's model.tar.gz (or the saved file itself)."""
    booster = xgboost.Booster()
    if (model_dir / MODEL_FILE).is_file():
        booster.load_model(str(model_dir / MODEL_FILE))
        return booster
    with tempfile.TemporaryDirectory() as folder, tarfile.open(model_dir / "model.tar.gz") as archive:
        archive.extract(MODEL_FILE, folder, filter="data")
        booster.load_model(str(Path(folder) / MODEL_FILE))
    return booster


def main() -> None:
    """Score the test split and write the report."""
    args = parse_args()
    test = pd.read_csv(Path(args.test_dir) / "test.csv")
    features, target = test.drop(columns=[TARGET]), test[TARGET]
    scores = load_booster(Path(args.model_dir)).predict(xgboost.DMatrix(features.to_numpy(dtype=float)))
    if args.problem == "classification":
        predicted = (scores >= 0.5).astype(int)
        metrics = {
            "auc": roc_auc_score(target, scores),
            "accuracy": accuracy_score(target, predicted),
            "f1": f1_score(target, predicted),
        }
    else:
        metrics = {"rmse": math.sqrt(mean_squared_error(target, scores)), "mae": mean_absolute_error(target, scores)}
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    report = {"metrics": {name: {"value": float(value)} for name, value in metrics.items()}}
    (output / "evaluation.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
