"""TeamNamespace and KubernetesServing: restricted, deny-by-default namespaces and hardened model servers."""

from __future__ import annotations

import pytest
from rendering import PACKAGE_ARN

from components.kubernetes_serving import SERVING_PORT, KubernetesServing, KubernetesServingArgs, TeamNamespace, TeamNamespaceArgs

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/mlops-churn@sha256:" + "a" * 64


def namespace() -> TeamNamespace:
    return TeamNamespace("mlops-prod-growth", TeamNamespaceArgs(team="growth", environment="prod"))


def serving(**overrides) -> KubernetesServing:
    args = {
        "model_name": "churn", "namespace": "growth", "image": IMAGE, "model_package_arn": PACKAGE_ARN,
        "min_replicas": 3, "max_replicas": 6, "ingress_namespace": "ingress-nginx", **overrides,
    }
    return KubernetesServing("mlops-prod-churn", KubernetesServingArgs(**args))


@pytest.fixture(scope="module")
def served(render):
    return render(serving)


def test_namespace_enforces_restricted_pod_security_denies_ingress_and_has_a_quota(render):
    out = render(namespace)
    labels = out.one("kubernetes:core/v1:Namespace").inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert out.one("kubernetes:core/v1:Namespace").inputs["metadata"]["name"] == "growth"
    deny = out.one(POLICY).inputs["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}
    assert out.one("kubernetes:core/v1:ResourceQuota").inputs["spec"]["hard"] == {"requests.cpu": "16", "requests.memory": "32Gi"}


def test_model_server_runs_non_root_read_only_without_capabilities_or_token(served):
    pod = served.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    assert container["image"] == IMAGE
    assert container["resources"]["limits"]["memory"] == container["resources"]["requests"]["memory"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/ping", "port": SERVING_PORT}


def test_rollouts_never_drop_below_the_serving_replicas(served):
    spec = served.one(DEPLOYMENT).inputs["spec"]
    assert spec["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert spec["template"]["spec"]["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    budget = served.one("kubernetes:policy/v1:PodDisruptionBudget").inputs["spec"]
    assert budget["minAvailable"] == 2
    scaler = served.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs["spec"]
    assert (scaler["minReplicas"], scaler["maxReplicas"]) == (3, 6)


def test_single_replica_has_no_disruption_budget(render):
    # A budget of min_available 0 would protect nothing; 1 would block every node drain.
    assert not render(lambda: serving(min_replicas=1)).of_type("kubernetes:policy/v1:PodDisruptionBudget")


def test_only_the_ingress_controller_reaches_the_model_port(served):
    (rule,) = served.one(POLICY).inputs["spec"]["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]
    assert rule["ports"] == [{"port": SERVING_PORT, "protocol": "TCP"}]
