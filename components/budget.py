"""A monthly cost budget for one environment, alerting before and at the limit."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class CostBudgetArgs:
    """Inputs of a ``CostBudget``.

    Attributes:
        budget_name: Budget name.
        monthly_limit_usd: The monthly limit.
        environment: Costs are filtered on the ``environment`` cost-allocation tag.
        topic_arn: Alert topic notified at 80% forecast and 100% actual.
        email: Address notified directly as well (budgets mail even if SNS is misconfigured).
    """

    budget_name: str
    monthly_limit_usd: float
    environment: str
    topic_arn: pulumi.Input[str]
    email: str


class CostBudget(pulumi.ComponentResource):
    """AWS Budget with forecast and actual alerts."""

    def __init__(self, name: str, args: CostBudgetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:observability:CostBudget", name, None, opts)
        notifications = [
            {
                "comparison_operator": "GREATER_THAN",
                "threshold": threshold,
                "threshold_type": "PERCENTAGE",
                "notification_type": kind,
                "subscriber_email_addresses": [args.email],
                "subscriber_sns_topic_arns": [args.topic_arn],
            }
            for threshold, kind in ((80, "FORECASTED"), (100, "ACTUAL"))
        ]
        aws.budgets.Budget(
            f"{name}-budget",
            name=args.budget_name,
            budget_type="COST",
            limit_amount=f"{args.monthly_limit_usd:.2f}",
            limit_unit="USD",
            time_unit="MONTHLY",
            cost_filters=[{"name": "TagKeyValue", "values": [f"user:environment${args.environment}"]}],
            notifications=notifications,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
