"""The staged migration: the plan file (``stacks/migration.yaml``: waves, audiences, the pilot
sign-off) and ``MigrationPlan``, which decides for each model and environment what exists and who has
access. Broken gates are configuration errors (exit 2) naming the model file and the rule.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from pydantic import Field, model_validator

from infra.config.catalog import PHASES, ModelSpec
from infra.config.errors import ConfigError
from infra.config.layout import MIGRATION_FILE, model_file
from infra.config.rules import USER_NAME
from infra.config.validation import ConfigModel, KeyedError


class SignOff(ConfigModel):
    """Who signed the pilot off, and when; empty until signed."""

    by: str | None = Field(None, min_length=1, description="the approver's name")
    date: datetime.date | None = Field(None, description="an ISO date, e.g. 2026-12-01")

    @model_validator(mode="after")
    def _both(self) -> "SignOff":
        if (self.by is None) != (self.date is None):
            raise KeyedError("by" if self.by is None else "date", "a sign-off needs both by and date", "both set, or {}")
        return self

    @property
    def signed(self) -> bool:
        """Whether the pilot has been signed off."""
        return self.by is not None


class MigrationSettings(ConfigModel):
    """Pilot size and audiences of the staged migration."""

    pilot_limit: int = Field(2, ge=1, le=5, description="1-5 models in the pilot wave")
    pilot_users: list[str] = Field(description="lowercase user names (Studio profile names)")
    all_users: list[str] = Field(description="lowercase user names: everyone once scale-out opens")
    sign_off: SignOff = Field(SignOff(), description="by, date (empty until the pilot is signed off)")

    @model_validator(mode="after")
    def _audiences(self) -> "MigrationSettings":
        for key, users in (("pilotUsers", self.pilot_users), ("allUsers", self.all_users)):
            for i, user in enumerate(users):
                if not re.fullmatch(USER_NAME, user):
                    raise KeyedError(f"{key}[{i}]", f"{user!r} is not a valid user name", "lowercase letters, digits, hyphens; 2-32 characters")
            if len(set(users)) != len(users):
                raise KeyedError(key, "lists a user twice", "each user once")
        if not self.pilot_users:
            raise KeyedError("pilotUsers", "the pilot needs at least one user", "one or more user names")
        missing = sorted(set(self.pilot_users) - set(self.all_users))
        if missing:
            raise KeyedError("allUsers", f"misses pilot users {', '.join(missing)}", "every pilot user is also in allUsers")
        return self


#: Environments a model reaches in each phase (the design's phase matrix).
PHASE_ENVIRONMENTS = {
    "development": ("dev",),
    "test-release": ("dev", "test"),
    "activation": ("dev", "test", "prod"),
}


@dataclass(frozen=True)
class Gate:
    """One migration gate and whether it is open."""

    name: str
    open: bool
    detail: str


class MigrationPlan:
    """Decides, for each model and environment, what exists and who may use it."""

    def __init__(self, models: tuple[ModelSpec, ...], settings: MigrationSettings):
        self.models = tuple(sorted(models, key=lambda m: m.name))
        self.settings = settings
        self.pilot = tuple(m for m in self.models if m.wave == "pilot")
        self.scale_out = tuple(m for m in self.models if m.wave == "scale-out")

    @staticmethod
    def _file(model: ModelSpec) -> str:
        return model_file(model.name)

    def pilot_pending(self) -> list[str]:
        """Pilot models not yet in activation."""
        return [m.name for m in self.pilot if m.phase != "activation"]

    @property
    def scale_out_open(self) -> bool:
        """Whether the scale-out wave may move past development and all users get access."""
        return bool(self.pilot) and not self.pilot_pending() and self.settings.sign_off.signed

    def gates(self) -> list[Gate]:
        """Every gate with its state and what blocks it."""
        limit = self.settings.pilot_limit
        pending = self.pilot_pending()
        signed = self.settings.sign_off
        return [
            Gate("pilot size", len(self.pilot) <= limit, f"{len(self.pilot)} of at most {limit} pilot models"),
            Gate(
                "pilot activated",
                bool(self.pilot) and not pending,
                "every pilot model is live in prod" if self.pilot and not pending
                else ("no pilot models" if not self.pilot else "waiting for " + ", ".join(f"{n} → activation" for n in pending)),
            ),
            Gate(
                "pilot signed off",
                signed.signed,
                f"signed by {signed.by} on {signed.date}" if signed.signed else f"sign-off missing in {MIGRATION_FILE}",
            ),
            Gate("scale-out open", self.scale_out_open, "all users and every model" if self.scale_out_open else "pilot users and pilot models only"),
        ]

    def blockers(self) -> str:
        """What keeps scale-out closed, e.g. ``waiting for fraud → activation, pilot sign-off``."""
        waiting = [f"{n} → activation" for n in self.pilot_pending()]
        if not self.settings.sign_off.signed:
            waiting.append("pilot sign-off")
        return f"waiting for {', '.join(waiting) or 'pilot models'}"

    def progress(self) -> str:
        """One line on where the migration stands."""
        active = len(self.pilot) - len(self.pilot_pending())
        line = f"pilot {active}/{len(self.pilot)} activated"
        if self.scale_out_open:
            live = sum(1 for m in self.scale_out if m.phase == "activation")
            return f"{line}; scale-out open: {live}/{len(self.scale_out)} activated"
        return f"{line}; scale-out closed: {self.blockers()}"

    def validate(self) -> None:
        """Raise a ``ConfigError`` for the first broken gate (models in name order)."""
        limit = self.settings.pilot_limit
        if len(self.pilot) > limit:
            extra = self.pilot[limit]
            raise ConfigError(
                self._file(extra), "wave",
                f"the pilot wave is full: {len(self.pilot)} pilot models ({', '.join(m.name for m in self.pilot)}), "
                f"limit {limit} in {MIGRATION_FILE}",
                "scale-out for all but the pilot models, or raise pilotLimit",
            )
        for model in self.models:
            self._validate_model(model)

    def _validate_model(self, model: ModelSpec) -> None:
        file = self._file(model)
        if model.wave == "scale-out" and model.phase != "development" and not self.scale_out_open:
            raise ConfigError(
                file, "phase",
                f"scale-out models stay in development until the pilot is complete (scale-out closed: {self.blockers()})",
                "development",
            )
        reached = PHASES.index(model.phase)
        if reached >= 1 and not model.versions.test:
            raise ConfigError(file, "versions.test", f"phase {model.phase} needs a version pinned for test", "promote a version to test first (mlops promote)")
        if reached >= 2:
            if not model.versions.prod:
                raise ConfigError(file, "versions.prod", "phase activation needs a version pinned for prod", "promote an approved version to prod (mlops promote)")
            # Rollbacks only return to versions promoted earlier: a promotion is the approval.
            approved = any(
                h.environment == "prod" and h.action == "promote" and h.version == model.versions.prod
                for h in model.governance.history
            )
            if not approved:
                raise ConfigError(
                    file, "versions.prod",
                    "the prod version has no recorded approval in governance.history",
                    "a version promoted to prod with mlops promote",
                )
        for env in ("test", "prod"):
            if model.versions.pinned(env) and env not in PHASE_ENVIRONMENTS[model.phase]:
                raise ConfigError(file, "phase", f"a version is pinned for {env} but phase {model.phase} does not reach {env}", ", ".join(p for p in PHASES if env in PHASE_ENVIRONMENTS[p]))

    def in_environment(self, environment: str) -> tuple[ModelSpec, ...]:
        """Models that have resources in ``environment``."""
        return tuple(m for m in self.models if environment in PHASE_ENVIRONMENTS[m.phase])

    def audience(self) -> tuple[str, ...]:
        """Users with access now: the pilot users until scale-out opens, then all users."""
        users = self.settings.all_users if self.scale_out_open else self.settings.pilot_users
        return tuple(sorted(users))
