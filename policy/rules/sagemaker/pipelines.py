"""SageMaker pipeline rules: what the steps of a pipeline definition write, and where it lives.

The definition is the JSON the SageMaker SDK produces: `Steps` with a `Type` and the `Arguments`
of the matching Create*Job request; condition steps nest further steps in `IfSteps`/`ElseSteps`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from policy.framework import (
    NOWHERE,
    PROD_ONLY,
    Context,
    Resource,
    as_list,
    dig,
    resource_rule,
)

PIPELINE = "aws:sagemaker/pipeline:Pipeline"

# Per step type: the request fields that carry the output and the volume KMS keys.
STEP_KMS_KEYS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "Training": (("OutputDataConfig", "KmsKeyId"), ("ResourceConfig", "VolumeKmsKeyId")),
    "Processing": (("ProcessingOutputConfig", "KmsKeyId"), ("ProcessingResources", "ClusterConfig", "VolumeKmsKeyId")),
    "Transform": (("TransformOutput", "KmsKeyId"), ("TransformResources", "VolumeKmsKeyId")),
}


def _steps(steps: object) -> Iterator[Mapping]:
    """Every step, including those nested in condition steps."""
    for step in as_list(steps):
        if not isinstance(step, Mapping):
            continue
        yield step
        arguments = step.get("Arguments")
        if step.get("Type") == "Condition" and isinstance(arguments, Mapping):
            yield from _steps(arguments.get("IfSteps"))
            yield from _steps(arguments.get("ElseSteps"))


@resource_rule(
    id="sagemaker-pipeline-steps-encrypted",
    title="Pipeline training, processing and transform steps encrypt outputs and volumes with KMS",
    severity="medium",
    anchors=("MLSEC-02", "MLSEC-08"),
    mandatory_in=PROD_ONLY,
    types=(PIPELINE,),
)
def steps_encrypted(resource: Resource, context: Context) -> Iterator[str]:
    definition = resource.inputs.get("pipelineDefinition")
    if not definition:
        return  # Stored in S3: not readable here; see sagemaker-pipeline-definition-versioned.
    try:
        parsed = json.loads(definition) if isinstance(definition, str) else definition
    except json.JSONDecodeError as error:
        yield f"pipelineDefinition is not valid JSON ({error.msg})"
        return
    if not isinstance(parsed, Mapping):
        yield "pipelineDefinition is not a JSON object"
        return
    for step in _steps(parsed.get("Steps")):
        for path in STEP_KMS_KEYS.get(step.get("Type"), ()):
            # A pipeline parameter ({"Get": "Parameters.KmsKey"}) counts as set.
            if not dig(step.get("Arguments"), *path):
                yield f"step {step.get('Name') or '(unnamed)'} ({step['Type']}) sets no {'.'.join(path)}"


@resource_rule(
    id="sagemaker-pipeline-definition-versioned",
    title="Pipeline definitions stored in S3 are pinned to an object version",
    severity="low",
    anchors=("MLREL-06", "MLOE-11"),
    mandatory_in=NOWHERE,
    types=(PIPELINE,),
)
def definition_versioned(resource: Resource, context: Context) -> Iterator[str]:
    location = resource.inputs.get("pipelineDefinitionS3Location")
    if isinstance(location, Mapping) and not location.get("versionId"):
        yield ("pipelineDefinitionS3Location has no versionId; pin the object version so a deployed pipeline "
               "always matches a reviewed definition")


RULES = (steps_encrypted, definition_versioned)
