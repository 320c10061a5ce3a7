"""Train step: fit a scikit-learn model on the train split and save it as ``model.joblib``.

Follows the SageMaker training-script conventions, so the scikit-learn framework container runs
it as the entry point of the training job, and it runs locally alike::

    python pipelines/steps/train.py --problem classification --algorithm gradient-boosting \
        --train work/preprocess/train --validation work/preprocess/validation --model-dir work/model

Folders default to the environment the container sets (``SM_MODEL_DIR``, ``SM_CHANNEL_TRAIN``,
``SM_CHANNEL_VALIDATION``); the job's hyperparameters arrive as ``--flags``. Every estimator gets a
fixed ``random_state``, so the same data gives the same model.

The saved model is a scikit-learn ``Pipeline`` (median imputer, a scaler for the linear models,
the estimator), so the endpoint accepts raw feature rows. The same file serves the model: the
scikit-learn serving container imports it and calls ``model_fn`` and ``predict_fn``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import step_contract
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse hyperparameters and folders; folder defaults come from the SageMaker environment."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", required=True, choices=step_contract.PROBLEMS)
    parser.add_argument("--algorithm", required=True)
    parser.add_argument("--n-estimators", type=int, default=100, help="trees (gradient boosting, random forest)")
    parser.add_argument("--learning-rate", type=float, default=0.1, help="gradient boosting")
    parser.add_argument("--max-depth", type=int, default=None, help="tree depth; estimator default if unset")
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularization (logistic regression)")
    parser.add_argument("--alpha", type=float, default=1.0, help="regularization (ridge)")
    parser.add_argument("--random-state", type=int, default=42)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
    parser.add_argument(
        "--validation", default=os.environ.get("SM_CHANNEL_VALIDATION", "/opt/ml/input/data/validation")
    )
    args = parser.parse_args(argv)
    if args.algorithm not in step_contract.ALGORITHMS[args.problem]:
        parser.error(
            f"--algorithm {args.algorithm!r} does not fit a {args.problem} problem; "
            f"use one of {', '.join(step_contract.ALGORITHMS[args.problem])}"
        )
    return args


def build_model(args: argparse.Namespace) -> Pipeline:
    """The untrained pipeline for the chosen problem and algorithm."""
    trees = {"n_estimators": args.n_estimators, "random_state": args.random_state}
    if args.max_depth is not None:
        trees["max_depth"] = args.max_depth
    classification = args.problem == step_contract.CLASSIFICATION
    if args.algorithm == "gradient-boosting":
        booster = GradientBoostingClassifier if classification else GradientBoostingRegressor
        estimator = booster(learning_rate=args.learning_rate, **trees)
    elif args.algorithm == "random-forest":
        forest = RandomForestClassifier if classification else RandomForestRegressor
        estimator = forest(n_jobs=1, **trees)
    elif args.algorithm == "logistic-regression":
        estimator = LogisticRegression(C=args.c, max_iter=1000, random_state=args.random_state)
    else:
        estimator = Ridge(alpha=args.alpha, random_state=args.random_state)

    steps = [("impute", SimpleImputer(strategy="median"))]
    if args.algorithm in ("logistic-regression", "ridge"):
        steps.append(("scale", StandardScaler()))
    steps.append(("model", estimator))
    return Pipeline(steps)


def read_split(folder: Path, name: str) -> tuple[pd.DataFrame, pd.Series]:
    """Features and target of one split written by the preprocess step."""
    frame = pd.read_csv(folder / f"{name}.csv")
    return frame.drop(columns=[step_contract.TARGET]), frame[step_contract.TARGET]


def main(argv: list[str] | None = None) -> None:
    """Train, report the validation score, and save the model."""
    args = parse_args(argv)
    features, target = read_split(Path(args.train), "train")
    model = build_model(args).fit(features, target)

    validation_dir = Path(args.validation)
    if (validation_dir / "validation.csv").is_file():
        validation_features, validation_target = read_split(validation_dir, "validation")
        score_name = "accuracy" if args.problem == step_contract.CLASSIFICATION else "r2"
        # One "name=value" line, easy to pick up with a training-job metric definition.
        print(f"validation_{score_name}={model.score(validation_features, validation_target):.6f}")

    model_dir = Path(args.model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, model_dir / step_contract.MODEL_FILENAME)
    print(f"train: {args.algorithm} {args.problem} model saved to {model_dir / step_contract.MODEL_FILENAME}")


def model_fn(model_dir: str) -> Pipeline:
    """Serving hook: load the model the training job saved."""
    return joblib.load(Path(model_dir) / step_contract.MODEL_FILENAME)


def predict_fn(input_data, model: Pipeline) -> np.ndarray:
    """Serving hook: score feature rows (in training column order, without the target).

    Returns the positive-class probability for a binary classifier, one probability per class
    for a multi-class classifier, and the predicted value for a regressor.
    """
    if not isinstance(input_data, pd.DataFrame):
        input_data = pd.DataFrame(np.atleast_2d(input_data), columns=model.feature_names_in_)
    if hasattr(model, "predict_proba"):
        probabilities = model.predict_proba(input_data)
        return probabilities[:, 1] if probabilities.shape[1] == 2 else probabilities
    return model.predict(input_data)


if __name__ == "__main__":
    main()
