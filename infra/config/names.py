"""Every physical name the program gives an AWS resource, built in one place.

Components receive these names as arguments; the program's outputs, the promotion commands and the
dashboards read them from here instead of rebuilding them.
"""

from __future__ import annotations

import hashlib

from infra.config.aws_data import AUTO_NAME_SUFFIX, name_limit


def group_name(prefix: str, model: str) -> str:
    """The registry group (and image repository) holding a model's versions: ``<prefix>-<model>``."""
    return f"{prefix}-{model}"


def environment_prefix(prefix: str, environment: str) -> str:
    """The prefix of a shared environment's resources: ``<prefix>-<environment>``."""
    return f"{prefix}-{environment}"


def stack_prefix(prefix: str, stack: str) -> str:
    """The prefix of a stack's resources: the environment prefix, or ``<prefix>-<stack>`` for a
    personal stack (whose name already starts with ``dev-``)."""
    return f"{prefix}-{stack}"


def pipeline_name(resource_prefix: str, model: str) -> str:
    """The model's training pipeline."""
    return f"{resource_prefix}-{model}-training"


def batch_pipeline_name(resource_prefix: str, model: str) -> str:
    """The batch scoring pipeline of a batch-served model."""
    return f"{resource_prefix}-{model}-scoring"


def endpoint_name(resource_prefix: str, model: str) -> str:
    """The model's SageMaker endpoint (and its model card), cut to the endpoint's 63 characters when a
    long personal stack name and a long model name meet."""
    return bounded(f"{resource_prefix}-{model}", "", "sagemaker", "EndpointName")


def drift_alarm_name(prefix: str, environment: str, model: str) -> str:
    """The model's drift alarm in ``environment``: the retraining trigger."""
    return f"{environment_prefix(prefix, environment)}-{model}-drift"


def quality_alarm_name(prefix: str, environment: str, model: str) -> str:
    """The model's quality-on-ground-truth alarm in ``environment``: a retraining trigger too."""
    return f"{environment_prefix(prefix, environment)}-{model}-quality"


def retraining_alarm_patterns(prefix: str, environment: str) -> tuple[str, ...]:
    """Globs matching every alarm of ``environment`` that retrains a model (drift and quality)."""
    return (f"{environment_prefix(prefix, environment)}-*-drift", f"{environment_prefix(prefix, environment)}-*-quality")


def monitoring_pipeline_name(resource_prefix: str, model: str) -> str:
    """The model's monitoring pipeline (its operational alarms are named after it)."""
    return f"{resource_prefix}-{model}-monitoring"


def dashboard_name(resource_prefix: str) -> str:
    """The environment's overview dashboard."""
    return f"{resource_prefix}-overview"


def fitted(base: str, suffix: str, service: str, shape: str) -> str:
    """The logical name ``<base><suffix>`` of a resource Pulumi auto-names, cut to fit AWS's limit.

    Pulumi names such a resource ``<logical name>-<7 hex>``; the API shape (e.g. ``sagemaker``
    ``ModelName``, 63 characters) bounds the whole. A name that fits is returned unchanged, so
    existing stacks keep their URNs; a longer one is cut as ``bounded`` cuts it.
    """
    return _cut(base, suffix, service, shape, AUTO_NAME_SUFFIX)


def bounded(base: str, suffix: str, service: str, shape: str) -> str:
    """The physical name ``<base><suffix>`` cut to the API shape's limit (e.g. ``sagemaker``
    ``EndpointName``, 63 characters).

    A name that fits is returned unchanged. A longer one keeps the suffix that says what the resource
    is and cuts the base, adding six hex digits of the base's SHA-256 so two long bases never
    collide: ``mlops-dev-alice-exp1-customer-lifetime-3f2a1c-data-quality``.
    """
    return _cut(base, suffix, service, shape, 0)


def _cut(base: str, suffix: str, service: str, shape: str, reserved: int) -> str:
    limit = name_limit(service, shape).max_length
    if limit is None or len(base) + len(suffix) + reserved <= limit:
        return f"{base}{suffix}"
    digest = hashlib.sha256(base.encode()).hexdigest()[:6]
    keep = limit - reserved - len(suffix) - len(digest) - 1
    if keep < 1:
        raise ValueError(f"{base}{suffix}: the suffix {suffix!r} leaves no room within {service} {shape}'s {limit} characters")
    return f"{base[:keep].rstrip('-')}-{digest}{suffix}"


def team_dashboard_name(resource_prefix: str, team: str, page: int) -> str:
    """Page ``page`` (from 1) of a team's dashboards: ``<prefix>-<team>-overview[-<page>]``.

    Dashboard names take up to 255 characters of letters, digits, ``-`` and ``_``
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html).
    """
    return f"{resource_prefix}-{team}-overview" + (f"-{page}" if page > 1 else "")
