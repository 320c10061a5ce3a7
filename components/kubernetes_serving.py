"""Serving a model on a team's Kubernetes cluster instead of a SageMaker endpoint.

One namespace per team (restricted pod security, default-deny network policy, quota), and per
model a hardened deployment with probes, limits, zone spreading, an autoscaler, a disruption
budget, a network policy that admits only the ingress controller, and alert rules.

Monitoring on Kubernetes: SageMaker data capture does not exist there, so the drift and quality
pipeline has no traffic to read; a Kubernetes-served model gets latency, error-rate and
availability alerts as a Prometheus Operator ``PrometheusRule`` (the cluster's Prometheus and
Alertmanager route them), from the ingress-nginx controller's request metrics and
kube-state-metrics (https://kubernetes.github.io/ingress-nginx/user-guide/monitoring/,
https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusRule).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

SERVING_PORT = 8080


@dataclass(frozen=True)
class TeamNamespaceArgs:
    """Inputs of a ``TeamNamespace``.

    Attributes:
        team: The owning team; the namespace is named after it.
        environment: dev, test or prod (a label).
        cpu_quota: Total CPU the team's models may request.
        memory_quota: Total memory the team's models may request.
    """

    team: str
    environment: str
    cpu_quota: str = "16"
    memory_quota: str = "32Gi"


class TeamNamespace(pulumi.ComponentResource):
    """A team's namespace: restricted pod security, deny-all by default, a resource quota."""

    name: pulumi.Output[str]

    def __init__(self, name: str, args: TeamNamespaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:kubernetes:TeamNamespace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": args.team,
                "labels": {
                    "mlops/team": args.team,
                    "mlops/environment": args.environment,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                },
            },
            opts=child,
        )
        self.name = namespace.metadata.name
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata={"name": "default-deny", "namespace": self.name},
            spec={"pod_selector": {}, "policy_types": ["Ingress"]},
            opts=child,
        )
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata={"name": "models", "namespace": self.name},
            spec={"hard": {"requests.cpu": args.cpu_quota, "requests.memory": args.memory_quota}},
            opts=child,
        )
        self.register_outputs({"name": self.name})


@dataclass(frozen=True)
class KubernetesServingArgs:
    """Inputs of a ``KubernetesServing``.

    Attributes:
        model_name: Catalog name (workload and service name).
        namespace: The team's namespace.
        image: The model's serving image from its ECR repository (immutable tag or digest).
        model_package_arn: The pinned registry version (recorded on the pods).
        min_replicas: Floor of the autoscaler (>= 2 spreads across zones).
        max_replicas: Ceiling of the autoscaler.
        ingress_namespace: Namespace of the ingress controller allowed to call the model.
        cpu_request: CPU requested per replica.
        memory_limit: Memory per replica (request = limit: no overcommit).
        latency_p99_ms: p99 request latency above which the latency alert fires.
        error_rate_percent: Share of 5xx responses above which the error alert fires.
    """

    model_name: str
    namespace: pulumi.Input[str]
    image: pulumi.Input[str]
    model_package_arn: str
    min_replicas: int
    max_replicas: int
    ingress_namespace: str
    cpu_request: str = "500m"
    memory_limit: str = "2Gi"
    latency_p99_ms: int = 500
    error_rate_percent: float = 1.0


class KubernetesServing(pulumi.ComponentResource):
    """Service account, deployment, service, autoscaler, disruption budget and ingress policy."""

    def __init__(self, name: str, args: KubernetesServingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:kubernetes:KubernetesServing", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        a = args
        labels = {"app.kubernetes.io/name": a.model_name, "app.kubernetes.io/component": "model-server"}
        metadata = {"name": a.model_name, "namespace": a.namespace, "labels": labels}
        account = k8s.core.v1.ServiceAccount(
            f"{name}-account", metadata=metadata, automount_service_account_token=False, opts=child
        )
        probe = {"http_get": {"path": "/ping", "port": SERVING_PORT}, "period_seconds": 10, "timeout_seconds": 2}
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=metadata,
            spec={
                "replicas": a.min_replicas,
                "selector": {"match_labels": labels},
                "strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": 0, "max_surge": 1}},
                "template": {
                    "metadata": {"labels": labels, "annotations": {"mlops/model-package": a.model_package_arn}},
                    "spec": {
                        "service_account_name": account.metadata.name,
                        "automount_service_account_token": False,
                        "security_context": {"run_as_non_root": True, "run_as_user": 10001, "seccomp_profile": {"type": "RuntimeDefault"}},
                        "topology_spread_constraints": [
                            {"max_skew": 1, "topology_key": "topology.kubernetes.io/zone", "when_unsatisfiable": "ScheduleAnyway", "label_selector": {"match_labels": labels}}
                        ],
                        "containers": [
                            {
                                "name": "model-server",
                                "image": a.image,
                                "image_pull_policy": "IfNotPresent",
                                "args": ["serve"],
                                "ports": [{"container_port": SERVING_PORT, "name": "http"}],
                                "env": [{"name": "MODEL_PACKAGE_ARN", "value": a.model_package_arn}],
                                "readiness_probe": {**probe, "initial_delay_seconds": 5},
                                # Generous start: the model loads before /ping answers.
                                "liveness_probe": {**probe, "initial_delay_seconds": 60, "failure_threshold": 3},
                                "resources": {
                                    "requests": {"cpu": a.cpu_request, "memory": a.memory_limit},
                                    "limits": {"memory": a.memory_limit},
                                },
                                "security_context": {
                                    "allow_privilege_escalation": False,
                                    "read_only_root_filesystem": True,
                                    "capabilities": {"drop": ["ALL"]},
                                },
                                "volume_mounts": [{"name": "tmp", "mount_path": "/tmp"}],
                            }
                        ],
                        "volumes": [{"name": "tmp", "empty_dir": {"size_limit": "1Gi"}}],
                    },
                },
            },
            opts=child,
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=metadata,
            spec={"selector": labels, "ports": [{"name": "http", "port": 80, "target_port": SERVING_PORT}]},
            opts=child,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-autoscaler",
            metadata=metadata,
            spec={
                "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": deployment.metadata.name},
                "min_replicas": a.min_replicas,
                "max_replicas": a.max_replicas,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "average_utilization": 70}}}],
            },
            opts=child,
        )
        if a.min_replicas >= 2:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-disruption-budget",
                metadata=metadata,
                spec={"min_available": a.min_replicas - 1, "selector": {"match_labels": labels}},
                opts=child,
            )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-ingress",
            metadata={"name": f"{a.model_name}-ingress", "namespace": a.namespace},
            spec={
                "pod_selector": {"match_labels": labels},
                "policy_types": ["Ingress"],
                "ingress": [
                    {
                        "from": [{"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": a.ingress_namespace}}}],
                        "ports": [{"port": SERVING_PORT, "protocol": "TCP"}],
                    }
                ],
            },
            opts=child,
        )
        self.alerts = k8s.apiextensions.CustomResource(
            f"{name}-alerts",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={"name": f"{a.model_name}-serving", "namespace": a.namespace, "labels": labels},
            spec=pulumi.Output.from_input(a.namespace).apply(
                lambda namespace: {"groups": [{"name": f"{a.model_name}-serving", "rules": serving_alert_rules(a, namespace)}]}
            ),
            opts=child,
        )
        self.register_outputs({})


def serving_alert_rules(args: KubernetesServingArgs, namespace: str) -> list[dict]:
    """Latency, error-rate and availability alerts of one Kubernetes-served model.

    The request series are the ingress controller's, selected by the model's namespace and service;
    with no requests the ratios have no value and the latency/error alerts stay quiet, which is why
    the availability alert watches the deployment itself.
    """
    # Prometheus renames the controller's own namespace/service labels to exported_* when it scrapes it.
    selector = f'exported_namespace="{namespace}",exported_service="{args.model_name}"'
    requests = f"nginx_ingress_controller_requests{{{selector}}}"
    duration = f"nginx_ingress_controller_request_duration_seconds_bucket{{{selector}}}"
    annotations = lambda summary: {"summary": summary, "model_package": args.model_package_arn}  # noqa: E731
    return [
        {
            "alert": "ModelLatencyHigh",
            "expr": f"histogram_quantile(0.99, sum by (le) (rate({duration}[5m]))) > {args.latency_p99_ms / 1000:g}",
            "for": "10m",
            "labels": {"severity": "page", "model": args.model_name},
            "annotations": annotations(f"{args.model_name}: p99 latency above {args.latency_p99_ms} ms for 10 minutes"),
        },
        {
            "alert": "ModelErrorRateHigh",
            "expr": f'100 * sum(rate({requests[:-1]},status=~"5.."}}[5m])) / sum(rate({requests}[5m])) > {args.error_rate_percent:g}',
            "for": "10m",
            "labels": {"severity": "page", "model": args.model_name},
            "annotations": annotations(f"{args.model_name}: more than {args.error_rate_percent:g}% of requests fail (5xx) for 10 minutes"),
        },
        {
            "alert": "ModelUnavailable",
            "expr": f'kube_deployment_status_replicas_available{{namespace="{namespace}",deployment="{args.model_name}"}} < 1',
            "for": "5m",
            "labels": {"severity": "page", "model": args.model_name},
            "annotations": annotations(f"{args.model_name}: no replica available for 5 minutes"),
        },
    ]
