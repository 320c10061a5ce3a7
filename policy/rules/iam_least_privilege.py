"""IAM least-privilege rules that need more than the statement's text: session tagging in trust
policies, network-interface actions outside the platform VPC, and actions scoped to resources
they do not accept (judged with the IAM action database in ``policy.iam_actions``)."""

from __future__ import annotations

from policy import iam_actions
from policy.framework import EVERYWHERE, Context, Resource, resource_rule
from policy.rules.iam import IDENTITY_POLICY_TYPES, ROLE, identity_findings
from policy.rules.policy_documents import Statement, findings

#: Actions that create or delete network interfaces (or their permissions) in a VPC.
ENI_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
               "ec2:DeleteNetworkInterfacePermission")
#: Condition keys that tie an ENI action to a VPC or its subnets.
#: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-policy-keys
_NETWORK_KEYS = ("ec2:vpc", "ec2:subnet")


@resource_rule(
    id="iam-trust-policy-no-session-tags",
    title="Trust policies do not let AWS principals tag their sessions (sts:TagSession)",
    severity="high",
    anchors=("CKV_AWS_61", "MLSEC-03"),
    mandatory_in=EVERYWHERE,
    types=(ROLE,),
)
def no_session_tags(resource: Resource, context: Context) -> list[str]:
    # A caller that may pass session tags can set the very principal tags a trust condition checks.
    # Federated (SAML/OIDC) identity providers pass tags on purpose and are left alone.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
    def tags_sessions(statement: Statement) -> str | None:
        if statement.allows and statement.principals.get("AWS") and statement.grants("sts:TagSession"):
            return f"{statement.label} allows sts:TagSession to {', '.join(statement.principals['AWS'])}; drop it"
        return None

    return findings(resource.inputs.get("assumeRolePolicy"), tags_sessions)


@resource_rule(
    id="iam-policy-eni-actions-in-vpc",
    title="Network-interface actions are limited to the platform VPC or its subnets",
    severity="medium",
    anchors=("CKV_AWS_289", "CKV_AWS_290", "CKV_AWS_355", "MLSEC-04"),
    mandatory_in=EVERYWHERE,
    types=IDENTITY_POLICY_TYPES,
)
def eni_actions_in_vpc(resource: Resource, context: Context) -> list[str]:
    def anywhere(statement: Statement) -> str | None:
        granted = sorted({pattern for action in ENI_ACTIONS for pattern in statement.grants(action)})
        if not statement.allows or not granted or "*" not in statement.resources:
            return None
        keys = {key.lower() for operator in statement.condition.values() if isinstance(operator, dict) for key in operator}
        if keys & set(_NETWORK_KEYS):
            return None
        return (f'{statement.label} allows {", ".join(granted)} on "*" in any VPC; name network-interface ARNs '
                "or add an ArnEquals ec2:Vpc condition on the platform VPC")

    return identity_findings(resource, anywhere)


@resource_rule(
    id="iam-policy-actions-match-resources",
    title="Every action is scoped to resources of a type it accepts",
    severity="medium",
    anchors=("parliament RESOURCE_MISMATCH", "CKV_AWS_355", "MLSEC-03"),
    mandatory_in=EVERYWHERE,
    types=IDENTITY_POLICY_TYPES,
)
def actions_match_resources(resource: Resource, context: Context) -> list[str]:
    # Such a grant silently allows nothing: the role lacks what it was meant to have, and a wildcard
    # action (sagemaker:Describe*) hides how much more it would allow on "*".
    def mismatched(statement: Statement) -> str | None:
        if not statement.allows or not statement.resources or "*" in statement.resources:
            return None
        problems = []
        for pattern in statement.actions:
            known = iam_actions.expand(pattern)
            if not known:
                continue
            unscoped = sorted(action for action, formats in known.items() if not formats)
            missed = sorted(action for action, formats in known.items()
                            if formats and not any(iam_actions.accepts(f, r) for f in formats for r in statement.resources))
            if pattern.endswith("*") or "?" in pattern:
                if unscoped or missed:
                    bad = [*unscoped, *missed]
                    problems.append(f"{pattern} covers {len(bad)} action(s) that accept none of these resources "
                                    f"(e.g. {', '.join(bad[:3])}); name the actions")
            elif unscoped:
                problems.append(f'{pattern} accepts no resource ARN; grant it on "*"')
            elif missed:
                problems.append(f"{pattern} accepts none of these resources")
        if problems:
            return f"{statement.label}: {'; '.join(problems)}"
        return None

    return identity_findings(resource, mismatched)


RULES = (no_session_tags, eni_actions_in_vpc, actions_match_resources)
