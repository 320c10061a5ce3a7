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
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from pipelines.definition.step_code import STEPS_DIR, code_files, source_bundle
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


def run_step(script: str, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run one step script in a fresh interpreter; raise LocalRunError with its output if it fails.

    ``script`` is a platform step script, or with ``cwd`` a script of the model's own code folder.
    """
    path = Path(script) if cwd else STEPS_DIR / script
    completed = subprocess.run(
        [sys.executable, str(path), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
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
    raw_dir = _raw_input(problem, work, dataset)
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


def run_code_locally(
    code_dir: str | Path,
    entry_point: str,
    evaluation_script: str,
    problem: str,
    metric: str,
    threshold: float,
    workdir: str | Path,
    dataset: str | Path | None = None,
    model_name: str = "local",
) -> dict:
    """Run a model's own training code through the training source contract on this machine.

    The platform's preprocess step writes the splits; the model's entry point trains with the
    channels in ``SM_CHANNEL_*`` and writes to ``SM_MODEL_DIR``, which is packed into
    ``model.tar.gz`` as SageMaker packs it; ``byo_contract.py`` unpacks the code bundle, runs the
    evaluation script and checks its report, exactly as the pipeline's evaluate step does.

    Args:
        code_dir: The model's code folder (``training.source.folder``).
        entry_point: The training script in ``code_dir``.
        evaluation_script: The evaluation script in ``code_dir``.
        problem: ``classification`` or ``regression``.
        metric: The catalog metric the report must contain.
        threshold: The quality threshold.
        workdir: Folder for inputs, splits, the model and the report.
        dataset: As for ``run_locally``.
        model_name: The name recorded in the report.

    Returns:
        The normalised ``evaluation.json``.

    Raises:
        LocalRunError: a step failed or the code broke the contract (its message is in the error).
    """
    code = Path(code_dir).resolve()
    work = Path(workdir)
    raw_dir = _raw_input(problem, work, dataset)
    splits, model_dir, evaluation_dir = work / "preprocess", work / "model", work / "evaluation"
    run_step("preprocess.py", "--problem", problem, "--input-dir", str(raw_dir), "--output-dir", str(splits))
    output_dir = work / "training-output"
    output_dir.mkdir(parents=True, exist_ok=True)
    run_step(
        entry_point,
        "--problem", problem,
        cwd=code,
        env={
            "SM_MODEL_DIR": str(output_dir),
            "SM_CHANNEL_TRAIN": str(splits / "train"),
            "SM_CHANNEL_VALIDATION": str(splits / "validation"),
        },
    )  # fmt: skip
    model_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(model_dir / "model.tar.gz", "w:gz") as archive:
        for path in sorted(output_dir.iterdir()):
            archive.add(path, arcname=path.name)
    bundle = work / "code" / "sourcedir.tar.gz"
    bundle.parent.mkdir(parents=True, exist_ok=True)
    bundle.write_bytes(source_bundle(code_files(code)))
    run_step(
        "byo_contract.py",
        "--model-name", model_name,
        "--problem", problem,
        "--metric", metric,
        "--threshold", repr(float(threshold)),
        "--code-archive", str(bundle),
        "--evaluation-script", evaluation_script,
        "--model-dir", str(model_dir),
        "--test-dir", str(splits / "test"),
        "--raw-dir", str(work / "raw-evaluation"),
        "--output-dir", str(evaluation_dir),
    )  # fmt: skip
    return json.loads((evaluation_dir / "evaluation.json").read_text())


def _raw_input(problem: str, work: Path, dataset: str | Path | None) -> Path:
    """The raw input folder: the sample dataset, a copy of one file, or the given folder."""
    if dataset is None:
        raw_dir = write_sample_dataset(problem, work / "raw").parent
    elif Path(dataset).is_file():
        # Copy a single file so its neighbours are not read as training data too.
        raw_dir = work / "raw"
        raw_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dataset, raw_dir / Path(dataset).name)
    else:
        raw_dir = Path(dataset)
    return raw_dir
