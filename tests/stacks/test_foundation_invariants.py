"""What every environment's plan must contain, read from the plan JSON a reviewer would see.

Each test states one rule of the design's environment matrix or foundation; expectations come
from the stack's own settings where the rule is "as configured", and from the matrix otherwise.
"""

from __future__ import annotations

import ipaddress
import json
import re

import pytest

from infra.config.rules import SHARED_STACKS as STACKS

BUCKET = "aws:s3/bucket:Bucket"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
KMS_KEY = "aws:kms/key:Key"
PROVIDER = "pulumi:providers:aws"
STUDIO_DOMAIN = "aws:sagemaker/domain:Domain"
MODEL_PACKAGE_GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
MLFLOW = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

#: Resources whose deletion loses data (objects, keys, home folders, experiments, audit logs,
#: model versions, images): protected and retained in prod.
STATEFUL_TYPES = frozenset({BUCKET, KMS_KEY, STUDIO_DOMAIN, MLFLOW, LOG_GROUP, MODEL_PACKAGE_GROUP, ECR_REPOSITORY})
#: The registry lives in dev but serves test and prod, so dev may protect it (mlops:registry.protect).
REGISTRY_TYPES = frozenset({MODEL_PACKAGE_GROUP, ECR_REPOSITORY})
#: IAM resources and the inputs holding their policy documents.
IAM_DOCUMENTS = {
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/role:Role": ("assumeRolePolicy",),
}
#: The environment matrix: force-destroyed buckets only in dev.
FORCE_DESTROY = {"dev": True, "test": False, "prod": False}

per_stack = pytest.mark.parametrize("stack", STACKS)


def _statements(document: str) -> list[dict]:
    statements = json.loads(document)["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _for_bucket(plan, type_token: str) -> dict[str, list[dict]]:
    """Resources of ``type_token`` keyed by the bucket name they configure."""
    found: dict[str, list[dict]] = {}
    for resource in plan.of_type(type_token):
        found.setdefault(resource["inputs"]["bucket"], []).append(resource)
    return found


def _bucket_names(plan) -> list[str]:
    return [b["inputs"]["bucket"] for b in plan.of_type(BUCKET)]


def _log_bucket(plan) -> str:
    return plan.outputs["buckets"]["access-logs"]


def _only(resources_by_bucket: dict[str, list[dict]], bucket: str, what: str) -> dict:
    found = resources_by_bucket.get(bucket, [])
    assert len(found) == 1, f"{bucket}: expected one {what}, found {len(found)}"
    return found[0]


# --- buckets -------------------------------------------------------------------------------


@per_stack
def test_every_data_bucket_is_encrypted_with_the_platform_key(plan_of, stack):
    plan = plan_of(stack)
    encryption = _for_bucket(plan, ENCRYPTION)
    data_buckets = [b for b in _bucket_names(plan) if b != _log_bucket(plan)]

    assert len(data_buckets) >= 5
    for bucket in data_buckets:
        rules = _only(encryption, bucket, "encryption configuration")["inputs"]["rules"]
        assert len(rules) == 1, bucket
        default = rules[0]["applyServerSideEncryptionByDefault"]
        assert default["sseAlgorithm"] == "aws:kms", bucket
        assert default["kmsMasterKeyId"] == plan.outputs["kmsKeyArn"], bucket
        assert rules[0]["bucketKeyEnabled"] is True, bucket


@per_stack
def test_the_access_log_bucket_uses_sse_s3_because_access_logging_requires_it(plan_of, stack):
    plan = plan_of(stack)
    log_bucket = _log_bucket(plan)
    assert log_bucket in _bucket_names(plan)

    rules = _only(_for_bucket(plan, ENCRYPTION), log_bucket, "encryption configuration")["inputs"]["rules"]

    # S3 server access logging delivers only to SSE-S3 buckets: the one deliberate exception.
    assert [r["applyServerSideEncryptionByDefault"] for r in rules] == [{"sseAlgorithm": "AES256"}]
    policy = _only(_for_bucket(plan, BUCKET_POLICY), log_bucket, "bucket policy")["inputs"]["policy"]
    delivery = [s for s in _statements(policy) if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in delivery] == [{"Service": "logging.s3.amazonaws.com"}]
    assert delivery[0]["Condition"]["StringEquals"]["aws:SourceAccount"] == plan.outputs["accountId"]


@per_stack
def test_every_bucket_is_versioned_private_and_owner_enforced(plan_of, stack):
    plan = plan_of(stack)
    versioning, public, ownership = (_for_bucket(plan, t) for t in (VERSIONING, PUBLIC_ACCESS, OWNERSHIP))

    for bucket in _bucket_names(plan):
        assert _only(versioning, bucket, "versioning")["inputs"]["versioningConfiguration"]["status"] == "Enabled"
        block = _only(public, bucket, "public access block")["inputs"]
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
            assert block.get(flag) is True, (bucket, flag)
        assert _only(ownership, bucket, "ownership controls")["inputs"]["rule"]["objectOwnership"] == "BucketOwnerEnforced"


@per_stack
def test_every_bucket_policy_denies_requests_without_tls(plan_of, stack):
    plan = plan_of(stack)
    policies = _for_bucket(plan, BUCKET_POLICY)

    for bucket in _bucket_names(plan):
        statements = _statements(_only(policies, bucket, "bucket policy")["inputs"]["policy"])
        denies = [
            s for s in statements
            if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert denies, f"{bucket} accepts plain HTTP"
        deny = denies[0]
        assert deny["Principal"] == "*" and "s3:*" in _as_list(deny["Action"])
        assert set(_as_list(deny["Resource"])) == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}


@per_stack
def test_every_bucket_aborts_stale_uploads_and_expires_old_versions(plan_of, stack):
    plan = plan_of(stack)
    lifecycles = _for_bucket(plan, LIFECYCLE)
    keep_days = plan.settings.env.retention.noncurrent_version_days

    for bucket in _bucket_names(plan):
        rules = [r for r in _only(lifecycles, bucket, "lifecycle")["inputs"]["rules"] if r["status"] == "Enabled"]
        aborts = [r["abortIncompleteMultipartUpload"]["daysAfterInitiation"] for r in rules if "abortIncompleteMultipartUpload" in r]
        noncurrent = [r["noncurrentVersionExpiration"]["noncurrentDays"] for r in rules if "noncurrentVersionExpiration" in r]
        assert aborts and all(days >= 1 for days in aborts), bucket
        assert noncurrent == [keep_days], bucket


@per_stack
def test_every_bucket_but_the_log_bucket_logs_access_to_the_log_bucket(plan_of, stack):
    plan = plan_of(stack)
    logging = _for_bucket(plan, LOGGING)
    log_bucket = _log_bucket(plan)

    assert log_bucket not in logging
    for bucket in _bucket_names(plan):
        if bucket != log_bucket:
            assert _only(logging, bucket, "access logging")["inputs"]["targetBucket"] == log_bucket


@per_stack
def test_buckets_are_force_destroyed_only_in_dev(plan_of, stack):
    buckets = plan_of(stack).of_type(BUCKET)

    assert buckets
    assert {b["inputs"]["bucket"]: b["inputs"]["forceDestroy"] for b in buckets} == {
        b["inputs"]["bucket"]: FORCE_DESTROY[stack] for b in buckets
    }


# --- protection -----------------------------------------------------------------------------


def test_prod_protects_and_retains_every_stateful_resource(plan_of):
    plan = plan_of("prod")
    stateful = [r for r in plan.doc["resources"] if r["type"] in STATEFUL_TYPES]

    assert {BUCKET, KMS_KEY, STUDIO_DOMAIN, MLFLOW, LOG_GROUP} <= {r["type"] for r in stateful}
    unprotected = [r["name"] for r in stateful if not (r["options"]["protect"] and r["options"]["retain_on_delete"])]
    assert unprotected == []


@pytest.mark.parametrize("stack", [s for s in STACKS if s != "prod"])
def test_outside_prod_only_the_shared_registry_may_be_protected(plan_of, stack):
    plan = plan_of(stack)
    may_protect = REGISTRY_TYPES if stack == "dev" and plan.settings.env.registry.protect else frozenset()

    held = [r["name"] for r in plan.doc["resources"] if (r["options"]["protect"] or r["options"]["retain_on_delete"]) and r["type"] not in may_protect]

    assert held == []


# --- IAM ------------------------------------------------------------------------------------


def _broad(action: str) -> bool:
    return action == "*" or re.fullmatch(r"[a-z0-9-]+:\*", action) is not None


@per_stack
def test_no_iam_document_allows_every_action_of_a_service(plan_of, stack):
    plan = plan_of(stack)
    checked, broad = 0, []

    for type_token, keys in IAM_DOCUMENTS.items():
        for resource in plan.of_type(type_token):
            for key in keys:
                if key not in resource["inputs"]:
                    continue
                checked += 1
                for s in _statements(resource["inputs"][key]):
                    if s["Effect"] != "Allow":
                        continue
                    if "NotAction" in s:
                        broad.append((resource["name"], "NotAction"))
                    broad += [(resource["name"], a) for a in _as_list(s.get("Action", [])) if _broad(a)]

    assert checked >= 14  # every role's trust policy and inline policy
    assert broad == []


@per_stack
def test_only_the_key_policy_grants_kms_star_to_the_account_root(plan_of, stack):
    plan = plan_of(stack)
    key = plan.one(KMS_KEY)
    account = plan.outputs["accountId"]

    broad = [s for s in _statements(key["inputs"]["policy"]) if s["Effect"] == "Allow" and "kms:*" in _as_list(s["Action"])]

    # Without it nobody could administer the key again; it is a key policy, not an IAM grant.
    assert [s["Principal"] for s in broad] == [{"AWS": f"arn:aws:iam::{account}:root"}]


@per_stack
def test_no_role_uses_aws_managed_full_access_policies(plan_of, stack):
    plan = plan_of(stack)
    attached = [r["inputs"].get("policyArn", "") for t in ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment") for r in plan.of_type(t)]
    attached += [arn for r in plan.of_type("aws:iam/role:Role") for arn in r["inputs"].get("managedPolicyArns", [])]

    assert plan.of_type("aws:iam/role:Role")
    assert [a for a in attached if re.match(r"arn:aws[a-z-]*:iam::aws:policy/.*(FullAccess|AdministratorAccess)", a)] == []


# --- provider, key, network -----------------------------------------------------------------


@per_stack
def test_the_aws_provider_tags_everything_and_is_pinned_to_the_account(plan_of, stack):
    plan = plan_of(stack)
    provider = plan.one(PROVIDER)["inputs"]
    tags = plan.settings.env.tags

    # Provider inputs travel as JSON-encoded strings.
    default_tags = json.loads(provider["defaultTags"])["tags"]
    assert default_tags["project"] == "mlops"
    assert default_tags["environment"] == stack
    assert default_tags["owner"] == tags.owner
    assert default_tags["cost-center"] == tags.cost_center
    assert default_tags["managed-by"] == "pulumi"
    assert json.loads(provider["allowedAccountIds"]) == [plan.settings.env.account_id]
    assert provider["region"] == plan.settings.env.region


@per_stack
def test_the_platform_key_rotates(plan_of, stack):
    key = plan_of(stack).one(KMS_KEY)["inputs"]

    assert key["enableKeyRotation"] is True


def test_the_prod_key_keeps_the_full_deletion_window(plan_of):
    assert plan_of("prod").one(KMS_KEY)["inputs"]["deletionWindowInDays"] == 30


@per_stack
def test_the_vpc_spreads_private_subnets_over_zones(plan_of, stack):
    plan = plan_of(stack)
    vpc = ipaddress.ip_network(plan.one("aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"])
    subnets = [s["inputs"] for s in plan.of_type("aws:ec2/subnet:Subnet")]

    assert len(subnets) >= 2
    assert len({s["availabilityZone"] for s in subnets}) == len(subnets)
    for subnet in subnets:
        assert ipaddress.ip_network(subnet["cidrBlock"]).subnet_of(vpc)
        assert subnet.get("mapPublicIpOnLaunch") is False
    assert sorted(plan.outputs["subnetIds"]) == sorted(set(plan.outputs["subnetIds"]))
    assert len(plan.outputs["subnetIds"]) == len(subnets)


@per_stack
def test_the_network_has_no_route_to_the_internet(plan_of, stack):
    plan = plan_of(stack)
    types = {r["type"] for r in plan.doc["resources"]}

    assert not types & {"aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip"}
    for table in plan.of_type("aws:ec2/routeTable:RouteTable"):
        assert table["inputs"].get("routes", []) == []


@per_stack
def test_s3_is_reached_through_a_gateway_endpoint(plan_of, stack):
    plan = plan_of(stack)
    region = plan.settings.env.region

    gateways = [e["inputs"] for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e["inputs"].get("vpcEndpointType") == "Gateway"]

    assert [g["serviceName"] for g in gateways] == [f"com.amazonaws.{region}.s3"]
    assert gateways[0]["routeTableIds"]


@per_stack
def test_interface_endpoints_exist_exactly_where_the_stack_enables_them(plan_of, stack):
    plan = plan_of(stack)
    region = plan.settings.env.region

    interfaces = [e["inputs"] for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e["inputs"].get("vpcEndpointType") == "Interface"]

    if not plan.settings.env.network.interface_endpoints:
        assert interfaces == []
        return
    services = {e["serviceName"] for e in interfaces}
    for needed in ("sagemaker.api", "sagemaker.runtime", "sts", "logs", "kms", "ecr.api", "ecr.dkr"):
        assert f"com.amazonaws.{region}.{needed}" in services
    for endpoint in interfaces:
        assert endpoint["privateDnsEnabled"] is True
        assert sorted(endpoint["subnetIds"]) == sorted(plan.outputs["subnetIds"])
        assert endpoint["securityGroupIds"]


@per_stack
def test_flow_logs_record_all_traffic_in_test_and_prod(plan_of, stack):
    plan = plan_of(stack)
    flow_logs = [f["inputs"] for f in plan.of_type("aws:ec2/flowLog:FlowLog")]

    assert bool(flow_logs) == plan.settings.env.network.flow_logs
    if stack in ("test", "prod"):
        assert [f["trafficType"] for f in flow_logs] == ["ALL"]
        groups = {g["inputs"]["name"]: g["inputs"] for g in plan.of_type(LOG_GROUP)}
        target = next(g for name, g in groups.items() if flow_logs[0]["logDestination"].endswith(f":log-group:{name}"))
        assert target["kmsKeyId"] == plan.outputs["kmsKeyArn"]
        assert target["retentionInDays"] == plan.settings.env.retention.log_days


@per_stack
def test_the_default_security_group_has_no_rules(plan_of, stack):
    group = plan_of(stack).one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")["inputs"]

    assert group.get("ingress", []) == [] and group.get("egress", []) == []
    assert group["vpcId"] == plan_of(stack).outputs["vpcId"]


# --- alerting, cost, workspace, outputs -----------------------------------------------------


@per_stack
def test_alerts_go_to_a_kms_encrypted_topic_with_the_email_subscription(plan_of, stack):
    plan = plan_of(stack)
    topic = plan.one("aws:sns/topic:Topic")["inputs"]
    subscriptions = [s["inputs"] for s in plan.of_type("aws:sns/topicSubscription:TopicSubscription")]

    assert topic["kmsMasterKeyId"] == plan.outputs["kmsKeyArn"]
    assert {"protocol": "email", "endpoint": plan.settings.env.alerts.email, "topic": plan.outputs["alertTopicArn"]} in [
        {k: s[k] for k in ("protocol", "endpoint", "topic")} for s in subscriptions
    ]


@per_stack
def test_the_budget_warns_on_forecast_and_alerts_on_actual_spend(plan_of, stack):
    plan = plan_of(stack)
    budget = plan.one("aws:budgets/budget:Budget")["inputs"]

    assert float(budget["limitAmount"]) == plan.settings.env.budget.monthly_limit_usd
    assert (budget["limitUnit"], budget["timeUnit"]) == ("USD", "MONTHLY")
    notifications = {(n["threshold"], n["thresholdType"], n["notificationType"]): n for n in budget["notifications"]}
    assert set(notifications) >= {(80, "PERCENTAGE", "FORECASTED"), (100, "PERCENTAGE", "ACTUAL")}
    for key in ((80, "PERCENTAGE", "FORECASTED"), (100, "PERCENTAGE", "ACTUAL")):
        assert plan.outputs["alertTopicArn"] in notifications[key]["subscriberSnsTopicArns"]


@per_stack
def test_studio_is_vpc_only_and_encrypted_with_the_platform_key(plan_of, stack):
    plan = plan_of(stack)
    domain = plan.one(STUDIO_DOMAIN)["inputs"]

    assert domain["appNetworkAccessType"] == "VpcOnly"
    assert domain["kmsKeyId"] == plan.outputs["kmsKeyArn"]
    assert domain["vpcId"] == plan.outputs["vpcId"]
    assert set(domain["subnetIds"]) <= set(plan.outputs["subnetIds"])


@per_stack
def test_mlflow_stores_artifacts_in_the_artifacts_bucket(plan_of, stack):
    plan = plan_of(stack)
    server = plan.one(MLFLOW)["inputs"]

    assert server["artifactStoreUri"].startswith(f"s3://{plan.outputs['buckets']['artifacts']}/")
    assert server["roleArn"] in plan.outputs["roleArns"].values()


@per_stack
def test_outputs_name_what_other_stacks_and_tools_read(plan_of, stack):
    plan = plan_of(stack)
    outputs = plan.outputs

    for key in ("buckets", "kmsKeyArn", "roleArns", "alertTopicArn", "vpcId", "subnetIds"):
        assert outputs.get(key), key
    assert set(outputs["buckets"]) >= {"raw", "curated", "artifacts", "capture", "monitoring", "access-logs"}
    assert sorted(outputs["buckets"].values()) == sorted(_bucket_names(plan))
    assert set(outputs["roleArns"]) >= {"sagemaker-execution", "pipeline", "platform-admin", "data-scientist", "model-approver"}
    assert {r["inputs"].get("name") for r in plan.of_type("aws:iam/role:Role")} >= {a.rsplit("/", 1)[-1] for a in outputs["roleArns"].values()}
    assert re.fullmatch(rf"arn:aws:kms:{plan.settings.env.region}:{plan.settings.env.account_id}:key/[0-9a-f-]+", outputs["kmsKeyArn"])


@pytest.mark.parametrize("stack", [s for s in STACKS if s != "dev"])
def test_test_and_prod_read_the_registry_of_dev(plan_of, stack):
    plan = plan_of(stack)
    dev_account = plan_of("dev").outputs["accountId"]

    assert plan.settings.env.registry.source_stack.endswith("/dev")
    assert plan.outputs["accountId"] != dev_account  # so the next line can tell the accounts apart
    assert plan.outputs["registryAccountId"] == dev_account
