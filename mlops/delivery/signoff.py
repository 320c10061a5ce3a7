"""Who asked for a registry decision, and why: the sign-off every delivery operation records."""

from dataclasses import dataclass

from mlops.delivery.errors import DeliveryError, Problem

# SageMaker's limits: ApprovalDescription and each CustomerMetadataProperties value.
APPROVAL_DESCRIPTION_MAX = 1024
METADATA_VALUE_MAX = 256
_METADATA_PUNCTUATION = set(" _.:/=+-@")


@dataclass(frozen=True)
class Signoff:
    """A person's name and their reason, both required.

    Raises:
        DeliveryError: (INVALID) when either is blank.
    """

    by: str
    reason: str

    def __post_init__(self) -> None:
        for label, value in (("--by", self.by), ("--reason", self.reason)):
            if not value.strip():
                raise DeliveryError(
                    f"{label} is empty: say who decides and why, it is kept in the audit trail",
                    Problem.INVALID,
                )

    @property
    def approval_description(self) -> str:
        """`"<by>: <reason>"`, as stored in the registry's ApprovalDescription.

        Raises:
            DeliveryError: (INVALID) when longer than the registry keeps; nothing is truncated
                silently because this is the audit record.
        """
        text = f"{self.by}: {self.reason}"
        if len(text) > APPROVAL_DESCRIPTION_MAX:
            raise DeliveryError(
                f"'--by' plus '--reason' is {len(text)} characters; the registry keeps at most "
                f"{APPROVAL_DESCRIPTION_MAX}: shorten the reason and link to details instead",
                Problem.INVALID,
            )
        return text


def metadata_value(text: str) -> str:
    """Fit free text into a CustomerMetadataProperties value.

    The registry accepts only letters, digits, spaces and `_.:/=+-@`, at most 256 characters;
    anything else becomes a space. The catalog's history keeps the exact text.
    """
    cleaned = "".join(c if c.isalnum() or c in _METADATA_PUNCTUATION else " " for c in text)
    return " ".join(cleaned.split())[:METADATA_VALUE_MAX] or "-"
