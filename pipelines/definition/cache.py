"""A content-addressed cache of pipeline definitions, so repeated plans skip the SageMaker SDK.

A definition is a pure function of its spec (``PipelineSpec`` for training,
``MonitoringPipelineSpec`` for monitoring), the definition builder's source, the step code and the
SDK's version; the cache key hashes all of them, so any change builds anew.
Building one takes the SDK seconds (and importing it many more); reading one takes microseconds.

Cold, models of the same shape (all but name, problem, algorithm, metric and threshold) share one
build: the SDK builds the shape once with placeholders, and each model's definition is that text
with its own values filled in. The SDK only copies those values into paths, arguments,
hyperparameters and messages, and the threshold into one parameter default, so the bytes are the
ones a build of the model's own spec gives (tests/pipelines compares them).
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
from pipelines.definition.batch_scoring import BatchScoringSpec, build_batch_definition
from pipelines.definition.monitoring import (
    MonitoringPipelineSpec,
    build_monitoring_definition,
    monitoring_step_code,
)

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
    for code in (*definition.step_code(), *monitoring_step_code()):
        digest.update(code.key.encode())
    for name in SDK_DISTRIBUTIONS:
        try:
            digest.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} missing".encode())
    return digest.hexdigest()


def cache_key(spec: PipelineSpec | MonitoringPipelineSpec | BatchScoringSpec) -> str:
    """The key of ``spec``'s definition."""
    fields = json.dumps(dataclasses.asdict(spec), sort_keys=True, default=list)
    return hashlib.sha256(f"{_fingerprint()}\n{type(spec).__name__}\n{fields}".encode()).hexdigest()


#: Stand-ins for the text fields a shape leaves open: lowercase letters only, none inside another,
#: long enough to occur nowhere else in a definition. The SDK copies these fields verbatim into
#: paths, job arguments, hyperparameters, a JSON path and messages.
TEXT_PLACEHOLDERS = {
    "model_name": "mlopsplaceholdermodelnamezq",
    "problem": "mlopsplaceholderproblemzq",
    "algorithm": "mlopsplaceholderalgorithmzq",
    "metric": "mlopsplaceholdermetriczq",
}
NAME_PLACEHOLDER = TEXT_PLACEHOLDERS["model_name"]
#: Stands for the quality threshold: the definition holds it once, as the default of the
#: QualityThreshold parameter, written as JSON writes a float.
THRESHOLD_PLACEHOLDER = 0.123456789012345


def shape_of(spec: PipelineSpec) -> PipelineSpec | None:
    """``spec`` with its name (wherever the fields carry it), problem, algorithm, metric and
    threshold replaced by placeholders, or None when a placeholder could not be told apart from
    the rest. What stays is what shapes the pipeline: direction, sizes, region, roles, network."""
    fields = json.dumps(dataclasses.asdict(spec), sort_keys=True, default=list)
    if any(p in fields for p in (*TEXT_PLACEHOLDERS.values(), json.dumps(THRESHOLD_PLACEHOLDER))) or not spec.model_name:
        return None
    if spec.custom is not None:  # a model's own code or image: its definition is its own
        return None
    name = spec.model_name
    shape = dataclasses.replace(
        spec,
        model_name=NAME_PLACEHOLDER,
        raw_data_uri=spec.raw_data_uri.replace(name, NAME_PLACEHOLDER),
        model_package_group_name=spec.model_package_group_name.replace(name, NAME_PLACEHOLDER),
        threshold=THRESHOLD_PLACEHOLDER,
    )
    # A shape is built, never run: the spec's check of the problem/algorithm/metric choice has
    # passed for the model itself, and the placeholders would not pass it.
    for field in ("problem", "algorithm", "metric"):
        object.__setattr__(shape, field, TEXT_PLACEHOLDERS[field])
    return shape


def cached_definition(spec: PipelineSpec | MonitoringPipelineSpec | BatchScoringSpec) -> str:
    """The definition of ``spec`` (training, monitoring or batch scoring), from memory or disk when
    it (or, for built-in training, its shape) was built before."""
    if isinstance(spec, MonitoringPipelineSpec):
        return _kept(spec, lambda: build_monitoring_definition(spec))
    if isinstance(spec, BatchScoringSpec):
        return _kept(spec, lambda: build_batch_definition(spec))
    shape = shape_of(spec)
    if shape is None:
        return _kept(spec, lambda: build_definition(spec))

    def fill() -> str:
        text = _kept(shape, lambda: build_definition(shape))
        for field, placeholder in TEXT_PLACEHOLDERS.items():
            text = text.replace(placeholder, getattr(spec, field))
        return text.replace(json.dumps(THRESHOLD_PLACEHOLDER), json.dumps(float(spec.threshold)))

    return _kept(spec, fill)


def _kept(spec: PipelineSpec | MonitoringPipelineSpec | BatchScoringSpec, build: Callable[[], str]) -> str:
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


def cached_framework_images(
    framework: str,
    version: str,
    python_version: str,
    base_framework_version: str | None,
    region: str,
    training_instance: str,
    serving_instance: str,
) -> tuple[str, str]:
    """The framework's training and inference images (``framework_image``), from disk when the
    same SDK looked them up before: a plan whose definitions are cached then never imports the SDK.

    Raises:
        ValueError: the SDK knows no such image (never cached).
    """
    from pipelines.definition import framework_image, offline_sdk

    choice = [framework, version, python_version, base_framework_version, region, training_instance, serving_instance]
    key = hashlib.sha256(f"{_fingerprint()}\nimages\n{json.dumps(choice)}".encode()).hexdigest()
    path = cache_dir() / f"{key}.images.json"
    try:
        training, serving = json.loads(path.read_text(encoding="utf-8"))
        return training, serving
    except (OSError, ValueError):
        pass
    with offline_sdk(region):
        images = tuple(
            framework_image(framework, version, region, instance, scope, python_version, base_framework_version)
            for instance, scope in ((training_instance, "training"), (serving_instance, "inference"))
        )
    _store(path, json.dumps(images))
    return images
