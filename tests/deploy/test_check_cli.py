"""``mlops check``: dev, test and prod planned together; a grant missing on dev's side fails the run."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mlops.cli import app


def check(project: Path):
    result = CliRunner().invoke(app, ["check", "--json", "--project-dir", str(project)])
    return result, json.loads(result.stdout)


def test_the_example_stacks_check_clean_together(project_dir):
    result, doc = check(project_dir)

    assert result.exit_code == 0, result.output
    assert [row["stack"] for row in doc["stacks"]] == ["dev", "test", "prod"]
    assert all(row["mandatory_violations"] == row["deploy_errors"] == 0 and row["resources"] > 100 for row in doc["stacks"])
    assert doc["crossStack"] == []


def test_dropping_prod_from_devs_readers_fails_naming_each_ungranted_read(project_copy):
    dev = project_copy / "stacks" / "Pulumi.dev.yaml"
    text = dev.read_text(encoding="utf-8")
    assert '      - "777788889999"\n' in text
    dev.write_text(text.replace('      - "777788889999"\n', ""), encoding="utf-8")

    result, doc = check(project_copy)

    assert result.exit_code == 1
    assert all(row["deploy_errors"] == 0 for row in doc["stacks"]), "each stack alone still plans clean"
    findings = doc["crossStack"]
    assert findings and {f["rule"] for f in findings} == {"cross-account-access"}
    assert all("dev does not grant prod (777788889999)" in f["message"] for f in findings)
    assert any("sagemaker:DescribeModelPackage" in f["message"] for f in findings)
    assert any("ecr:BatchGetImage" in f["message"] for f in findings)
