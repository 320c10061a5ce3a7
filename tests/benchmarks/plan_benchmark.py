"""Benchmark: how long an offline plan takes and how big each environment is.

Run with ``make bench``. Each stack is planned in a fresh interpreter (as a user's
``mlops plan`` is), so the figures include imports and the SageMaker SDK building pipeline
definitions; test and prod include planning dev for their StackReference.

Then team stacks at scale (``--scale-only`` skips the first part; ``--models 300`` picks sizes): a
temporary copy of the project gets a catalog of N models (the four examples plus generated
scale-out models, 20 per team, mixed problems and algorithms) and dev in the team-stacks layout.
Dev and every team stack are planned in this process with an empty definition cache (cold), then
one model's threshold changes and everything is planned again (warm): the figures are the largest
stack's resource count, plan time per team stack and for all, the cold definition cost per model,
and which stacks' plans changed (the blast radius of one model change).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT))
STACKS = ("dev", "test", "prod", "dev-alice")
RUNS = 3
SCALES = (300, 1000)
MODELS_PER_TEAM = 20
#: (problem, algorithm, metric) of generated models, in turn.
CHOICES = (
    ("classification", "gradient-boosting", "auc"),
    ("classification", "random-forest", "f1"),
    ("regression", "gradient-boosting", "rmse"),
    ("classification", "logistic-regression", "auc"),
    ("regression", "ridge", "mae"),
)


def plan(stack: str) -> tuple[float, dict]:
    """Plan ``stack`` in a fresh interpreter; (wall seconds, plan JSON)."""
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", "from mlops.cli import app; app()", "plan", stack, "--json", "--project-dir", str(PROJECT)],
        capture_output=True, text=True, check=True,
    )
    return time.perf_counter() - start, json.loads(completed.stdout)


def generate_catalog(project: Path, total: int) -> list[str]:
    """Add scale-out models until the catalog holds ``total``, ``MODELS_PER_TEAM`` per team, written
    as ``mlops model add`` writes them (its entry, validated by the plan); their names."""
    from ruamel.yaml import YAML

    from mlops.cli.catalog import new_entry

    yaml = YAML()
    existing = len(list((project / "stacks" / "models").glob("*.yaml")))
    names = []
    for index in range(total - existing):
        name = f"model-{index:04d}"
        problem, algorithm, metric = CHOICES[index % len(CHOICES)]
        entry = new_entry(name, f"team-{index // MODELS_PER_TEAM:02d}", "scale-out", problem, algorithm, metric, "")
        with (project / "stacks" / "models" / f"{name}.yaml").open("w", encoding="utf-8") as handle:
            yaml.dump(entry, handle)
        names.append(name)
    return names


def plan_all(project: Path) -> tuple[dict, dict[str, float], float, int]:
    """Plan dev and its team stacks: plans by stack, seconds per stack, seconds spent getting
    pipeline definitions, and how many the SDK built."""
    import infra.models
    from infra.config import load_settings, team_stacks
    from mlops.plan import plan_stack
    from pipelines.definition import cache as definition_cache

    spent, builds = [0.0], [0]
    real, real_build = infra.models.cached_definition, definition_cache.build_definition

    def timed_definition(spec):
        start = time.perf_counter()
        try:
            return real(spec)
        finally:
            spent[0] += time.perf_counter() - start

    def counted_build(spec):
        builds[0] += 1
        return real_build(spec)

    infra.models.cached_definition, definition_cache.build_definition = timed_definition, counted_build
    try:
        planned: dict = {}
        seconds, plans = {}, {}
        for stack in ("dev", *team_stacks(load_settings(project, "dev"))):
            start = time.perf_counter()
            plans[stack] = plan_stack(project, stack, planned=planned)
            seconds[stack] = time.perf_counter() - start
    finally:
        infra.models.cached_definition, definition_cache.build_definition = real, real_build
    return plans, seconds, spent[0], builds[0]


def scale(total: int) -> None:
    """The team-stacks figures for a catalog of ``total`` models."""
    from ruamel.yaml import YAML

    from pipelines.definition import cache as definition_cache

    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "project"
        project.mkdir()
        shutil.copy2(PROJECT / "Pulumi.yaml", project / "Pulumi.yaml")
        shutil.copytree(PROJECT / "stacks", project / "stacks")
        yaml = YAML()
        dev_file = project / "stacks" / "Pulumi.dev.yaml"
        settings = yaml.load(dev_file.read_text(encoding="utf-8"))
        settings["config"]["mlops:layout"] = "team-stacks"
        with dev_file.open("w", encoding="utf-8") as handle:
            yaml.dump(settings, handle)
        names = generate_catalog(project, total)

        os.environ["MLOPS_CACHE_DIR"] = str(Path(folder) / "definition-cache")  # cold: nothing built yet
        definition_cache._MEMORY.clear()
        cold, cold_seconds, definition_seconds, builds = plan_all(project)

        changed = names[len(names) // 2]
        path = project / "stacks" / "models" / f"{changed}.yaml"
        entry = yaml.load(path.read_text(encoding="utf-8"))
        entry["training"]["threshold"] = round(entry["training"]["threshold"] * 1.05, 4)
        with path.open("w", encoding="utf-8") as handle:
            yaml.dump(entry, handle)
        warm, warm_seconds, _, _ = plan_all(project)

    sizes = {stack: sum(1 for r in plan.registrations if r.custom) for stack, plan in cold.items()}
    teams = [stack for stack in cold if stack != "dev"]
    largest = max(sizes, key=sizes.get)
    blocking = [stack for stack, plan in warm.items() if plan.blocking]
    touched = [stack for stack in cold if cold[stack].dumps() != warm[stack].dumps()]
    team_times = [warm_seconds[t] for t in teams]
    print(f"\n{total} models: dev + {len(teams)} team stacks, {sum(sizes.values())} resources in all; blocking: {', '.join(blocking) or 'none'}")
    print(f"  largest stack        {largest} with {sizes[largest]} resources (environment stack dev: {sizes['dev']})")
    print(f"  plan per team stack  median {statistics.median(team_times):.1f} s, max {max(team_times):.1f} s (warm definitions)")
    print(f"  plan all             {sum(warm_seconds.values()):.1f} s warm, {sum(cold_seconds.values()):.1f} s cold")
    print(
        f"  cold definitions     {definition_seconds:.1f} s for {total} models = {definition_seconds / total * 1000:.0f} ms per model"
        f" ({builds} SDK builds, one per shape, SDK import included)"
    )
    print(f"  blast radius         {changed}'s threshold changed: {', '.join(touched) or 'nothing'} re-planned differently")


def cold_definitions(count: int) -> None:
    """Pipeline definitions of ``count`` generated models from an empty cache, in this (fresh)
    interpreter: the SDK's import and one build per shape, every other model filled in."""
    sys.path.insert(0, str(PROJECT / "tests" / "pipelines"))
    from pipeline_specs import spec_fields

    from pipelines.definition import PipelineSpec
    from pipelines.definition import cache as definition_cache
    from pipelines.steps.step_contract import METRIC_DIRECTIONS

    base = spec_fields()
    specs = []
    for index in range(count):
        name = f"model-{index:04d}"
        problem, algorithm, metric = CHOICES[index % len(CHOICES)]
        specs.append(PipelineSpec(**{
            **base, "subnet_ids": tuple(base["subnet_ids"]), "security_group_ids": tuple(base["security_group_ids"]),
            "model_name": name, "raw_data_uri": f"s3://mlops-dev-raw/models/{name}/", "model_package_group_name": f"mlops-{name}",
            "problem": problem, "algorithm": algorithm, "metric": metric, "direction": METRIC_DIRECTIONS[problem][metric],
            "threshold": 0.5 + (index % 40) / 100,
        }))
    builds, real = [0], definition_cache.build_definition

    def counted(spec):
        builds[0] += 1
        return real(spec)

    with tempfile.TemporaryDirectory() as folder:
        os.environ["MLOPS_CACHE_DIR"] = folder
        definition_cache.build_definition = counted
        try:
            start = time.perf_counter()
            texts = [definition_cache.cached_definition(spec) for spec in specs]
            seconds = time.perf_counter() - start
        finally:
            definition_cache.build_definition = real
    start = time.perf_counter()
    same = texts[-1] == real(specs[-1])
    one = time.perf_counter() - start
    print(f"cold definitions: {count} models in {seconds:.1f} s ({builds[0]} SDK builds, SDK import included);"
          f" the last one {'equals' if same else 'DIFFERS FROM'} its own SDK build, which took {one:.1f} s"
          f" (a build per model: about {one * count:.0f} s plus the import)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-only", action="store_true", help="only the team-stacks figures")
    parser.add_argument("--models", type=int, nargs="*", default=list(SCALES), help="catalog sizes (default: 300 1000)")
    parser.add_argument("--definitions", type=int, default=100, help="models whose definitions are built cold (default: 100)")
    options = parser.parse_args()
    if not options.scale_only:
        example()
    cold_definitions(options.definitions)
    for total in options.models:
        scale(total)


def example() -> None:
    """Size and fresh-interpreter plan time of each example stack."""
    models = {p.stem for p in (PROJECT / "stacks" / "models").glob("*.yaml")}
    per_model: dict[str, Counter] = defaultdict(Counter)
    print(f"{'stack':<10} {'resources':>9} {'components':>10} {'protected':>9} {'median s':>9} {'runs':>16}")
    for stack in STACKS:
        times, doc = [], {}
        for _ in range(RUNS):
            seconds, doc = plan(stack)
            times.append(seconds)
        custom = [r for r in doc["resources"] if not r["type"].startswith("mlops:")]
        components = len(doc["resources"]) - len(custom)
        protected = sum(1 for r in doc["resources"] if r["options"]["protect"])
        runs = " ".join(f"{t:.1f}" for t in times)
        print(f"{stack:<10} {len(custom):>9} {components:>10} {protected:>9} {statistics.median(times):>9.1f} {runs:>16}")
        prefix = f"mlops-{stack}"
        for resource in custom:
            model = next((m for m in sorted(models, key=len, reverse=True) if f"::{prefix}-{m}-" in resource["urn"]), None)
            if model:
                per_model[model][stack] += 1
    print()
    print(f"{'model':<16} " + " ".join(f"{s:>9}" for s in STACKS))
    for model in sorted(models):
        print(f"{model:<16} " + " ".join(f"{per_model[model][s]:>9}" for s in STACKS))


if __name__ == "__main__":
    main()
