"""The contract a model's own training code or image honours, checked in its evaluate step.

A model whose catalog entry says ``training.source.type: code`` or ``image`` brings its own
training and evaluation; the platform still preprocesses the data, gates on the metric and
registers the version. Between the two sides:

Training (a SageMaker training job; ``code``: the entry point in the framework container,
``image``: the image's ``train`` command):

- channels ``train`` and ``validation``: folders with ``train.csv`` / ``validation.csv``, a header
  row, the label in the ``target`` column (``SM_CHANNEL_TRAIN``, ``SM_CHANNEL_VALIDATION``);
- the hyperparameter ``problem`` (``classification`` or ``regression``) arrives as ``--problem``;
- everything written to ``SM_MODEL_DIR`` (``/opt/ml/model``) becomes the ``model.tar.gz`` artefact,
  which is what gets registered and served.

Evaluation (a SageMaker processing job; ``code``: ``python <evaluation script>`` in the framework
container, run by this module; ``image``: the image's ``evaluate`` command) receives::

    --model-dir  a folder holding model.tar.gz          (/opt/ml/processing/input/model)
    --test-dir   a folder holding test.csv               (/opt/ml/processing/input/test)
    --output-dir where to write evaluation.json          (/opt/ml/processing/output/evaluation)
    --problem classification|regression  --metric <the catalog metric>

and must write ``evaluation.json`` with at least ``{"metrics": {"<metric>": {"value": <number>}}}``.

This module then checks the report and rewrites it in the platform's shape (the same as the
built-in evaluate step: ``model_name``, ``primary_metric`` with the verdict, ``metrics``,
``dataset``), so the quality gate, the registry and the promotion tooling read one format. A
report that breaks the contract fails the step with ``ContractError``'s message.

Runs with the standard library only: it is shipped into the framework container (code) or the
scikit-learn container (image), as ``step_contract.py`` is.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import step_contract

REPORT_FILENAME = "evaluation.json"
DECIMALS = 6
CONTRACT = "training source contract"


class ContractError(Exception):
    """The model's own code or image did not honour the contract; the message says how."""


def normalised_report(
    raw: object, model_name: str, problem: str, metric: str, threshold: float, test_rows: int | None
) -> dict:
    """The platform's evaluation report built from the model's own ``raw`` report.

    Raises:
        ContractError: ``raw`` lacks the metrics mapping, the catalog metric, or a finite value.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("metrics"), dict):
        raise ContractError(f"{CONTRACT}: {REPORT_FILENAME} must be an object with a 'metrics' mapping")
    metrics = raw["metrics"]
    entry = metrics.get(metric)
    if not isinstance(entry, dict) or "value" not in entry:
        reported = ", ".join(sorted(map(str, metrics))) or "none"
        raise ContractError(
            f"{CONTRACT}: {REPORT_FILENAME} has no metrics.{metric}.value "
            f"(the catalog metric; reported: {reported})"
        )
    kept = {}
    for name in sorted(metrics):
        value = metrics[name].get("value") if isinstance(metrics[name], dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            if name == metric:
                raise ContractError(f"{CONTRACT}: metrics.{metric}.value must be a finite number, got {value!r}")
            continue
        kept[name] = {"value": round(float(value), DECIMALS)}
    direction = step_contract.METRIC_DIRECTIONS[problem][metric]
    value, threshold = kept[metric]["value"], round(threshold, DECIMALS)
    report = {
        "model_name": model_name,
        "primary_metric": {
            "name": metric,
            "value": value,
            "direction": direction,
            "threshold": threshold,
            "passed": step_contract.meets_threshold(value, threshold, direction),
        },
        "metrics": kept,
    }
    if test_rows is not None:
        report["dataset"] = {"test_rows": test_rows}
    return report


def run_evaluation_script(code_archive: Path, script: str, args: argparse.Namespace) -> None:
    """Unpack the model's code bundle and run its evaluation script with the contract's arguments.

    Raises:
        ContractError: the script is missing from the bundle or exits with an error.
    """
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(code_archive, "r:gz") as archive:
            archive.extractall(folder, filter="data")
        if not (Path(folder) / script).is_file():
            raise ContractError(f"{CONTRACT}: the code bundle has no evaluation script {script!r}")
        completed = subprocess.run(
            [
                sys.executable, script,
                "--model-dir", args.model_dir,
                "--test-dir", args.test_dir,
                "--output-dir", args.raw_dir,
                "--problem", args.problem,
                "--metric", args.metric,
            ],  # fmt: skip
            cwd=folder,
            check=False,
        )
    if completed.returncode != 0:
        raise ContractError(f"{CONTRACT}: evaluation script {script} exited with {completed.returncode}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; defaults match the SageMaker processing container."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--problem", required=True, choices=step_contract.PROBLEMS)
    parser.add_argument("--metric", required=True)
    parser.add_argument("--threshold", type=float, required=True)
    parser.add_argument("--code-archive", help="the model's sourcedir.tar.gz (code source): run its script")
    parser.add_argument("--evaluation-script", help="the evaluation script inside --code-archive")
    parser.add_argument("--model-dir", default="/opt/ml/processing/input/model")
    parser.add_argument("--test-dir", default="/opt/ml/processing/input/test")
    parser.add_argument(
        "--raw-dir", default="/opt/ml/processing/input/report",
        help="where the model's own evaluation.json is (written there by the script when run here)",
    )  # fmt: skip
    parser.add_argument("--output-dir", default="/opt/ml/processing/output/evaluation")
    args = parser.parse_args(argv)
    if args.metric not in step_contract.METRIC_DIRECTIONS[args.problem]:
        parser.error(f"--metric {args.metric!r} is not a {args.problem} metric")
    if bool(args.code_archive) != bool(args.evaluation_script):
        parser.error("--code-archive and --evaluation-script go together")
    return args


def _archive(location: str) -> Path:
    """The code bundle: the file itself, or the one ``.tar.gz`` in a folder (a processing input)."""
    path = Path(location)
    if path.is_dir():
        found = sorted(path.glob("*.tar.gz"))
        if len(found) != 1:
            raise ContractError(f"{CONTRACT}: expected one code bundle in {path}, found {len(found)}")
        return found[0]
    return path


def _test_rows(test_dir: str) -> int | None:
    test = Path(test_dir) / "test.csv"
    if not test.is_file():
        return None
    with test.open() as lines:
        return max(sum(1 for _ in lines) - 1, 0)


def main(argv: list[str] | None = None) -> None:
    """Run the model's evaluation (code source), then check and normalise its report."""
    args = parse_args(argv)
    try:
        model_dir = Path(args.model_dir)
        if not model_dir.exists() or (model_dir.is_dir() and not any(model_dir.iterdir())):
            raise ContractError(f"{CONTRACT}: no model artefact in {model_dir} (the training job wrote nothing to SM_MODEL_DIR)")
        if args.code_archive:
            Path(args.raw_dir).mkdir(parents=True, exist_ok=True)
            run_evaluation_script(_archive(args.code_archive), args.evaluation_script, args)
        raw_path = Path(args.raw_dir) / REPORT_FILENAME
        if not raw_path.is_file():
            raise ContractError(f"{CONTRACT}: the evaluation wrote no {REPORT_FILENAME} into --output-dir")
        try:
            raw = json.loads(raw_path.read_text())
        except json.JSONDecodeError as error:
            raise ContractError(f"{CONTRACT}: {REPORT_FILENAME} is not JSON ({error})") from None
        report = normalised_report(
            raw, args.model_name, args.problem, args.metric, args.threshold, _test_rows(args.test_dir)
        )
    except ContractError as error:
        print(error, file=sys.stderr)
        raise SystemExit(1) from None
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / REPORT_FILENAME).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    primary = report["primary_metric"]
    print(f"evaluate: {primary['name']}={primary['value']} (threshold {primary['threshold']}): "
          f"{'passed' if primary['passed'] else 'FAILED'}")


if __name__ == "__main__":
    main()
