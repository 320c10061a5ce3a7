"""The Pulumi policy pack entry point: `pulumi preview --policy-pack policy`.

Builds the pack only here; importing `policy.pack` never starts the analyzer server.
"""

import os
import sys
from pathlib import Path

# The CLI runs this file with the pack directory on sys.path; the repository root holds `policy`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack  # noqa: E402

from policy.framework import environment_of_stack  # noqa: E402
from policy.pack import PACK_NAME, build_policies  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    policies=build_policies(environment_of_stack(os.environ.get("PULUMI_STACK", ""))),
    description="Security and reliability rules of the MLOps platform, shared with `mlops plan`.",
)
