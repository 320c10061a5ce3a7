"""Who may assume the persona roles: named principals only, approvers apart from data scientists."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from infra.config.personas import Personas

SSO_SCIENTIST = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Science_*"


def test_unset_personas_trust_the_identity_center_permission_set_roles_of_the_account() -> None:
    assert Personas().principals("model-approver", "444455556666") == [
        "arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_MlopsModelApprover_*"]


def test_named_principals_are_kept_sorted() -> None:
    personas = Personas.model_validate({"dataScientist": [SSO_SCIENTIST, "arn:aws:iam::111122223333:role/ci"]})
    assert personas.principals("data-scientist", "111122223333") == [SSO_SCIENTIST, "arn:aws:iam::111122223333:role/ci"]


@pytest.mark.parametrize("arn", ["arn:aws:iam::111122223333:root", "*", "111122223333", "arn:aws:iam::111122223333:role/*",
                                 "arn:aws:iam::111122223333:group/ml"])
def test_a_whole_account_or_a_wildcard_is_no_named_principal(arn: str) -> None:
    with pytest.raises(ValidationError, match="not an IAM role or user ARN"):
        Personas.model_validate({"platformAdmin": [arn]})


def test_whoever_builds_models_cannot_approve_them() -> None:
    with pytest.raises(ValidationError, match="also trusted as data-scientist"):
        Personas.model_validate({"dataScientist": [SSO_SCIENTIST], "modelApprover": [SSO_SCIENTIST]})
