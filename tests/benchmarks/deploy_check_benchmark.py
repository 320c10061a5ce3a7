"""Print the deploy findings of the example stacks (dev, test, prod) and the cross-stack check.

Run from the project folder: ``python tests/benchmarks/deploy_check_benchmark.py``. It plans each stack
with the offline engine, runs ``check_resources`` on it (timed), then ``check_cross_stack``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT))

from mlops.plan import plan_stack  # noqa: E402

from infra.config import load_settings  # noqa: E402
from infra.config.loader import SHARED_STACKS  # noqa: E402
from mlops.deploy.check import check_resources  # noqa: E402
from mlops.deploy.crossstack import StackPlan, check_cross_stack  # noqa: E402


def main() -> int:
    """Plan, check and print; exit 1 when any error is found."""
    plans = {}
    errors = 0
    for stack in SHARED_STACKS:
        resources = json.loads(plan_stack(PROJECT, stack).dumps())["resources"]
        plans[stack] = StackPlan(stack, load_settings(PROJECT, stack).env.account_id, resources)
        check_resources(resources)  # first run loads the botocore models
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            findings = check_resources(resources)
            runs.append(time.perf_counter() - start)
        print(f"{stack}: {len(resources)} resources, {len(findings)} findings, check_resources best of 5: {min(runs) * 1000:.0f} ms")
        for f in findings:
            errors += f.severity == "error"
            print(f"  {f.severity} {f.rule} {f.resource} {f.field}: {f.message} ({f.doc})")
    owner, readers = plans["dev"], [plans[s] for s in SHARED_STACKS if s != "dev"]
    cross = check_cross_stack(owner, readers)
    print(f"cross-stack: {len(cross)} findings")
    for f in cross:
        errors += f.severity == "error"
        print(f"  {f.severity} {f.rule} {f.resource} {f.field}: {f.message}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
