"""The bad-input catalogue: every mistake a platform engineer can make in the configuration files.

Each case breaks one thing in a copy of the project and runs ``mlops plan``. The contract: exit
2, one line on stderr, ``<file>: <key.path>: <what is wrong> (allowed: ...)``, no traceback,
nothing on stdout and nothing written (no plan file, no file touched).
"""

from __future__ import annotations

import copy
import datetime
import math
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

import mlops.plan
from mlops.cli import app

DEV, TEST, PROD = "stacks/Pulumi.dev.yaml", "stacks/Pulumi.test.yaml", "stacks/Pulumi.prod.yaml"
MIGRATION = "stacks/migration.yaml"
CHURN, FRAUD, FORECAST = "stacks/models/churn.yaml", "stacks/models/fraud.yaml", "stacks/models/demand-forecast.yaml"
FRAUD_ARN = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-fraud/8"
WAIVER = {"rule": "s3-bucket-access-logging", "resource": "dev-raw*", "owner": "ml-platform", "expires": datetime.date(2027, 3, 31)}


#: A raw mutation returning this replaces the file with a folder of the same name.
FOLDER = b"<folder>"

#: Nine levels of ten aliases each: a billion strings once expanded.
ALIAS_BOMB = b"lol:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + b"".join(
    b"  a%d: &a%d [" % (i, i) + b", ".join([b"*a%d" % (i - 1)] * 10) + b"]\n" for i in range(1, 10)
)


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    return yaml


# --- mutations: functions of the loaded YAML data (or of the raw bytes) ----------------------


def _parts(path: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in path.split("/")]


def put(path: str, value: Any) -> Callable[[Any], Any]:
    """Set the value at ``path`` ('/'-separated; keys may contain ':' and '.')."""

    def mutate(data: Any) -> Any:
        data = copy.deepcopy(data)
        *parents, last = _parts(path)
        node = data
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
        node[last] = value
        return data

    return mutate


def drop(path: str) -> Callable[[Any], Any]:
    """Remove the key at ``path``."""

    def mutate(data: Any) -> Any:
        data = copy.deepcopy(data)
        *parents, last = _parts(path)
        node = data
        for part in parents:
            node = node[part]
        del node[last]
        return data

    return mutate


def both(*mutations: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Apply several mutations in order."""

    def mutate(data: Any) -> Any:
        for mutation in mutations:
            data = mutation(data)
        return data

    return mutate


def config(path: str, value: Any) -> Callable[[Any], Any]:
    """Set a setting under ``config:`` of a stack file."""
    return put(f"config/{path}", value)


def keep(data: Any) -> Any:
    """Leave the data as it is (for new files copied from an existing one)."""
    return data


@dataclass(frozen=True)
class Case:
    """One bad input and the error line it must produce.

    Attributes:
        id: Short test id.
        description: What the user did wrong.
        file: The file mutated (or created from ``source``), relative to the project.
        mutate: Edits the loaded YAML data, or the raw bytes when ``raw``; returning None deletes the file.
        key: Substring of the key path the error must name.
        allowed: Substring of the error's "allowed" text.
        stack: The stack planned.
        raw: ``mutate`` works on bytes.
        source: Create ``file`` from this file first.
        reported: The file the error names, when it is not ``file`` (cross-file gates).
        problem: Substring of the "what is wrong" part (when the value must be echoed intact).
        line: The line the error must name, for raw edits whose lines are known.
    """

    id: str
    description: str
    file: str
    mutate: Callable[[Any], Any]
    key: str
    allowed: str
    stack: str = "dev"
    raw: bool = False
    source: str | None = None
    reported: str | None = None
    problem: str = ""
    line: int | None = None

    def apply(self, project: Path) -> None:
        """Break the copy of the project."""
        target = project / self.file
        original = (project / (self.source or self.file)).read_bytes()
        if self.raw:
            changed = self.mutate(original)
            if changed is None:
                target.unlink()
            elif changed == FOLDER:
                target.unlink()
                target.mkdir()
            else:
                target.write_bytes(changed)
            return
        data = self.mutate(_yaml().load(original))
        with target.open("w", encoding="utf-8") as handle:
            _yaml().dump(data, handle)


C = Case
CASES: list[Case | Any] = [
    # --- stack files: shape and types ---
    C("stack-unknown-document-key", "a misspelt top-level key of the stack file", DEV, put("secretsProvider", "passphrase"), "secretsProvider", "secretsprovider"),
    C("stack-unknown-setting", "a misspelt setting under config:", DEV, config("mlops:budjet", {"monthlyLimitUsd": 10}), "mlops:budjet", "mlops:budget"),
    C("stack-unknown-nested-key", "a misspelt nested key", DEV, config("mlops:network/flowLog", True), "mlops:network.flowLog", "flowLogs"),
    C("stack-string-for-int", '"2" for an integer', DEV, config("mlops:network/availabilityZones", "2"), "mlops:network.availabilityZones", "2 or 3"),
    C("stack-string-for-bool", '"false" for a boolean', DEV, config("mlops:network/flowLogs", "false"), "mlops:network.flowLogs", "true or false"),
    C("stack-yaml11-bool", "YAML 1.1 'no' (a string in YAML 1.2) for a boolean", DEV, lambda b: b.replace(b"flowLogs: true", b"flowLogs: no"), "mlops:network.flowLogs", "true or false", raw=True),
    C("stack-int-for-bool", "1 for a boolean", DEV, config("mlops:protection/forceDestroy", 1), "mlops:protection.forceDestroy", "true or false"),
    C("stack-list-for-scalar", "a list for a scalar", DEV, config("mlops:alerts/email", ["ml-platform-alerts@example.com"]), "mlops:alerts.email", "e-mail address"),
    C("stack-scalar-for-mapping", "a number where a mapping belongs", DEV, config("mlops:budget", 1500), "mlops:budget", "monthlyLimitUsd"),
    C("stack-missing-section", "a required setting left out", DEV, drop("config/mlops:budget"), "mlops:budget", "monthlyLimitUsd"),
    C("stack-missing-nested-key", "a required nested key left out", DEV, drop("config/mlops:tags/costCenter"), "mlops:tags.costCenter", "cost-center"),
    C("stack-without-config", "a stack file without config:", DEV, drop("config"), "config", "config:"),
    C("stack-bad-region", "a region that is not one", DEV, config("aws:region", "eu-west"), "aws:region", "AWS region"),
    pytest.param(
        C("stack-region-with-brackets", "a bad value with brackets, echoed back", DEV, config("aws:region", "eu-[west]-1"), "aws:region", "AWS region", problem="'eu-[west]-1'"),
        id="stack-region-with-brackets",
    ),
    # --- stack files: environment and identity ---
    C("stack-unknown-environment", "an environment that does not exist", DEV, config("mlops:environment", "staging"), "mlops:environment", "dev, test, prod"),
    C("stack-environment-mismatch", "the test stack declaring the dev environment", TEST, both(config("mlops:environment", "dev"), drop("config/mlops:registry")), "mlops:environment", "test", stack="test"),
    C("stack-named-after-nothing", "a stack whose name is not its environment", "stacks/Pulumi.staging.yaml", keep, "mlops:environment", "named after its environment", stack="staging", source=TEST),
    C("stack-short-account", "an 11-digit account id", DEV, config("mlops:accountId", "11112222333"), "mlops:accountId", "12-digit"),
    C("stack-unquoted-account", "an account id YAML reads as a number", DEV, config("mlops:accountId", 111122223333), "mlops:accountId", "quoted"),
    C("stack-bad-email", "an e-mail address without a domain", DEV, config("mlops:alerts/email", "ml-platform-alerts@example"), "mlops:alerts.email", "e-mail address"),
    C("stack-zero-budget", "a budget of 0", DEV, config("mlops:budget/monthlyLimitUsd", 0), "mlops:budget.monthlyLimitUsd", "> 0"),
    C("stack-negative-budget", "a negative budget", DEV, config("mlops:budget/monthlyLimitUsd", -100), "mlops:budget.monthlyLimitUsd", "> 0"),
    C("stack-nan-budget", "a budget of .nan", DEV, config("mlops:budget/monthlyLimitUsd", math.nan), "mlops:budget.monthlyLimitUsd", "> 0"),
    C("stack-invalid-cidr", "a /33 network", DEV, config("mlops:network/cidr", "10.40.0.0/33"), "mlops:network.cidr", "RFC 1918 IPv4 CIDR"),
    C("stack-cidr-host-bits", "a CIDR with host bits set", DEV, config("mlops:network/cidr", "10.40.1.0/16"), "mlops:network.cidr", "RFC 1918 IPv4 CIDR"),
    C("stack-public-cidr", "a public address range", DEV, config("mlops:network/cidr", "52.10.0.0/16"), "mlops:network.cidr", "RFC 1918 IPv4 CIDR"),
    C("stack-tiny-cidr", "a /24 network, too small for the subnets", DEV, config("mlops:network/cidr", "10.40.0.0/24"), "mlops:network.cidr", "/16 to /22"),
    C("stack-one-zone", "a single availability zone", DEV, config("mlops:network/availabilityZones", 1), "mlops:network.availabilityZones", "2 or 3"),
    C("stack-log-retention", "a log retention CloudWatch does not offer", DEV, config("mlops:retention/logDays", 42), "mlops:retention.logDays", "one of 1, 3, 5"),
    C("stack-kms-window-long", "a 45-day key deletion window", DEV, config("mlops:protection/kmsDeletionWindowDays", 45), "mlops:protection.kmsDeletionWindowDays", "7-30"),
    C("stack-kms-window-short", "a 6-day key deletion window", DEV, config("mlops:protection/kmsDeletionWindowDays", 6), "mlops:protection.kmsDeletionWindowDays", "7-30"),
    C("stack-capture-without-data", "a monitoring schedule without data capture", TEST, config("mlops:monitoring/dataCapture", False), "mlops:monitoring", "dataCapture", stack="test"),
    C("stack-unknown-schedule", "a monitoring schedule that does not exist", TEST, config("mlops:monitoring/schedule", "weekly"), "mlops:monitoring.schedule", "off, daily, hourly", stack="test"),
    C("stack-serverless-capture", "data capture on serverless endpoints", DEV, config("mlops:monitoring/dataCapture", True), "mlops:monitoring.dataCapture", "false with mlops:serving.mode serverless"),
    C("stack-serverless-challenger", "a challenger on serverless endpoints", DEV, config("mlops:serving/challenger", True), "mlops:serving.challenger", "false with mlops:serving.mode serverless"),
    C("stack-readers-outside-dev", "registry readers granted by test", TEST, config("mlops:registry/readerAccounts", ["777788889999"]), "mlops:registry.readerAccounts", "outside dev", stack="test"),
    C("stack-personal-outside-dev", "personal settings in the test stack", TEST, config("mlops:personal", {"owner": "alice"}), "mlops:personal", "mlops:environment: dev", stack="test"),
    C("stack-personal-wrong-owner", "dev-alice's file naming bob as owner", "stacks/Pulumi.dev-alice.yaml", config("mlops:personal", {"owner": "bob"}), "mlops:personal.owner", "alice", stack="dev-alice", source=DEV),
    C("stack-personal-unknown-model", "a personal stack building a model not in the catalog", "stacks/Pulumi.dev-alice.yaml", config("mlops:personal", {"owner": "alice", "models": ["churn", "churm"]}), "mlops:personal.models[1]", "churn", stack="dev-alice", source=DEV),
    C("waiver-without-reason", "a policy waiver without a reason", DEV, config("mlops:policyWaivers", [WAIVER]), "mlops:policyWaivers[0].reason", "at least 10 characters"),
    C("waiver-short-reason", "a policy waiver with a too-short reason", DEV, config("mlops:policyWaivers", [{**WAIVER, "reason": "temp"}]), "mlops:policyWaivers[0].reason", "at least 10 characters"),
    # --- prod: the environment matrix ---
    C("prod-unprotected", "prod with protectStateful false", PROD, config("mlops:protection/protectStateful", False), "mlops:protection.protectStateful", "true", stack="prod"),
    C("prod-force-destroy", "prod with forceDestroy true", PROD, config("mlops:protection/forceDestroy", True), "mlops:protection.forceDestroy", "false", stack="prod"),
    C("prod-short-key-window", "prod with a 7-day key window", PROD, config("mlops:protection/kmsDeletionWindowDays", 7), "mlops:protection.kmsDeletionWindowDays", "30", stack="prod"),
    C("prod-serverless", "prod in serverless mode", PROD, config("mlops:serving/mode", "serverless"), "mlops:serving.mode", "realtime", stack="prod"),
    C("prod-one-instance", "prod with one instance", PROD, config("mlops:serving/minInstances", 1), "mlops:serving.minInstances", "2-20", stack="prod"),
    C("prod-no-autoscaling", "prod without autoscaling", PROD, config("mlops:serving/autoscaling", False), "mlops:serving.autoscaling", "true", stack="prod"),
    C("test-canary-with-challenger", "a guarded rollout where challengers come and go", TEST, config("mlops:serving/deployment", "canary"), "mlops:serving.deployment", "all-at-once with mlops:serving.challenger true", stack="test"),
    C("test-canary-on-one-instance", "a canary on a one-instance fleet", TEST, both(config("mlops:serving/challenger", False), config("mlops:serving/deployment", "canary")), "mlops:serving.minInstances", "2-20 with a canary or linear deployment", stack="test"),
    C("prod-all-at-once", "prod deploying all at once", PROD, config("mlops:serving/deployment", "all-at-once"), "mlops:serving.deployment", "canary, linear", stack="prod"),
    C("prod-no-flow-logs", "prod without flow logs", PROD, config("mlops:network/flowLogs", False), "mlops:network.flowLogs", "true", stack="prod"),
    C("prod-no-capture", "prod without data capture", PROD, both(config("mlops:monitoring/dataCapture", False), config("mlops:monitoring/schedule", "off")), "mlops:monitoring.dataCapture", "true", stack="prod"),
    pytest.param(
        C("prod-monitoring-off", "prod with Model Monitor off (the matrix says hourly)", PROD, config("mlops:monitoring/schedule", "off"), "mlops:monitoring.schedule", "hourly", stack="prod"),
        id="prod-monitoring-off",
    ),
    # --- model files: shape and types ---
    C("model-typo-key", "a misspelt serving key (minInstnces)", CHURN, put("serving/minInstnces", 2), "serving.minInstnces", "minInstances"),
    C("model-unknown-top-key", "an unknown top-level key", CHURN, put("team", "growth"), "team", "governance"),
    C("model-string-for-int", '"2" for an integer', CHURN, put("serving/minInstances", "2"), "serving.minInstances", "1-20"),
    C("model-string-for-bool", '"false" for a boolean', CHURN, put("training/retrainOnNewData", "false"), "training.retrainOnNewData", "true or false"),
    C("model-list-for-scalar", "a list for a scalar", CHURN, put("training/instanceType", ["ml.m5.large"]), "training.instanceType", "a SageMaker training instance type"),
    C("model-missing-metric", "a required nested key left out", CHURN, drop("training/metric"), "training.metric", "auc"),
    C("model-missing-governance", "a required section left out", CHURN, drop("governance"), "governance", "intendedUse"),
    C("model-zero-max", "zero maximum instances", CHURN, put("serving/maxInstances", 0), "serving.maxInstances", "1-40"),
    C("model-negative-min", "negative minimum instances", CHURN, put("serving/minInstances", -1), "serving.minInstances", "1-20"),
    C("model-max-below-min", "maxInstances below minInstances", CHURN, both(put("serving/minInstances", 4), put("serving/maxInstances", 3)), "serving.maxInstances", ">= 4"),
    C("model-override-max-below-min", "a prod override with max below min", CHURN, put("serving/overrides/prod/maxInstances", 1), "serving.overrides.prod.maxInstances", ">= 2"),
    C("model-unknown-instance", "an instance type that does not exist", CHURN, put("serving/instanceType", "ml.m5.huge"), "serving.instanceType", "a SageMaker endpoint instance type"),
    pytest.param(
        C("model-override-unknown-instance", "an unknown instance type in an override", CHURN, put("serving/overrides/prod/instanceType", "ml.m5.huge"), "serving.overrides.prod.instanceType", "a SageMaker endpoint instance type"),
        id="model-override-unknown-instance",
    ),
    C("model-gpu-serverless-dev", "a GPU-sized model in dev, which serves serverless (CPU only)", CHURN, put("serving/instanceType", "ml.g5.xlarge"), "serving.overrides.dev.instanceType", "CPU instance type"),
    C("model-override-unknown-env", "an override for an environment that does not exist", CHURN, put("serving/overrides/staging", {"maxInstances": 2}), "serving.overrides.staging", "dev, test, prod"),
    C("model-serverless-memory", "a serverless memory size SageMaker does not offer", CHURN, put("serving/serverless/memoryMb", 1500), "serving.serverless.memoryMb", "1024, 2048"),
    C("model-provisioned-above-max", "provisioned concurrency above max concurrency", CHURN, put("serving/serverless/provisionedConcurrency", 6), "serving.serverless.provisionedConcurrency", "1-5"),
    C("model-challenger-weight", "a challenger taking all the traffic", CHURN, put("serving/challenger/weight", 1.0), "serving.challenger.weight", "0-1 exclusive"),
    C("model-cron-both-days", "a cron with both day fields set", CHURN, put("training/schedule", "cron(0 3 * * MON *)"), "training.schedule", "cron("),
    C("model-cron-five-fields", "a five-field (crontab) cron", CHURN, put("training/schedule", "cron(0 3 * * ?)"), "training.schedule", "cron("),
    C("model-cron-hour-25", "a cron at hour 25", CHURN, put("training/schedule", "cron(0 25 ? * MON *)"), "training.schedule", "cron("),
    C("model-rate-plural", "rate(2 day)", CHURN, put("training/schedule", "rate(2 day)"), "training.schedule", "rate("),
    C("model-rate-zero", "rate(0 days)", CHURN, put("training/schedule", "rate(0 days)"), "training.schedule", "rate("),
    C("model-rate-too-often", "training every five minutes", CHURN, put("training/schedule", "rate(5 minutes)"), "training.schedule", "rate("),
    C("model-not-a-schedule", "'daily' as a schedule", CHURN, put("training/schedule", "daily"), "training.schedule", "rate("),
    C("model-auc-above-one", "an AUC threshold of 1.5", CHURN, put("training/threshold", 1.5), "training.threshold", "0-1"),
    C("model-rmse-zero", "an RMSE threshold of 0", FORECAST, put("training/threshold", 0), "training.threshold", "> 0"),
    pytest.param(
        C("model-rmse-nan", "an RMSE threshold of .nan", FORECAST, put("training/threshold", math.nan), "training.threshold", "> 0"),
        id="model-rmse-nan",
    ),
    C("model-error-rate-zero", "an error-rate alarm at 0%", CHURN, put("monitoring/errorRatePercent", 0), "monitoring.errorRatePercent", "0-100"),
    C("model-margin-above-one", "a promotion margin above 1", CHURN, put("training/promotionMargin", 2), "training.promotionMargin", "0-1"),
    C("model-metric-for-other-problem", "rmse for a classifier", CHURN, put("training/metric", "rmse"), "training.metric", "auc"),
    C("model-wrong-direction", "minimizing AUC", CHURN, put("training/direction", "minimize"), "training.direction", "maximize"),
    C("model-algorithm-for-other-problem", "ridge for a classifier", CHURN, put("algorithm", "ridge"), "algorithm", "logistic-regression"),
    C("model-unknown-problem", "an unknown problem type", CHURN, put("problem", "clustering"), "problem", "classification, regression"),
    C("model-unknown-phase", "an unknown phase", CHURN, put("phase", "production"), "phase", "development, test-release, activation"),
    C("model-pin-not-arn", "a pinned version that is not an ARN", CHURN, put("versions/dev", "4"), "versions.dev", "ARN"),
    C("model-pin-other-group", "a pinned version of another model's group", CHURN, put("versions/dev", FRAUD_ARN), "versions.dev", "-churn/"),
    C("model-history-time", "a history time that is not ISO-8601 UTC", CHURN, put("governance/history/0/at", "2026-10-05 09:12"), "governance.history[0].at", "ISO-8601"),
    C("model-short-intended-use", "an intended use of one word", CHURN, put("governance/intendedUse", "scoring"), "governance.intendedUse", "a sentence"),
    # --- model files: names and files ---
    C("model-name-not-file-name", "a model name that disagrees with its file name", FORECAST, put("name", "demand-forecasting"), "name", "demand-forecast"),
    C("model-duplicate-name", "two files declaring the same model", "stacks/models/churn-v2.yaml", keep, "name", "churn-v2", source=CHURN),
    C("model-name-too-long", "a 34-character model name", "stacks/models/customer-lifetime-value-prediction.yaml", put("name", "customer-lifetime-value-prediction"), "name", "at most 32 characters", source=CHURN),
    C("model-name-uppercase", "an uppercase model name", "stacks/models/Churn.yaml", put("name", "Churn"), "name", "lowercase", source=CHURN),
    C("model-yml-suffix", "a .yml file in stacks/models", "stacks/models/extra.yml", keep, "(file)", "<name>.yaml", source=CHURN),
    pytest.param(
        C("model-invalid-yaml", "unbalanced brackets", CHURN, lambda b: b + b"extra: [unclosed\n", "extra", "YAML", raw=True),
        id="model-invalid-yaml",
    ),
    pytest.param(
        C("model-duplicate-yaml-key", "a key given twice", CHURN, lambda b: b + b"name: churn\n", "name", "each key once", raw=True, problem="first on line 2"),
        id="model-duplicate-yaml-key",
    ),
    C("model-empty-file", "an empty file", CHURN, lambda b: b"", "(root)", "a YAML mapping", raw=True),
    C("model-comments-only", "a file with only comments", CHURN, lambda b: b"# to be written\n", "(root)", "a YAML mapping", raw=True),
    C("model-list-file", "a file holding a list", CHURN, lambda b: b"- churn\n- fraud\n", "(root)", "a YAML mapping", raw=True),
    C("model-not-utf8", "a Latin-1 file", CHURN, lambda b: b.replace(b"Monthly", "M\u00f6nthly".encode("latin-1")), "(file)", "UTF-8", raw=True),
    # --- migration.yaml ---
    C("migration-pilot-limit-zero", "pilotLimit 0", MIGRATION, put("pilotLimit", 0), "pilotLimit", "1-5"),
    C("migration-pilot-limit-string", '"2" for pilotLimit', MIGRATION, put("pilotLimit", "2"), "pilotLimit", "1-5"),
    C("migration-unknown-key", "a misspelt key", MIGRATION, put("pilotLimt", 2), "pilotLimt", "pilotLimit"),
    C("migration-pilot-user-missing", "a pilot user missing from allUsers", MIGRATION, put("pilotUsers", ["alice", "bob", "zoe"]), "allUsers", "every pilot user"),
    C("migration-duplicate-user", "a user listed twice", MIGRATION, put("allUsers", ["alice", "bob", "carol", "alice"]), "allUsers", "each user once"),
    C("migration-invalid-user", "an uppercase user name", MIGRATION, put("pilotUsers", ["Alice", "bob"]), "pilotUsers[0]", "lowercase"),
    C("migration-no-pilot-users", "an empty pilot audience", MIGRATION, put("pilotUsers", []), "pilotUsers", "one or more"),
    C("migration-signoff-no-date", "a sign-off with by but no date", MIGRATION, put("signOff", {"by": "omar.approver"}), "signOff.date", "both set"),
    C("migration-signoff-no-by", "a sign-off with a date but no by", MIGRATION, put("signOff", {"date": datetime.date(2026, 12, 1)}), "signOff.by", "both set"),
    pytest.param(
        C("migration-missing-file", "migration.yaml deleted", MIGRATION, lambda b: None, "(file)", "migration", raw=True),
        id="migration-missing-file",
    ),
    # --- migration gates (cross-file) ---
    C("gate-pilot-full", "more pilot models than pilotLimit", MIGRATION, put("pilotLimit", 1), "wave", "scale-out", reported=FRAUD),
    C("gate-scale-out-early", "a scale-out model in test before the pilot is signed off", FORECAST, put("phase", "test-release"), "phase", "development"),
    C("gate-test-release-unpinned", "test-release without a version pinned for test", FRAUD, drop("versions/test"), "versions.test", "promote"),
    C("gate-activation-unapproved", "activation with a prod version nobody approved", CHURN, put("versions/prod", "arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-churn/4"), "versions.prod", "promote"),
    C("gate-phase-skipped", "a prod version pinned for a model still in test-release", FRAUD, put("versions/prod", FRAUD_ARN), "phase", "activation"),
    # --- hostile YAML: expansion, nesting, keys, files ---
    C("model-alias-bomb", "a billion-laughs document", CHURN, lambda b: b + ALIAS_BOMB, "lol.a", "nodes produced through aliases", raw=True),
    C("model-recursive-alias", "an alias inside its own anchor", CHURN, lambda b: b + b"loop: &loop [*loop]\n", "loop", "aliases of finished nodes", raw=True),
    C("migration-deep-flow-nesting", "10,000 nested brackets", MIGRATION, lambda b: b.replace(b"pilotLimit: 2", b"pilotLimit: " + b"[" * 10000 + b"]" * 10000), "pilotLimit", "at most 32 levels", raw=True, line=3),
    C("stack-deep-block-nesting", "keys nested 40 levels deep", DEV, lambda b: b + b"".join(b"  " * (i + 1) + b"k%d:\n" % i for i in range(40)) + b"  " * 41 + b"end: 1\n", "config.k0.k1", "at most 32 levels", raw=True),
    C("stack-integer-key", "a key YAML reads as a number", DEV, lambda b: b.replace(b"config:\n", b"config:\n  404: not found\n"), "config", "string keys", raw=True, line=5, problem="integer 404"),
    C("stack-null-key", "an empty key (null)", DEV, lambda b: b.replace(b"config:\n", b"config:\n  ~: nothing\n"), "config", "string keys", raw=True, line=5),
    C("stack-complex-key", "a list used as a key", DEV, lambda b: b.replace(b"config:\n", b"config:\n  ? [a, b]\n  : c\n"), "config", "string keys", raw=True, line=5),
    C("model-two-documents", "a second YAML document", CHURN, lambda b: b + b"---\nname: churn\n", "(root)", "one document per file", raw=True),
    C("model-impossible-date", "a date that does not exist", CHURN, lambda b: b.replace(b"2026-10-05T09:12:00Z", b"2026-10-05T09:12:00Z").replace(b"intendedUse:", b"reviewedOn: 2026-13-45\n  intendedUse:"), "governance.reviewedOn", "valid timestamp", raw=True),
    C("model-set-tag", "a YAML !!set", CHURN, lambda b: b + b"tags: !!set {a, b}\n", "tags", "no tags", raw=True),
    C("model-huge-value", "a 100,000-character instance type", CHURN, put("serving/instanceType", "ml." + "x" * 100_000), "serving.instanceType", "a SageMaker endpoint instance type"),
    C("model-huge-file", "a file above the size limit", CHURN, lambda b: b + b"# " + b"x" * 300_000 + b"\n", "(file)", "at most", raw=True),
    C("migration-is-a-folder", "migration.yaml is a folder", MIGRATION, lambda b: FOLDER, "(file)", "a YAML file", raw=True, problem="folder"),
    # --- misspellings: did you mean ---
    C("stack-misspelt-required-key", "monthlyLimitUsd typed as monthlyLimitUSD", DEV, both(drop("config/mlops:budget/monthlyLimitUsd"), config("mlops:budget/monthlyLimitUSD", 1500)), "mlops:budget.monthlyLimitUSD", "US dollars", problem="did you mean 'monthlyLimitUsd'"),
    C("model-misspelt-section", "training typed as trainng", CHURN, lambda d: {("trainng" if k == "training" else k): v for k, v in d.items()}, "trainng", "schedule", problem="did you mean 'training'"),
    C("model-misspelt-optional-key", "idleTimeoutMins for idleTimeoutMinutes", DEV, config("mlops:studio/idleTimeoutMins", 60), "mlops:studio.idleTimeoutMins", "idleTimeoutMinutes", problem="did you mean 'idleTimeoutMinutes'"),
    C("model-misspelt-wave", "scaleout for scale-out", FORECAST, put("wave", "scaleout"), "wave", "pilot, scale-out", problem="did you mean 'scale-out'"),
    C("stack-misspelt-environment", "prd for prod", PROD, config("mlops:environment", "prd"), "mlops:environment", "dev, test, prod", stack="prod", problem="did you mean 'prod'"),
    # --- values AWS refuses ---
    C("model-cron-month-13", "a cron in month 13", CHURN, put("training/schedule", "cron(0 3 ? 13 MON *)"), "training.schedule", "cron(", problem="month"),
    C("model-cron-minute-60", "a cron at minute 60", CHURN, put("training/schedule", "cron(60 3 ? * MON *)"), "training.schedule", "cron(", problem="minutes"),
    C("model-cron-weekday-8", "a cron on day-of-week 8", CHURN, put("training/schedule", "cron(0 3 ? * 8 *)"), "training.schedule", "cron(", problem="day-of-week"),
    C("model-cron-year-1900", "a cron in 1900", CHURN, put("training/schedule", "cron(0 3 ? * MON 1900)"), "training.schedule", "cron(", problem="year"),
    C("stack-cgnat-cidr", "100.64.0.0/16: private to Python, not RFC 1918", DEV, config("mlops:network/cidr", "100.64.0.0/16"), "mlops:network.cidr", "RFC 1918", problem="RFC 1918"),
    C("stack-benchmark-cidr", "198.18.0.0/16: private to Python, not RFC 1918", DEV, config("mlops:network/cidr", "198.18.0.0/16"), "mlops:network.cidr", "RFC 1918", problem="RFC 1918"),
    C("stack-sagemaker-cidr", "172.17.0.0/16, which SageMaker uses", DEV, config("mlops:network/cidr", "172.17.0.0/16"), "mlops:network.cidr", "RFC 1918", problem="SageMaker"),
    C("stack-short-stack-reference", "a registry stack reference without organization", TEST, config("mlops:registry/sourceStack", "mlops/dev"), "mlops:registry.sourceStack", "organization/mlops/dev", stack="test", problem="organization/project/stack"),
    C("stack-personal-bad-shared-stack", "a personal stack reusing 'dev' (not organization/project/stack)", "stacks/Pulumi.dev-alice.yaml", config("mlops:personal", {"owner": "alice", "sharedStack": "dev"}), "mlops:personal.sharedStack", "organization/project/stack", stack="dev-alice", source=DEV),
]


@pytest.fixture
def nothing_is_planned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Invalid configuration must stop at the edge: reaching the engine means it was accepted."""

    def accepted(settings, _resolver):
        raise AssertionError(f"the configuration was accepted: the engine was asked to plan {settings.stack!r}")

    monkeypatch.setattr(mlops.plan, "run_plan", accepted)


def _case(entry: Case | Any) -> Case:
    return entry if isinstance(entry, Case) else entry.values[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _check_error_line(case: Case, stderr: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    reported = case.reported or case.file
    match = re.fullmatch(rf"(?:error: )?{re.escape(reported)}(?::(?P<line>\d+))?: (?P<key>.+?): (?P<problem>.+) \(allowed: (?P<allowed>.+)\)", lines[0])
    assert match, f"not '<file>:<line>: <key.path>: <problem> (allowed: ...)' for {reported}: {lines[0]}"
    assert case.key in match["key"], lines[0]
    assert case.problem in match["problem"], lines[0]
    assert case.allowed in match["allowed"], lines[0]
    assert case.line is None or match["line"] == str(case.line), lines[0]
    assert len(lines[0]) < 1200, "a value echoed in full"


def test_the_catalogue_is_broad():
    cases = [_case(c) for c in CASES]
    assert len(cases) >= 40
    assert len({c.id for c in cases}) == len(cases)
    assert {c.file.split("/")[-1] for c in cases} >= {"Pulumi.dev.yaml", "Pulumi.test.yaml", "Pulumi.prod.yaml", "migration.yaml", "churn.yaml"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_fails_with_one_line_and_writes_nothing(case: Case, project_copy: Path, nothing_is_planned):
    case.apply(project_copy)
    before = _snapshot(project_copy)
    out = project_copy / "plan.json"

    result = CliRunner().invoke(app, ["plan", case.stack, "--json", "--out", str(out), "--project-dir", str(project_copy)])

    assert result.exit_code == 2, result.stdout[-300:] + result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout == ""
    _check_error_line(case, result.stderr)
    assert not out.exists()
    assert _snapshot(project_copy) == before


SUBPROCESS_CASES = ("stack-unknown-nested-key", "model-not-utf8")


def test_bad_input_fails_the_same_way_from_a_real_process(tmp_path: Path, project_copy: Path):
    """A few cases end to end: real stderr (no rich wrapping of the long line), cwd in a subfolder."""
    cases = [c for c in map(_case, CASES) if c.id in SUBPROCESS_CASES]
    runs = []
    for index, case in enumerate(cases):
        project = shutil.copytree(project_copy, tmp_path / f"copy-{index}")
        case.apply(project)
        before = _snapshot(project)
        command = [sys.executable, "-c", "from mlops.cli import app; app()", "plan", case.stack, "--out", "plan.json"]
        runs.append((case, project, before, subprocess.Popen(command, cwd=project / "stacks", stdout=subprocess.PIPE, stderr=subprocess.PIPE)))

    assert len(runs) == len(SUBPROCESS_CASES)
    for case, project, before, run in runs:
        stdout, stderr = run.communicate(timeout=60)
        assert run.returncode == 2, stderr.decode()
        assert stdout == b""
        _check_error_line(case, stderr.decode())
        assert _snapshot(project) == before
