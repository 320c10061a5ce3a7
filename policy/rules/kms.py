"""KMS rules: the platform key encrypts every artifact, capture object and endpoint volume.

Losing the key loses the models, so deletion safeguards are as important as access control.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.framework import (
    EVERYWHERE,
    NOWHERE,
    PROD_ONLY,
    Context,
    Resource,
    is_true,
    resource_rule,
    show,
)
from policy.rules.policy_documents import Statement, findings
from policy.rules.protection import protected_in_prod_rule

KEY = "aws:kms/key:Key"

ROTATION_PERIOD_DAYS = (90, 2560)
DELETION_WINDOW_DAYS = (7, 30)
PROD_DELETION_WINDOW_DAYS = 30


def _symmetric(key: Resource) -> bool:
    spec = key.inputs.get("customerMasterKeySpec") or key.inputs.get("keySpec") or "SYMMETRIC_DEFAULT"
    return spec == "SYMMETRIC_DEFAULT"


@resource_rule(
    id="kms-key-rotation-enabled",
    title="Symmetric customer managed keys rotate automatically",
    severity="high",
    anchors=("AwsSolutions-KMS5", "NIST.800.53.R5-KMSBackingKeyRotationEnabled", "CKV_AWS_7",
             "SecurityHub KMS.4", "cmk-backing-key-rotation-enabled", "aws-kms-key-enable-key-rotation"),
    mandatory_in=EVERYWHERE,
    types=(KEY,),
)
def rotation_enabled(resource: Resource, context: Context) -> Iterator[str]:
    if not _symmetric(resource):
        return
    if not is_true(resource.inputs.get("enableKeyRotation")):
        yield "set enableKeyRotation true"
    period = resource.inputs.get("rotationPeriodInDays")
    low, high = ROTATION_PERIOD_DAYS
    if period is not None and not low <= period <= high:
        yield f"rotationPeriodInDays is {show(period)}; it must be between {low} and {high}"


@resource_rule(
    id="kms-key-deletion-window",
    title="Key deletion windows are 7-30 days, and 30 days in prod",
    severity="high",
    anchors=("SecurityHub KMS.3",),
    mandatory_in=EVERYWHERE,
    types=(KEY,),
)
def deletion_window(resource: Resource, context: Context) -> Iterator[str]:
    # Unset means the AWS default of 30 days.
    window = resource.inputs.get("deletionWindowInDays", PROD_DELETION_WINDOW_DAYS)
    low, high = DELETION_WINDOW_DAYS
    if not low <= window <= high:
        yield f"deletionWindowInDays is {show(window)}; it must be between {low} and {high}"
    elif context.environment == "prod" and window != PROD_DELETION_WINDOW_DAYS:
        yield (f"deletionWindowInDays is {show(window)}; use {PROD_DELETION_WINDOW_DAYS} in prod so a scheduled "
               "deletion can still be cancelled")


@resource_rule(
    id="kms-key-no-lockout-bypass",
    title="Keys do not bypass the policy lockout safety check",
    severity="critical",
    anchors=("aws-kms-key-disallow-bypass-policy-lockout-safety-check",),
    mandatory_in=EVERYWHERE,
    types=(KEY,),
)
def no_lockout_bypass(resource: Resource, context: Context) -> Iterator[str]:
    if is_true(resource.inputs.get("bypassPolicyLockoutSafetyCheck")):
        yield "bypassPolicyLockoutSafetyCheck is true; a bad key policy could lock everyone out of the key"


@resource_rule(
    id="kms-key-policy-no-public-principal",
    title='Key policies grant nothing to Principal "*" without a condition',
    severity="critical",
    anchors=("CKV_AWS_33", "SecurityHub KMS.5"),
    mandatory_in=EVERYWHERE,
    types=(KEY,),
)
def policy_no_public_principal(resource: Resource, context: Context) -> list[str]:
    def public_grant(statement: Statement) -> str | None:
        if statement.allows and statement.public and not statement.condition:
            return (f'{statement.label} allows {", ".join(statement.actions) or "actions"} to Principal "*"; '
                    "name the roles that use the key or add a kms:CallerAccount/aws:PrincipalOrgID condition")
        return None

    return findings(resource.inputs.get("policy"), public_grant)


@resource_rule(
    id="kms-key-policy-defined",
    title="Keys have an explicit key policy",
    severity="low",
    anchors=("CKV2_AWS_64",),
    mandatory_in=PROD_ONLY,
    types=(KEY,),
)
def policy_defined(resource: Resource, context: Context) -> Iterator[str]:
    if not resource.inputs.get("policy"):
        yield ("no key policy; define one that grants the SageMaker execution roles and the publishing services "
               "(CloudWatch, EventBridge) exactly what they need")


@resource_rule(
    id="kms-key-description",
    title="Keys carry a description",
    severity="low",
    anchors=("aws-kms-key-missing-description",),
    mandatory_in=NOWHERE,
    types=(KEY,),
)
def description(resource: Resource, context: Context) -> Iterator[str]:
    if not str(resource.inputs.get("description") or "").strip():
        yield "add a description saying what the key encrypts"


protected_in_prod = protected_in_prod_rule(id="kms-key-protected-in-prod", what="KMS keys", types=(KEY,),
                                           severity="critical", anchors=("SecurityHub KMS.3",))

RULES = (
    rotation_enabled,
    deletion_window,
    no_lockout_bypass,
    policy_no_public_principal,
    policy_defined,
    description,
    protected_in_prod,
)
