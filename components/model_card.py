"""A model card per model and environment: owner, intended use, risk and approval history."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

#: Card status by the model's standing in the environment.
STATUS = {"draft": "Draft", "review": "PendingReview", "approved": "Approved"}


@dataclass(frozen=True)
class ModelCardArgs:
    """Inputs of a ``GovernanceCard``.

    Attributes:
        card_name: Model card name.
        description: What the model does.
        owner: Owning team.
        problem: Problem type.
        algorithm: Algorithm.
        intended_use: What the model is for, and not for.
        risk_rating: low, medium or high.
        status: draft, review or approved.
        history: Recorded promotions and rollbacks (environment, version, action, by, reason, at).
        pinned_version: The version serving in this environment, if any.
        kms_key_arn: CMK encrypting the card.
    """

    card_name: str
    description: str
    owner: str
    problem: str
    algorithm: str
    intended_use: str
    risk_rating: str
    status: str
    history: Sequence[Mapping[str, str]]
    pinned_version: str | None
    kms_key_arn: pulumi.Input[str]


class GovernanceCard(pulumi.ComponentResource):
    """SageMaker model card with the catalog's governance data."""

    def __init__(self, name: str, args: ModelCardArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:governance:GovernanceCard", name, None, opts)
        details = {f"approval_{i + 1}": f"{h['at']} {h['action']} {h['environment']} {h['version'].rsplit('/', 1)[-1]} by {h['by']}: {h['reason']}" for i, h in enumerate(args.history)}
        if args.pinned_version:
            details["pinned_version"] = args.pinned_version
        content = {
            "model_overview": {
                "model_description": args.description,
                "model_owner": args.owner,
                "problem_type": args.problem,
                "algorithm_type": args.algorithm,
            },
            "intended_uses": {"intended_uses": args.intended_use, "risk_rating": args.risk_rating.capitalize()},
            "additional_information": {"custom_details": details},
        }
        aws.sagemaker.ModelCard(
            f"{name}-card",
            model_card_name=args.card_name,
            model_card_status=STATUS[args.status],
            content=json.dumps(content, sort_keys=True),
            security_config={"kms_key_id": args.kms_key_arn},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
