"""The longest names the configuration accepts still deploy: every auto-named resource fits AWS's limit.

The example catalog is renamed to the limits of the naming rules — a 12-character ``namePrefix``, a
model name of ``MODEL_NAME_MAX`` characters and a personal stack of ``PERSONAL_STACK_MAX`` — and planned;
the deploy check (botocore's name lengths after Pulumi's auto-naming) must find nothing.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from infra.config.aws_data import AUTO_NAME_SUFFIX, name_limit
from infra.config.names import fitted
from infra.config.rules import (
    MODEL_NAME_MAX,
    NAME_PREFIX,
    PERSONAL_OWNER,
    PERSONAL_SLUG_MAX,
    PERSONAL_STACK_MAX,
    is_model_name,
)
from mlops.plan import plan_stack

PREFIX_MAX = int(re.search(r"\{1,(\d+)\}\$$", NAME_PREFIX)[1]) + 1
PREFIX = "p" * PREFIX_MAX
MODEL = ("customer-lifetime-value-forecast-" + "x" * MODEL_NAME_MAX)[:MODEL_NAME_MAX]
BATCH_MODEL = ("customer-lifetime-value-by-month" + "y" * MODEL_NAME_MAX)[:MODEL_NAME_MAX]
OWNER_MAX = int(re.search(r"\{1,(\d+)\}\$$", PERSONAL_OWNER)[1]) + 1
OWNER = "o" * OWNER_MAX
SLUG = ("exp" + "1" * PERSONAL_SLUG_MAX)[: PERSONAL_STACK_MAX - len(f"dev-{OWNER}-")]
PERSONAL = f"dev-{OWNER}-{SLUG}"


def _longest_project(source: Path, target: Path) -> Path:
    """A copy of the project with churn (an endpoint) renamed ``MODEL`` and customer-ltv (batch
    scoring) renamed ``BATCH_MODEL``, every stack prefixed ``PREFIX`` and a personal stack of the
    longest name choosing ``MODEL``."""
    shutil.copytree(source / "stacks", target / "stacks")
    (target / "Pulumi.yaml").write_bytes((source / "Pulumi.yaml").read_bytes())
    renames = {"churn": MODEL, "customer-ltv": BATCH_MODEL}
    for path in sorted((target / "stacks").rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for old, new in renames.items():
            text = text.replace(f"model-package/mlops-{old}/", f"model-package/{PREFIX}-{new}/")
            text = re.sub(rf"(?<![a-z0-9-]){re.escape(old)}(?![a-z0-9-])", new, text)
        text = text.replace("model-package/mlops-", f"model-package/{PREFIX}-")
        if path.name.startswith("Pulumi."):
            text = text.replace("\nconfig:\n", f"\nconfig:\n  mlops:namePrefix: {PREFIX}\n", 1)
        if path.name == "migration.yaml":
            text = text.replace("allUsers:\n", f"allUsers:\n  - {OWNER}\n", 1).replace("pilotUsers:\n", f"pilotUsers:\n  - {OWNER}\n", 1)
        path.write_text(text, encoding="utf-8")
        if path.stem in renames:
            path.rename(path.with_name(f"{renames[path.stem]}.yaml"))
    dev = (target / "stacks" / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    personal = f"  mlops:personal:\n    owner: {OWNER}\n    slug: {SLUG}\n    models:\n      - {MODEL}\n"
    (target / "stacks" / f"Pulumi.{PERSONAL}.yaml").write_text(dev.replace("\nconfig:\n", "\nconfig:\n" + personal, 1), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def longest(project_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _longest_project(project_dir, tmp_path_factory.mktemp("longest"))


def test_the_names_are_the_longest_the_rules_accept():
    assert is_model_name(MODEL) and not is_model_name(MODEL + "x")
    assert is_model_name(BATCH_MODEL) and len(BATCH_MODEL) == MODEL_NAME_MAX
    assert re.fullmatch(NAME_PREFIX, PREFIX) and not re.fullmatch(NAME_PREFIX, PREFIX + "p")
    assert len(PERSONAL) == PERSONAL_STACK_MAX


@pytest.mark.parametrize("stack", ["dev", "test", "prod", PERSONAL])
def test_the_longest_names_plan_without_deploy_errors(longest, stack):
    doc = json.loads(plan_stack(longest, stack).dumps())
    assert any(MODEL in r["name"] for r in doc["resources"]), "the renamed model is planned"
    if stack == "dev":
        assert any(r["name"].endswith(f"{BATCH_MODEL}-batch-pipeline") for r in doc["resources"]), "the batch model is planned"
    errors = [f"{f['rule']} {f['resource'].rsplit('::', 1)[-1]} {f['field']}: {f['message']}" for f in doc["deploy"]["findings"] if f["severity"] == "error"]
    assert errors == []


def test_a_name_that_fits_is_kept_so_existing_stacks_keep_their_urns():
    assert fitted("mlops-prod-churn-serving", "-config", "sagemaker", "EndpointConfigName") == "mlops-prod-churn-serving-config"


def test_a_long_name_keeps_its_suffix_and_fits_after_auto_naming():
    limit = name_limit("sagemaker", "ModelName").max_length
    one = fitted(f"{PREFIX}-prod-{MODEL}-serving", "-champion", "sagemaker", "ModelName")
    other = fitted(f"{PREFIX}-prod-{MODEL[:-1]}y-serving", "-champion", "sagemaker", "ModelName")
    assert len(one) + AUTO_NAME_SUFFIX == limit and one.endswith("-champion")
    assert one != other and len(one) == len(other)
    assert one == fitted(f"{PREFIX}-prod-{MODEL}-serving", "-champion", "sagemaker", "ModelName")
    assert name_limit("sagemaker", "ModelName").problem(one + "-abcdef1") is None


def test_a_suffix_that_cannot_fit_is_refused():
    with pytest.raises(ValueError, match="leaves no room"):
        fitted("base", "-" + "s" * 80, "events", "RuleName")


def test_a_long_physical_name_is_cut_to_the_limit_itself():
    from infra.config.names import bounded, endpoint_name

    assert endpoint_name("mlops-prod", "churn") == "mlops-prod-churn"
    name = endpoint_name(f"{PREFIX}-{PERSONAL}", MODEL)
    assert len(name) == name_limit("sagemaker", "EndpointName").max_length
    assert name_limit("sagemaker", "EndpointName").problem(name) is None
    assert bounded(name, "-data-quality", "sagemaker", "MonitoringScheduleName").endswith("-data-quality")
