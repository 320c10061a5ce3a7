"""The hardened YAML reader and the every-problem-at-once report, directly and through ``mlops plan``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mlops.plan
from mlops.cli import app
from infra.config import ConfigError
from infra.config.yamlfile import MAX_ALIAS_NODES, YamlList, YamlMapping, parse_text, read_mapping

PROBLEM = re.compile(r"(?P<file>[^:\n]+):(?P<line>[1-9][0-9]*): (?P<key>[^\n]+?): (?P<problem>[^\n]+) \(allowed: [^\n]+\)")


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_text(text, "f.yaml")
    return caught.value.lines()


def test_every_key_keeps_its_line():
    data = parse_text("a: 1\nb:\n  c: [x,\n      y]\n  d:\n    - e: 2\n", "f.yaml")

    assert isinstance(data, YamlMapping) and isinstance(data["b"]["c"], YamlList)
    assert data.key_lines == {"a": 1, "b": 2}
    assert data["b"].key_lines == {"c": 3, "d": 5}
    assert data["b"]["c"].item_lines == [3, 4]
    assert data["b"]["d"][0].key_lines == {"e": 6}
    assert data["b"].line == 2


def test_a_billion_laughs_is_refused_quickly_without_expanding():
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)
    )
    started = time.perf_counter()

    lines = _problems(bomb)

    assert time.perf_counter() - started < 1.0
    assert len(lines) == 1 and f"more than {MAX_ALIAS_NODES} nodes" in lines[0]


def test_aliases_within_the_limit_are_shared_and_merge_keys_work():
    data = parse_text("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nlist: [*b, *b]\n", "f.yaml")

    assert data["other"] == {"x": 1, "y": 3}
    assert data["other"].key_lines["x"] == 3  # merged keys point at the << line
    assert data["list"] == [{"x": 1, "y": 2}] * 2


@pytest.mark.parametrize("text", ["[" * 50_000 + "]" * 50_000, "{a: " * 5_000 + "1" + "}" * 5_000])
def test_deep_nesting_is_one_line_not_a_recursion_error(text):
    lines = _problems(text)

    assert len(lines) == 1 and "nested deeper than" in lines[0]


def test_every_structural_problem_of_a_file_is_reported_once_with_its_line():
    lines = _problems("a: 1\na: 2\nb:\n  1: x\n  true: y\n  ok: z\n")

    assert lines == [
        "f.yaml:2: a: key given twice (first on line 1) (allowed: each key once)",
        "f.yaml:4: b: keys must be strings, got integer 1 (allowed: string keys; quote keys that YAML reads as numbers, booleans, null or dates)",
        "f.yaml:5: b: keys must be strings, got boolean True (allowed: string keys; quote keys that YAML reads as numbers, booleans, null or dates)",
    ]


def test_keys_and_values_with_newlines_stay_on_one_line():
    lines = _problems('"two\\nlines": 1\n"two\\nlines": 2\n')

    assert len(lines) == 1 and "two\\nlines" in lines[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path):
    pipe = tmp_path / "migration.yaml"
    os.mkfifo(pipe)

    with pytest.raises(ConfigError) as caught:
        read_mapping(pipe, "stacks/migration.yaml")

    assert caught.value.lines() == ["stacks/migration.yaml: (file): is not a regular file (a pipe, socket or device) (allowed: a YAML file)"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_one_line(tmp_path: Path):
    path = tmp_path / "churn.yaml"
    path.write_text("name: churn\n")
    path.chmod(0)

    with pytest.raises(ConfigError) as caught:
        read_mapping(path, "stacks/models/churn.yaml")

    assert caught.value.lines() == ["stacks/models/churn.yaml: (file): cannot read file: Permission denied (allowed: a readable YAML file)"]


def _break_dev_stack(project: Path) -> None:
    """Three independent mistakes in one stack file."""
    path = project / "stacks" / "Pulumi.dev.yaml"
    text = path.read_text()
    for old, new in [
        ("monthlyLimitUsd: 1500", "monthlyLimitUSD: 1500"),
        ("cidr: 10.40.0.0/16", "cidr: 100.64.0.0/16"),
        ("email: ml-platform-alerts@example.com", "email: ml-platform-alerts"),
    ]:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)


EXPECTED_KEYS = ["mlops:alerts.email", "mlops:budget.monthlyLimitUSD", "mlops:network.cidr"]


def test_plan_reports_every_problem_of_a_stack_file_one_line_each(project_copy: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(mlops.plan, "run_plan", lambda *_: pytest.fail("an invalid configuration was planned"))
    _break_dev_stack(project_copy)

    result = CliRunner().invoke(app, ["plan", "dev", "--json", "--project-dir", str(project_copy)])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    matches = [PROBLEM.fullmatch(line) for line in lines]
    assert all(matches), lines
    assert [m["key"] for m in matches] == EXPECTED_KEYS
    assert {m["file"] for m in matches} == {"stacks/Pulumi.dev.yaml"}
    assert "did you mean 'monthlyLimitUsd'" in lines[1]


def test_plan_prints_every_problem_from_a_real_process(project_copy: Path):
    _break_dev_stack(project_copy)

    run = subprocess.run(
        [sys.executable, "-c", "from mlops.cli import app; app()", "plan", "dev"],
        cwd=project_copy, capture_output=True, text=True, timeout=120,
    )

    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert [PROBLEM.fullmatch(line)["key"] for line in lines] == EXPECTED_KEYS
