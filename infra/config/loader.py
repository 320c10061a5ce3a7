"""Loading one stack's settings: the stack file, the model catalog and the migration plan.

This is the only code that reads configuration files. It returns typed ``Settings`` or raises a
one-line ``ConfigError``; nothing is registered before it succeeds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from ruamel.yaml import YAML

from infra.config import aws_data
from infra.config.catalog import ModelSpec
from infra.config.errors import ConfigError, Problem
from infra.config.layout import (
    MIGRATION_FILE,
    MODELS_DIR,
    model_file,
    stack_file,
    stack_names,
)
from infra.config.migration import MigrationPlan, MigrationSettings
from infra.config.names import group_name
from infra.config.rules import (
    PERSONAL_STACK,
    PERSONAL_STACK_MAX,
    SHARED_STACKS,
    STACK_NAME,
    TEAM_STACK,
    team_stack_name,
)
from infra.config.sources import ResolvedCode, load_code_sources
from infra.config.stack import StackSettings
from infra.config.validation import validate
from infra.config.yamlfile import read_mapping

STACK_FILE_KEYS = ("config", "encryptedkey", "encryptionsalt", "environment", "secretsprovider")


class Settings(BaseModel):
    """Everything the program needs for one stack, validated."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    stack: str
    env: StackSettings
    models: tuple[ModelSpec, ...]
    migration: MigrationSettings
    plan: MigrationPlan
    #: Code-source models' files and framework images, by model name.
    code: dict[str, ResolvedCode] = {}

    @property
    def personal(self) -> bool:
        """Whether this is an on-demand personal dev stack."""
        return self.env.personal is not None


def _stack_config(project_dir: Path, stack: str) -> tuple[str, dict]:
    """The ``config:`` map of the stack's file (a personal stack without a file derives from dev)."""
    if not re.fullmatch(STACK_NAME, stack):
        raise ConfigError("(stack)", "stack", f"{stack!r} is not a valid stack name", "letters, digits, '-', '_', '.'")
    own = project_dir / stack_file(stack)
    personal = PERSONAL_STACK.match(stack)
    team = TEAM_STACK.match(stack)
    if team is not None:
        # A team stack shares its environment's settings file; the stack name says the team.
        own = project_dir / stack_file(team["environment"])
    if not own.is_file() and personal is None:
        known = ", ".join(stack_names(project_dir)) or "none"
        raise ConfigError(stack_file(stack), "(file)", "file not found", f"stacks {known}, dev-<owner>[-<slug>], or <environment>.<team>")
    path = own if own.is_file() else project_dir / stack_file("dev")
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
    if "mlops:team" in config:
        raise ConfigError(display, "mlops:team", "is set from the stack name, never in a file", "remove it; plan <environment>.<team>")
    if team is not None:
        config = {**config, "mlops:team": team["team"]}
    return display, config


def _check_stack_name(display: str, stack: str, env: StackSettings) -> None:
    personal = PERSONAL_STACK.match(stack)
    if stack in SHARED_STACKS and env.environment != stack:
        raise ConfigError(display, "mlops:environment", f"stack {stack!r} must use environment {stack!r}", stack)
    if stack.startswith("dev-") and stack not in SHARED_STACKS:
        if personal is None or len(stack) > PERSONAL_STACK_MAX:
            raise ConfigError(display, "(stack)", f"{stack!r} is not a personal stack name", f"dev-<owner>[-<slug>], lowercase, at most {PERSONAL_STACK_MAX} characters")
        if env.personal is None or env.personal.owner != personal["owner"]:
            raise ConfigError(display, "mlops:personal.owner", f"must be {personal['owner']!r} for stack {stack!r}", personal["owner"])
    elif not stack.startswith(env.environment):
        raise ConfigError(display, "mlops:environment", f"stack {stack!r} does not match environment {env.environment!r}", "a stack named after its environment")


@dataclass(frozen=True)
class RegistryIdentity:
    """Where every pinned model package version must come from: the registry-owning dev stack's
    partition, region, account (None when the stack asks AWS who it is) and name prefix."""

    partition: str
    region: str
    account_id: str | None
    prefix: str

    def group_arn_prefix(self, model: str) -> str:
        """``arn:<partition>:sagemaker:<region>:<account>:model-package/<prefix>-<model>/``."""
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.account_id}:model-package/{group_name(self.prefix, model)}/"


def registry_identity(project_dir: Path, stack: str, env: StackSettings) -> RegistryIdentity:
    """The registry ``stack``'s pins must come from: its own when it owns the registry (dev and
    personal stacks), else the dev stack's (its settings file), with the account the stack names."""
    owner = env
    if env.environment != "dev" and (project_dir / stack_file("dev")).is_file():
        display, config = _stack_config(project_dir, "dev")
        owner = validate(StackSettings, config, display)
    return RegistryIdentity(
        partition=aws_data.partition_of_region(owner.region) or "aws",
        region=owner.region,
        account_id=env.registry.account_id or owner.account_id,
        prefix=owner.name_prefix,
    )


def check_pins(models: tuple[ModelSpec, ...], registry: RegistryIdentity) -> None:
    """Every pinned version and every history entry must be a version of the model's own group in
    the platform's registry; raises one ``ConfigError`` listing every pin that is not."""
    problems = []
    for model in models:
        pins = [(f"versions.{env}", model.versions.pinned(env)) for env in ("dev", "test", "prod")]
        pins += [(f"governance.history[{i}].version", h.version) for i, h in enumerate(model.governance.history)]
        for key, arn in pins:
            if arn and not _from_registry(arn, model.name, registry):
                expected = registry.group_arn_prefix(model.name).replace(":None:", ":<account>:")
                problems.append(
                    Problem(
                        model_file(model.name), None, key,
                        f"{arn} is not a version in this platform's registry",
                        f"{expected}<n>, written by mlops promote; remove pins copied from another account",
                    )
                )
    if problems:
        raise ConfigError.of(problems)


def _from_registry(arn: str, model: str, registry: RegistryIdentity) -> bool:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[1] != registry.partition or parts[3] != registry.region:
        return False
    if registry.account_id is not None and parts[4] != registry.account_id:
        return False
    return parts[5].rsplit("/", 1)[0] == f"model-package/{group_name(registry.prefix, model)}"


def registry_name_prefix(project_dir: Path) -> str:
    """``mlops:namePrefix`` of the registry-owning dev stack: model package groups are
    ``<prefix>-<model>``. The settings' default when the project has no dev stack file."""
    if not (project_dir / stack_file("dev")).is_file():
        return StackSettings.model_fields["name_prefix"].default
    display, config = _stack_config(project_dir, "dev")
    return validate(StackSettings, config, display).name_prefix


#: Catalog entries validated in this process, by file name and bytes: planning an environment and
#: its team stacks loads the same catalog once per stack, and parsing YAML dominates that.
_VALIDATED: dict[tuple[str, bytes], ModelSpec] = {}


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
        try:
            key: tuple[str, bytes] | None = (display, path.read_bytes())
        except OSError:
            key = None  # read_mapping reports it
        spec = _VALIDATED.get(key) if key else None
        if spec is None:
            spec = validate(ModelSpec, read_mapping(path, display), display)
            if key:
                _VALIDATED[key] = spec
        if spec.name != path.stem:
            raise ConfigError(display, "name", f"{spec.name!r} does not match the file name {path.name!r}", path.stem)
        models.append(spec)
    return tuple(models)


def teams_of(models: tuple[ModelSpec, ...]) -> tuple[str, ...]:
    """The teams owning catalog models, sorted: the team stacks a team-stacks environment may have."""
    return tuple(sorted({m.owner for m in models}))


def team_stacks(settings: Settings) -> tuple[str, ...]:
    """The team stacks of ``settings``' environment stack: one per team with a model in the
    environment (none in the environment layout)."""
    env = settings.env
    if env.layout != "team-stacks" or env.team is not None or env.personal is not None:
        return ()
    return tuple(team_stack_name(env.environment, t) for t in teams_of(settings.plan.in_environment(env.environment)))


def model_stacks(project_dir: Path, plan: MigrationPlan) -> dict[str, dict[str, str]]:
    """Per model, the stack holding it in each environment it is in: the environment's own stack,
    or its team's stack when the environment (its settings file) uses the team-stacks layout."""
    layouts = {}
    for environment in SHARED_STACKS:
        if (project_dir / stack_file(environment)).is_file():
            display, config = _stack_config(project_dir, environment)
            layouts[environment] = validate(StackSettings, config, display).layout
    present = {environment: {m.name for m in plan.in_environment(environment)} for environment in SHARED_STACKS}
    return {
        model.name: {
            environment: team_stack_name(environment, model.owner) if layouts.get(environment) == "team-stacks" else environment
            for environment in SHARED_STACKS
            if model.name in present[environment]
        }
        for model in plan.models
    }


def load_migration(project_dir: Path) -> MigrationSettings:
    """The migration plan file."""
    return validate(MigrationSettings, read_mapping(project_dir / MIGRATION_FILE, MIGRATION_FILE), MIGRATION_FILE)


def load_settings(project_dir: Path, stack: str) -> Settings:
    """Load and validate everything for ``stack``; raises ``ConfigError`` on the first problem."""
    display, config = _stack_config(project_dir, stack)
    env = validate(StackSettings, config, display)
    _check_stack_name(display, stack, env)
    models = load_models(project_dir)
    if env.team is not None and env.team not in teams_of(models):
        raise ConfigError(
            display, "(stack)", f"no catalog model is owned by team {env.team!r}",
            ", ".join(team_stack_name(env.environment, t) for t in teams_of(models)) or "no teams",
        )
    if env.personal is not None:
        known = {m.name for m in models}
        for i, name in enumerate(env.personal.models):
            if name not in known:
                raise ConfigError(display, f"mlops:personal.models[{i}]", f"no catalog model {name!r}", ", ".join(sorted(known)) or "no models")
    migration = load_migration(project_dir)
    plan = load_plan(project_dir, models, migration)
    check_pins(models, registry_identity(project_dir, stack, env))
    code = load_code_sources(project_dir, plan.in_environment(env.environment), env.region, env.environment == "dev")
    for model in plan.in_environment(env.environment):
        if env.serving.mode == "serverless" and model.serving.target == "sagemaker" and model.serving.needs_gpu(env.environment):
            raise ConfigError(
                model_file(model.name), f"serving.overrides.{env.environment}.instanceType",
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
    return Settings(stack=stack, env=env, models=models, migration=migration, plan=plan, code=code)


def load_plan(
    project_dir: Path, models: tuple[ModelSpec, ...] | None = None, migration: MigrationSettings | None = None
) -> MigrationPlan:
    """The validated migration plan of the catalog (loaded unless given); raises ``ConfigError``."""
    plan = MigrationPlan(
        load_models(project_dir) if models is None else models,
        load_migration(project_dir) if migration is None else migration,
    )
    plan.validate()
    return plan


def check_catalog_change(project_dir: Path, model_name: str, new_text: str) -> None:
    """Raise ``ConfigError`` if replacing ``model_name``'s catalog file with ``new_text`` would
    leave an invalid catalog or break a migration gate (e.g. a scale-out model promoted to test
    before the pilot is complete)."""
    changed = validate(ModelSpec, YAML(typ="safe", pure=True).load(new_text), model_file(model_name))
    others = tuple(m for m in load_models(project_dir) if m.name != model_name)
    load_plan(project_dir, (*others, changed))
