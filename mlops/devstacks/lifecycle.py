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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from infra.config.rules import (
    SHARED_STACKS,
)
from mlops.devstacks.automation import (
    BackendError,
    OutputSink,
    StackBackend,
    StackNotFoundError,
)
from mlops.devstacks.names import (
    KIND_PERSONAL,
    PERSONAL_CONFIG_KEY,
    TAG_CREATED_AT,
    TAG_EXPIRES_AT,
    TAG_KIND,
    TAG_OWNER,
    DevStackError,
    check_personal_stack_name,
    expiry,
    format_timestamp,
    is_personal_name,
    parse_timestamp,
    parse_ttl,
    personal_stack_name,
)
from mlops.devstacks.project import (
    ProjectLayout,
    check_models,
    load_dev_settings,
)

T = TypeVar("T")


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
    return name not in SHARED_STACKS and is_personal_name(name) and tags.get(TAG_KIND) == KIND_PERSONAL


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
