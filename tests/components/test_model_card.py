"""GovernanceCard: an encrypted model card carrying the catalog's status and approval history."""

from __future__ import annotations

import json

import pytest
from rendering import KEY_ARN

from components.model_card import STATUS, GovernanceCard, ModelCardArgs

CARD = "aws:sagemaker/modelCard:ModelCard"
HISTORY = (
    {"at": "2026-11-02", "action": "promote", "environment": "prod", "version": "arn:aws:sagemaker:eu-west-1:1:model-package/churn/3", "by": "carol", "reason": "beats v2"},
    {"at": "2026-11-09", "action": "rollback", "environment": "prod", "version": "arn:aws:sagemaker:eu-west-1:1:model-package/churn/2", "by": "dave", "reason": "latency"},
)


def card(**overrides) -> GovernanceCard:
    args = {
        "card_name": "mlops-prod-churn", "description": "Predicts churn", "owner": "growth", "problem": "binary", "algorithm": "xgboost",
        "intended_use": "Retention offers; not credit decisions", "risk_rating": "medium", "status": "approved", "history": HISTORY,
        "pinned_version": "2", "kms_key_arn": KEY_ARN, **overrides,
    }
    return GovernanceCard("mlops-prod-churn", ModelCardArgs(**args))


@pytest.fixture(scope="module")
def out(render):
    return render(card)


def test_card_is_encrypted_and_approved(out):
    inputs = out.one(CARD).inputs
    assert inputs["securityConfig"] == {"kmsKeyId": KEY_ARN}
    assert inputs["modelCardStatus"] == "Approved" and inputs["modelCardName"] == "mlops-prod-churn"


def test_content_records_owner_use_risk_and_every_approval(out):
    content = json.loads(out.one(CARD).inputs["content"])
    assert content["model_overview"]["model_owner"] == "growth"
    assert content["intended_uses"] == {"intended_uses": "Retention offers; not credit decisions", "risk_rating": "Medium"}
    details = content["additional_information"]["custom_details"]
    assert details == {
        "approval_1": "2026-11-02 promote prod 3 by carol: beats v2",
        "approval_2": "2026-11-09 rollback prod 2 by dave: latency",
        "pinned_version": "2",
    }


@pytest.mark.parametrize("status", sorted(STATUS))
def test_status_maps_to_sagemakers_card_status(render, status):
    assert render(lambda: card(status=status, pinned_version=None)).one(CARD).inputs["modelCardStatus"] == STATUS[status]
