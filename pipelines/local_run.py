"""Run the training pipeline's three steps on this machine, as the SageMaker jobs would run them.

Each step script runs as its own ``python`` subprocess with explicit folders, exactly as the
containers run it, so a local run exercises the same files the pipeline ships. Without a
dataset the run uses one that ships with scikit-learn (no download): breast cancer for
classification, diabetes for regression.

Layout under ``workdir``::

    raw/data.csv                      the input (when no dataset is given)
    preprocess/{train,validation,test,baseline}/
    model/model.joblib
    evaluation/evaluation.json        the report this function returns
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.definition.step_code import STEPS_DIR
from pipelines.steps import step_contract


class LocalRunError(RuntimeError):
    """A step script failed; the message names the step and carries the end of its output."""


def write_sample_dataset(problem: str, folder: Path) -> Path:
    """Write scikit-learn's bundled dataset for ``problem`` as ``data.csv`` with a ``target`` column."""
    from sklearn.datasets import load_breast_cancer, load_diabetes

    loader = load_breast_cancer if problem == step_contract.CLASSIFICATION else load_diabetes
    frame = loader(as_frame=True).frame
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "data.csv"
    frame.to_csv(path, index=False)
    return path


def run_step(script: str, *args: str) -> None:
    """Run one step script in a fresh interpreter; raise LocalRunError with its output if it fails."""
    completed = subprocess.run(
        [sys.executable, str(STEPS_DIR / script), *args], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip().splitlines()
        raise LocalRunError(
            f"{script} exited with {completed.returncode}:\n" + "\n".join(output[-20:])
        )


def run_locally(
    problem: str,
    algorithm: str,
    metric: str,
    direction: str,
    threshold: float,
    workdir: str | Path,
    dataset: str | Path | None = None,
    model_name: str = "local",
) -> dict:
    """Preprocess, train and evaluate on this machine and return the evaluation report.

    Args:
        problem: ``classification`` or ``regression``.
        algorithm: An algorithm allowed for the problem (see ``step_contract.ALGORITHMS``).
        metric: The gated metric, e.g. ``auc`` or ``rmse``.
        direction: ``maximize`` or ``minimize``; must match the metric.
        threshold: The quality threshold the metric is judged against.
        workdir: Folder for inputs, intermediate splits, the model and the report.
        dataset: A CSV file or a folder of CSVs with a ``target`` column; defaults to the
            scikit-learn sample dataset for the problem.
        model_name: The name recorded in the report.

    Returns:
        The parsed ``evaluation.json``.

    Raises:
        ValueError: the problem/algorithm/metric/direction combination cannot work.
        LocalRunError: a step failed.
    """
    step_contract.check_model_choice(problem, algorithm, metric, direction)
    work = Path(workdir)
    if dataset is None:
        raw_dir = write_sample_dataset(problem, work / "raw").parent
    elif Path(dataset).is_file():
        # Copy a single file so its neighbours are not read as training data too.
        raw_dir = work / "raw"
        raw_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dataset, raw_dir / Path(dataset).name)
    else:
        raw_dir = Path(dataset)
    splits, model_dir, evaluation_dir = work / "preprocess", work / "model", work / "evaluation"

    run_step("preprocess.py", "--problem", problem, "--input-dir", str(raw_dir), "--output-dir", str(splits))
    run_step(
        "train.py",
        "--problem", problem,
        "--algorithm", algorithm,
        "--train", str(splits / "train"),
        "--validation", str(splits / "validation"),
        "--model-dir", str(model_dir),
    )  # fmt: skip
    run_step(
        "evaluate.py",
        "--model-name", model_name,
        "--problem", problem,
        "--metric", metric,
        "--threshold", repr(float(threshold)),
        "--model-dir", str(model_dir),
        "--test-dir", str(splits / "test"),
        "--output-dir", str(evaluation_dir),
    )  # fmt: skip
    return json.loads((evaluation_dir / "evaluation.json").read_text())
