"""Every physical name the program gives an AWS resource, built in one place.

Components receive these names as arguments; the program's outputs, the promotion commands and the
dashboards read them from here instead of rebuilding them.
"""

from __future__ import annotations


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
    """The model's SageMaker endpoint (and its model card)."""
    return f"{resource_prefix}-{model}"


def drift_alarm_name(prefix: str, environment: str, model: str) -> str:
    """The model's drift alarm in ``environment``: the retraining trigger."""
    return f"{environment_prefix(prefix, environment)}-{model}-drift"


def drift_alarm_pattern(prefix: str, environment: str) -> str:
    """A glob matching every drift alarm of ``environment``."""
    return f"{environment_prefix(prefix, environment)}-*-drift"


def dashboard_name(resource_prefix: str) -> str:
    """The environment's overview dashboard."""
    return f"{resource_prefix}-overview"
