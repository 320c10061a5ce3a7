"""What to do next in the staged migration: for each blocked gate, the command or edit that
unblocks it, and the pilot sign-off (``mlops migration sign-off``) written into the plan file.

Also the tolerant catalog read behind the listings: every valid model, and one problem line per
invalid file, so one broken file does not hide the rest of the catalog.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from infra.config import ConfigError
from infra.config.catalog import ModelSpec
from infra.config.errors import Problem
from infra.config.layout import MIGRATION_FILE, MODELS_DIR, model_file
from infra.config.migration import MigrationPlan, MigrationSettings
from infra.config.validation import validate
from infra.config.yamlfile import read_mapping

#: A sign-off name: a person's name or user name, one line (it is kept in the plan file).
SIGNER = re.compile(r"[A-Za-z][A-Za-z0-9 .'@_-]{0,63}")
SIGNER_ALLOWED = "a name of 1-64 letters, digits, spaces and . ' @ _ -, starting with a letter"


@dataclass(frozen=True)
class Catalog:
    """The catalog as far as it is valid: the valid models, and a problem per invalid file."""

    models: tuple[ModelSpec, ...]
    invalid: tuple[tuple[str, tuple[Problem, ...]], ...]

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem of every invalid file, in file order."""
        return tuple(p for _, problems in self.invalid for p in problems)


def read_catalog(project_dir: Path) -> Catalog:
    """Read every catalog file on its own: the valid ones as models, the others as problems."""
    folder = project_dir / MODELS_DIR
    models: list[ModelSpec] = []
    invalid: list[tuple[str, tuple[Problem, ...]]] = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.name.startswith(".") or path.is_dir():
            continue
        display = path.relative_to(project_dir).as_posix()
        try:
            if path.suffix != ".yaml":
                raise ConfigError(display, "(file)", "catalog files must end in .yaml", "<name>.yaml")
            spec = validate(ModelSpec, read_mapping(path, display), display)
            if spec.name != path.stem:
                raise ConfigError(display, "name", f"{spec.name!r} does not match the file name {path.name!r}", path.stem)
        except ConfigError as error:
            invalid.append((path.stem, error.problems))
            continue
        models.append(spec)
    return Catalog(tuple(sorted(models, key=lambda m: m.name)), tuple(invalid))


def _promote(model: str, environment: str) -> str:
    return f"mlops promote {model} --to {environment} --by NAME --reason \"...\""


def next_steps(plan: MigrationPlan) -> dict[str, list[str]]:
    """Gate name → what unblocks it (commands to run or edits to make); empty for open gates."""
    steps: dict[str, list[str]] = {gate.name: [] for gate in plan.gates()}
    settings = plan.settings
    if len(plan.pilot) > settings.pilot_limit:
        extra = ", ".join(model_file(m.name) for m in plan.pilot[settings.pilot_limit :])
        steps["pilot size"].append(f"set wave: scale-out in {extra}, or raise pilotLimit in {MIGRATION_FILE}")
    if not plan.pilot:
        steps["pilot activated"].append(
            f"choose 1-{settings.pilot_limit} pilot models: set wave: pilot in their stacks/models/<name>.yaml"
        )
    for model in plan.pilot:
        if model.phase == "development":
            steps["pilot activated"].append(f"{model.name}: {_promote(model.name, 'test')}, then {_promote(model.name, 'prod')}")
        elif model.phase == "test-release":
            steps["pilot activated"].append(f"{model.name}: {_promote(model.name, 'prod')}")
    if not settings.sign_off.signed:
        after = " once every pilot model is live in prod" if plan.pilot_pending() or not plan.pilot else ""
        steps["pilot signed off"].append(f"mlops migration sign-off --by NAME{after}")
    if not plan.scale_out_open:
        steps["scale-out open"].append("opens by itself when the gates above are open (then move scale-out models with mlops promote)")
    return steps


def check_signer(by: str) -> str | None:
    """The problem with a sign-off name, or None."""
    if not SIGNER.fullmatch(by) or by != by.strip():
        return f"{by!r} is not a sign-off name"
    return None


def sign_off(project_dir: Path, plan: MigrationPlan, by: str, date: datetime.date) -> tuple[str, str]:
    """The new text of the migration plan file with the pilot signed off by ``by`` on ``date``,
    and the file's display name. Raises ``ConfigError`` (nothing written) when the name is not a
    name, the pilot is already signed off or not complete, or the result would not validate."""
    problems: list[Problem] = []
    if (problem := check_signer(by)) is not None:
        problems.append(Problem("--by", None, "by", problem, SIGNER_ALLOWED))
    signed = plan.settings.sign_off
    if signed.signed:
        problems.append(Problem(MIGRATION_FILE, None, "signOff", f"already signed off by {signed.by} on {signed.date}", "one sign-off; edit the file to change it"))
    if not plan.pilot:
        problems.append(Problem(MIGRATION_FILE, None, "signOff", "there are no pilot models to sign off", "wave: pilot on 1-{0} models first".format(plan.settings.pilot_limit)))
    elif pending := plan.pilot_pending():
        problems.append(
            Problem(
                MIGRATION_FILE, None, "signOff",
                f"the pilot is not complete: {', '.join(pending)} not yet in activation",
                "a sign-off once every pilot model is live in prod (mlops migration status)",
            )
        )
    if problems:
        raise ConfigError.of(problems)
    path = project_dir / MIGRATION_FILE
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    document = yaml.load(path.read_text(encoding="utf-8"))
    document["signOff"] = {"by": by, "date": date}
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    text = buffer.getvalue()
    validate(MigrationSettings, YAML(typ="safe", pure=True).load(text), MIGRATION_FILE)
    return text, MIGRATION_FILE


__all__ = ["Catalog", "check_signer", "next_steps", "read_catalog", "sign_off"]
