"""Who may assume each persona role (``mlops:personas`` in ``stacks/Pulumi.<stack>.yaml``).

A persona role trusts named principals only: IAM role or user ARNs, matched with
``aws:PrincipalArn``. Identity Center permission-set roles carry a random suffix, so their ARNs
may end in ``*`` (``.../AWSReservedSSO_MlopsDataScientist_*``); a whole account (``:root``) or a
bare ``*`` is never accepted.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from infra.config.validation import ConfigModel, KeyedError

#: An IAM role or user ARN, optionally with wildcards in its name (matched with ArnLike).
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
PRINCIPAL_ARN = r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[A-Za-z0-9+=,.@_/*-]*[A-Za-z0-9+=,.@_-][A-Za-z0-9+=,.@_/*-]*$"

#: Identity Center permission sets the platform expects when a stack names no principals.
DEFAULT_PERMISSION_SETS = {
    "platform-admin": "MlopsPlatformAdmin",
    "data-scientist": "MlopsDataScientist",
    "model-approver": "MlopsModelApprover",
}


def permission_set_role_pattern(account_id: str, permission_set: str) -> str:
    """The ARN pattern of the role Identity Center creates for ``permission_set`` in ``account_id``.

    https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html
    """
    return f"arn:aws:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_{permission_set}_*"


class Personas(ConfigModel):
    """Principal ARNs allowed to assume each persona role; unset lists mean the Identity Center
    permission-set roles ``AWSReservedSSO_Mlops<Persona>_*`` of the stack's account."""

    platform_admin: list[str] | None = Field(None, description="IAM role/user ARNs (may end in *), e.g. an SSO permission-set role")
    data_scientist: list[str] | None = Field(None, description="IAM role/user ARNs (may end in *), e.g. an SSO permission-set role")
    model_approver: list[str] | None = Field(None, description="IAM role/user ARNs (may end in *), e.g. an SSO permission-set role")

    @field_validator("platform_admin", "data_scientist", "model_approver")
    @classmethod
    def _arns(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("name at least one principal, or leave the key out for the Identity Center default")
        for arn in value:
            if not re.fullmatch(PRINCIPAL_ARN, arn):
                raise ValueError(f"{arn!r} is not an IAM role or user ARN (a whole account or * is not a named principal)")
        if len(set(value)) != len(value):
            raise ValueError("lists a principal twice")
        return sorted(value)

    @model_validator(mode="after")
    def _separation_of_duties(self) -> "Personas":
        # Whoever builds models must not be able to approve them.
        shared = sorted(set(self.data_scientist or ()) & set(self.model_approver or ()))
        if shared:
            raise KeyedError("modelApprover", f"also trusted as data-scientist: {', '.join(shared)}", "principals distinct from dataScientist")
        return self

    def principals(self, persona: str, account_id: str) -> list[str]:
        """The principals of ``persona`` (``platform-admin``, ``data-scientist``, ``model-approver``)."""
        configured = getattr(self, persona.replace("-", "_"))
        if configured is not None:
            return configured
        return [permission_set_role_pattern(account_id, DEFAULT_PERMISSION_SETS[persona])]
