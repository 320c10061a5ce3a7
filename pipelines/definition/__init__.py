"""The SageMaker training pipeline of one catalog model, built offline as deterministic JSON.

``build_definition(spec)`` composes, with the SageMaker Python SDK v3::

    Preprocess (processing) -> Train (training) -> Evaluate (processing, evaluation.json)
        -> CheckQuality (condition: metrics.<metric>.value >= threshold, or <= when minimizing)
             true:  DataQualityBaseline (Model Monitor analyzer, writes baseline_prefix())
                    -> RegisterModel (PendingManualApproval, model + data-quality metrics)
             false: QualityGateFailed (fail step with the reason)

and returns the definition JSON with sorted keys: the same spec gives the same bytes.

A model with its own code or image (``PipelineSpec.custom``) trains in the framework container or
its image, and its Evaluate step runs ``byo_contract.py``, which checks the model's own report
against the training source contract (an image evaluates first in an ``EvaluateInImage`` step).

How the step code reaches the jobs. A job receives only what the definition points at, and the
SDK uploads any local path it is given while building, so the definition refers to code by
``s3://`` URI only. ``step_code()`` lists the objects to upload, each under a content-addressed
key; the infrastructure uploads them and passes their URIs back in ``PipelineSpec.code_uris``:

- ``preprocess`` / ``evaluate``: the scripts, run by the scikit-learn processing container.
- ``step-contract``: the shared ``step_contract.py`` module. Processing jobs receive it as an extra
  input folder that is on their ``PYTHONPATH``, so the scripts' ``import step_contract`` works there
  as it does locally (where the module sits next to them).
- ``train``: ``sourcedir.tar.gz`` holding ``train.py`` and ``step_contract.py``. The scikit-learn
  training container unpacks it and runs ``train.py``; the serving container of a registered
  version unpacks the same bundle and calls ``train.py``'s ``model_fn`` / ``predict_fn``.

Building offline. The SDK is imported lazily (it takes seconds) and only ever runs under
``offline_sdk``: region and placeholder credentials come from the spec and the environment is
restored afterwards, telemetry is opted out, and the SDK's warnings, log lines and prints are
kept off stdout. Nothing in the build talks to AWS.
"""

from pipelines.definition.graph import build_definition
from pipelines.definition.offline_sdk import framework_image, offline_sdk, serving_image
from pipelines.definition.spec import (
    BYO_CONTRACT_CODE,
    CODE_NAMES,
    EVALUATE_CODE,
    MODEL_CODE,
    PENDING_MANUAL_APPROVAL,
    PREPROCESS_CODE,
    SKLEARN_FRAMEWORK_VERSION,
    STEP_CONTRACT_CODE,
    TRAIN_CODE,
    CustomTraining,
    PipelineSpec,
)
from pipelines.definition.step_code import (
    STEPS_DIR,
    StepCode,
    baseline_prefix,
    code_files,
    custom_step_code,
    drift_baseline_prefix,
    source_bundle,
    step_code,
)

__all__ = [
    "BYO_CONTRACT_CODE",
    "CODE_NAMES",
    "MODEL_CODE",
    "CustomTraining",
    "code_files",
    "custom_step_code",
    "framework_image",
    "offline_sdk",
    "EVALUATE_CODE",
    "PENDING_MANUAL_APPROVAL",
    "PREPROCESS_CODE",
    "SKLEARN_FRAMEWORK_VERSION",
    "STEPS_DIR",
    "STEP_CONTRACT_CODE",
    "TRAIN_CODE",
    "PipelineSpec",
    "StepCode",
    "baseline_prefix",
    "drift_baseline_prefix",
    "build_definition",
    "serving_image",
    "source_bundle",
    "step_code",
]
