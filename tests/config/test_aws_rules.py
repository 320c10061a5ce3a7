"""The AWS rules of the configuration edge, value by value: what AWS accepts and what it refuses."""

from __future__ import annotations

import pytest

from infra.config.aws_rules import (
    runs_more_than_hourly,
    schedule_problem,
    stack_reference_problem,
    vpc_cidr_problem,
)

ACCEPTED_SCHEDULES = [
    "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
    "cron(0 10 * * ? *)",            # every day at 10:00 (the page's first example)
    "cron(15 12 * * ? *)",
    "cron(0 18 ? * MON-FRI *)",      # weekday names and ranges
    "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)",          # increments
    "cron(0/10 * ? * MON-FRI *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0 9 ? * 2#1 *)",           # the first Monday of the month
    "cron(0 3 L * ? *)",             # the last day of the month
    "cron(0 3 15W * ? *)",           # the weekday nearest the 15th
    "cron(0 3 ? * L *)",
    "cron(0 3 ? JAN,APR,JUL,OCT 1 2026-2030)",
    "cron(30 23 31 DEC ? 2199)",
    "cron(0 0 1-15/2 * ? *)",
]

REFUSED_SCHEDULES = [
    ("rate(0 days)", "positive"),
    ("rate(1 days)", "'day' for 1"),
    ("rate(2 day)", "'day' for 1"),
    ("rate(1 week)", "rate needs"),
    ("rate(-1 days)", "rate needs"),
    ("rate(1.5 hours)", "rate needs"),
    ("rate(1  day)", "rate needs"),
    ("daily", "not an EventBridge"),
    ("cron(0 3 * * ?)", "6 fields"),
    ("cron(0 3 * * ? * *)", "6 fields"),
    ("cron(0  3 * * ? *)", "6 fields"),
    ("cron(60 3 * * ? *)", "minutes"),
    ("cron(0 24 * * ? *)", "hours"),
    ("cron(0 25 ? * MON *)", "hours"),
    ("cron(0 3 0 * ? *)", "day-of-month"),
    ("cron(0 3 32 * ? *)", "day-of-month"),
    ("cron(0 3 ? 13 MON *)", "month"),
    ("cron(0 3 ? FOO MON *)", "month"),
    ("cron(0 3 ? * 8 *)", "day-of-week"),
    ("cron(0 3 ? * FUN *)", "day-of-week"),
    ("cron(0 3 ? * MON 1969)", "year"),
    ("cron(0 3 ? * MON 2200)", "year"),
    ("cron(0 3 * * MON *)", "exactly one"),
    ("cron(0 3 ? * ? *)", "exactly one"),
    ("cron(? 3 * * ? *)", "'?' is only allowed"),
    ("cron(0 3 * * L-2 *)", "day-of-week"),
    ("cron(0 3 ? * 2#6 *)", "#"),
    ("cron(0 3 ? * 2#1,3#2 *)", "only day-of-week value"),
    ("cron(0 3 ? * MON/2 *)", "'/' is not allowed"),
    ("cron(0/0 3 * * ? *)", "increment"),
    ("cron(0 17-9 * * ? *)", "backwards"),
    ("cron(0 3 W * ? *)", "day-of-month"),
    ("cron(0 3 * * ? ２０２６)", "year"),  # full-width digits are not digits to AWS
]


@pytest.mark.parametrize("expression", ACCEPTED_SCHEDULES)
def test_eventbridge_accepts(expression):
    assert schedule_problem(expression) is None


@pytest.mark.parametrize(("expression", "reason"), REFUSED_SCHEDULES, ids=[e for e, _ in REFUSED_SCHEDULES])
def test_eventbridge_refuses(expression, reason):
    problem = schedule_problem(expression)

    assert problem is not None and reason in problem, problem


@pytest.mark.parametrize(
    ("expression", "more"),
    [("rate(59 minutes)", True), ("rate(60 minutes)", False), ("rate(1 hour)", False), ("cron(0 3 * * ? *)", False),
     ("cron(0,30 3 * * ? *)", True), ("cron(0/15 3 * * ? *)", True), ("cron(* 3 * * ? *)", True), ("cron(0-5 3 * * ? *)", True)],
)
def test_more_than_hourly(expression, more):
    assert runs_more_than_hourly(expression) is more


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.40.0.0/22", "172.16.0.0/16", "172.31.0.0/16", "192.168.0.0/20", "10.1.2.0/28"])
def test_vpc_ranges_aws_accepts(cidr):
    assert vpc_cidr_problem(cidr) is None


@pytest.mark.parametrize(
    ("cidr", "reason"),
    [
        ("100.64.0.0/16", "RFC 1918"),      # shared address space: Python calls it private
        ("192.0.0.0/24", "RFC 1918"),       # IETF protocol assignments: also "private" to Python
        ("198.18.0.0/16", "RFC 1918"),      # benchmarking: also "private" to Python
        ("169.254.0.0/16", "RFC 1918"),
        ("52.10.0.0/16", "RFC 1918"),
        ("10.0.0.0/8", "/16 to /28"),
        ("10.0.0.0/15", "/16 to /28"),
        ("10.0.0.0/29", "/16 to /28"),
        ("172.17.0.0/16", "SageMaker"),
        ("172.17.4.0/22", "SageMaker"),
        ("10.40.1.0/16", "host bits"),
        ("10.40.0.0/33", "not a valid"),
        ("fd00::/48", "not a valid"),
    ],
)
def test_vpc_ranges_aws_refuses(cidr, reason):
    problem = vpc_cidr_problem(cidr)

    assert problem is not None and reason in problem, problem


@pytest.mark.parametrize("name", ["organization/mlops/dev", "acme-corp/ml.platform/prod_1", "o/p/s"])
def test_stack_references_accepted(name):
    assert stack_reference_problem(name) is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [("dev", "1 part"), ("mlops/dev", "2 parts"), ("a/b/c/d", "4 parts"), ("organization//dev", "project"),
     ("organization/mlops/dev env", "stack"), ("-org/mlops/dev", "organization"), ("organization/mlops/" + "d" * 101, "stack")],
)
def test_stack_references_refused(name, reason):
    problem = stack_reference_problem(name)

    assert problem is not None and reason in problem, problem
