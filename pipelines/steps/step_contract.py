"""What the step scripts and the pipeline definition agree on.

The problem types with their algorithms and metrics (and which way each metric is better), the
name of the label column, and the name of the saved model. This is the one place these facts
live, and both sides read it:

- the step scripts (``preprocess.py``, ``train.py``, ``evaluate.py``) import it as a sibling module
  (``import step_contract``). Run locally, Python puts the script's own folder first on
  ``sys.path``, so the import finds this file next to them.
- the definition builder (``pipelines.definition``) imports it as ``pipelines.steps.step_contract``
  to validate a catalog model and to pick the condition operator.

Inside SageMaker a job only receives the files we ship, so the module travels with the scripts
(see ``pipelines.definition``): the training/serving source bundle contains it next to
``train.py``, and the processing jobs receive it as an extra input on ``PYTHONPATH``. It therefore
imports nothing beyond the standard library.
"""

# The label column of the raw data and of every split the preprocess step writes.
TARGET = "target"
# The file train.py saves the fitted model to (packed into model.tar.gz by SageMaker).
MODEL_FILENAME = "model.joblib"

CLASSIFICATION = "classification"
REGRESSION = "regression"

MAXIMIZE = "maximize"
MINIMIZE = "minimize"

ALGORITHMS: dict[str, tuple[str, ...]] = {
    CLASSIFICATION: ("gradient-boosting", "random-forest", "logistic-regression"),
    REGRESSION: ("gradient-boosting", "random-forest", "ridge"),
}

# Metric name -> the direction in which it improves, per problem type. The order is the order
# in which evaluate.py reports them.
METRIC_DIRECTIONS: dict[str, dict[str, str]] = {
    CLASSIFICATION: {
        "auc": MAXIMIZE,
        "accuracy": MAXIMIZE,
        "f1": MAXIMIZE,
        "precision": MAXIMIZE,
        "recall": MAXIMIZE,
    },
    REGRESSION: {
        "rmse": MINIMIZE,
        "mae": MINIMIZE,
        "r2": MAXIMIZE,
    },
}

PROBLEMS: tuple[str, ...] = tuple(ALGORITHMS)


def check_model_choice(problem: str, algorithm: str, metric: str, direction: str) -> None:
    """Reject a combination of problem, algorithm, metric and direction that cannot work.

    Args:
        problem: ``classification`` or ``regression``.
        algorithm: One of ``ALGORITHMS[problem]``.
        metric: One of ``METRIC_DIRECTIONS[problem]``.
        direction: The direction the caller expects; it must be the metric's own direction.

    Raises:
        ValueError: naming the offending value and the allowed ones.
    """
    if problem not in ALGORITHMS:
        raise ValueError(f"problem {problem!r} is not one of {', '.join(PROBLEMS)}")
    if algorithm not in ALGORITHMS[problem]:
        raise ValueError(
            f"algorithm {algorithm!r} does not fit a {problem} problem; "
            f"use one of {', '.join(ALGORITHMS[problem])}"
        )
    metrics = METRIC_DIRECTIONS[problem]
    if metric not in metrics:
        raise ValueError(
            f"metric {metric!r} is not reported for a {problem} problem; "
            f"use one of {', '.join(metrics)}"
        )
    if direction != metrics[metric]:
        raise ValueError(
            f"metric {metric!r} improves when it goes {'up' if metrics[metric] == MAXIMIZE else 'down'}, "
            f"so its direction must be {metrics[metric]!r}, not {direction!r}"
        )


def meets_threshold(value: float, threshold: float, direction: str) -> bool:
    """Whether a metric value is good enough: at least the threshold when maximizing, at most when minimizing.

    The pipeline's condition step applies the same rule (``>=`` / ``<=``) to evaluation.json.
    """
    return value >= threshold if direction == MAXIMIZE else value <= threshold


# The drift baseline: written by preprocess.py from the training split of every run, read by
# monitor_drift.py for the version an environment pins. One JSON document (keys sorted):
#
#   {"format": "mlops-feature-baseline/1", "rows": 341, "features": [        # training order
#     {"name": "tenure", "type": "numeric", "missing": 0.0,
#      "bin_edges": [inner edges], "bin_proportions": [len(bin_edges) + 1 values],
#      "cdf_values": [ascending], "cdf_probabilities": [F(value), same length]},
#     {"name": "contract", "type": "categorical", "missing": 0.0,
#      "categories": {"0": 0.52, "1": 0.31, "2": 0.17}}]}
#
# Numeric bins are (-inf, e1], (e1, e2], ..., (ek, inf); "missing" is the share of empty values,
# outside the bins. The CDF is the training split's empirical distribution function (exact, or
# at 0.1 % quantile steps for large splits), for the Kolmogorov-Smirnov test.
BASELINE_FILENAME = "baseline.json"
BASELINE_FORMAT = "mlops-feature-baseline/1"
NUMERIC_FEATURE = "numeric"
CATEGORICAL_FEATURE = "categorical"
# The CustomerMetadataProperties key under which a registered version carries its baseline's URI.
BASELINE_URI_METADATA_KEY = "mlops:baseline-uri"


def category_key(value: object) -> str:
    """The text a category is counted under, in the baseline and in captured data alike.

    Captured CSV gives ``1`` or ``1.0`` for a category the training data held as the integer 1,
    so an integral number is written without its fraction.
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
