"""Where a model's training comes from and how it is served: the catalog's source and mode models.

``training.source`` says who trains: the platform's built-in algorithms (``builtin``), the model's
own scripts in a framework container (``code``), or its own image in its ECR repository
(``image``). The code and image sources honour the contract in ``pipelines/steps/byo_contract.py``.

``serving.mode`` says how a pinned version is served: by an endpoint shaped by the environment's
profile (``endpoint``), by a scheduled batch transform instead of any endpoint (``batch``), or by
an asynchronous endpoint that scales to zero (``async``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from infra.config.errors import ConfigError, Problem
from infra.config.layout import model_file
from infra.config.limits import checked_instance_type, checked_schedule
from infra.config.validation import ConfigModel, KeyedError

if TYPE_CHECKING:
    from infra.config.catalog import ModelSpec

SourceType = Literal["builtin", "code", "image"]
SOURCE_TYPES: tuple[str, ...] = ("builtin", "code", "image")
Framework = Literal["sklearn", "xgboost", "pytorch", "tensorflow", "huggingface"]
FRAMEWORKS: tuple[str, ...] = ("sklearn", "xgboost", "pytorch", "tensorflow", "huggingface")
#: Versions ``mlops model add`` proposes; the others need an explicit choice.
DEFAULT_FRAMEWORK_VERSIONS = {"sklearn": "1.4-2", "xgboost": "1.7-1"}
ServingMode = Literal["endpoint", "batch", "async"]
SERVING_MODES: tuple[str, ...] = ("endpoint", "batch", "async")

#: A code folder: a relative path inside the repository, no ``..``, no leading slash.
CODE_FOLDER = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$"
#: A script inside the code folder.
SCRIPT_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_./-]*\.py$"
#: An image digest (an OCI content digest).
IMAGE_DIGEST = r"^sha256:[0-9a-f]{64}$"
#: An ECR image tag: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageIdentifier.html
IMAGE_TAG = r"^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}$"

_FIELDS_OF: dict[str, tuple[str, ...]] = {
    "builtin": (),
    "code": ("folder", "entry_point", "evaluation_script", "framework", "framework_version", "python_version", "base_framework_version"),
    "image": ("tag", "digest"),
}


class TrainingSource(ConfigModel):
    """Who trains the model; ``code`` and ``image`` follow the training source contract."""

    type: SourceType = Field("builtin", description="builtin, code, image")
    folder: str | None = Field(None, pattern=CODE_FOLDER, description="code: the code folder, relative to the repository, e.g. stacks/models/lead-scoring")
    entry_point: str = Field("train.py", pattern=SCRIPT_NAME, description="code: the training script in folder")
    evaluation_script: str = Field("evaluate.py", pattern=SCRIPT_NAME, description="code: the evaluation script in folder")
    framework: Framework | None = Field(None, description=", ".join(FRAMEWORKS))
    framework_version: str | None = Field(None, pattern=r"^[0-9][0-9a-z.-]*$", description="code: a container version of the framework, e.g. 1.7-1 (xgboost)")
    python_version: str = Field("py3", pattern=r"^py3[0-9]*$", description="code: py3 (sklearn, xgboost) or e.g. py311 (pytorch, tensorflow, huggingface)")
    base_framework_version: str | None = Field(None, pattern=r"^(pytorch|tensorflow)[0-9.]+$", description="code, huggingface only: e.g. pytorch2.1.0")
    tag: str | None = Field(None, pattern=IMAGE_TAG, description="image: a tag in the model's ECR repository (not in prod)")
    digest: str | None = Field(None, pattern=IMAGE_DIGEST, description="image: sha256:<64 hex> in the model's ECR repository")

    @model_validator(mode="after")
    def _fields_of_type(self) -> "TrainingSource":
        given = self.model_fields_set - {"type"}
        for name in sorted(given - set(_FIELDS_OF[self.type])):
            key = self.model_fields[name].alias or name
            raise KeyedError(key, f"does not apply to a {self.type} source", ", ".join(_FIELDS_OF[self.type]) or "type only")
        if self.type == "code":
            for name in ("folder", "framework", "framework_version"):
                if getattr(self, name) is None:
                    raise KeyedError(self.model_fields[name].alias or name, "is required for a code source")
            if self.framework == "huggingface" and self.base_framework_version is None:
                raise KeyedError("baseFrameworkVersion", "is required for huggingface", "e.g. pytorch2.1.0")
            if self.framework != "huggingface" and self.base_framework_version is not None:
                raise KeyedError("baseFrameworkVersion", "applies to huggingface only")
        if self.type == "image" and (self.tag is None) == (self.digest is None):
            raise KeyedError("digest", "an image source names exactly one of tag and digest", "digest: sha256:<64 hex>, or tag")
        return self

    @property
    def custom(self) -> bool:
        """Whether the model brings its own code or image (and so the BYO contract applies)."""
        return self.type != "builtin"

    def describe(self) -> str:
        """A few words for descriptions and the model card."""
        if self.type == "code":
            return f"own {self.framework} {self.framework_version} code"
        if self.type == "image":
            return "own image"
        return "built-in"


class BatchScoring(ConfigModel):
    """A scheduled batch transform of the pinned version, instead of an endpoint."""

    schedule: str = Field(description="an EventBridge expression: rate(7 days) or cron(0 4 1 * ? *)")
    instance_type: str = Field("ml.m5.large", description="a SageMaker transform instance type such as ml.m5.large")
    instance_count: int = Field(1, ge=1, le=20, description="1-20")
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html: MaxPayloadInMB 0-100.
    max_payload_mb: int = Field(6, ge=1, le=100, description="1-100 MB per request to the container")
    split_type: Literal["Line", "None"] = Field("Line", description="Line (one record per line), None")

    @field_validator("instance_type")
    @classmethod
    def _instance(cls, value: str) -> str:
        return checked_instance_type(value, "transform")

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return checked_schedule(value)


class AsyncInference(ConfigModel):
    """An asynchronous endpoint: requests queue in S3, results land in S3, instances scale to zero."""

    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AsyncInferenceClientConfig.html
    max_concurrent_invocations_per_instance: int = Field(4, ge=1, le=1000, description="1-1000")
    # https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html
    target_backlog_per_instance: int = Field(5, ge=1, le=10000, description="1-10000 queued requests per instance (autoscaling target)")
    scale_in_cooldown_seconds: int = Field(600, ge=0, le=86400, description="0-86400")
    scale_out_cooldown_seconds: int = Field(300, ge=0, le=86400, description="0-86400")


def image_reference_problem(source: TrainingSource, environment: str) -> str | None:
    """Why ``source``'s image may not be used in ``environment`` (prod needs a digest), or None."""
    if source.type == "image" and environment == "prod" and source.digest is None:
        return f"tag {source.tag!r} can move; prod runs images by digest"
    return None


def is_digest_reference(image: str) -> bool:
    """Whether a container image reference is pinned by digest (``…@sha256:<64 hex>``)."""
    return re.search(r"@sha256:[0-9a-f]{64}$", image) is not None


@dataclass(frozen=True)
class ResolvedCode:
    """A code source after loading: its files and the framework images for the stack's region."""

    files: Mapping[str, bytes]
    training_image: str
    serving_image: str


@functools.cache
def framework_images(source: TrainingSource, region: str, training_instance: str, serving_instance: str) -> tuple[str, str]:
    """The framework's training and inference images for ``source`` (offline SDK lookup, cached).

    Raises:
        ValueError: the SDK knows no such image for the region and instance type.
    """
    from pipelines.definition.cache import cached_framework_images

    return cached_framework_images(
        source.framework, source.framework_version, source.python_version, source.base_framework_version,
        region, training_instance, serving_instance,
    )


def load_code_sources(
    project_dir: Path, models: Sequence[ModelSpec], region: str, resolve_images: bool
) -> dict[str, ResolvedCode]:
    """Read each code-source model's folder and resolve its images; raises one ``ConfigError``
    listing every missing folder or script and every framework choice the SDK does not know.

    ``resolve_images`` is off where no training pipeline runs (test, prod): the images are only
    used by the pipeline in the registry-owning environment.
    """
    from pipelines.definition import code_files

    problems: list[Problem] = []
    resolved: dict[str, ResolvedCode] = {}
    for model in models:
        source = model.training.source
        if source.type != "code":
            continue
        file = model_file(model.name)
        folder = project_dir / source.folder
        if not folder.is_dir():
            problems.append(Problem(file, None, "training.source.folder", f"{source.folder} is not a folder of the repository", "a folder holding the training and evaluation scripts"))
            continue
        files = code_files(folder)
        missing = [(key, script) for key, script in (("entryPoint", source.entry_point), ("evaluationScript", source.evaluation_script)) if script not in files]
        for key, script in missing:
            problems.append(Problem(file, None, f"training.source.{key}", f"{source.folder}/{script} does not exist", ", ".join(n for n in sorted(files) if n.endswith(".py")) or "no .py files"))
        images = ("", "")
        if resolve_images:
            try:
                images = framework_images(source, region, model.training.instance_type, model.serving.instance_type)
            except ValueError as error:
                problems.append(Problem(file, None, "training.source.frameworkVersion", str(error), f"a {source.framework} version the SageMaker SDK knows for {region}"))
                continue
        if not missing:
            resolved[model.name] = ResolvedCode(files, *images)
    if problems:
        raise ConfigError.of(problems)
    return resolved
