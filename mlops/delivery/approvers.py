"""Who may approve and promote a model: the catalog's `governance.approvers`, checked against the
caller's identity as AWS reports it (STS GetCallerIdentity), never against the free-text `--by`.

Approvers are IAM role or user ARNs, optionally with `*` (Identity Center permission-set roles
carry a random suffix: `.../AWSReservedSSO_MlopsModelApprover_*`). A caller working through a
role is an assumed-role session, `arn:aws:sts::<account>:assumed-role/<role name>/<session>`,
which names the role but not its path; role names are unique within an account whatever the
path, so such a caller matches an approver role pattern of the same partition and account whose
last path segment matches the role name. Matching is case-sensitive, as ArnLike is for
`aws:PrincipalArn` in the persona roles' trust policies.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html (names unique per account)
"""

import re
from fnmatch import fnmatchcase

from mlops.delivery.errors import DeliveryError, Problem
from mlops.delivery.registry import RegistryClients, caller_arn

_ASSUMED_ROLE = re.compile(r"^arn:(?P<partition>[^:]+):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/.+$")
_IAM_PRINCIPAL = re.compile(r"^arn:(?P<partition>[^:]+):iam::(?P<account>\d{12}):(?P<kind>role|user)/(?P<path>.*)$")


def principal_of(arn: str) -> str:
    """The IAM principal behind a caller ARN: an assumed-role session maps back to its role
    (`arn:aws:iam::<account>:role/<role name>`, path unknown); other ARNs stay as they are."""
    session = _ASSUMED_ROLE.match(arn)
    if session:
        return f"arn:{session['partition']}:iam::{session['account']}:role/{session['role']}"
    return arn


def is_approver(arn: str, approvers: tuple[str, ...]) -> bool:
    """Whether the caller `arn` (as GetCallerIdentity returns it) is one of `approvers`."""
    session = _ASSUMED_ROLE.match(arn)
    for pattern in approvers:
        if session:
            named = _IAM_PRINCIPAL.match(pattern)
            if (
                named
                and named["kind"] == "role"
                and named["partition"] == session["partition"]
                and named["account"] == session["account"]
                and fnmatchcase(session["role"], named["path"].rsplit("/", 1)[-1])
            ):
                return True
        elif fnmatchcase(arn, pattern):
            return True
    return False


def require_approver(
    clients: RegistryClients, model: str, approvers: tuple[str, ...] | None, action: str
) -> str | None:
    """Check that the caller may `action` the model; their principal ARN, for the record.

    Returns None, without asking AWS, when the catalog names no approvers (IAM alone decides).

    Raises:
        DeliveryError: REFUSED when the caller is not an approver of the model; UNAVAILABLE
            when STS cannot say who is calling.
    """
    if approvers is None:
        return None
    arn = caller_arn(clients)
    if not is_approver(arn, approvers):
        raise DeliveryError(
            f"{principal_of(arn)} may not {action} model {model}: it is not one of its "
            f"governance.approvers ({', '.join(approvers)})",
            Problem.REFUSED,
        )
    return principal_of(arn)
