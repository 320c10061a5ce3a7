"""Model registry rules: model package groups and their cross-account resource policies.

Consumer accounts may discover, read and deploy approved versions (reference section 4.2); they
may never register, approve or delete them.
"""

from __future__ import annotations

from policy.framework import EVERYWHERE, Context, Resource, resource_rule
from policy.rules.policy_documents import Statement, findings
from policy.rules.protection import protected_in_prod_rule

MODEL_PACKAGE_GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
MODEL_PACKAGE_GROUP_POLICY = "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy"

READ_ONLY_PREFIXES = ("sagemaker:describe", "sagemaker:list", "sagemaker:get", "sagemaker:batchdescribe",
                      "sagemaker:search")
DEPLOY_ACTIONS = ("sagemaker:createmodel",)


def _read_only_or_deploy(action: str) -> bool:
    action = action.lower()
    return action in DEPLOY_ACTIONS or (action.startswith(READ_ONLY_PREFIXES) and action != "sagemaker:*")


@resource_rule(
    id="sagemaker-registry-policy-no-public-principal",
    title='Model package group policies never grant to Principal "*"',
    severity="critical",
    anchors=("MLSEC-12", "MLSEC06-BP01", "CKV_AWS_70"),
    mandatory_in=EVERYWHERE,
    types=(MODEL_PACKAGE_GROUP_POLICY,),
)
def policy_no_public_principal(resource: Resource, context: Context) -> list[str]:
    def public_grant(statement: Statement) -> str | None:
        if statement.allows and statement.public:
            return f'{statement.label} grants to Principal "*"; name the consumer accounts or their deploy roles'
        return None

    return findings(resource.inputs.get("resourcePolicy"), public_grant)


@resource_rule(
    id="sagemaker-registry-policy-read-only",
    title="Model package group policies grant only read actions and sagemaker:CreateModel",
    severity="high",
    anchors=("MLSEC-12", "MLSEC06-BP01", "MLSEC-03"),
    mandatory_in=EVERYWHERE,
    types=(MODEL_PACKAGE_GROUP_POLICY,),
)
def policy_read_only(resource: Resource, context: Context) -> list[str]:
    def write_grant(statement: Statement) -> str | None:
        writes = [action for action in statement.actions if not _read_only_or_deploy(action)]
        if statement.allows and writes:
            return (f"{statement.label} grants {', '.join(writes)}; other accounts may only Describe/List/Get "
                    "model packages and CreateModel from them")
        return None

    return findings(resource.inputs.get("resourcePolicy"), write_grant)


protected_in_prod = protected_in_prod_rule(id="sagemaker-model-package-group-protected-in-prod",
                                           what="model package groups", types=(MODEL_PACKAGE_GROUP,))

RULES = (policy_no_public_principal, policy_read_only, protected_in_prod)
