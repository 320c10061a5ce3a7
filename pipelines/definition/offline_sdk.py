"""Running the SageMaker SDK offline: placeholder credentials, no telemetry, quiet, restored after.

The SDK is imported lazily (it takes seconds) and only ever runs under ``offline_sdk``: region and
placeholder credentials come from the caller and the environment is restored afterwards, telemetry
is opted out, and the SDK's warnings, log lines and prints are kept off stdout. Nothing talks to AWS.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

from pipelines.definition.spec import SKLEARN_FRAMEWORK_VERSION

# One build at a time: the SDK is steered through process-wide state (environment, boto3 session).
build_lock = threading.Lock()

# built (some through boto3's default session, some through new sessions). Static placeholder
# credentials keep botocore from walking the credential chain, whose later providers (instance
# metadata, container endpoints, SSO) are network calls; nothing is ever signed with them.
OFFLINE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "offline-definition-build",
    "AWS_SECRET_ACCESS_KEY": "offline-definition-build",
    "AWS_EC2_METADATA_DISABLED": "true",
    # ModelTrainer otherwise checks the role with IAM SimulatePrincipalPolicy.
    "SAGEMAKER_VALIDATE_ROLE": "false",
}
# A profile could shadow the placeholders; a config override may name an s3:// file to fetch.
_CLEARED_ENVIRONMENT = (
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "SAGEMAKER_ADMIN_CONFIG_OVERRIDE",
    "SAGEMAKER_USER_CONFIG_OVERRIDE",
)


@contextlib.contextmanager
def offline_sdk(region: str) -> Iterator[None]:
    """Run SDK code offline and quietly, and leave the process as it was found.

    Restores the environment and boto3's default session (which would otherwise keep the
    placeholder credentials). A NullHandler on the root logger turns the ``logging.basicConfig``
    the SDK calls on import into a no-op, so importing it does not reconfigure the application's
    logging; records up to WARNING, Python warnings and stray prints are kept out of sight.
    """
    import boto3

    borrowed = (*OFFLINE_ENVIRONMENT, *_CLEARED_ENVIRONMENT, "AWS_DEFAULT_REGION")
    saved_environment = {name: os.environ.get(name) for name in borrowed}
    saved_default_session = boto3.DEFAULT_SESSION
    saved_logging_disable = logging.root.manager.disable
    root_guard = logging.NullHandler()
    try:
        os.environ.update(OFFLINE_ENVIRONMENT, AWS_DEFAULT_REGION=region)
        for name in _CLEARED_ENVIRONMENT:
            os.environ.pop(name, None)
        boto3.DEFAULT_SESSION = None
        logging.root.addHandler(root_guard)
        logging.disable(logging.WARNING)
        with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(saved_logging_disable)
        logging.root.removeHandler(root_guard)
        boto3.DEFAULT_SESSION = saved_default_session
        for name, value in saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# Fingerprints of the SDK configs already validated in this process.
_validated_sdk_configs: set[str] = set()


@contextlib.contextmanager
def sdk_config_validated_once() -> Iterator[None]:
    """Validate each distinct SDK config once instead of on every lookup.

    The SDK checks the session's config against its JSON schema each time it reads a default,
    about sixty times per pipeline at ~0.2 s each. Only the memo is added; what is validated,
    and the errors, stay the SDK's own.
    """
    from sagemaker.core.config.config_manager import SageMakerConfig

    original = SageMakerConfig.__dict__["validate_sagemaker_config"]
    validated = _validated_sdk_configs

    def validate_once(sagemaker_config: dict | None = None) -> None:
        fingerprint = json.dumps(sagemaker_config, sort_keys=True, default=repr)
        if fingerprint not in validated:
            original.__func__(sagemaker_config)
            validated.add(fingerprint)

    SageMakerConfig.validate_sagemaker_config = staticmethod(validate_once)
    try:
        yield
    finally:
        SageMakerConfig.validate_sagemaker_config = original



# An explicit SDK config: telemetry off, and no defaults read from the user's config files.
SDK_CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}


def offline_session(region: str, default_bucket: str) -> Any:
    """A ``PipelineSession`` on the offline credentials (run under ``offline_sdk``): definitions are
    built, never run, so nothing it holds reaches AWS."""
    import boto3
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    return PipelineSession(
        boto_session=boto3.Session(
            region_name=region,
            aws_access_key_id=OFFLINE_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=OFFLINE_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        ),
        default_bucket=default_bucket,
        sagemaker_config=SDK_CONFIG,
    )


def sklearn_image(region: str, scope: str) -> str:
    """The scikit-learn framework image of ``scope`` (``training`` or ``inference``) in ``region``.

    Call under ``offline_sdk``.
    """
    from sagemaker.core import image_uris

    return image_uris.retrieve(
        "sklearn", region=region, version=SKLEARN_FRAMEWORK_VERSION, py_version="py3", image_scope=scope
    )


def serving_image(region: str) -> str:
    """The scikit-learn inference image registered versions run in ``region`` (offline lookup)."""
    with offline_sdk(region):
        return sklearn_image(region, "inference")


def framework_image(
    framework: str,
    version: str,
    region: str,
    instance_type: str,
    scope: str,
    python_version: str = "py3",
    base_framework_version: str | None = None,
) -> str:
    """The SageMaker framework image of ``scope`` (training or inference) for the given choice.

    Offline: the SDK looks it up in the image tables it ships. Call under ``offline_sdk``.

    Raises:
        ValueError: the SDK knows no such image for this region and instance type; the message
            lists the versions it knows for the framework.
    """
    from sagemaker.core import image_uris

    try:
        return image_uris.retrieve(
            framework,
            region=region,
            version=version,
            py_version=python_version,
            instance_type=instance_type,
            image_scope=scope,
            base_framework_version=base_framework_version,
        )
    except (ValueError, KeyError) as error:
        config = image_uris.config_for_framework(framework)
        versions = (config.get(scope) or config).get("versions", {})
        known = ", ".join(sorted(versions)[-8:]) or "none"
        raise ValueError(
            f"no {framework} {version} {python_version} {scope} image for {instance_type} in {region} "
            f"({str(error).splitlines()[0][:120]}); known versions include {known}"
        ) from None
