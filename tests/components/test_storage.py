"""SecureBucket: every platform bucket is CMK-encrypted, versioned, private and TLS-only."""

from __future__ import annotations

import pytest
from rendering import ACCOUNT, KEY_ARN, READERS, statements

from components.storage import SecureBucket, SecureBucketArgs

BUCKET = "aws:s3/bucket:Bucket"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def data_bucket(**overrides) -> SecureBucket:
    args = {
        "bucket_name": "mlops-dev-raw",
        "kms_key_arn": KEY_ARN,
        "log_bucket": "mlops-dev-access-logs",
        "noncurrent_version_days": 30,
        "account_id": ACCOUNT,
        **overrides,
    }
    return SecureBucket("mlops-dev-raw", SecureBucketArgs(**args))


def log_bucket() -> SecureBucket:
    return SecureBucket(
        "mlops-dev-access-logs",
        SecureBucketArgs(bucket_name="mlops-dev-access-logs", kms_key_arn=None, log_bucket=None, noncurrent_version_days=30, account_id=ACCOUNT),
    )


@pytest.fixture(scope="module")
def bucket(render):
    return render(data_bucket)


@pytest.fixture(scope="module")
def logs(render):
    return render(log_bucket)


def test_data_bucket_is_encrypted_with_the_cmk_and_a_bucket_key(bucket):
    (rule,) = bucket.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}
    assert rule["bucketKeyEnabled"] is True


def test_bucket_is_versioned_private_and_owner_enforced(bucket):
    assert bucket.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    block = bucket.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    assert bucket.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_policy_denies_plain_http_on_bucket_and_objects_after_the_public_access_block(bucket):
    deny = statements(bucket.policy(POLICY))["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == ["arn:aws:s3:::mlops-dev-raw", "arn:aws:s3:::mlops-dev-raw/*"]
    # A policy applied before the block could be judged public and rejected.
    block = bucket.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").urn
    assert block in bucket.one(POLICY).depends_on


def test_reader_accounts_read_only_the_model_prefix(render):
    out = render(lambda: data_bucket(reader_accounts=READERS[::-1]))
    readers = statements(out.policy(POLICY))["EnvironmentsReadModelArtifacts"]
    assert readers["Principal"] == {"AWS": [f"arn:aws:iam::{a}:root" for a in sorted(READERS)]}
    assert readers["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert readers["Resource"] == ["arn:aws:s3:::mlops-dev-raw/models/*"]


def test_without_reader_accounts_nobody_else_is_granted_anything(bucket):
    assert [s["Sid"] for s in bucket.policy(POLICY)["Statement"] if s["Effect"] == "Allow"] == []


def test_data_bucket_logs_access_to_the_log_bucket_under_its_own_name(bucket):
    logging = bucket.one("aws:s3/bucketLogging:BucketLogging").inputs
    assert logging["targetBucket"] == "mlops-dev-access-logs"
    assert logging["targetPrefix"] == "mlops-dev-raw/"


def test_log_bucket_uses_sse_s3_and_accepts_deliveries_from_its_account_only(logs):
    (rule,) = logs.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs["rules"]
    # S3 server access logging delivers only to SSE-S3 buckets.
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert rule["bucketKeyEnabled"] is False
    delivery = statements(logs.policy(POLICY))["S3ServerAccessLogsDelivery"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert not logs.of_type("aws:s3/bucketLogging:BucketLogging")


def test_lifecycle_expires_old_versions_and_optionally_objects(render, bucket):
    kept = bucket.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert {r["id"] for r in kept} == {"abort-incomplete-uploads", "expire-noncurrent-versions"}
    assert next(r for r in kept if r["id"] == "expire-noncurrent-versions")["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    expiring = render(lambda: data_bucket(expire_objects_days=90)).one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ).inputs["rules"]
    assert next(r for r in expiring if r["id"] == "expire-objects")["expiration"] == {"days": 90}


def test_prod_bucket_is_protected_and_retained(render, bucket):
    protected = render(lambda: data_bucket(protect=True)).one(BUCKET)
    assert protected.protect and protected.retain_on_delete
    assert protected.inputs["forceDestroy"] is False
    assert not bucket.one(BUCKET).protect


def test_eventbridge_notifications_only_when_asked(render, bucket):
    assert not bucket.of_type("aws:s3/bucketNotification:BucketNotification")
    notification = render(lambda: data_bucket(eventbridge=True)).one("aws:s3/bucketNotification:BucketNotification")
    assert notification.inputs["eventbridge"] is True
