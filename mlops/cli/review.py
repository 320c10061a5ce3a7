"""``mlops diff``, ``mlops cost`` and ``mlops diagram``: what a change does, costs and looks like.

``base_plan`` also serves ``mlops plan STACK --diff BASE``: BASE is a saved plan (``--out``) or a
git ref, whose tree is planned in a temporary ``git worktree`` with that tree's own code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from rich.text import Text

from infra.config import ConfigError
from infra.config.loader import load_models
from mlops.cli.common import (
    ExitCode,
    JsonFlag,
    ProjectDir,
    StackOption,
    console,
    errors,
    fail,
    fail_config,
    one_stack,
    project_dir,
)
from mlops.cli.progress import STATUS
from mlops.cost import estimate as cost_estimate
from mlops.cost.report import render_table
from mlops.plan import PlanResult, plan_stack, usage_by_model
from mlops.plan.diagram import build as build_diagram
from mlops.plan.diagram import component_changes, to_dot, to_mermaid
from mlops.plan.diff import PlanDiff, diff_plans
from mlops.plan.diff_report import render_json, render_markdown, render_text

#: Keys a document needs to be taken for a plan (``mlops plan --json``).
PLAN_KEYS = ("stack", "environment", "resources")


class DiffFormat(str, Enum):
    """What ``mlops diff`` prints."""

    text = "text"
    json = "json"
    markdown = "markdown"
    mermaid = "mermaid"


class DiagramFormat(str, Enum):
    """What ``mlops diagram`` prints."""

    mermaid = "mermaid"
    svg = "svg"
    dot = "dot"


def _stack(stack: str | None, stack_option: str | None) -> str:
    return one_stack(stack, stack_option)


def planned(folder: Path, stack: str) -> PlanResult:
    """Plan ``stack`` with the status line; exit 2 on invalid configuration."""
    try:
        return plan_stack(folder, stack, progress=STATUS)
    except ConfigError as error:
        STATUS.stop()
        fail_config(error)


def priced(plan: dict[str, Any]) -> dict[str, Any]:
    """``plan`` with a ``cost`` section (saved plans from before the estimate lack it)."""
    if plan.get("cost"):
        return plan
    try:
        return {**plan, "cost": cost_estimate.estimate(plan).to_json()}
    except (KeyError, TypeError, ValueError):
        return plan


def read_plan(path: Path, label: str) -> dict[str, Any]:
    """A saved plan JSON document; exit 2 naming what is wrong with it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        fail(f"{path}: {label}: cannot read: {error.strerror}", ExitCode.INVALID)
    except (UnicodeDecodeError, ValueError) as error:
        fail(f"{path}: {label}: not JSON: {error}", ExitCode.INVALID)
    problems = []
    if not isinstance(document, dict):
        problems.append(f"{path}: {label}: (root): not a plan (allowed: the JSON of mlops plan --json or --out)")
    else:
        problems += [
            f"{path}: {label}: {key}: missing (allowed: the JSON of mlops plan --json or --out)" for key in PLAN_KEYS if key not in document
        ]
        if "resources" in document and not isinstance(document["resources"], list):
            problems.append(f"{path}: {label}: resources: not a list (allowed: the JSON of mlops plan --json or --out)")
    if problems:
        fail("\n".join(problems), ExitCode.INVALID)
    return document


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=False)


def resolve_ref(folder: Path, ref: str) -> tuple[Path, str]:
    """The repository root around ``folder`` and the commit ``ref`` names; exit 2 when neither."""
    if shutil.which("git") is None:
        fail(f"{ref}: BASE: neither a plan file nor a git ref (git is not installed)", ExitCode.INVALID)
    top = _git(folder, "rev-parse", "--show-toplevel")
    commit = _git(folder, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if top.returncode != 0 or commit.returncode != 0:
        fail(f"{ref}: BASE: neither a plan file nor a git ref of {folder} (allowed: a plan JSON from --out, a branch, tag or commit)", ExitCode.INVALID)
    return Path(top.stdout.strip()), commit.stdout.strip()


def plan_git_ref(folder: Path, ref: str, stack: str) -> dict[str, Any]:
    """Plan ``stack`` as it is at git ``ref``: the ref's tree, with its own code, in a temporary
    worktree that is removed afterwards, also on error or interrupt."""
    root, commit = resolve_ref(folder, ref)
    inside = folder.resolve().relative_to(root.resolve())
    scratch = Path(tempfile.mkdtemp(prefix="mlops-base-"))
    tree = scratch / "tree"
    try:
        added = _git(root, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        if added.returncode != 0:
            fail(f"{ref}: BASE: cannot check out: {added.stderr.strip()}", ExitCode.INVALID)
        STATUS.update(f"{stack} at {ref}: planning the base")
        # The base is planned by its own code: a fresh interpreter with the worktree first on the path.
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(tree), os.environ.get("PYTHONPATH"))))}
        program = "from mlops.cli import app; app()"
        result = subprocess.run(
            [sys.executable, "-c", program, "plan", stack, "--json", "--project-dir", str(tree / inside)],
            capture_output=True, text=True, env=environment, cwd=tree, check=False,
        )
        if result.returncode not in (ExitCode.OK, ExitCode.FAILED) or not result.stdout.strip():
            lines = result.stderr.strip().splitlines()[-20:] or [f"exit {result.returncode}"]
            fail(f"{ref}: BASE: planning {stack} at {ref} failed:\n" + "\n".join(lines), ExitCode.INVALID)
        try:
            return json.loads(result.stdout)
        except ValueError as error:
            fail(f"{ref}: BASE: the plan of {stack} at {ref} is not JSON: {error}", ExitCode.INVALID)
    finally:
        _git(root, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(scratch, ignore_errors=True)
        _git(root, "worktree", "prune")


def saved_base(folder: Path, base: str, stack: str) -> dict[str, Any] | None:
    """BASE of ``--diff`` read before anything is planned: the saved plan if BASE is a file (its
    stack checked), else None once BASE is known to name a commit (exit 2 when it names neither)."""
    path = Path(base)
    if path.is_file():
        document = read_plan(path, "BASE")
        if document["stack"] != stack:
            fail(f"{path}: stack: the saved plan is of {document['stack']!r}, not {stack!r} (allowed: a plan of {stack})", ExitCode.INVALID)
        return priced(document)
    resolve_ref(folder, base)
    return None


def base_plan(folder: Path, base: str, stack: str, saved: dict[str, Any] | None) -> dict[str, Any]:
    """BASE of ``--diff`` as a plan: ``saved``, or the plan of git ref ``base``'s tree."""
    return saved if saved is not None else priced(plan_git_ref(folder, base, stack))


def print_diff(diff: PlanDiff, head: dict[str, Any], output_format: str) -> None:
    """The diff in ``output_format``: text, json, markdown or mermaid (the head's diagram coloured)."""
    STATUS.stop()
    if output_format == "json":
        console.out(render_json(diff), end="", highlight=False)
    elif output_format == "markdown":
        console.out(render_markdown(diff), end="", highlight=False)
    elif output_format == "mermaid":
        changes = component_changes(head, [c.to_json() for c in diff.changes])
        console.out(to_mermaid(build_diagram(head), changes), end="", highlight=False)
    else:
        console.print(render_text(diff))


def diff(
    plans: list[Path] = typer.Argument(
        ..., metavar="BASE HEAD_PLAN [BASE HEAD_PLAN]...", help="Saved plans (mlops plan --out): a base and a head of one stack, one pair per stack."
    ),
    output_format: DiffFormat = typer.Option(DiffFormat.text, "--format", help="text (people), json, markdown (a pull-request comment), mermaid (the head's diagram, changes coloured)."),
) -> None:
    """Compare saved plans: what is created, updated, replaced and deleted, per model and for the
    foundation; findings added and removed; the monthly cost change. Several pairs (one per stack)
    make one report, e.g. the pull-request comment for dev, test and prod.

    Exit 0: compared; 2: unreadable plans, an odd number of plans, or a pair of two stacks.
    """
    if len(plans) % 2:
        fail(f"plans: {len(plans)} given (allowed: pairs of BASE HEAD_PLAN)", ExitCode.INVALID)
    if output_format is DiffFormat.mermaid and len(plans) != 2:
        fail("--format mermaid: draws one stack (allowed: one pair of BASE HEAD_PLAN)", ExitCode.INVALID)
    documents = [read_plan(path, "BASE" if i % 2 == 0 else "HEAD_PLAN") for i, path in enumerate(plans)]
    problems = [
        f"{plans[i + 1]}: stack: {documents[i + 1]['stack']!r} is not the base's stack {documents[i]['stack']!r} (allowed: two plans of one stack)"
        for i in range(0, len(plans), 2)
        if documents[i]["stack"] != documents[i + 1]["stack"]
    ]
    if problems:
        fail("\n".join(problems), ExitCode.INVALID)
    pairs = [(priced(documents[i]), priced(documents[i + 1])) for i in range(0, len(plans), 2)]
    diffs = [diff_plans(base, head) for base, head in pairs]
    if output_format is DiffFormat.json:
        console.out(render_json(diffs), end="", highlight=False)
    elif output_format is DiffFormat.markdown:
        console.out(render_markdown(diffs), end="", highlight=False)
    elif output_format is DiffFormat.mermaid:
        print_diff(diffs[0], pairs[0][1], "mermaid")
    else:
        for one in diffs:
            console.print(render_text(one))


def cost(
    stack: str | None = typer.Argument(None, help="Stack to price: dev, test, prod or dev-<owner>[-<slug>]."),
    stack_option: StackOption = None,
    as_json: JsonFlag = False,
    project: ProjectDir = None,
) -> None:
    """Estimate STACK's monthly cost per resource, per model and for the foundation, from the
    project's price table and usage assumptions, against the stack's budget.

    Exit 0: estimated (over the budget is a warning on stderr); 2: invalid configuration.
    """
    name = _stack(stack, stack_option)
    folder = project_dir(project)
    result = planned(folder, name)
    STATUS.update(f"{name}: cost estimate")
    region = (result.cost or {}).get("region")
    estimate = cost_estimate.estimate(result.to_json(), per_model=usage_by_model(load_models(folder)), region=region)
    STATUS.stop()
    if as_json:
        console.out(json.dumps({"stack": name, **estimate.to_json()}, indent=2, sort_keys=True), highlight=False)
        for warning in estimate.warnings:
            errors.print(Text(f"warning: {warning}", style="yellow"), soft_wrap=True)
    else:
        console.print(render_table(estimate))


def diagram(
    stack: str | None = typer.Argument(None, help="Stack to draw: dev, test, prod or dev-<owner>[-<slug>]."),
    stack_option: StackOption = None,
    output_format: DiagramFormat = typer.Option(DiagramFormat.mermaid, "--format", help="mermaid (text; GitHub renders it), svg (needs graphviz's dot), dot."),
    project: ProjectDir = None,
) -> None:
    """Draw STACK's components and main data flows from its plan.

    Exit 0: drawn; 2: invalid configuration, or svg asked for where graphviz is not installed.
    """
    name = _stack(stack, stack_option)
    dot = shutil.which("dot")
    if output_format is DiagramFormat.svg and dot is None:
        STATUS.stop()
        fail("--format svg: graphviz's dot is not installed (allowed: mermaid or dot, or install graphviz)", ExitCode.INVALID)
    result = planned(project_dir(project), name)
    drawing = build_diagram(result.to_json())
    STATUS.stop()
    if output_format is DiagramFormat.mermaid:
        console.out(to_mermaid(drawing), end="", highlight=False)
        return
    source = to_dot(drawing)
    if output_format is DiagramFormat.dot:
        console.out(source, end="", highlight=False)
        return
    svg = subprocess.run([str(dot), "-Tsvg"], input=source, capture_output=True, text=True, check=False)
    if svg.returncode != 0:
        fail(f"dot: cannot draw the diagram: {svg.stderr.strip()}", ExitCode.FAILED)
    console.out(svg.stdout, end="", highlight=False)
