"""Drift step: compare an endpoint's captured traffic with the pinned version's training baseline.

Runs in the SageMaker scikit-learn processing container (numpy, pandas, scipy, boto3; nothing is
installed at run time) and locally alike, on S3 URIs or local folders with the same layout::

    python pipelines/steps/monitor_drift.py --model churn --version 3 --environment prod \
        --baseline tests/pipelines/data/monitoring/baseline.json \
        --capture tests/pipelines/data/monitoring/capture-drifted \
        --window-end 2026-12-01T12:00:00Z --window-hours 24 --output-dir work/drift --no-publish

For every feature of the baseline (format in ``step_contract``): the population stability index
(PSI) over the baseline's bins or categories, plus the Kolmogorov-Smirnov test for a numeric
feature and the chi-square test for a categorical one, both as two-sample tests (the baseline is
itself a sample of ``rows`` values). A feature drifts when its PSI exceeds ``--psi-threshold`` or
its test's p-value is below ``--p-value-threshold``.

Writes ``<output-dir>/drift-report.json`` and ``<output-dir>/metrics.json``, and puts the metrics
into CloudWatch (namespace ``--namespace``, dimensions Model, Version, Environment):

- ``BaselineMissing``: 1 when the baseline cannot be read, else 0. Always published, so a
  missing baseline is a state an alarm sees, never silence; no drift metric is published then.
- ``CapturedRows``: feature rows in the window (0 without traffic; no drift metric then).
- ``FeaturePSI`` (extra dimension ``Feature``), per feature; ``MaxFeaturePSI``, the largest.
- ``DriftedFeatures``: how many features drift.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import monitoring_data
import numpy as np
import pandas as pd
import step_contract
from scipy import stats

# Stands in for an empty bin's share, so PSI stays finite (a common choice for PSI).
PSI_EPSILON = 1e-4
# Bucket of categories the training data never had.
UNSEEN_CATEGORY = "__unseen__"
MISSING = "__missing__"

BASELINE_MISSING = "BaselineMissing"
CAPTURED_ROWS = "CapturedRows"
FEATURE_PSI = "FeaturePSI"
MAX_FEATURE_PSI = "MaxFeaturePSI"
DRIFTED_FEATURES = "DriftedFeatures"
FEATURE_DIMENSION = "Feature"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; defaults match the SageMaker processing container."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="catalog model name (dimension Model)")
    parser.add_argument("--version", required=True, help="the pinned registry version (dimension Version)")
    parser.add_argument("--environment", required=True, help="dev, test or prod (dimension Environment)")
    parser.add_argument("--baseline", default="", help="baseline.json of the pinned version: s3:// URI or file")
    parser.add_argument(
        "--model-package", default="", help="the pinned version's ARN: without --baseline, the baseline it records is read"
    )
    parser.add_argument("--capture", required=True, help="capture prefix of the endpoint variant: s3:// or folder")
    parser.add_argument("--window-end", required=True, help="ISO 8601 end of the window (exclusive)")
    parser.add_argument("--window-hours", type=float, default=24.0)
    parser.add_argument("--psi-threshold", type=float, default=0.2)
    parser.add_argument("--p-value-threshold", type=float, default=0.01)
    parser.add_argument("--namespace", default="MLOps/Monitoring")
    parser.add_argument("--region", default=None, help="AWS region of S3 and CloudWatch")
    parser.add_argument("--output-dir", default="/opt/ml/processing/output/drift")
    parser.add_argument("--no-publish", action="store_true", help="write metrics.json but put nothing into CloudWatch")
    return parser.parse_args(argv)


def load_baseline(storage: monitoring_data.Storage, location: str) -> dict | None:
    """The baseline document, or None when there is none at ``location``."""
    content = storage.read(location) if location else None
    if content is None:
        return None
    document = json.loads(content)
    if document.get("format") != step_contract.BASELINE_FORMAT:
        raise monitoring_data.MonitoringInputError(
            f"{location}: format {document.get('format')!r} is not {step_contract.BASELINE_FORMAT!r}"
        )
    return document


def captured_frame(requests, feature_names: list[str]) -> pd.DataFrame:
    """The captured feature rows as one frame with the baseline's columns (values still raw)."""
    positional, named = [], []
    for request in requests:
        for row in request.rows:
            (named if isinstance(row, dict) else positional).append(row)
    frames = []
    if positional:
        widths = {len(row) for row in positional}
        if widths != {len(feature_names)}:
            raise monitoring_data.MonitoringInputError(
                f"captured rows have {sorted(widths)} values; the baseline has {len(feature_names)} features"
            )
        frames.append(pd.DataFrame(positional, columns=feature_names, dtype=object))
    if named:
        frames.append(pd.DataFrame(named, dtype=object).reindex(columns=feature_names))
    if not frames:
        return pd.DataFrame(columns=feature_names, dtype=object)
    return pd.concat(frames, ignore_index=True)


def population_stability_index(baseline: np.ndarray, current: np.ndarray) -> float:
    """PSI = sum((current - baseline) * ln(current / baseline)) over shares of the same buckets."""
    expected = np.clip(baseline, PSI_EPSILON, None)
    actual = np.clip(current, PSI_EPSILON, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def numeric_drift(spec: dict, raw: pd.Series, baseline_rows: int) -> dict:
    """PSI over the baseline's bins (plus a missing bucket) and the two-sample KS test."""
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    present = np.sort(values[~np.isnan(values)])
    n = len(values)
    edges = np.asarray(spec["bin_edges"], dtype=float)
    counts = np.bincount(np.searchsorted(edges, present, side="left"), minlength=len(edges) + 1)
    current_shares = np.append(counts, n - len(present)) / n
    baseline_shares = np.append(np.asarray(spec["bin_proportions"], dtype=float), spec["missing"])
    result = {"type": step_contract.NUMERIC_FEATURE, "psi": population_stability_index(baseline_shares, current_shares)}
    if len(present):
        cdf_values = np.asarray(spec["cdf_values"], dtype=float)
        cdf_probabilities = np.asarray(spec["cdf_probabilities"], dtype=float)
        # Both CDFs are step functions, so the largest gap is at one of their jump points.
        points = np.concatenate([present, cdf_values])
        baseline_index = np.searchsorted(cdf_values, points, side="right") - 1
        baseline_cdf = np.where(baseline_index >= 0, cdf_probabilities[np.clip(baseline_index, 0, None)], 0.0)
        current_cdf = np.searchsorted(present, points, side="right") / len(present)
        statistic = float(np.max(np.abs(current_cdf - baseline_cdf)))
        # Asymptotic two-sample distribution, as scipy.stats.ks_2samp uses for large samples.
        effective = len(present) * baseline_rows / (len(present) + baseline_rows)
        result.update(statistic=statistic, p_value=float(stats.kstwo.sf(statistic, max(1, round(effective)))))
    return result


def categorical_drift(spec: dict, raw: pd.Series, baseline_rows: int) -> dict:
    """PSI over the baseline's categories (plus unseen and missing buckets) and the chi-square test."""
    known = list(spec["categories"])
    counts = dict.fromkeys([*known, UNSEEN_CATEGORY, MISSING], 0)

    def add(key: str, count: int) -> None:
        counts[key if key in spec["categories"] else UNSEEN_CATEGORY] += int(count)

    # Count first, then name the (few) distinct values: CSV gives "1" or "1.0" for category 1.
    numbers = pd.to_numeric(raw, errors="coerce")
    for value, count in numbers.value_counts().items():
        add(step_contract.category_key(float(value)), count)
    words = raw[numbers.isna()]
    empty = words.isna() | (words.astype(str).str.strip() == "")
    for value, count in words[~empty].value_counts().items():
        add(step_contract.category_key(value), count)
    counts[MISSING] += int(empty.sum())
    n = sum(counts.values())
    present_share = 1 - spec["missing"]
    baseline_shares = np.array([spec["categories"][key] * present_share for key in known] + [0.0, spec["missing"]])
    current = np.array(list(counts.values()), dtype=float)
    result = {
        "type": step_contract.CATEGORICAL_FEATURE,
        "psi": population_stability_index(baseline_shares, current / n),
        "unseen_share": counts[UNSEEN_CATEGORY] / n,
    }
    # Two samples: the training counts (shares x rows) against the window's counts.
    table = np.vstack([baseline_shares * baseline_rows, current])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] > 1:
        statistic, p_value, _, _ = stats.chi2_contingency(table, correction=False)
        result.update(statistic=float(statistic), p_value=float(p_value))
    else:
        result.update(statistic=0.0, p_value=1.0)
    return result


def drift_report(baseline: dict, frame: pd.DataFrame, psi_threshold: float, p_value_threshold: float) -> dict:
    """Per-feature drift of ``frame`` against ``baseline`` and the overall verdict."""
    features = {}
    for spec in baseline["features"]:
        compare = numeric_drift if spec["type"] == step_contract.NUMERIC_FEATURE else categorical_drift
        result = compare(spec, frame[spec["name"]], int(baseline["rows"]))
        result["drifted"] = result["psi"] > psi_threshold or result.get("p_value", 1.0) < p_value_threshold
        features[spec["name"]] = {
            key: round(value, monitoring_data.DECIMALS) if isinstance(value, float) else value
            for key, value in result.items()
        }
    return {
        "features": features,
        "max_psi": max((entry["psi"] for entry in features.values()), default=0.0),
        "drifted_features": sorted(name for name, entry in features.items() if entry["drifted"]),
    }


def run(args: argparse.Namespace, storage: monitoring_data.Storage) -> tuple[dict, list[monitoring_data.Metric]]:
    """Compute the report and the metrics of one run (nothing is written or published)."""
    window = monitoring_data.Window.ending(args.window_end, args.window_hours)
    dimensions = monitoring_data.model_dimensions(args.model, args.version, args.environment)

    def metric(name: str, value: float, unit: str = "None", extra: tuple = ()) -> monitoring_data.Metric:
        return monitoring_data.Metric(name, value, dimensions + extra, unit)

    baseline_uri = args.baseline
    if not baseline_uri and args.model_package:
        baseline_uri = monitoring_data.recorded_baseline_uri(args.model_package, args.region)
    report = {
        "model": args.model,
        "version": args.version,
        "environment": args.environment,
        "model_package": args.model_package,
        "baseline": baseline_uri,
        "capture": args.capture,
        "window": window.to_json(),
        "thresholds": {"psi": args.psi_threshold, "p_value": args.p_value_threshold},
    }
    baseline = load_baseline(storage, baseline_uri)
    if baseline is None:
        report.update(status="baseline-missing")
        return report, [metric(BASELINE_MISSING, 1)]

    names = [spec["name"] for spec in baseline["features"]]
    frame = captured_frame(monitoring_data.read_captured(storage, args.capture, window), names)
    report.update(captured_rows=len(frame))
    metrics = [metric(BASELINE_MISSING, 0), metric(CAPTURED_ROWS, len(frame), "Count")]
    if frame.empty:
        report.update(status="no-traffic")
        return report, metrics

    drift = drift_report(baseline, frame, args.psi_threshold, args.p_value_threshold)
    drifted = drift["drifted_features"]
    report.update(drift, status="drift" if drifted else "ok")
    metrics += [
        metric(FEATURE_PSI, entry["psi"], extra=((FEATURE_DIMENSION, name),)) for name, entry in drift["features"].items()
    ]
    metrics += [metric(MAX_FEATURE_PSI, drift["max_psi"]), metric(DRIFTED_FEATURES, len(drifted), "Count")]
    return report, metrics


def main(argv: list[str] | None = None) -> None:
    """Run the drift step: report, metrics.json, CloudWatch."""
    args = parse_args(argv)
    storage = monitoring_data.Storage(args.region)
    report, metrics = run(args, storage)
    output_dir = Path(args.output_dir)
    monitoring_data.write_json(output_dir / "drift-report.json", report)
    window = monitoring_data.Window.ending(args.window_end, args.window_hours)
    monitoring_data.write_json(output_dir / "metrics.json", monitoring_data.metrics_document(args.namespace, metrics, window))
    if not args.no_publish:
        cloudwatch = monitoring_data.aws_client("cloudwatch", args.region)
        monitoring_data.publish_metrics(cloudwatch, args.namespace, metrics, window.end)
    print(
        f"monitor_drift: {args.model} v{args.version} in {args.environment}: {report['status']}"
        + (f", max PSI {report['max_psi']}, drifted: {', '.join(report['drifted_features']) or 'none'}"
           if "max_psi" in report else "")
    )


if __name__ == "__main__":
    main()
