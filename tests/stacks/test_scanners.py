"""External scanners over the planned stacks: checkov on the Terraform-plan export, parliament on
every planned policy document. Every finding is fixed or waived in policy/scanner-waivers.yaml."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import warnings
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from mlops.plan.policy_documents import planned_documents
from mlops.plan.tfplan import to_tfplan

ROOT = Path(__file__).resolve().parents[2]
WAIVERS = ROOT / "policy" / "scanner-waivers.yaml"
CHECKOV = "checkov==3.3.30"
STACKS = ["dev", "test", "prod"]


def _expand(pattern: str) -> list[str]:
    """Brace alternatives (``a-{x,y}``) as separate globs."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if not match:
        return [pattern]
    return [expanded for option in match.group(1).split(",")
            for expanded in _expand(pattern[:match.start()] + option + pattern[match.end():])]


def waivers(scanner: str) -> list[dict[str, Any]]:
    """The checked-in waivers of one scanner."""
    return YAML(typ="safe").load(WAIVERS.read_text(encoding="utf-8"))[scanner]


def waiver_for(scanner: str, stack: str, check: str, resource: str, detail: str = "") -> dict[str, Any] | None:
    """The waiver covering a finding, if any."""
    for waiver in waivers(scanner):
        if (waiver["id"] == check and stack in waiver["stacks"] and detail.find(waiver.get("detail", "")) >= 0
                and any(fnmatchcase(resource, glob) for glob in _expand(waiver["resource"]))):
            return waiver
    return None


def test_every_waiver_says_why() -> None:
    for scanner in ("checkov", "parliament"):
        for waiver in waivers(scanner):
            assert len(waiver["reason"]) >= 40 and set(waiver["stacks"]) <= set(STACKS), waiver


def _uv() -> list[str] | None:
    if shutil.which("uv"):
        return [shutil.which("uv")]
    for python in (sys.executable, shutil.which("python3")):
        if python and subprocess.run([python, "-m", "uv", "--version"], capture_output=True).returncode == 0:
            return [python, "-m", "uv"]
    return None


@pytest.fixture(scope="module")
def checkov() -> list[str]:
    """checkov, run as a tool of its own: its pinned dependencies conflict with the project's."""
    uv = _uv()
    if uv is None:
        pytest.skip("uv is not available to run checkov as a tool")
    command = [*uv, "tool", "run", "--from", CHECKOV, "checkov"]
    probe = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=900)
    if probe.returncode != 0:
        pytest.skip(f"{CHECKOV} cannot be installed here: {probe.stderr.strip()[-300:]}")
    return command


@pytest.mark.parametrize("stack", STACKS)
def test_checkov_fails_nothing_outside_the_waivers(plan_of, checkov, stack, tmp_path) -> None:
    plan_file = tmp_path / f"{stack}.tfplan.json"
    plan_file.write_text(json.dumps(to_tfplan(plan_of(stack).doc), sort_keys=True), encoding="utf-8")
    result = subprocess.run([*checkov, "-f", str(plan_file), "--framework", "terraform_plan", "-o", "json",
                             "--skip-download"], capture_output=True, text=True, timeout=900)
    report = json.loads(result.stdout)
    passed, failed = report["results"]["passed_checks"], report["results"]["failed_checks"]
    assert len(passed) > 250, "checkov checked too little: the export lost resources or attributes"
    unwaived = sorted({(c["check_id"], c["resource"]) for c in failed
                       if not waiver_for("checkov", stack, c["check_id"], c["resource"])})
    assert unwaived == []
    used = {(w["id"], w["resource"]) for c in failed if (w := waiver_for("checkov", stack, c["check_id"], c["resource"]))}
    stale = [(w["id"], w["resource"]) for w in waivers("checkov") if stack in w["stacks"] and (w["id"], w["resource"]) not in used]
    assert stale == [], "waivers that match no finding any more: remove them"


def _parliament_findings(doc: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from parliament import analyze_policy_string, config
    found = []
    for document in planned_documents(doc):
        policy = analyze_policy_string(json.dumps(document.document), include_community_auditors=True)
        for finding in policy.findings:
            severity = (config.get(finding.issue) or {}).get("severity") or "INFO"
            found.append((severity, finding.issue, document.resource, str(finding.detail)))
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_parliament_finds_no_high_or_medium_issue_outside_the_waivers(plan_of, stack) -> None:
    pytest.importorskip("parliament", reason="parliament (dev group) is not installed")
    findings = _parliament_findings(plan_of(stack).doc)
    assert len({f[2] for f in findings}) >= 20, "too few documents linted: the extraction lost some"
    serious = [f for f in findings if f[0] in ("HIGH", "MEDIUM")]
    unwaived = [f[:3] for f in serious if not waiver_for("parliament", stack, f[1], f[2], f[3])]
    assert unwaived == []


def test_parliament_catches_the_old_admin_policy() -> None:
    # The OperatePlatform statement before the fix: List*/Search/Describe* scoped to ARNs.
    pytest.importorskip("parliament", reason="parliament (dev group) is not installed")
    old = {"Version": "2012-10-17", "Statement": [{"Sid": "OperatePlatform", "Effect": "Allow",
           "Action": ["sagemaker:Describe*", "sagemaker:List*", "sagemaker:Search"],
           "Resource": ["arn:aws:sagemaker:eu-west-1:111122223333:endpoint/mlops-prod-*"]}]}
    doc = {"outputs": {"accountId": "111122223333", "region": "eu-west-1"},
           "resources": [{"type": "aws:iam/rolePolicy:RolePolicy", "name": "admin", "inputs": {"policy": json.dumps(old)}}]}
    assert ("MEDIUM", "RESOURCE_MISMATCH") in {f[:2] for f in _parliament_findings(doc)}
