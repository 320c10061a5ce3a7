"""Lead scoring: the team's own XGBoost training script, run as the training job's entry point.

It follows the platform's training source contract (``pipelines/steps/byo_contract.py``): the
``train`` and ``validation`` channels hold CSV files with a ``target`` column, and the model is
written to ``SM_MODEL_DIR``. The serving container imports this file too and calls ``model_fn``
and ``predict_fn``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost

MODEL_FILE = "xgboost-model.json"
TARGET = "target"


def parse_args() -> argparse.Namespace:
    """Hyperparameters arrive as --flags; folders default to the SageMaker environment."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="classification", choices=("classification", "regression"))
    parser.add_argument("--n-estimators", type=int, default=200)
    parser.add_argument("--max-depth", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
    parser.add_argument(
        "--validation", default=os.environ.get("SM_CHANNEL_VALIDATION", "/opt/ml/input/data/validation")
    )
    return parser.parse_args()


def read_split(folder: str) -> tuple[np.ndarray, np.ndarray]:
    """Features and label of every CSV file in a channel folder, as arrays (serving sends bare rows)."""
    frame = pd.concat([pd.read_csv(path) for path in sorted(Path(folder).glob("*.csv"))], ignore_index=True)
    return frame.drop(columns=[TARGET]).to_numpy(dtype=float), frame[TARGET].to_numpy()


def estimator(problem: str, **params):
    """An XGBoost model for the problem type with a fixed seed (same data, same model)."""
    kind = xgboost.XGBClassifier if problem == "classification" else xgboost.XGBRegressor
    return kind(random_state=42, n_jobs=1, tree_method="hist", **params)


def main() -> None:
    """Fit on the train channel, early-stop on the validation channel, save the booster."""
    args = parse_args()
    features, target = read_split(args.train)
    val_features, val_target = read_split(args.validation)
    model = estimator(
        args.problem,
        n_estimators=args.n_estimators,
        max_depth=args.max_depth,
        learning_rate=args.learning_rate,
        early_stopping_rounds=20,
    )
    model.fit(features, target, eval_set=[(val_features, val_target)], verbose=False)
    Path(args.model_dir).mkdir(parents=True, exist_ok=True)
    model.save_model(Path(args.model_dir) / MODEL_FILE)
    print(f"train: {args.problem} booster with {model.best_iteration + 1} trees saved")


def model_fn(model_dir: str):
    """Load the booster for serving (called by the framework's serving container)."""
    booster = xgboost.Booster()
    booster.load_model(str(Path(model_dir) / MODEL_FILE))
    return booster


def predict_fn(data, model):
    """Scores for feature rows in training column order."""
    return model.predict(xgboost.DMatrix(np.asarray(data, dtype=float)))


if __name__ == "__main__":
    main()
