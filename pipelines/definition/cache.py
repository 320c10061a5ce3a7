"""A content-addressed cache of pipeline definitions, so repeated plans skip the SageMaker SDK.

A definition is a pure function of its ``PipelineSpec``, the definition builder's source, the
step code and the SDK's version; the cache key hashes all of them, so any change builds anew.
Building one takes the SDK seconds (and importing it many more); reading one takes microseconds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from functools import cache
from importlib import metadata
from pathlib import Path

from pipelines import definition
from pipelines.definition import PipelineSpec, build_definition
from pipelines.definition.batch_scoring import BatchScoringSpec, build_batch_definition

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


def cache_key(spec: PipelineSpec | BatchScoringSpec) -> str:
    """The key of ``spec``'s definition."""
    fields = json.dumps(dataclasses.asdict(spec), sort_keys=True, default=list)
    if isinstance(spec, BatchScoringSpec):
        fields = f"batch-scoring\n{fields}"
    return hashlib.sha256(f"{_fingerprint()}\n{fields}".encode()).hexdigest()


def cached_definition(spec: PipelineSpec | BatchScoringSpec) -> str:
    """The definition of ``spec`` (a training or batch scoring pipeline), from memory or disk
    when it was built before."""
    key = cache_key(spec)
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / f"{key}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        text = build_batch_definition(spec) if isinstance(spec, BatchScoringSpec) else build_definition(spec)
        _store(path, text)
    _MEMORY[key] = text
    return text


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
