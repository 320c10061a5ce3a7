"""On-demand personal dev stacks: `dev-<owner>[-<slug>]`, created, listed, destroyed and reaped.

A personal stack runs the same program as the shared `dev` stack. Its config is every key of
`stacks/Pulumi.dev.yaml` plus `mlops:personal` (owner, slug, models, expiresAt); the program sees
`mlops:personal`, references the shared `dev` stack's foundation through a StackReference and
creates only that person's pieces.

Ownership and expiry are stack tags (`mlops:kind=personal-dev`, `mlops:owner`,
`mlops:expires-at`, `mlops:created-at`), so `list` and `reap` need nothing but the Pulumi backend.
Re-running `create` on an existing personal stack updates its config and tags and renews its
lease from now. The shared stacks `dev`, `test` and `prod` are never created, destroyed or reaped
here, and neither is any stack without the `mlops:kind=personal-dev` tag.

Every Pulumi operation goes through the injected `StackBackend` (mlops/devstacks/automation.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError

from infra.config.rules import (
    PERSONAL_OWNER,
    PERSONAL_SLUG,
    PERSONAL_SLUG_MAX,
    PERSONAL_STACK_MAX,
    SHARED_STACKS,
    TIMESTAMP_FORMAT,
    is_model_name,
)
from mlops.devstacks.automation import (
    BackendError,
    OutputSink,
    StackBackend,
    StackNotFoundError,
)

PERSONAL_PREFIX = "dev-"
MAX_STACK_NAME_LENGTH = PERSONAL_STACK_MAX
DEFAULT_TTL = "72h"
MAX_TTL = timedelta(days=14)

TAG_KIND = "mlops:kind"
KIND_PERSONAL = "personal-dev"
TAG_OWNER = "mlops:owner"
TAG_EXPIRES_AT = "mlops:expires-at"
TAG_CREATED_AT = "mlops:created-at"
PERSONAL_CONFIG_KEY = "mlops:personal"

# Owners, slugs and names follow infra/config/rules.py, the rules the program itself applies.
_PERSONAL_NAME_RE = re.compile(rf"^{PERSONAL_PREFIX}(?P<owner>[a-z0-9]+)(?:-(?P<slug>.+))?$")
_TTL_RE = re.compile(r"^(\d+)([mhd])$")
_TTL_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


T = TypeVar("T")


class DevStackError(Exception):
    """The request is invalid or not allowed (bad name, TTL or model, or a protected stack)."""


# --- names, TTLs and time -------------------------------------------------------------------


def personal_stack_name(owner: str, slug: str | None = None) -> str:
    """The stack name `dev-<owner>[-<slug>]`, validated.

    Raises:
        DevStackError: the owner is not 2-20 lowercase letters/digits starting with a letter,
            the slug not up to 16 lowercase letters/digits/single hyphens starting with a
            letter, or the whole name is longer than MAX_STACK_NAME_LENGTH.
    """
    problems = []
    if not re.fullmatch(PERSONAL_OWNER, owner):
        problems.append(f"owner {owner!r}: use 2-20 lowercase letters and digits, starting with a letter (e.g. alice)")
    if slug is not None and (not re.fullmatch(PERSONAL_SLUG, slug) or len(slug) > PERSONAL_SLUG_MAX):
        problems.append(f"slug {slug!r}: use up to 16 lowercase letters, digits and single hyphens, starting with a letter (e.g. exp1)")
    if problems:
        raise DevStackError("\n".join(problems))
    name = f"{PERSONAL_PREFIX}{owner}" + (f"-{slug}" if slug else "")
    if len(name) > MAX_STACK_NAME_LENGTH:
        raise DevStackError(
            f"stack name {name!r} is {len(name)} characters; the limit is {MAX_STACK_NAME_LENGTH} "
            "(use a shorter --slug)"
        )
    return name


def _is_personal_name(name: str) -> bool:
    match = _PERSONAL_NAME_RE.match(name)
    if match is None:
        return False
    try:
        return personal_stack_name(match["owner"], match["slug"]) == name
    except DevStackError:
        return False


def check_personal_stack_name(name: str) -> None:
    """Refuse shared stacks and anything not shaped like `dev-<owner>[-<slug>]`.

    Raises:
        DevStackError: with the reason.
    """
    if name in SHARED_STACKS:
        raise DevStackError(
            f"{name} is a shared stack: personal-stack commands never touch dev, test or prod "
            "(use `pulumi` and the infrastructure workflow for those)"
        )
    if not _is_personal_name(name):
        raise DevStackError(
            f"{name!r} is not a personal dev stack name: expected dev-<owner>[-<slug>], lowercase, "
            f"at most {MAX_STACK_NAME_LENGTH} characters"
        )


def parse_ttl(text: str) -> timedelta:
    """Parse a lifetime such as `90m`, `72h` or `3d` (at most MAX_TTL).

    Raises:
        DevStackError: the text is not `<number><m|h|d>`, is zero, or exceeds MAX_TTL.
    """
    match = _TTL_RE.match(text.strip())
    if not match:
        raise DevStackError(f"ttl {text!r}: use a whole number followed by m, h or d, e.g. 90m, 72h or 3d")
    too_long = DevStackError(f"ttl {text!r}: the maximum is {MAX_TTL.days}d; re-run `mlops dev create` later to renew")
    try:
        ttl = timedelta(**{_TTL_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        raise too_long from None
    if ttl <= timedelta(0):
        raise DevStackError(f"ttl {text!r}: must be longer than zero")
    if ttl > MAX_TTL:
        raise too_long
    return ttl


def expiry(now: datetime, ttl: timedelta) -> datetime:
    """When a stack created or renewed at `now` expires, in UTC to the second."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return (now + ttl).astimezone(timezone.utc).replace(microsecond=0)


def format_timestamp(moment: datetime) -> str:
    """ISO-8601 UTC to the second, e.g. `2026-11-25T04:00:00Z`, as stored in tags and config."""
    return moment.astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str | None) -> datetime | None:
    """The UTC datetime of an ISO-8601 timestamp, or None if `text` is missing or not one."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else None


# --- the project on disk -------------------------------------------------------------------


class _ConfigConstructor(SafeConstructor):
    """Safe YAML construction that keeps timestamps as the strings Pulumi sees."""


_ConfigConstructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


def _config_yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _ConfigConstructor
    return yaml


@dataclass(frozen=True)
class ProjectLayout:
    """Where the project keeps stack settings and the model catalog.

    Attributes:
        root: The folder holding `Pulumi.yaml`.
        stack_config_dir: `stackConfigDir` from `Pulumi.yaml` (the root if unset).
    """

    root: Path
    stack_config_dir: Path

    @classmethod
    def at(cls, root: Path) -> ProjectLayout:
        """Read `Pulumi.yaml` at `root`.

        Raises:
            DevStackError: `Pulumi.yaml` is missing or unreadable.
        """
        project = _load_yaml_file(root, root / "Pulumi.yaml")
        if not isinstance(project, dict):
            raise DevStackError("Pulumi.yaml: expected a mapping with name, runtime and main")
        return cls(root=root, stack_config_dir=root / str(project.get("stackConfigDir") or "."))

    @property
    def dev_settings_file(self) -> Path:
        """The shared dev stack's settings, which personal stacks copy."""
        return self.stack_config_dir / "Pulumi.dev.yaml"

    @property
    def models_dir(self) -> Path:
        """The model catalog: one `<name>.yaml` per model."""
        return self.stack_config_dir / "models"

    def relative(self, path: Path) -> str:
        """`path` as the project names it, e.g. `stacks/Pulumi.dev.yaml`."""
        return path.relative_to(self.root).as_posix()


def _load_yaml_file(root: Path, path: Path) -> Any:
    shown = path.relative_to(root).as_posix()
    try:
        return _config_yaml().load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DevStackError(f"{shown}: not found") from None
    except (OSError, YAMLError) as error:
        reason = " ".join(str(error).split())
        raise DevStackError(f"{shown}: cannot read it: {reason}") from None


@dataclass(frozen=True)
class DevSettings:
    """The shared dev stack's config, as personal stacks copy it.

    Attributes:
        config: Every copyable key of `stacks/Pulumi.dev.yaml`'s `config:` map.
        secret_keys: Keys left out because they are encrypted for the dev stack only.
        imports_environments: Whether the dev settings import Pulumi ESC environments.
    """

    config: Mapping[str, Any]
    secret_keys: tuple[str, ...]
    imports_environments: bool


def load_dev_settings(layout: ProjectLayout) -> DevSettings:
    """Read the shared dev stack's settings file.

    Raises:
        DevStackError: the file is missing, unreadable or has no `config:` map.
    """
    shown = layout.relative(layout.dev_settings_file)
    settings = _load_yaml_file(layout.root, layout.dev_settings_file)
    config = settings.get("config") if isinstance(settings, dict) else None
    if not isinstance(config, dict):
        raise DevStackError(f"{shown}: config: expected a map of stack settings (e.g. aws:region)")
    secret_keys = tuple(key for key, value in config.items() if _holds_secret(value))
    return DevSettings(
        config={key: value for key, value in config.items() if key not in secret_keys},
        secret_keys=secret_keys,
        imports_environments=bool(settings.get("environment")),
    )


def _holds_secret(value: Any) -> bool:
    """Whether a config value is, or contains, a `secure:` ciphertext."""
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_secret(item) for item in value)
    return False


def check_models(layout: ProjectLayout, models: Sequence[str]) -> tuple[str, ...]:
    """The requested models, de-duplicated in order, each checked against the catalog.

    Raises:
        DevStackError: a name is malformed or has no `stacks/models/<name>.yaml`.
    """
    known = sorted(path.stem for path in layout.models_dir.glob("*.yaml")) if layout.models_dir.is_dir() else []
    checked: list[str] = []
    for model in models:
        if not is_model_name(model) or model not in known:
            listing = ", ".join(known) or "none"
            raise DevStackError(
                f"unknown model {model!r}: no {layout.relative(layout.models_dir)}/{model}.yaml (known: {listing})"
            )
        if model not in checked:
            checked.append(model)
    return tuple(checked)


# --- create ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonalStackPlan:
    """A validated request for a personal stack: its name, lifetime, config and notes.

    Attributes:
        name: `dev-<owner>[-<slug>]`.
        owner: Who the stack belongs to.
        slug: The optional suffix that tells one person's stacks apart.
        models: Catalog models deployed in the stack.
        requested_at: When the request was made (UTC).
        expires_at: When the reaper may destroy the stack (UTC, to the second).
        config: The full stack config: dev settings plus `mlops:personal`.
        warnings: What could not be copied from the dev settings, and what to do about it.
    """

    name: str
    owner: str
    slug: str | None
    models: tuple[str, ...]
    requested_at: datetime
    expires_at: datetime
    config: Mapping[str, Any]
    warnings: tuple[str, ...]


def plan_personal_stack(
    layout: ProjectLayout,
    *,
    owner: str,
    slug: str | None,
    ttl: str,
    models: Sequence[str],
    now: datetime,
) -> PersonalStackPlan:
    """Validate a create request and assemble the stack's config, without touching Pulumi.

    Raises:
        DevStackError: bad owner, slug, TTL or model, or unreadable dev settings.
    """
    problems: list[str] = []

    def checked(check: Callable[[], T]) -> T | None:
        try:
            return check()
        except DevStackError as error:
            problems.append(str(error))
            return None

    # Every problem of the request at once, one line each, before anything reads the dev settings.
    name = checked(lambda: personal_stack_name(owner, slug))
    expires_at = checked(lambda: expiry(now, parse_ttl(ttl)))
    checked_models = checked(lambda: check_models(layout, models))
    if problems or name is None or expires_at is None or checked_models is None:
        raise DevStackError("\n".join(problems))
    dev = load_dev_settings(layout)
    personal: dict[str, Any] = {"owner": owner}
    if slug:
        personal["slug"] = slug
    personal["models"] = list(checked_models)
    personal["expiresAt"] = format_timestamp(expires_at)
    shown = layout.relative(layout.dev_settings_file)
    warnings = tuple(
        f"{key} is encrypted for the dev stack in {shown} and was not copied; "
        f"set it with `pulumi config set --secret {key} --stack {name}`"
        for key in dev.secret_keys
    )
    if dev.imports_environments:
        warnings += (
            f"{shown} imports Pulumi ESC environments; add them with `pulumi config env add <env> --stack {name}`",
        )
    return PersonalStackPlan(
        name=name,
        owner=owner,
        slug=slug,
        models=checked_models,
        requested_at=now,
        expires_at=expires_at,
        config={**dev.config, PERSONAL_CONFIG_KEY: personal},
        warnings=warnings,
    )


@dataclass(frozen=True)
class CreateResult:
    """What `create` did.

    Attributes:
        name: The stack.
        status: `created` for a new stack, `exists` when an existing one was updated and renewed.
        owner: Who it belongs to.
        models: Catalog models in it.
        expires_at: When the reaper may destroy it (UTC).
        resource_changes: `pulumi up`'s resource changes, or None when `up` was skipped.
        warnings: Settings that need the owner's attention.
    """

    name: str
    status: Literal["created", "exists"]
    owner: str
    models: tuple[str, ...]
    expires_at: datetime
    resource_changes: Mapping[str, int] | None
    warnings: tuple[str, ...]


def create_personal_stack(
    backend: StackBackend,
    plan: PersonalStackPlan,
    *,
    run_up: bool = True,
    on_output: OutputSink | None = None,
) -> CreateResult:
    """Create (or update and renew) the planned stack, tag it, and optionally run `pulumi up`.

    Raises:
        DevStackError: a stack of that name exists but is not this owner's personal stack.
        BackendError: Pulumi failed; after a failed `up` the stack exists, tagged, and the
            message says how to retry or clean up.
    """
    try:
        existing: Mapping[str, str] | None = backend.get_tags(plan.name)
    except StackNotFoundError:
        existing = None
    if existing is not None:
        _require_personal(plan.name, existing)
        if existing.get(TAG_OWNER) != plan.owner:
            raise DevStackError(
                f"{plan.name} belongs to {existing.get(TAG_OWNER)!r}, not {plan.owner!r}: choose another --slug"
            )
    kept_created_at = parse_timestamp((existing or {}).get(TAG_CREATED_AT))
    tags = {
        TAG_KIND: KIND_PERSONAL,
        TAG_OWNER: plan.owner,
        TAG_CREATED_AT: format_timestamp(kept_created_at or plan.requested_at),
        TAG_EXPIRES_AT: format_timestamp(plan.expires_at),
    }
    created = backend.create_or_select(plan.name, plan.config, tags)
    changes: Mapping[str, int] | None = None
    if run_up:
        try:
            changes = backend.up(plan.name, on_output)
        except BackendError as error:
            raise BackendError(
                f"{error} -- {plan.name} exists and expires {format_timestamp(plan.expires_at)}; "
                f"fix the cause and re-run the same `mlops dev create`, or `mlops dev destroy {plan.name}`"
            ) from error
    return CreateResult(
        name=plan.name,
        status="created" if created else "exists",
        owner=plan.owner,
        models=plan.models,
        expires_at=plan.expires_at,
        resource_changes=changes,
        warnings=plan.warnings,
    )


def _is_personal(name: str, tags: Mapping[str, str]) -> bool:
    return name not in SHARED_STACKS and _is_personal_name(name) and tags.get(TAG_KIND) == KIND_PERSONAL


def _require_personal(name: str, tags: Mapping[str, str]) -> None:
    if not _is_personal(name, tags):
        raise DevStackError(
            f"{name} exists but is not a personal dev stack (no {TAG_KIND}={KIND_PERSONAL} tag): "
            "refusing to change it; pick another --slug"
        )


# --- list -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonalStack:
    """A personal stack as `list` and `reap` see it.

    Attributes:
        name: The stack.
        owner: From the `mlops:owner` tag.
        created_at: From `mlops:created-at`, or None if missing or unreadable.
        expires_at: From `mlops:expires-at`, or None if missing or unreadable.
        expired: Whether `expires_at` has passed (False when unknown).
        age: Time since `created_at`, or None.
        resource_count: Resources in the stack's state, if the backend says.
        last_update: When the stack was last updated (UTC), if ever.
    """

    name: str
    owner: str
    created_at: datetime | None
    expires_at: datetime | None
    expired: bool
    age: timedelta | None
    resource_count: int | None
    last_update: datetime | None


def list_personal_stacks(backend: StackBackend, now: datetime) -> list[PersonalStack]:
    """Every personal stack in the backend, by name, with its expiry judged at `now`."""
    stacks = []
    for summary in backend.list_stacks():
        if not _is_personal(summary.name, summary.tags):
            continue
        created_at = parse_timestamp(summary.tags.get(TAG_CREATED_AT))
        expires_at = parse_timestamp(summary.tags.get(TAG_EXPIRES_AT))
        stacks.append(
            PersonalStack(
                name=summary.name,
                owner=summary.tags.get(TAG_OWNER, ""),
                created_at=created_at,
                expires_at=expires_at,
                expired=expires_at is not None and expires_at <= now,
                age=now - created_at if created_at else None,
                resource_count=summary.resource_count,
                last_update=summary.last_update,
            )
        )
    return sorted(stacks, key=lambda stack: stack.name)


# --- destroy --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DestroyResult:
    """What `destroy` did: the stack, its owner and the resources deleted."""

    name: str
    owner: str
    resource_changes: Mapping[str, int]


def personal_stack_tags(backend: StackBackend, name: str) -> Mapping[str, str]:
    """The tags of an existing personal stack, after checking that it is one.

    Raises:
        DevStackError: `name` is a shared stack, not a personal stack name, does not exist,
            or lacks the personal-dev tag.
        BackendError: Pulumi failed.
    """
    check_personal_stack_name(name)
    try:
        tags = backend.get_tags(name)
    except StackNotFoundError as error:
        raise DevStackError(f"{error}; see `mlops dev list`") from None
    _require_personal(name, tags)
    return tags


def destroy_personal_stack(
    backend: StackBackend, name: str, *, on_output: OutputSink | None = None
) -> DestroyResult:
    """Destroy a personal stack's resources and remove the stack.

    Raises:
        DevStackError: as for `personal_stack_tags`; nothing is destroyed.
        BackendError: Pulumi failed.
    """
    tags = personal_stack_tags(backend, name)
    changes = backend.destroy(name, remove=True, on_output=on_output)
    return DestroyResult(name=name, owner=tags.get(TAG_OWNER, ""), resource_changes=changes)


# --- reap -----------------------------------------------------------------------------------

ReapAction = Literal["destroyed", "would-destroy", "failed", "kept", "skipped"]


@dataclass(frozen=True)
class ReapOutcome:
    """What the reaper did with one personal stack, and why."""

    name: str
    owner: str
    expires_at: datetime | None
    action: ReapAction
    detail: str = ""


@dataclass(frozen=True)
class ReapReport:
    """Every personal stack the reaper looked at, judged at `now`."""

    now: datetime
    dry_run: bool
    outcomes: tuple[ReapOutcome, ...]

    @property
    def failures(self) -> tuple[ReapOutcome, ...]:
        """The expired stacks that could not be destroyed."""
        return tuple(outcome for outcome in self.outcomes if outcome.action == "failed")


def reap_expired_stacks(
    backend: StackBackend,
    now: datetime,
    *,
    dry_run: bool = False,
    on_output: OutputSink | None = None,
) -> ReapReport:
    """Destroy every expired personal stack, carrying on past failures.

    Stacks with an unreadable expiry tag are skipped, never guessed at. Shared stacks and
    untagged stacks are never considered.

    Raises:
        BackendError: the stacks could not be listed at all.
    """
    outcomes = []
    for stack in list_personal_stacks(backend, now):
        if stack.expires_at is None:
            outcome = ReapOutcome(
                stack.name, stack.owner, None, "skipped",
                f"no readable {TAG_EXPIRES_AT} tag; fix the tag or destroy the stack by hand",
            )
        elif not stack.expired:
            outcome = ReapOutcome(stack.name, stack.owner, stack.expires_at, "kept")
        elif dry_run:
            outcome = ReapOutcome(stack.name, stack.owner, stack.expires_at, "would-destroy")
        else:
            if on_output:
                on_output(f"reaping {stack.name} (owner {stack.owner}, expired {format_timestamp(stack.expires_at)})")
            try:
                backend.destroy(stack.name, remove=True, on_output=on_output)
                outcome = ReapOutcome(stack.name, stack.owner, stack.expires_at, "destroyed")
            except BackendError as error:
                outcome = ReapOutcome(stack.name, stack.owner, stack.expires_at, "failed", str(error))
        outcomes.append(outcome)
    return ReapReport(now=now, dry_run=dry_run, outcomes=tuple(outcomes))
