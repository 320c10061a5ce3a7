"""The migration plan file (``stacks/migration.yaml``): waves, audiences and the pilot sign-off."""

from __future__ import annotations

import datetime

from pydantic import Field, model_validator

from infra.config.stack import USER_NAME
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
        import re

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
