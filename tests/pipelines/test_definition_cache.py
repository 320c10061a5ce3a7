"""Repeated plans reuse pipeline definitions; any change to their inputs builds anew."""

from __future__ import annotations

import dataclasses

import pytest
from pipeline_specs import spec_fields

from pipelines.definition import PipelineSpec
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
    assert len(list(definition_cache.cache_dir().glob("*.json"))) == 1


def test_a_changed_spec_is_built_again(builds):
    spec = classification_spec()
    definition_cache.cached_definition(spec)

    changed = definition_cache.cached_definition(dataclasses.replace(spec, threshold=spec.threshold + 0.05))

    assert len(builds) == 2
    assert "0.85" in changed


def test_the_key_covers_the_builder_source_and_sdk_versions(monkeypatch):
    spec = classification_spec()
    before = definition_cache.cache_key(spec)
    monkeypatch.setattr(definition_cache, "_fingerprint", lambda: "another builder")

    assert definition_cache.cache_key(spec) != before
