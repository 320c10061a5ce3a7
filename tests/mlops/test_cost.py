"""Monthly cost estimates of the example stacks and of the choices a model owner makes."""

from __future__ import annotations

import copy
import json

import pytest

from mlops.cost.estimate import UsageAssumptions, estimate
from mlops.cost.prices import load_prices
from mlops.cost.schedule import runs_per_month
from mlops.plan.diff import diff_plans

ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"


@pytest.mark.parametrize("stack", ["dev", "test", "prod"])
def test_example_stacks_cost_something_and_groups_add_up(plans, stack):
    result = estimate(plans("base", stack))
    assert result.total > 0
    assert sum(result.by_group().values()) == pytest.approx(result.total, abs=0.01 * len(result.by_group()))
    assert result.budget_usd and result.budget_usd > 0
    section = result.to_json()
    assert json.dumps(section, sort_keys=True) == json.dumps(estimate(plans("base", stack)).to_json(), sort_keys=True)
    assert all(round(r["monthlyUsd"], 2) == r["monthlyUsd"] for r in section["resources"])


def test_each_model_reaching_prod_costs_money_there(plans):
    groups = estimate(plans("base", "prod")).by_group()
    assert groups["churn"] > 100  # two real-time instances around the clock


def _endpoint_config(plan, model):
    return next(r for r in plan["resources"] if r["type"] == ENDPOINT_CONFIG and f"-{model}-" in r["name"])


def test_serverless_model_costs_less_than_two_realtime_instances(plans):
    dev = estimate(plans("base", "dev"))
    prod = estimate(plans("base", "prod"))
    serverless = next(l for l in dev.lines if l.type == ENDPOINT_CONFIG and "churn" in l.name)
    realtime = next(l for l in prod.lines if l.type == ENDPOINT_CONFIG and "churn" in l.name)
    assert "serverless" in serverless.basis and "2 x" in realtime.basis
    assert 0 < serverless.monthly_usd < realtime.monthly_usd


def test_usage_assumptions_drive_serverless_cost(plans):
    plan = plans("base", "dev")
    quiet = estimate(plan, UsageAssumptions(requests_per_month=10_000)).by_group()["churn"]
    busy = estimate(plan, UsageAssumptions(requests_per_month=10_000_000)).by_group()["churn"]
    per_model = estimate(plan, per_model={"churn": UsageAssumptions(requests_per_month=10_000_000)}).by_group()["churn"]
    assert quiet < busy == per_model


def test_training_runs_follow_the_schedule(plans):
    dev = estimate(plans("base", "dev"))
    fraud = next(l for l in dev.lines if l.type.endswith("pipeline:Pipeline") and "fraud" in l.name)
    churn = next(l for l in dev.lines if l.type.endswith("pipeline:Pipeline") and "churn" in l.name)
    assert fraud.basis.startswith("30.42 runs/month (rate(1 day))") and churn.basis.startswith("4.33 runs/month")


def test_over_budget_warns(plans):
    plan = copy.deepcopy(plans("base", "prod"))
    budget = next(r for r in plan["resources"] if r["type"] == "aws:budgets/budget:Budget")
    budget["inputs"]["limitAmount"] = "100.00"
    result = estimate(plan)
    assert result.to_json()["overBudget"] is True
    assert result.warnings == (f"estimated {result.total:,.2f} USD a month is over the stack budget of 100.00 USD",)


def test_cost_delta_in_the_diff(plans):
    base, head = plans("base", "prod"), plans("head", "prod")
    base = {**base, "cost": estimate(base).to_json()}
    head = {**head, "cost": estimate(head).to_json()}
    diff = diff_plans(base, head)
    assert diff.cost is not None and diff.cost.delta > 0  # ml.c5.xlarge -> ml.c5.2xlarge
    assert dict((g, h - b) for g, b, h in diff.cost.groups)["churn"] == pytest.approx(diff.cost.delta, abs=0.02)


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("rate(1 day)", 730 / 24),
        ("rate(7 days)", 730 / 24 / 7),
        ("rate(12 hours)", 730 / 12),
        ("cron(0 3 ? * MON *)", 52 / 12),
        ("cron(0 * ? * * *)", 730),
        ("cron(0 12 1 * ? *)", 1),
        ("cron(30 8 ? * MON-FRI *)", 261 / 12),
        ("cron(0 0 L * ? *)", 1),
        ("cron(0 0 ? * 2#1 *)", 1),
        ("cron(0 0/6 * * ? *)", 4 * 365 / 12),
        ("cron(0 6 1 JAN,JUL ? *)", 2 / 12),
    ],
)
def test_runs_per_month(expression, runs):
    assert runs_per_month(expression) == pytest.approx(runs)


def test_price_table_prices_each_type_only_for_uses_sagemaker_accepts_in_both_regions():
    from infra.config.aws_data import instance_types

    accepted = {"hosting": instance_types("endpoint"), "training": instance_types("training"), "processing": instance_types("processing")}
    prices = load_prices()
    for region in ("eu-west-1", "us-east-1"):
        assert prices.instances[region], region
        for instance, entry in sorted(prices.instances[region].items()):
            uses = [use for use in accepted if use in entry]
            assert uses, instance
            for use in uses:
                assert instance in accepted[use], f"{instance} is not a SageMaker {use} instance type"
                assert prices.instance_hour(region, instance, use) > 0
        assert prices.unit(region, "sagemaker.serverless.gbSecond") > 0


def test_the_example_stacks_are_priced_in_full(plans):
    for stack in ("dev", "test", "prod"):
        assert estimate(plans("base", stack)).unpriced == ()
        assert estimate(plans("head", stack)).unpriced == ()


def test_an_instance_type_without_a_price_is_left_out_with_a_warning(plans):
    plan = copy.deepcopy(plans("base", "prod"))
    config = next(r for r in plan["resources"] if r["type"] == "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    variant = next(v for v in config["inputs"]["productionVariants"] if "instanceType" in v)
    variant["instanceType"] = "ml.inf2.48xlarge"
    before = estimate(plans("base", "prod"))

    after = estimate(plan)

    assert config["name"] not in {line.name for line in after.lines}
    assert after.total < before.total
    assert any("ml.inf2.48xlarge" in w and config["name"] in w for w in after.warnings)


def _set_usage(project, model: str, usage: dict) -> None:
    from ruamel.yaml import YAML

    path = project / "stacks" / "models" / f"{model}.yaml"
    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8"))
    data["usage"] = usage
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def test_catalog_usage_drives_the_models_estimate(plans, project_copy):
    from infra.config import load_settings
    from mlops.plan import usage_by_model

    _set_usage(project_copy, "churn", {"trainingHoursPerRun": 2.0, "processingHoursPerStep": 1.0})
    per_model = usage_by_model(load_settings(project_copy, "dev").models)

    before = estimate(plans("base", "dev"))
    after = estimate(plans("base", "dev"), per_model=per_model)

    assert per_model["churn"].training_hours_per_run == 2.0
    assert per_model["fraud"] == UsageAssumptions()
    assert after.by_group()["churn"] > before.by_group()["churn"]
    assert after.by_group()["fraud"] == before.by_group()["fraud"]
    assert after.to_json()["modelAssumptions"] == {"churn": {"processing_hours_per_step": 1.0, "training_hours_per_run": 2.0}}


def test_bad_usage_is_reported_all_at_once(project_copy):
    from infra.config import ConfigError, load_settings

    _set_usage(project_copy, "churn", {"payloadKb": -1, "inferenceSeconds": 7200, "requestsPerDay": 5})

    with pytest.raises(ConfigError) as error:
        load_settings(project_copy, "dev")

    lines = str(error.value).splitlines()
    assert len(lines) == 3, lines
    assert all(line.startswith("stacks/models/churn.yaml:") for line in lines)
    assert {"usage.payloadKb", "usage.inferenceSeconds", "usage.requestsPerDay"} == {line.split(": ")[1] for line in lines}
