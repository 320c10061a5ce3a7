"""CostBudget: a monthly limit on the environment's tagged costs, warned before and at the limit."""

from __future__ import annotations

import pytest
from rendering import TOPIC_ARN

from components.budget import CostBudget, CostBudgetArgs


def budget() -> CostBudget:
    return CostBudget(
        "mlops-prod-budget",
        CostBudgetArgs(budget_name="mlops-prod", monthly_limit_usd=1500, environment="prod", topic_arn=TOPIC_ARN, email="finops@example.com"),
    )


@pytest.fixture(scope="module")
def monthly(render):
    return render(budget)


def test_monthly_cost_limit_in_dollars(monthly):
    inputs = monthly.one("aws:budgets/budget:Budget").inputs
    assert (inputs["budgetType"], inputs["timeUnit"], inputs["limitUnit"], inputs["limitAmount"]) == ("COST", "MONTHLY", "USD", "1500.00")


def test_only_the_environments_tagged_costs_count(monthly):
    filters = monthly.one("aws:budgets/budget:Budget").inputs["costFilters"]
    assert filters == [{"name": "TagKeyValue", "values": ["user:environment$prod"]}]


def test_alerts_at_80_percent_forecast_and_100_percent_actual_to_topic_and_email(monthly):
    notifications = monthly.one("aws:budgets/budget:Budget").inputs["notifications"]
    assert sorted((n["threshold"], n["notificationType"]) for n in notifications) == [(80, "FORECASTED"), (100, "ACTUAL")]
    for n in notifications:
        assert n["subscriberSnsTopicArns"] == [TOPIC_ARN] and n["subscriberEmailAddresses"] == ["finops@example.com"]
        assert n["thresholdType"] == "PERCENTAGE" and n["comparisonOperator"] == "GREATER_THAN"
