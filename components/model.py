"""One catalog model in one environment: the parts the migration plan gives it there."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.batch_scoring import BatchScoring, BatchScoringArgs
from components.endpoint import ModelEndpoint, ModelEndpointArgs
from components.kubernetes_serving import KubernetesServing, KubernetesServingArgs
from components.model_card import GovernanceCard, ModelCardArgs
from components.monitor import ModelMonitor, ModelMonitorArgs
from components.monitoring_pipeline import MonitoringPipeline, MonitoringPipelineArgs
from components.registry import ModelRegistry, ModelRegistryArgs
from components.training_pipeline import TrainingPipeline, TrainingPipelineArgs


@dataclass(frozen=True)
class ModelComponentArgs:
    """The parts of a model in one environment; None means the environment has no such part.

    Attributes:
        registry: Model package group and image repository (the registry-owning environment).
        pipeline: Training pipeline and its triggers (dev).
        endpoint: SageMaker endpoint (once a version is pinned for the environment).
        kubernetes: Kubernetes workload instead, for models whose target is kubernetes.
        batch: Scheduled batch scoring instead of an endpoint, for batch-served models.
        monitor: Data-quality monitoring and alarms (where the environment monitors).
        card: The model card.
    """

    registry: ModelRegistryArgs | None
    pipeline: TrainingPipelineArgs | None
    endpoint: ModelEndpointArgs | None
    monitor: ModelMonitorArgs | None
    card: ModelCardArgs
    kubernetes: KubernetesServingArgs | None = None
    monitoring: MonitoringPipelineArgs | None = None
    batch: BatchScoringArgs | None = None


class ModelComponent(pulumi.ComponentResource):
    """Registry, pipeline, endpoint, monitor and card of one model, as the environment allows."""

    registry: ModelRegistry | None
    pipeline: TrainingPipeline | None
    endpoint: ModelEndpoint | None
    monitor: ModelMonitor | None
    monitoring: MonitoringPipeline | None
    kubernetes: KubernetesServing | None
    widgets: list[dict]
    batch: BatchScoring | None

    def __init__(self, name: str, args: ModelComponentArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:model:ModelComponent", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.registry = ModelRegistry(f"{name}-registry", args.registry, opts=child) if args.registry else None
        # A pipeline registers into the group, so it waits for it.
        pipeline_opts = pulumi.ResourceOptions(parent=self, depends_on=[self.registry] if self.registry else None)
        self.pipeline = TrainingPipeline(f"{name}-training", args.pipeline, opts=pipeline_opts) if args.pipeline else None
        self.endpoint = ModelEndpoint(f"{name}-serving", args.endpoint, opts=child) if args.endpoint else None
        self.kubernetes = KubernetesServing(f"{name}-kubernetes", args.kubernetes, opts=child) if args.kubernetes else None
        self.batch = BatchScoring(f"{name}-batch", args.batch, opts=child) if args.batch else None
        monitor_opts = pulumi.ResourceOptions(parent=self, depends_on=[self.endpoint] if self.endpoint else None)
        self.monitor = ModelMonitor(f"{name}-monitoring", args.monitor, opts=monitor_opts) if args.monitor else None
        self.monitoring = MonitoringPipeline(f"{name}-monitoring-pipeline", args.monitoring, opts=monitor_opts) if args.monitoring else None
        self.widgets = [
            *(self.monitor.widgets if self.monitor else []),
            *(self.monitoring.widgets if self.monitoring else []),
        ]
        GovernanceCard(f"{name}-governance", args.card, opts=child)
        outputs = {}
        if self.endpoint:
            outputs["endpoint_name"] = self.endpoint.endpoint.name
        if self.pipeline:
            outputs["pipeline_arn"] = self.pipeline.arn
        if self.batch:
            outputs["batch_pipeline_arn"] = self.batch.pipeline.arn
        self.register_outputs(outputs)
