"""A content-addressed cache of pipeline definitions, so repeated plans skip the SageMaker SDK.

A definition is a pure function of its ``PipelineSpec``, the definition builder's source, the
step code and the SDK's version; the cache key hashes all of them, so any change builds anew.
Building one takes the SDK seconds (and importing it many more); reading one takes microseconds.

Cold, models of the same shape (every field but the model's name and quality threshold) share one
build: the SDK builds the shape once with placeholders, and each model's definition is that text
with its name and threshold filled in. The SDK only copies the name into paths, arguments and
messages and the threshold into one parameter default, so the bytes are the ones a build of the
model's own spec gives (tests/pipelines compares them).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path

from pipelines import definition
from pipelines.definition import PipelineSpec, build_definition

_MEMORY: dict[str, str] = {}
SDK_DISTRIBUTIONS = ("sagemaker", "sagemaker-core", "sagemaker-mlops")


def cache_dir() -> Path:
    """Where definitions are kept: ``$MLOPS_CACHE_DIR``, else the user's cache folder."""
    if os.environ.get("MLOPS_CACHE_DIR"):
        return Path(os.environ["MLOPS_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlops-platform" / "pipeline-definitions"


@cache
def _fingerprint() -> str:
    """What, besides the spec, a definition depends on: builder source, step code, SDK versions."""
    digest = hashlib.sha256()
    for module in sorted(Path(definition.__file__).parent.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    for code in definition.step_code():
        digest.update(code.key.encode())
    for name in SDK_DISTRIBUTIONS:
        try:
            digest.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} missing".encode())
    return digest.hexdigest()


def cache_key(spec: PipelineSpec) -> str:
    """The key of ``spec``'s definition."""
    fields = json.dumps(dataclasses.asdict(spec), sort_keys=True, default=list)
    return hashlib.sha256(f"{_fingerprint()}\n{fields}".encode()).hexdigest()


#: Stands for the model's name in a shape's definition: lowercase letters only, like a model
#: name, and long enough to occur nowhere else in a definition.
NAME_PLACEHOLDER = "mlopsplaceholdermodelnamezq"
#: Stands for the quality threshold: the definition holds it once, as the default of the
#: QualityThreshold parameter, written as JSON writes a float.
THRESHOLD_PLACEHOLDER = 0.123456789012345


def shape_of(spec: PipelineSpec) -> PipelineSpec | None:
    """``spec`` with the model's name replaced by ``NAME_PLACEHOLDER`` wherever it occurs in the
    fields that carry it and the threshold by ``THRESHOLD_PLACEHOLDER``, or None when the
    placeholders could not be told apart from the rest."""
    fields = json.dumps(dataclasses.asdict(spec), sort_keys=True, default=list)
    if NAME_PLACEHOLDER in fields or json.dumps(THRESHOLD_PLACEHOLDER) in fields or not spec.model_name:
        return None
    name = spec.model_name
    return dataclasses.replace(
        spec,
        model_name=NAME_PLACEHOLDER,
        raw_data_uri=spec.raw_data_uri.replace(name, NAME_PLACEHOLDER),
        model_package_group_name=spec.model_package_group_name.replace(name, NAME_PLACEHOLDER),
        threshold=THRESHOLD_PLACEHOLDER,
    )


def cached_definition(spec: PipelineSpec) -> str:
    """``build_definition(spec)``, from memory or disk when it or its shape was built before."""
    shape = shape_of(spec)
    if shape is None:
        return _kept(spec, lambda: build_definition(spec))

    def fill() -> str:
        template = _kept(shape, lambda: build_definition(shape))
        threshold = json.dumps(float(spec.threshold))
        return template.replace(NAME_PLACEHOLDER, spec.model_name).replace(json.dumps(THRESHOLD_PLACEHOLDER), threshold)

    return _kept(spec, fill)


def _kept(spec: PipelineSpec, build: Callable[[], str]) -> str:
    """``spec``'s definition from memory or disk, else ``build()`` kept in both."""
    key = cache_key(spec)
    if key not in _MEMORY:
        path = cache_dir() / f"{key}.json"
        try:
            _MEMORY[key] = path.read_text(encoding="utf-8")
        except OSError:
            _MEMORY[key] = build()
            _store(path, _MEMORY[key])
    return _MEMORY[key]


def _store(path: Path, text: str) -> None:
    """Write atomically; a cache that cannot be written only costs the next plan time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except OSError:
        pass
