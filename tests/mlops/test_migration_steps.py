"""``mlops migration status`` next steps, ``mlops migration sign-off``, listings with an invalid file."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

from ruamel.yaml import YAML
from typer.testing import CliRunner

from mlops.cli import app
from mlops.cli.progress import Status


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def _edit(path: Path, change) -> None:
    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def _pilot_of_churn_only(project: Path) -> None:
    """fraud leaves the pilot (back to development), so churn, already live in prod, is the pilot."""

    def change(data):
        data["wave"], data["phase"] = "scale-out", "development"
        del data["versions"]["test"]

    _edit(project / "stacks" / "models" / "fraud.yaml", change)


def test_status_names_the_command_that_unblocks_each_blocked_gate(project_dir):
    result = _run("migration", "status", "--json", "--project-dir", str(project_dir))

    assert result.exit_code == 0, result.stderr
    gates = {g["gate"]: g for g in json.loads(result.stdout)["gates"]}
    assert gates["pilot activated"]["next"] == ['fraud: mlops promote fraud --to prod --by NAME --reason "..."']
    assert gates["pilot signed off"]["next"][0].startswith("mlops migration sign-off --by NAME")
    assert gates["pilot size"]["open"] and gates["pilot size"]["next"] == []
    for gate in gates.values():
        assert gate["open"] or gate["next"], gate


def test_sign_off_records_name_and_date_keeping_the_comments_and_opens_scale_out(project_copy):
    _pilot_of_churn_only(project_copy)
    plan_file = project_copy / "stacks" / "migration.yaml"

    result = _run("migration", "sign-off", "--by", "Dana Reviewer", "--date", "2026-12-01", "--project-dir", str(project_copy))

    assert result.exit_code == 0, result.stderr
    text = plan_file.read_text(encoding="utf-8")
    assert text.startswith("# The staged migration")
    assert YAML(typ="safe").load(io.StringIO(text))["signOff"] == {"by": "Dana Reviewer", "date": datetime.date(2026, 12, 1)}
    status = json.loads(_run("migration", "status", "--json", "--project-dir", str(project_copy)).stdout)
    assert all(g["open"] for g in status["gates"])
    assert "carol" in status["audience"]


def test_sign_off_refuses_bad_input_all_at_once_and_writes_nothing(project_copy):
    plan_file = project_copy / "stacks" / "migration.yaml"
    before = plan_file.read_bytes()

    result = _run("migration", "sign-off", "--by", "  ", "--date", "2026-02-30", "--project-dir", str(project_copy))

    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, lines
    assert any(line.startswith("--by: by: ") for line in lines)
    assert any("not yet in activation" in line and "fraud" in line for line in lines)
    assert any(line.startswith("--date: date: '2026-02-30'") for line in lines)
    assert plan_file.read_bytes() == before
    assert not list(plan_file.parent.glob(".migration.yaml.*"))


def test_sign_off_twice_is_refused(project_copy):
    _pilot_of_churn_only(project_copy)
    first = _run("migration", "sign-off", "--by", "dana", "--project-dir", str(project_copy))
    assert first.exit_code == 0, first.stderr

    second = _run("migration", "sign-off", "--by", "erin", "--project-dir", str(project_copy))

    assert second.exit_code == 2
    assert "already signed off by dana" in second.stderr


def test_model_list_shows_the_valid_models_and_marks_the_invalid_file(project_copy):
    (project_copy / "stacks" / "models" / "broken.yaml").write_text("name: broken\nowner: [\n", encoding="utf-8")
    (project_copy / "stacks" / "models" / "notes.txt").write_text("x", encoding="utf-8")

    table = _run("model", "list", "--project-dir", str(project_copy))
    as_json = _run("model", "list", "--json", "--project-dir", str(project_copy))

    assert table.exit_code == as_json.exit_code == 2
    rows = {r["name"]: r for r in json.loads(as_json.stdout)}
    assert {"churn", "fraud", "demand-forecast", "support-triage"} <= set(rows)
    assert rows["broken"]["invalid"][0].startswith("stacks/models/broken.yaml:")
    assert rows["notes"]["invalid"][0].startswith("stacks/models/notes.txt: (file): ")
    assert "invalid" in table.stdout and "churn" in table.stdout
    assert table.stderr.strip().splitlines() == [*rows["broken"]["invalid"], *rows["notes"]["invalid"]]


def test_status_with_an_invalid_file_still_shows_the_valid_models(project_copy):
    (project_copy / "stacks" / "models" / "broken.yaml").write_text("name: [\n", encoding="utf-8")

    result = _run("migration", "status", "--json", "--project-dir", str(project_copy))

    assert result.exit_code == 2
    names = [m["name"] for m in json.loads(result.stdout)["models"]]
    assert names == ["broken", "churn", "customer-ltv", "demand-forecast", "fraud", "lead-scoring", "support-triage"]
    assert result.stderr.startswith("stacks/models/broken.yaml:")


class _Terminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_status_line_is_drawn_on_a_terminal_and_erased(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    stream = _Terminal(tty=True)
    status = Status(stream)

    status.start("loading configuration")
    drawn = stream.getvalue()
    status.update("dev: policy")
    status.stop()

    assert "loading configuration" in drawn  # drawn at once, not after the first tick
    assert stream.getvalue().endswith("\r\x1b[2K")
    assert not status.active


def test_status_line_writes_nothing_off_a_terminal():
    stream = _Terminal(tty=False)
    status = Status(stream)

    status.start("loading configuration")
    status.update("dev: policy")
    status.stop()

    assert stream.getvalue() == ""
