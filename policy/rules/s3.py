"""S3 rules: data-lake, model-artifact, data-capture, monitoring-output and access-log buckets.

pulumi-aws v7 configures a bucket through side resources (`BucketPublicAccessBlock`,
`BucketServerSideEncryptionConfiguration`, ...) that name the bucket in their `bucket` input, so
most rules here are stack rules: the bucket is compliant when the right side resource exists and
says the right thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from policy.framework import (
    EVERYWHERE,
    PROD_ONLY,
    Context,
    Resource,
    Stack,
    as_list,
    is_true,
    resource_rule,
    stack_rule,
)
from policy.rules.policy_documents import (
    InvalidDocument,
    Statement,
    findings,
    statements,
)
from policy.rules.protection import protected_in_prod_rule

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _type_name(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1]


def _is_log_target(stack: Stack, bucket: Resource) -> bool:
    """True for the bucket that receives server access logs."""
    # A BucketLogging depends on both its source and its target bucket, so only its
    # targetBucket input or property dependencies can say which bucket is the target.
    return bool(stack.referring(bucket, LOGGING, "targetBucket", by_dependency=False))


def _configured(stack: Stack, side_type: str, fix: str,
                problems: Callable[[Resource], Iterable[str]]) -> Iterator[tuple[Resource, str]]:
    """Every bucket has a `side_type` resource, and every such resource passes `problems`."""
    for bucket in stack.of_type(BUCKET):
        if not stack.referring(bucket, side_type, "bucket"):
            yield bucket, f"no {_type_name(side_type)} refers to this bucket; {fix}"
    for side in stack.of_type(side_type):
        for message in problems(side):
            yield side, message


@stack_rule(
    id="s3-bucket-public-access-blocked",
    title="Every bucket has a public access block with all four flags true",
    severity="critical",
    anchors=("AwsSolutions-S2", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6",
             "SecurityHub S3.8"),
    mandatory_in=EVERYWHERE,
)
def public_access_blocked(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    def flags_off(block: Resource) -> Iterator[str]:
        off = [flag for flag in PUBLIC_ACCESS_FLAGS if not is_true(block.inputs.get(flag))]
        if off:
            yield f"set {', '.join(off)} to true: training data and model weights must never be public"

    return _configured(stack, PUBLIC_ACCESS_BLOCK, "add one with all four flags true", flags_off)


@stack_rule(
    id="s3-bucket-encrypted-with-kms",
    title="Every bucket's default encryption is SSE-KMS with a customer managed key (the access-log bucket: SSE-S3)",
    severity="high",
    anchors=("NIST.800.53.R5-S3DefaultEncryptionKMS", "CKV_AWS_145", "SecurityHub S3.17",
             "aws-s3-bucket-configure-server-side-encryption-customer-managed-key"),
    mandatory_in=EVERYWHERE,
)
def encrypted_with_kms(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    # Server access logs can only be delivered to an SSE-S3 (AES256) bucket, so the log target is
    # the one bucket that must not use SSE-KMS.
    log_target_configs = {config.urn for bucket in stack.of_type(BUCKET) if _is_log_target(stack, bucket)
                          for config in stack.referring(bucket, ENCRYPTION, "bucket")}

    def not_kms(config: Resource) -> Iterator[str]:
        rules = as_list(config.inputs.get("rules"))
        if not rules:
            yield "no encryption rule; add one with sseAlgorithm aws:kms and the platform key"
        for index, _ in enumerate(rules):
            default = config.get("rules", index, "applyServerSideEncryptionByDefault", default={})
            algorithm = default.get("sseAlgorithm")
            if config.urn in log_target_configs:
                if algorithm != "AES256":
                    yield (f"rule {index}: sseAlgorithm is {algorithm or 'unset'}; the access-log target bucket "
                           "must use AES256 because log delivery rejects SSE-KMS")
            elif algorithm not in KMS_ALGORITHMS:
                yield (f"rule {index}: sseAlgorithm is {algorithm or 'unset'}; use aws:kms so the key "
                       "policy is the access boundary (SSE-S3 fails S3.17)")
            elif not default.get("kmsMasterKeyId"):
                yield f"rule {index}: set kmsMasterKeyId to the platform key instead of the AWS managed key"

    return _configured(stack, ENCRYPTION, "add a BucketServerSideEncryptionConfiguration using aws:kms", not_kms)


@resource_rule(
    id="s3-bucket-key-enabled",
    title="SSE-KMS bucket encryption uses an S3 Bucket Key",
    severity="medium",
    anchors=("aws-s3-bucket-enable-server-side-encryption-bucket-key",),
    mandatory_in=PROD_ONLY,
    types=(ENCRYPTION,),
)
def bucket_key_enabled(resource: Resource, context: Context) -> Iterator[str]:
    for index, _ in enumerate(as_list(resource.inputs.get("rules"))):
        # DSSE-KMS does not support bucket keys.
        algorithm = resource.get("rules", index, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        if algorithm == "aws:kms" and not is_true(resource.get("rules", index, "bucketKeyEnabled")):
            yield f"rule {index}: set bucketKeyEnabled true to cut KMS request volume and cost"


@stack_rule(
    id="s3-bucket-versioning-enabled",
    title="Every bucket has versioning enabled",
    severity="high",
    anchors=("NIST.800.53.R5-S3BucketVersioningEnabled", "CKV_AWS_21", "SecurityHub S3.14"),
    mandatory_in=EVERYWHERE,
)
def versioning_enabled(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    def not_enabled(versioning: Resource) -> Iterator[str]:
        status = versioning.get("versioningConfiguration", "status")
        if status != "Enabled":
            yield f"versioning status is {status or 'unset'}; set Enabled so model artifacts can be rolled back"

    return _configured(stack, VERSIONING, "add a BucketVersioning with status Enabled", not_enabled)


@stack_rule(
    id="s3-bucket-ownership-enforced",
    title="Every bucket disables ACLs (object ownership BucketOwnerEnforced)",
    severity="medium",
    anchors=("CKV2_AWS_65", "SecurityHub S3.12"),
    mandatory_in=EVERYWHERE,
)
def ownership_enforced(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    def acls_enabled(controls: Resource) -> Iterator[str]:
        ownership = controls.get("rule", "objectOwnership")
        if ownership != "BucketOwnerEnforced":
            yield f"objectOwnership is {ownership or 'unset'}; set BucketOwnerEnforced so only policies grant access"

    return _configured(stack, OWNERSHIP, "add a BucketOwnershipControls with BucketOwnerEnforced", acls_enabled)


def _denies_insecure_transport(statement: Statement) -> bool:
    """The TLS-only deny covers the bucket (ListBucket) and its objects (GetObject)."""
    return (statement.denies_insecure_transport("s3:GetObject", "s3:ListBucket")
            and any(r.endswith("/*") for r in statement.resources)
            and any(not r.endswith("/*") for r in statement.resources))


@stack_rule(
    id="s3-bucket-tls-only",
    title="Every bucket's policy denies requests that do not use TLS",
    severity="high",
    anchors=("AwsSolutions-S10", "NIST.800.53.R5-S3BucketSSLRequestsOnly", "CKV_AWS_379", "SecurityHub S3.5"),
    mandatory_in=EVERYWHERE,
)
def tls_only(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    fix = ('add a Deny of s3:* for Principal "*" on the bucket and bucket/* when '
           'Bool aws:SecureTransport is "false"')
    for bucket in stack.of_type(BUCKET):
        policies = stack.referring(bucket, BUCKET_POLICY, "bucket")
        if not policies:
            yield bucket, f"no BucketPolicy refers to this bucket; {fix}"
        for policy in policies:
            try:
                denies = any(_denies_insecure_transport(s) for s in statements(policy.inputs.get("policy")))
            except InvalidDocument as error:
                yield policy, str(error)
                continue
            if not denies:
                yield policy, f"the policy allows plain-HTTP requests; {fix}"


@resource_rule(
    id="s3-bucket-policy-no-public-principal",
    title='Bucket policies grant nothing to Principal "*" without a condition',
    severity="critical",
    anchors=("CKV_AWS_70", "SecurityHub S3.2", "SecurityHub S3.3", "SecurityHub S3.6",
             "aws-s3-bucket-disallow-public-read"),
    mandatory_in=EVERYWHERE,
    types=(BUCKET_POLICY,),
)
def policy_no_public_principal(resource: Resource, context: Context) -> list[str]:
    def public_grant(statement: Statement) -> str | None:
        if statement.allows and statement.public and not statement.condition:
            return (f'{statement.label} allows {", ".join(statement.actions) or "actions"} to Principal "*"; '
                    "name the consumer roles/accounts or condition on aws:PrincipalOrgID")
        return None

    return findings(resource.inputs.get("policy"), public_grant)


@stack_rule(
    id="s3-bucket-access-logging",
    title="Every bucket except the access-log bucket has server access logging",
    severity="medium",
    anchors=("AwsSolutions-S1", "NIST.800.53.R5-S3BucketLoggingEnabled", "CKV_AWS_18", "SecurityHub S3.9",
             "s3-bucket-logging-enabled"),
    mandatory_in=PROD_ONLY,
)
def access_logging(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    for bucket in stack.of_type(BUCKET):
        # The log target cannot log into itself; it is exempt (reference 1.1).
        if _is_log_target(stack, bucket):
            continue
        if not stack.referring(bucket, LOGGING, "bucket", by_dependency=False):
            yield bucket, "no BucketLogging refers to this bucket; log access to the platform access-log bucket"


@stack_rule(
    id="s3-bucket-lifecycle-configured",
    title="Every bucket has a lifecycle configuration with an enabled rule",
    severity="low",
    anchors=("CKV2_AWS_61", "CKV_AWS_300", "SecurityHub S3.10", "SecurityHub S3.13"),
    mandatory_in=PROD_ONLY,
)
def lifecycle_configured(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    def no_enabled_rule(lifecycle: Resource) -> Iterator[str]:
        rules = [rule for rule in as_list(lifecycle.inputs.get("rules")) if isinstance(rule, Mapping)]
        if not any(rule.get("status") == "Enabled" for rule in rules):
            yield "no rule has status Enabled; expire noncurrent versions and abort incomplete uploads"

    return _configured(stack, LIFECYCLE, "add a BucketLifecycleConfiguration (noncurrent versions, "
                       "incomplete multipart uploads)", no_enabled_rule)


@resource_rule(
    id="s3-bucket-no-force-destroy-in-prod",
    title="Prod buckets are not force-destroyable",
    severity="high",
    anchors=("MLREL-13", "MLREL05-BP02"),
    mandatory_in=PROD_ONLY,
    types=(BUCKET,),
)
def no_force_destroy_in_prod(resource: Resource, context: Context) -> Iterator[str]:
    if context.environment == "prod" and is_true(resource.inputs.get("forceDestroy")):
        yield "forceDestroy is true; a prod bucket with objects must not be deletable by IaC"


protected_in_prod = protected_in_prod_rule(id="s3-bucket-protected-in-prod", what="S3 buckets", types=(BUCKET,))

RULES = (
    public_access_blocked,
    encrypted_with_kms,
    bucket_key_enabled,
    versioning_enabled,
    ownership_enforced,
    tls_only,
    policy_no_public_principal,
    access_logging,
    lifecycle_configured,
    no_force_destroy_in_prod,
    protected_in_prod,
)
