"""Catalog-like PipelineSpec fields for the pipeline tests."""

from pipelines.definition import step_code

ARTIFACTS_BUCKET = "mlops-dev-artifacts"
KMS_KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
ROLE_ARN = "arn:aws:iam::111122223333:role/mlops-dev-pipeline"


def code_uris() -> dict[str, str]:
    """The URIs the infrastructure passes back after uploading ``step_code()``."""
    return {code.name: f"s3://{ARTIFACTS_BUCKET}/{code.key}" for code in step_code()}


def spec_fields(**overrides) -> dict:
    """PipelineSpec fields of a classification model in a VPC (like churn); override any field."""
    fields = {
        "model_name": "churn",
        "problem": "classification",
        "algorithm": "gradient-boosting",
        "region": "eu-west-1",
        "role_arn": ROLE_ARN,
        "artifacts_bucket": ARTIFACTS_BUCKET,
        "raw_data_uri": "s3://mlops-dev-raw/models/churn/",
        "model_package_group_name": "mlops-churn",
        "code_uris": code_uris(),
        "processing_instance_type": "ml.m5.large",
        "training_instance_type": "ml.m5.xlarge",
        "metric": "auc",
        "direction": "maximize",
        "threshold": 0.8,
        "kms_key_arn": KMS_KEY_ARN,
        "subnet_ids": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
        "security_group_ids": ["sg-0123456789abcdef0"],
    }
    fields.update(overrides)
    return fields


REGRESSION_OVERRIDES = {
    "model_name": "demand-forecast",
    "problem": "regression",
    "algorithm": "ridge",
    "region": "us-east-1",
    "raw_data_uri": "s3://mlops-dev-raw/models/demand-forecast/",
    "model_package_group_name": "mlops-demand-forecast",
    "metric": "rmse",
    "direction": "minimize",
    "threshold": 60.0,
    "subnet_ids": [],
    "security_group_ids": [],
}
