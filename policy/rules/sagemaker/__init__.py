"""SageMaker rules, one module per area: models, serving, monitoring, registry, pipelines, Studio."""

from policy.rules.sagemaker import (
    endpoints,
    models,
    monitoring,
    pipelines,
    registry,
    studio,
)

RULES = (*models.RULES, *endpoints.RULES, *monitoring.RULES, *registry.RULES, *pipelines.RULES, *studio.RULES)
