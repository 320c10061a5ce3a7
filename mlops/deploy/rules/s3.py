"""S3 bucket naming rules (the S3 API model carries none of them)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlops.deploy.findings import DeployFinding
from mlops.deploy.index import PlanIndex
from mlops.deploy.requests import physical_name

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
NAMING_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"
_CHARS = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_IP = re.compile(r"\d+\.\d+\.\d+\.\d+")
_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid general purpose bucket name, or None."""
    if not 3 <= len(name) <= 63:
        return f"{len(name)} characters; bucket names have 3-63"
    if not _CHARS.fullmatch(name):
        return "only lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
    if ".." in name or _IP.fullmatch(name):
        return "no two adjacent dots and not an IP address"
    if name.startswith(_PREFIXES) or name.endswith(_SUFFIXES):
        return f"reserved prefix or suffix ({', '.join(_PREFIXES + _SUFFIXES)})"
    return None


def bucket_names(plan: PlanIndex) -> Iterator[DeployFinding]:
    """Every bucket's name (explicit or auto-named) follows the S3 naming rules."""
    for bucket in plan.of_type("aws:s3/bucket:Bucket"):
        name = physical_name(bucket)
        problem = bucket_name_problem(name) if name else None
        if problem:
            field = "bucket" if "bucket" in bucket["inputs"] else "name (auto-named)"
            yield DeployFinding("s3-bucket-name", "error", bucket["urn"], field, f"{name!r}: {problem}", NAMING_DOC)


RULES = (bucket_names,)
