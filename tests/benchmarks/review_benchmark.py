"""Benchmark: diff of two 100-model plans and the cost estimate of one, beyond planning them.

Run with ``.venv/bin/python tests/benchmarks/review_benchmark.py``. A temporary copy of the
project gets a catalog of 100 models (the four examples plus 96 added with ``mlops model add``,
mixed owners and problems); the base is planned, then ten models' quality thresholds change and
one model is swapped for another (still 100) and the head is planned. The two plans' times are
printed for scale; the figures that matter are the diff, its markdown and the cost estimate,
and how soon `mlops plan` shows its status line at a terminal.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT))

from ruamel.yaml import YAML  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from mlops.cli import app  # noqa: E402
from mlops.plan import plan_stack  # noqa: E402
from mlops.cost.estimate import estimate  # noqa: E402
from mlops.plan.diff import diff_plans  # noqa: E402
from mlops.plan.diff_report import render_markdown  # noqa: E402

MODELS = 100
REPEATS = 5
TEAMS = [f"team-{i:02d}" for i in range(20)]


def add_model(project: Path, index: int) -> str:
    """``mlops model add`` one generated model; its name."""
    name = f"model-{index:03d}"
    problem = "regression" if index % 3 == 0 else "classification"
    args = ["model", "add", name, "--owner", TEAMS[index % len(TEAMS)], "--problem", problem, "--project-dir", str(project)]
    result = CliRunner().invoke(app, args)
    if result.exit_code != 0:
        raise SystemExit(f"model add {name} failed: {result.output}")
    return name


def set_threshold(project: Path, name: str, value: float) -> None:
    """Edit one model's training threshold (a pipeline definition change)."""
    path = project / "stacks" / "models" / f"{name}.yaml"
    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8"))
    data["training"]["threshold"] = value
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def timed(function, repeats: int = REPEATS) -> tuple[float, object]:
    """Median wall seconds of ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def first_status_seconds(project: Path) -> float:
    """Seconds from starting ``mlops plan dev`` at a terminal to the first status byte on stderr
    (stderr on a pseudo-terminal, stdout discarded); the plan is stopped once it is seen."""
    import os
    import pty
    import select
    import subprocess

    primary, secondary = pty.openpty()
    command = [str(Path(sys.executable).with_name("mlops")), "plan", "dev", "--project-dir", str(project)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=secondary, env={**os.environ, "TERM": "xterm"})
    try:
        ready, _, _ = select.select([primary], [], [], 60)
        if not ready:
            raise SystemExit("no status line within 60 s")
        os.read(primary, 1024)
        return time.perf_counter() - start
    finally:
        process.terminate()
        process.wait()
        os.close(primary)
        os.close(secondary)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "project"
        project.mkdir()
        shutil.copy2(PROJECT / "Pulumi.yaml", project / "Pulumi.yaml")
        shutil.copytree(PROJECT / "stacks", project / "stacks")
        existing = len(list((project / "stacks" / "models").glob("*.yaml")))
        names = [add_model(project, i) for i in range(MODELS - existing)]

        status_seconds = statistics.median(first_status_seconds(PROJECT) for _ in range(3))
        start = time.perf_counter()
        base = json.loads(plan_stack(project, "dev").dumps())
        base_seconds = time.perf_counter() - start

        for name in names[:10]:
            set_threshold(project, name, 0.75)
        (project / "stacks" / "models" / f"{names[-1]}.yaml").unlink()
        add_model(project, MODELS + 1)
        start = time.perf_counter()
        head = json.loads(plan_stack(project, "dev").dumps())
        head_seconds = time.perf_counter() - start

    diff_seconds, diff = timed(lambda: diff_plans(base, head))
    markdown_seconds, _ = timed(lambda: render_markdown(diff))
    cost_seconds, cost = timed(lambda: estimate(head))
    size = len(json.dumps(head)) / 1e6
    print(f"catalog: {MODELS} models; dev plan: {len(head['resources'])} resources, {size:.1f} MB of JSON")
    print(f"plan base {base_seconds:.1f} s, plan head {head_seconds:.1f} s (for scale; not part of the figures below)")
    print(f"diff:          {diff_seconds * 1000:8.1f} ms  ({diff.summary()}, {diff.unchanged} unchanged; median of {REPEATS})")
    print(f"markdown:      {markdown_seconds * 1000:8.1f} ms")
    print(f"cost estimate: {cost_seconds * 1000:8.1f} ms  ({cost.total:,.2f} USD a month over {len(cost.by_group())} groups)")
    print(f"first status:  {status_seconds * 1000:8.1f} ms  (mlops plan dev at a terminal: start to the first byte on stderr; median of 3)")


if __name__ == "__main__":
    main()
