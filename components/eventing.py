"""Carrying retraining alarms (drift, quality) from test and prod to the registry account, where retraining runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import document, statement


@dataclass(frozen=True)
class DriftForwardingArgs:
    """Inputs of a ``DriftForwarding``.

    Attributes:
        alarm_name_patterns: EventBridge wildcards matching this environment's retraining alarms.
        target_bus_arn: The registry account's default event bus.
        role_name: Name of the role EventBridge uses to put events on that bus.
        account_id: This environment's account.
        dead_letter_arn: Queue for alarms that could not be forwarded.
    """

    alarm_name_patterns: Sequence[str]
    target_bus_arn: pulumi.Input[str]
    role_name: str
    account_id: pulumi.Input[str]
    dead_letter_arn: pulumi.Input[str]


class DriftForwarding(pulumi.ComponentResource):
    """Forwards this environment's retraining alarm state changes (drift, quality) to the registry account's bus."""

    def __init__(self, name: str, args: DriftForwardingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:eventing:DriftForwarding", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            assume_role_policy=document(
                statement("EventBridgeForwards", ["sts:AssumeRole"], principal={"Service": "events.amazonaws.com"},
                          condition={"StringEquals": {"aws:SourceAccount": args.account_id}})
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-put-events",
            role=role.id,
            policy=document(statement("PutOnRegistryBus", ["events:PutEvents"], [args.target_bus_arn])),
            opts=child,
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            description="Drift and quality alarms go to the registry account, which retrains the model",
            event_pattern=pulumi.Output.json_dumps(
                {
                    "source": ["aws.cloudwatch"],
                    "detail-type": ["CloudWatch Alarm State Change"],
                    "detail": {"alarmName": [{"wildcard": p} for p in args.alarm_name_patterns], "state": {"value": ["ALARM"]}},
                },
                sort_keys=True,
            ),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=rule.name,
            arn=args.target_bus_arn,
            role_arn=role.arn,
            retry_policy={"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 3},
            dead_letter_config={"arn": args.dead_letter_arn},
            opts=child,
        )
        self.register_outputs({})


@dataclass(frozen=True)
class SharedEventBusArgs:
    """Inputs of a ``SharedEventBus``: the accounts allowed to put events on the default bus."""

    sender_accounts: Sequence[str]
    bus_arn: pulumi.Input[str]


class SharedEventBus(pulumi.ComponentResource):
    """Lets the named environment accounts put events on this account's default bus."""

    def __init__(self, name: str, args: SharedEventBusArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:eventing:SharedEventBus", name, None, opts)
        aws.cloudwatch.EventBusPolicy(
            f"{name}-policy",
            event_bus_name="default",
            policy=document(
                statement(
                    "EnvironmentsSendDriftAlarms",
                    ["events:PutEvents"],
                    [args.bus_arn],
                    principal={"AWS": [f"arn:aws:iam::{a}:root" for a in sorted(args.sender_accounts)]},
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
