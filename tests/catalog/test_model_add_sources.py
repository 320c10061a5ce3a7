"""``mlops model add`` for a model's own code or image and for batch or async serving."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_plans import run_cli, snapshot
from ruamel.yaml import YAML

from infra.config.sources import FRAMEWORKS, SERVING_MODES, SOURCE_TYPES


def test_help_lists_the_choices_of_each_option():
    result = run_cli("model", "add", "--help")
    text = " ".join(result.stdout.replace("│", " ").split())

    for choices in (SOURCE_TYPES, FRAMEWORKS, SERVING_MODES):
        assert ", ".join(choices) in text


def test_code_source_in_batch_writes_a_commented_file_saying_what_to_edit(project_copy: Path):
    result = run_cli(
        "model", "add", "pricing", "--owner", "revenue-science", "--source", "code", "--framework", "xgboost",
        "--serving-mode", "batch", "--project-dir", str(project_copy),
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    text = (project_copy / "stacks" / "models" / "pricing.yaml").read_text()
    data = YAML(typ="safe").load(text)
    assert "algorithm" not in data
    assert data["training"]["source"] == {
        "type": "code", "folder": "stacks/models/pricing", "entryPoint": "train.py", "evaluationScript": "evaluate.py",
        "framework": "xgboost", "frameworkVersion": "1.7-1",
    }  # fmt: skip
    assert data["serving"]["mode"] == "batch" and data["serving"]["batch"]["schedule"] == "cron(0 5 1 * ? *)"
    assert "# Your own code: put stacks/models/pricing/train.py and stacks/models/pricing/evaluate.py" in text
    assert "pipelines/steps/byo_contract.py" in text
    assert "# Batch scoring: CSV files under the raw bucket's batch/pricing/input/" in text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--source", "docker"], "training.source.type: 'docker' is not allowed (allowed: builtin, code, image)"),
        (["--source", "code"], "training.source.framework: --framework is required for a code source"),
        (["--source", "code", "--framework", "pytorch"], "training.source.frameworkVersion: --framework-version is required for pytorch"),
        (["--serving-mode", "stream"], "serving.mode: 'stream' is not allowed (allowed: endpoint, batch, async)"),
        (["--source", "image", "--image-digest", "sha256:12"], "training.source.digest"),
    ],
)
def test_bad_choices_exit_2_naming_the_key_and_write_nothing(project_copy: Path, args, says):
    before = snapshot(project_copy)

    result = run_cli("model", "add", "pricing", "--owner", "revenue-science", *args, "--project-dir", str(project_copy))

    assert result.exit_code == 2, result.stdout
    assert says in " ".join(result.stderr.split())
    assert snapshot(project_copy) == before
