"""Loading one stack's settings: the stack file, the model catalog and the migration plan.

This is the only code that reads configuration files. It returns typed ``Settings`` or raises a
one-line ``ConfigError``; nothing is registered before it succeeds.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from infra.config.catalog import ModelSpec
from infra.config.errors import ConfigError
from infra.config.migration import MigrationSettings
from infra.config.stack import StackSettings
from infra.config.validation import validate
from infra.config.yamlfile import read_mapping

STACKS_DIR = "stacks"
MODELS_DIR = "stacks/models"
MIGRATION_FILE = "stacks/migration.yaml"
STACK_FILE_KEYS = ("config", "encryptedkey", "encryptionsalt", "environment", "secretsprovider")
PERSONAL_STACK = re.compile(r"^dev-(?P<owner>[a-z][a-z0-9]{0,19})(?:-(?P<slug>[a-z][a-z0-9-]{0,15}))?$")
SHARED_STACKS = ("dev", "test", "prod")


class Settings(BaseModel):
    """Everything the program needs for one stack, validated."""

    model_config = ConfigDict(frozen=True)

    stack: str
    env: StackSettings
    models: tuple[ModelSpec, ...]
    migration: MigrationSettings

    @property
    def personal(self) -> bool:
        """Whether this is an on-demand personal dev stack."""
        return self.env.personal is not None


def find_project_dir(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``Pulumi.yaml``."""
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    raise ConfigError(str(start), "(project)", "no Pulumi.yaml here or in any parent folder", "run inside the project or pass --project-dir")


def stack_names(project_dir: Path) -> list[str]:
    """The stacks that have a settings file, sorted."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (project_dir / STACKS_DIR).glob("Pulumi.*.yaml"))


def _stack_config(project_dir: Path, stack: str) -> tuple[str, dict]:
    """The ``config:`` map of the stack's file (a personal stack without a file derives from dev)."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", stack):
        raise ConfigError("(stack)", "stack", f"{stack!r} is not a valid stack name", "letters, digits, '-', '_', '.'")
    own = project_dir / STACKS_DIR / f"Pulumi.{stack}.yaml"
    personal = PERSONAL_STACK.match(stack)
    if not own.is_file() and personal is None:
        known = ", ".join(stack_names(project_dir)) or "none"
        raise ConfigError(f"{STACKS_DIR}/Pulumi.{stack}.yaml", "(file)", "file not found", f"stacks {known}, or dev-<owner>[-<slug>]")
    path = own if own.is_file() else project_dir / STACKS_DIR / "Pulumi.dev.yaml"
    display = path.relative_to(project_dir).as_posix()
    document = read_mapping(path, display)
    for key in document:
        if key not in STACK_FILE_KEYS:
            raise ConfigError(display, str(key), "unknown key", ", ".join(STACK_FILE_KEYS))
    config = document.get("config")
    if not isinstance(config, dict):
        raise ConfigError(display, "config", "expected a mapping of settings", "a config: mapping")
    if personal and not own.is_file():
        config = dict(config)
        config["mlops:personal"] = {"owner": personal["owner"], **({"slug": personal["slug"]} if personal["slug"] else {})}
    return display, config


def _check_stack_name(display: str, stack: str, env: StackSettings) -> None:
    personal = PERSONAL_STACK.match(stack)
    if stack in SHARED_STACKS and env.environment != stack:
        raise ConfigError(display, "mlops:environment", f"stack {stack!r} must use environment {stack!r}", stack)
    if stack.startswith("dev-") and stack not in SHARED_STACKS:
        if personal is None or len(stack) > 40:
            raise ConfigError(display, "(stack)", f"{stack!r} is not a personal stack name", "dev-<owner>[-<slug>], lowercase, at most 40 characters")
        if env.personal is None or env.personal.owner != personal["owner"]:
            raise ConfigError(display, "mlops:personal.owner", f"must be {personal['owner']!r} for stack {stack!r}", personal["owner"])
    elif not stack.startswith(env.environment):
        raise ConfigError(display, "mlops:environment", f"stack {stack!r} does not match environment {env.environment!r}", "a stack named after its environment")


def load_models(project_dir: Path) -> tuple[ModelSpec, ...]:
    """Every catalog entry under ``stacks/models``, sorted by name."""
    folder = project_dir / MODELS_DIR
    models = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        display = path.relative_to(project_dir).as_posix()
        if path.name.startswith(".") or path.is_dir():
            continue
        if path.suffix != ".yaml":
            raise ConfigError(display, "(file)", "catalog files must end in .yaml", "<name>.yaml")
        spec = validate(ModelSpec, read_mapping(path, display), display)
        if spec.name != path.stem:
            raise ConfigError(display, "name", f"{spec.name!r} does not match the file name {path.name!r}", path.stem)
        models.append(spec)
    return tuple(models)


def load_migration(project_dir: Path) -> MigrationSettings:
    """The migration plan file."""
    return validate(MigrationSettings, read_mapping(project_dir / MIGRATION_FILE, MIGRATION_FILE), MIGRATION_FILE)


def load_settings(project_dir: Path, stack: str) -> Settings:
    """Load and validate everything for ``stack``; raises ``ConfigError`` on the first problem."""
    display, config = _stack_config(project_dir, stack)
    env = validate(StackSettings, config, display)
    _check_stack_name(display, stack, env)
    models = load_models(project_dir)
    if env.personal is not None:
        known = {m.name for m in models}
        for i, name in enumerate(env.personal.models):
            if name not in known:
                raise ConfigError(display, f"mlops:personal.models[{i}]", f"no catalog model {name!r}", ", ".join(sorted(known)) or "no models")
    migration = load_migration(project_dir)
    from infra.migration import MigrationPlan  # the plan builds on this module's constants

    plan = MigrationPlan(models, migration)
    plan.validate()
    for model in plan.in_environment(env.environment):
        if env.serving.mode == "serverless" and model.serving.target == "sagemaker" and model.serving.needs_gpu(env.environment):
            raise ConfigError(
                f"{MODELS_DIR}/{model.name}.yaml", f"serving.overrides.{env.environment}.instanceType",
                f"{model.serving.size(env.environment).instance_type} is a GPU type but {env.environment} serves serverless (CPU only)",
                "a CPU instance type for this environment",
            )
        if model.serving.target == "kubernetes" and model.versions.pinned(env.environment) and env.kubernetes is None:
            raise ConfigError(
                display, "mlops:kubernetes",
                f"model {model.name} serves on kubernetes in {env.environment} but no cluster is configured",
                "a mapping with context (a kubeconfig context) and optionally ingressNamespace",
            )
    if env.personal is not None and env.personal.owner not in plan.audience():
        raise ConfigError(
            display, "mlops:personal.owner",
            f"{env.personal.owner!r} is not in the migration's current audience ({MIGRATION_FILE})",
            ", ".join(plan.audience()),
        )
    return Settings(stack=stack, env=env, models=models, migration=migration)
