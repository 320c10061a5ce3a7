"""Repeated plans reuse pipeline definitions; any change to their inputs builds anew."""

from __future__ import annotations

import dataclasses
import json

import pytest
from pipeline_specs import spec_fields

from pipelines.definition import PipelineSpec, build_definition
from pipelines.definition import cache as definition_cache


def classification_spec() -> PipelineSpec:
    fields = spec_fields()
    return PipelineSpec(**{**fields, "subnet_ids": tuple(fields["subnet_ids"]), "security_group_ids": tuple(fields["security_group_ids"])})


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch, tmp_path) -> list:
    """Record real builds; start from an empty memory and disk cache."""
    monkeypatch.setenv("MLOPS_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(definition_cache, "_MEMORY", {})
    calls: list = []
    real = definition_cache.build_definition

    def counting(spec):
        calls.append(spec)
        return real(spec)

    monkeypatch.setattr(definition_cache, "build_definition", counting)
    return calls


def test_a_definition_is_built_once_then_read_back_from_disk(builds, monkeypatch):
    spec = classification_spec()
    first = definition_cache.cached_definition(spec)
    monkeypatch.setattr(definition_cache, "_MEMORY", {})  # a new process

    second = definition_cache.cached_definition(spec)

    assert second == first
    assert len(builds) == 1
    # The model's definition, and its shape's that the next model of that shape fills in.
    assert len(list(definition_cache.cache_dir().glob("*.json"))) == 2


def test_a_changed_spec_gets_its_own_definition(builds):
    spec = classification_spec()
    definition_cache.cached_definition(spec)

    threshold = definition_cache.cached_definition(dataclasses.replace(spec, threshold=spec.threshold + 0.05))
    instance = definition_cache.cached_definition(dataclasses.replace(spec, training_instance_type="ml.m5.2xlarge"))

    # A threshold is filled into the shape already built; another instance type is another shape.
    assert len(builds) == 2
    assert '"DefaultValue":0.85' in threshold
    assert '"DefaultValue":"ml.m5.2xlarge"' in instance


def test_the_key_covers_the_builder_source_and_sdk_versions(monkeypatch):
    spec = classification_spec()
    before = definition_cache.cache_key(spec)
    monkeypatch.setattr(definition_cache, "_fingerprint", lambda: "another builder")

    assert definition_cache.cache_key(spec) != before



def test_models_of_one_shape_share_one_build_and_get_their_own_bytes(builds):
    # Another name (32 characters, longer than churn), problem, algorithm, metric and threshold;
    # the same direction (maximize), sizes, region, roles and network: the same shape.
    name = "customer-lifetime-value-forecast"
    other = dataclasses.replace(
        classification_spec(), model_name=name, raw_data_uri=f"s3://mlops-dev-raw/models/{name}/", model_package_group_name=f"mlops-{name}",
        problem="regression", algorithm="ridge", metric="r2", threshold=0.65,
    )
    churn = definition_cache.cached_definition(classification_spec())

    filled = definition_cache.cached_definition(other)

    assert [spec.model_name for spec in builds] == [definition_cache.NAME_PLACEHOLDER]
    # The same bytes as the SDK builds for each model's own spec.
    assert churn == build_definition(classification_spec())
    assert filled == build_definition(other)
    assert name in filled and not [p for p in definition_cache.TEXT_PLACEHOLDERS.values() if p in filled]
    assert json.loads(filled)["Parameters"][3] == {"Name": "QualityThreshold", "Type": "Float", "DefaultValue": 0.65}
