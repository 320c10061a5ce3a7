"""A secure S3 bucket: the one shape every platform bucket takes."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import deny_insecure_transport, document, statement


@dataclass(frozen=True)
class SecureBucketArgs:
    """Inputs of a ``SecureBucket``.

    Attributes:
        bucket_name: Physical bucket name (stateful, so named deterministically).
        kms_key_arn: CMK for default encryption; None only for the access-log bucket, because
            S3 server access logging can deliver only to SSE-S3 buckets.
        log_bucket: Bucket receiving this bucket's access logs; None for the log bucket itself.
        noncurrent_version_days: Days before overwritten or deleted versions expire.
        expire_objects_days: Expire current objects after this many days (capture and
            monitoring data); None keeps them.
        reader_accounts: Accounts (test, prod) that read objects under ``reader_prefix``:
            model artifacts and monitoring baselines registered in dev.
        reader_prefix: The prefix other environments may read.
        eventbridge: Send object events to EventBridge (new training data triggers).
        account_id: Owning account (access-log delivery is limited to it).
        force_destroy: Delete non-empty on teardown (dev only).
        protect: Protect and retain (prod).
    """

    bucket_name: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None
    log_bucket: pulumi.Input[str] | None
    noncurrent_version_days: int
    account_id: pulumi.Input[str]
    expire_objects_days: int | None = None
    reader_accounts: tuple[str, ...] = ()
    reader_prefix: str = "models/"
    eventbridge: bool = False
    force_destroy: bool = False
    protect: bool = False


class SecureBucket(pulumi.ComponentResource):
    """Bucket with CMK encryption and bucket key, versioning, lifecycle, blocked public access,
    enforced ownership, a TLS-only policy and access logging."""

    bucket: aws.s3.Bucket
    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:storage:SecureBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            f"{name}",
            bucket=args.bucket_name,
            force_destroy=args.force_destroy,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        self.name, self.arn = self.bucket.bucket, self.bucket.arn
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        encryption = (
            {"sse_algorithm": "aws:kms", "kms_master_key_id": args.kms_key_arn}
            if args.kms_key_arn is not None
            else {"sse_algorithm": "AES256"}
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": encryption, "bucket_key_enabled": args.kms_key_arn is not None}],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        rules = [
            {
                "id": "abort-incomplete-uploads",
                "status": "Enabled",
                "filter": {},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
            },
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": {},
                "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_version_days},
            },
        ]
        if args.expire_objects_days is not None:
            rules.append(
                {"id": "expire-objects", "status": "Enabled", "filter": {}, "expiration": {"days": args.expire_objects_days}}
            )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        objects = pulumi.Output.concat(self.bucket.arn, "/*")
        statements = [deny_insecure_transport(["s3:*"], [self.bucket.arn, objects])]
        if args.reader_accounts:
            statements.append(
                statement(
                    "EnvironmentsReadModelArtifacts",
                    ["s3:GetObject", "s3:GetObjectVersion"],
                    [pulumi.Output.concat(self.bucket.arn, "/", args.reader_prefix, "*")],
                    principal={"AWS": [f"arn:aws:iam::{account}:root" for account in sorted(args.reader_accounts)]},
                )
            )
        if args.log_bucket is None:
            statements.append(
                statement(
                    "S3ServerAccessLogsDelivery",
                    ["s3:PutObject"],
                    [objects],
                    principal={"Service": "logging.s3.amazonaws.com"},
                    condition={"StringEquals": {"aws:SourceAccount": args.account_id}},
                )
            )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=document(*statements),
            # A policy put before the public-access block could be judged public.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access, ownership]),
        )
        if args.eventbridge:
            aws.s3.BucketNotification(f"{name}-events", bucket=self.bucket.id, eventbridge=True, opts=child)
        if args.log_bucket is not None:
            aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=self.bucket.id,
                target_bucket=args.log_bucket,
                target_prefix=pulumi.Output.concat(self.bucket.bucket, "/"),
                opts=child,
            )
        self.register_outputs({"name": self.name, "arn": self.arn})
