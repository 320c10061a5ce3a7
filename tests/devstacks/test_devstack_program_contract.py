"""The config `mlops dev create` sets is the config the Pulumi program accepts for that stack.

Uses the repository's own stacks/Pulumi.dev.yaml, catalog and migration plan, and the program's
loader (infra/config), so a drift between the two sides fails here rather than at `pulumi up`.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from infra.config import load_settings
from mlops.devstacks.automation import config_json
from mlops.devstacks.lifecycle import (
    plan_personal_stack,
)
from mlops.devstacks.project import (
    ProjectLayout,
)

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The repository's Pulumi.yaml and stacks/ folder, copied so the test can add a stack file."""
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copy(REPOSITORY / "Pulumi.yaml", copy / "Pulumi.yaml")
    shutil.copytree(REPOSITORY / "stacks", copy / "stacks", ignore=shutil.ignore_patterns("Pulumi.dev-*.yaml"))
    return copy


def write_stack_file_as_pulumi_does(project: Path, stack: str, config: dict) -> None:
    """What `pulumi config set-all --json` leaves on disk: top-level values as strings, objects as YAML."""
    stored = {key: entry.get("objectValue", entry["value"]) for key, entry in config_json(config).items()}
    text = io.StringIO()
    YAML(typ="safe", pure=True).dump({"encryptionsalt": "v1:c2FsdA==:djE6", "config": stored}, text)
    (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(text.getvalue(), encoding="utf-8")


@pytest.mark.parametrize("slug", ["exp1", None])
def test_program_loads_a_personal_stack_created_by_the_cli(project_copy, now, slug):
    models = sorted(path.stem for path in (project_copy / "stacks" / "models").glob("*.yaml"))[:2]
    plan = plan_personal_stack(
        ProjectLayout.at(project_copy), owner="alice", slug=slug, ttl="72h", models=models, now=now
    )
    write_stack_file_as_pulumi_does(project_copy, plan.name, dict(plan.config))

    settings = load_settings(project_copy, plan.name)

    assert settings.personal
    assert settings.env.personal.owner == "alice"
    assert settings.env.personal.slug == slug
    assert settings.env.personal.models == models
    assert settings.env.personal.expires_at == "2026-11-25T09:00:00Z"
    assert settings.env.environment == "dev"
