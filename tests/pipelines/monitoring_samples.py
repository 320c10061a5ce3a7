"""The monitoring sample data under ``data/monitoring/``: how it is made, so it can be made again.

``python tests/pipelines/monitoring_samples.py`` rewrites the files; a test checks they are what
this module makes. A churn-like model: ``tenure`` (months) and ``monthly_charges`` are numeric,
``contract`` (0, 1, 2) and ``support_calls`` (0-9) are small integer codes (categorical in the
baseline). From seeded generators, so every run gives the same bytes:

- ``raw/train.csv``: the training data (features and ``target``);
- ``baseline.json``: what ``preprocess.py`` writes for it (checked by a test, not made here);
- ``capture-undrifted/2026/12/01/HH/capture.jsonl``: traffic like the training data;
- ``capture-drifted/...``: the same traffic with higher charges and more monthly contracts;
- ``ground-truth/2026/12/01/13/labels.jsonl``: labels of the undrifted traffic, in Model Monitor's
  ground-truth format, joined by inference id.

The traffic lies in 2026-12-01 00:00-12:00 UTC, with a few records after 12:00 that a window
ending at 12:00 must leave out.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data" / "monitoring"
WINDOW_END = "2026-12-01T12:00:00Z"
WINDOW_HOURS = 12
TRAINING_ROWS = 600
REQUESTS = 240
LATE_REQUESTS = 6
FEATURES = ("tenure", "monthly_charges", "contract", "support_calls")


def features(rows: int, seed: int, drifted: bool = False) -> pd.DataFrame:
    """Feature rows; drifted ones have 30 % higher charges and mostly monthly contracts."""
    generator = np.random.default_rng(seed)
    contract_shares = [0.8, 0.15, 0.05] if drifted else [0.5, 0.3, 0.2]
    return pd.DataFrame(
        {
            "tenure": np.round(generator.gamma(2.0, 12.0, rows), 1),
            "monthly_charges": np.round(generator.normal(70.0, 15.0, rows) * (1.3 if drifted else 1.0), 2),
            "contract": generator.choice(3, size=rows, p=contract_shares),
            "support_calls": np.minimum(generator.poisson(1.5, rows), 9),
        }
    )


def churn_probability(frame: pd.DataFrame) -> np.ndarray:
    """The model's score: higher for short tenure, high charges, monthly contracts, many calls."""
    score = (
        -0.05 * frame["tenure"] + 0.04 * (frame["monthly_charges"] - 70) - 0.8 * frame["contract"]
        + 0.4 * frame["support_calls"]
    )
    return 1 / (1 + np.exp(-score.to_numpy(dtype=float)))


def labels(frame: pd.DataFrame, seed: int) -> np.ndarray:
    """Outcomes drawn with the model's probability (so the model is good, not perfect)."""
    return (np.random.default_rng(seed).random(len(frame)) < churn_probability(frame)).astype(int)


def capture_lines(frame: pd.DataFrame, prefix: str) -> dict[str, list[str]]:
    """Data capture JSON Lines by ``yyyy/mm/dd/hh`` folder; one CSV row per request."""
    start = datetime(2026, 12, 1, tzinfo=timezone.utc)
    step = timedelta(hours=WINDOW_HOURS) / (len(frame) - LATE_REQUESTS)
    probabilities = churn_probability(frame)
    folders: dict[str, list[str]] = {}
    for index, row in enumerate(frame.itertuples(index=False)):
        moment = start + step * index
        # A request is written into the folder of the hour after it (as capture files can be).
        folder = (moment + timedelta(minutes=5)).strftime("%Y/%m/%d/%H")
        record = {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": ",".join(str(value) for value in row),
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv; charset=utf-8",
                    "mode": "OUTPUT",
                    "data": f"{probabilities[index]:.6f}",
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {
                "eventId": f"{prefix}-event-{index:05d}",
                "inferenceId": f"{prefix}-{index:05d}",
                "inferenceTime": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            },
            "eventVersion": "0",
        }
        folders.setdefault(folder, []).append(json.dumps(record, sort_keys=True))
    return folders


def write_samples(folder: Path = DATA) -> None:
    """Write every sample file except baseline.json under ``folder``."""
    training = features(TRAINING_ROWS, seed=1)
    training["target"] = labels(training, seed=2)
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    training.to_csv(folder / "raw" / "train.csv", index=False)

    traffic = {"undrifted": features(REQUESTS, seed=3), "drifted": features(REQUESTS, seed=3, drifted=True)}
    for name, frame in traffic.items():
        for hour, lines in capture_lines(frame, name).items():
            path = folder / f"capture-{name}" / hour / "capture.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n")

    undrifted = traffic["undrifted"]
    outcomes = labels(undrifted, seed=4)
    ground_truth = folder / "ground-truth" / "2026" / "12" / "01" / "13" / "labels.jsonl"
    ground_truth.parent.mkdir(parents=True, exist_ok=True)
    # Labels for most requests, not all: some outcomes are not known yet.
    ground_truth.write_text(
        "".join(
            json.dumps(
                {
                    "groundTruthData": {"data": str(int(outcome)), "encoding": "CSV"},
                    "eventMetadata": {"eventId": f"undrifted-{index:05d}"},
                    "eventVersion": "0",
                },
                sort_keys=True,
            )
            + "\n"
            for index, outcome in enumerate(outcomes)
            if index % 10 != 9
        )
    )


if __name__ == "__main__":
    write_samples()
