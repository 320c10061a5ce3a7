"""IAM rules: execution, pipeline and deploy roles and their policies (ML Lens MLSEC-03).

Identity policies come from three places: `Role.inlinePolicies`, `RolePolicy` and `Policy`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

from policy.framework import (
    EVERYWHERE,
    PROD_ONLY,
    Context,
    Resource,
    Stack,
    as_list,
    resource_rule,
    stack_rule,
)
from policy.rules.policy_documents import Statement, findings

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IDENTITY_POLICY_TYPES = (ROLE, ROLE_POLICY, POLICY)

_BROAD_AWS_MANAGED = re.compile(
    r"^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?(?:[A-Za-z0-9]*FullAccess|AdministratorAccess)$")


def identity_findings(resource: Resource, finder: Callable[[Statement], str | None]) -> list[str]:
    """Apply `finder` to every identity-policy document `resource` carries."""
    if resource.type != ROLE:
        return findings(resource.inputs.get("policy"), finder)
    messages = []
    for inline in as_list(resource.inputs.get("inlinePolicies")):
        if isinstance(inline, Mapping):
            label = f"inline policy {inline.get('name') or '(unnamed)'}"
            messages += [f"{label}: {message}" for message in findings(inline.get("policy"), finder)]
    return messages


@resource_rule(
    id="iam-no-aws-managed-full-access",
    title="Roles carry no AWS managed *FullAccess or AdministratorAccess policy",
    severity="critical",
    anchors=("AwsSolutions-IAM4", "CKV_AWS_274", "CKV_AWS_275", "CKV2_AWS_56", "MLSEC-03"),
    mandatory_in=EVERYWHERE,
    types=(ROLE, ROLE_POLICY_ATTACHMENT),
)
def no_aws_managed_full_access(resource: Resource, context: Context) -> Iterator[str]:
    arns = (as_list(resource.inputs.get("managedPolicyArns")) if resource.type == ROLE
            else as_list(resource.inputs.get("policyArn")))
    for arn in arns:
        if isinstance(arn, str) and _BROAD_AWS_MANAGED.match(arn):
            yield f"{arn} is attached; replace it with a customer managed policy scoped to the platform resources"


@resource_rule(
    id="iam-policy-no-wildcard-action",
    title='Identity policies allow no "*" or "service:*" actions',
    severity="critical",
    anchors=("AwsSolutions-IAM5", "CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_1", "CKV_AWS_49",
             "NIST.800.53.R5-IAMPolicyNoStatementsWithAdminAccess", "SecurityHub IAM.1", "SecurityHub IAM.21"),
    mandatory_in=EVERYWHERE,
    types=IDENTITY_POLICY_TYPES,
)
def no_wildcard_action(resource: Resource, context: Context) -> list[str]:
    def wildcard(statement: Statement) -> str | None:
        broad = [action for action in statement.actions if action == "*" or action.endswith(":*")]
        if statement.allows and broad:
            return f"{statement.label} allows {', '.join(broad)}; list the actions the role needs"
        return None

    return identity_findings(resource, wildcard)


@resource_rule(
    id="iam-passrole-scoped",
    title='iam:PassRole is never allowed on Resource "*"',
    severity="high",
    anchors=("CKV_AWS_286", "CKV_AWS_110", "MLSEC-03"),
    mandatory_in=EVERYWHERE,
    types=IDENTITY_POLICY_TYPES,
)
def passrole_scoped(resource: Resource, context: Context) -> list[str]:
    def unscoped_passrole(statement: Statement) -> str | None:
        if statement.allows and statement.grants("iam:PassRole") and "*" in statement.resources:
            return (f'{statement.label} allows iam:PassRole on "*"; name the SageMaker execution role ARNs and '
                    "condition on iam:PassedToService = sagemaker.amazonaws.com")
        return None

    return identity_findings(resource, unscoped_passrole)


@resource_rule(
    id="iam-policy-no-kms-decrypt-on-all-keys",
    title='Identity policies do not allow kms:Decrypt or kms:ReEncryptFrom on Resource "*"',
    severity="medium",
    anchors=("SecurityHub KMS.1", "SecurityHub KMS.2", "CKV_AWS_355", "CKV_AWS_356"),
    mandatory_in=PROD_ONLY,
    types=IDENTITY_POLICY_TYPES,
)
def no_kms_decrypt_on_all_keys(resource: Resource, context: Context) -> list[str]:
    def decrypt_everything(statement: Statement) -> str | None:
        granted = statement.grants("kms:Decrypt") + statement.grants("kms:ReEncryptFrom")
        if statement.allows and granted and "*" in statement.resources:
            return f'{statement.label} allows {", ".join(sorted(set(granted)))} on "*"; name the platform key ARN'
        return None

    return identity_findings(resource, decrypt_everything)


_NAMING_OPERATORS = ("arnequals", "arnlike", "stringequals", "stringlike")
_WHOLE_ACCOUNT = re.compile(r"^(\*|arn:aws[a-z-]*:iam::(\d{12}|\*):(\*|root))$")


def _names_principals(statement: Statement) -> bool:
    """True when an aws:PrincipalArn condition names principals narrower than a whole account."""
    for operator, keys in statement.condition.items():
        if operator.lower() not in _NAMING_OPERATORS or not isinstance(keys, Mapping):
            continue
        for key, values in keys.items():
            arns = [str(value) for value in as_list(values)]
            if key.lower() == "aws:principalarn" and arns and not any(_WHOLE_ACCOUNT.match(arn) for arn in arns):
                return True
    return False


@resource_rule(
    id="iam-trust-policy-restricted",
    title='Trust policies name specific principals, never "*" or a bare account root',
    severity="high",
    anchors=("CKV_AWS_60", "CKV_AWS_61"),
    mandatory_in=EVERYWHERE,
    types=(ROLE,),
)
def trust_policy_restricted(resource: Resource, context: Context) -> list[str]:
    def open_trust(statement: Statement) -> str | None:
        if not statement.allows:
            return None
        if statement.public:
            return f'{statement.label} lets Principal "*" assume the role; name the service or role that needs it'
        # Any other condition (a principal tag, say) can be met by more identities of the account
        # than intended; only aws:PrincipalArn names who may assume the role.
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
        if statement.account_roots and not _names_principals(statement):
            return (f"{statement.label} lets every identity in {', '.join(statement.account_roots)} assume the "
                    "role; name the role ARNs or add an aws:PrincipalArn (ArnLike/ArnEquals) condition")
        return None

    return findings(resource.inputs.get("assumeRolePolicy"), open_trust)


@stack_rule(
    id="iam-role-no-policy-management-conflicts",
    title="Roles that declare inline or managed policies are not also given RolePolicy/RolePolicyAttachment",
    severity="medium",
    anchors=("iam-role-no-policy-management-conflicts",),
    mandatory_in=EVERYWHERE,
)
def no_policy_management_conflicts(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    # Pulumi manages the declared list exclusively and silently removes the side resource's grant.
    conflicts = (("inlinePolicies", ROLE_POLICY), ("managedPolicyArns", ROLE_POLICY_ATTACHMENT))
    for role in stack.of_type(ROLE):
        for key, side_type in conflicts:
            if not as_list(role.inputs.get(key)):
                continue
            for side in stack.referring(role, side_type, "role"):
                yield side, (f"role {role.name} declares {key}, so Pulumi will keep removing this "
                             f"{side_type.rsplit(':', 1)[-1]}; declare it in one place only")


RULES = (
    no_aws_managed_full_access,
    no_wildcard_action,
    passrole_scoped,
    no_kms_decrypt_on_all_keys,
    trust_policy_restricted,
    no_policy_management_conflicts,
)
