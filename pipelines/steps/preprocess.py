"""Preprocess step: clean the raw CSVs and split them into train, validation and test sets.

Runs inside the SageMaker scikit-learn processing container and locally alike; the defaults are
the container's conventional paths::

    python pipelines/steps/preprocess.py --problem classification \
        --input-dir data/raw --output-dir work/preprocess

Reads every ``*.csv`` under the input folder (one header row each, a ``target`` column), drops
rows without a target, splits with a fixed seed (stratified by class for classification), fills
missing numeric features with the training split's medians (so no test information leaks into
training), and writes::

    <output-dir>/train/train.csv                 target first, then the features, with header
    <output-dir>/validation/validation.csv
    <output-dir>/test/test.csv
    <output-dir>/baseline/baseline.csv           training features only, with header: the
                                                 data-quality baseline for Model Monitor
    <output-dir>/drift-baseline/baseline.json    the training features' distributions, read by
                                                 monitor_drift.py (format in step_contract)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import step_contract
from sklearn.model_selection import train_test_split


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; defaults match the SageMaker processing container."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", required=True, choices=step_contract.PROBLEMS)
    parser.add_argument("--input-dir", default="/opt/ml/processing/input/raw")
    parser.add_argument("--output-dir", default="/opt/ml/processing/output")
    parser.add_argument("--test-size", type=float, default=0.2)
    parser.add_argument("--validation-size", type=float, default=0.2)
    parser.add_argument("--random-state", type=int, default=42)
    return parser.parse_args(argv)


def read_raw(input_dir: Path) -> pd.DataFrame:
    """Read and concatenate every CSV under ``input_dir`` in a stable (sorted) order."""
    files = sorted(path for path in input_dir.rglob("*.csv") if path.is_file())
    if not files:
        raise SystemExit(f"preprocess: no *.csv file under {input_dir}; upload the training data there")
    frame = pd.concat([pd.read_csv(path) for path in files], ignore_index=True)
    if step_contract.TARGET not in frame.columns:
        raise SystemExit(
            f"preprocess: the data has no {step_contract.TARGET!r} column "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )
    features = frame.drop(columns=[step_contract.TARGET])
    not_numeric = [str(name) for name in features.columns if not pd.api.types.is_numeric_dtype(features[name])]
    if not_numeric:
        raise SystemExit(
            f"preprocess: feature column(s) {', '.join(not_numeric)} are not numeric; "
            "encode them before they land in the raw prefix"
        )
    return frame


def split(frame: pd.DataFrame, args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Split into train, validation and test with a fixed seed; stratified for classification."""

    def stratify(part: pd.DataFrame) -> pd.Series | None:
        return part[step_contract.TARGET] if args.problem == step_contract.CLASSIFICATION else None

    if args.problem == step_contract.CLASSIFICATION:
        counts = frame[step_contract.TARGET].value_counts()
        too_small = counts[counts < 3]
        if not too_small.empty:
            raise SystemExit(
                f"preprocess: class(es) {', '.join(map(str, too_small.index))} have fewer than 3 rows; "
                "a stratified train/validation/test split needs at least 3 per class"
            )
    rest, test = train_test_split(
        frame, test_size=args.test_size, random_state=args.random_state, stratify=stratify(frame)
    )
    train, validation = train_test_split(
        rest,
        test_size=args.validation_size / (1 - args.test_size),
        random_state=args.random_state,
        stratify=stratify(rest),
    )
    return train, validation, test


# A numeric feature with at most this many distinct integral values is a category (a flag, a
# code): it drifts by frequencies (chi-square), not along an axis (Kolmogorov-Smirnov).
MAX_INTEGER_CATEGORIES = 20
# Population stability index bins per numeric feature: deciles of the training split.
PSI_BINS = 10
# Above this many distinct values the CDF is kept at 0.1 % quantile steps instead of exactly.
CDF_POINTS = 1001
DECIMALS = 6


def is_categorical(values: pd.Series) -> bool:
    """Whether a training feature is compared by category frequencies (see MAX_INTEGER_CATEGORIES)."""
    if not pd.api.types.is_numeric_dtype(values):
        return True
    present = values.dropna()
    distinct = present.unique()
    return len(distinct) <= MAX_INTEGER_CATEGORIES and bool(np.all(np.mod(distinct, 1) == 0))


def feature_baseline(name: str, values: pd.Series) -> dict:
    """One feature's entry of baseline.json (format in step_contract)."""
    present = values.dropna()
    entry = {"name": str(name), "missing": round(1 - len(present) / len(values), DECIMALS) if len(values) else 0.0}
    if is_categorical(values):
        counts: dict[str, int] = {}
        for value, count in present.value_counts().items():
            key = step_contract.category_key(value)
            counts[key] = counts.get(key, 0) + int(count)
        total = sum(counts.values()) or 1
        entry.update(
            type=step_contract.CATEGORICAL_FEATURE,
            categories={key: round(count / total, DECIMALS) for key, count in sorted(counts.items())},
        )
        return entry
    ordered = np.sort(present.to_numpy(dtype=float))
    # Inner decile edges, without repeats: a value-heavy feature gets fewer, wider bins.
    edges = np.unique(np.quantile(ordered, np.linspace(0, 1, PSI_BINS + 1)[1:-1]))
    bin_counts = np.bincount(np.searchsorted(edges, ordered, side="left"), minlength=len(edges) + 1)
    distinct = np.unique(ordered)
    if len(distinct) <= CDF_POINTS:
        cdf_values = distinct
    else:
        cdf_values = np.unique(np.quantile(ordered, np.linspace(0, 1, CDF_POINTS)))
    # F(x) = share of training values <= x, at each kept point.
    cdf_probabilities = np.searchsorted(ordered, cdf_values, side="right") / len(ordered)
    entry.update(
        type=step_contract.NUMERIC_FEATURE,
        bin_edges=[round(float(edge), DECIMALS) for edge in edges],
        bin_proportions=[round(float(count) / len(ordered), DECIMALS) for count in bin_counts],
        cdf_values=[round(float(value), DECIMALS) for value in cdf_values],
        cdf_probabilities=[round(float(value), DECIMALS) for value in cdf_probabilities],
    )
    return entry


def drift_baseline(features: pd.DataFrame) -> dict:
    """The baseline.json document of the training features, in their column order."""
    return {
        "format": step_contract.BASELINE_FORMAT,
        "rows": len(features),
        "features": [feature_baseline(name, features[name]) for name in features.columns],
    }


def main(argv: list[str] | None = None) -> None:
    """Run the preprocess step."""
    args = parse_args(argv)
    raw = read_raw(Path(args.input_dir))
    labelled = raw.dropna(subset=[step_contract.TARGET])
    train, validation, test = split(labelled, args)

    feature_names = [name for name in labelled.columns if name != step_contract.TARGET]
    medians = train[feature_names].median()
    output_dir = Path(args.output_dir)
    for name, part in (("train", train), ("validation", validation), ("test", test)):
        filled = part[[step_contract.TARGET, *feature_names]].fillna(medians)
        (output_dir / name).mkdir(parents=True, exist_ok=True)
        filled.to_csv(output_dir / name / f"{name}.csv", index=False)
        if name == "train":
            (output_dir / "baseline").mkdir(parents=True, exist_ok=True)
            filled[feature_names].to_csv(output_dir / "baseline" / "baseline.csv", index=False)
            # From the split before filling: the share of missing values is part of the baseline.
            (output_dir / "drift-baseline").mkdir(parents=True, exist_ok=True)
            document = json.dumps(drift_baseline(part[feature_names]), indent=1, sort_keys=True) + "\n"
            (output_dir / "drift-baseline" / step_contract.BASELINE_FILENAME).write_text(document)

    print(
        f"preprocess: {len(raw)} rows read, {len(raw) - len(labelled)} without target dropped; "
        f"train={len(train)} validation={len(validation)} test={len(test)}"
    )


if __name__ == "__main__":
    main()
