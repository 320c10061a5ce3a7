"""Property-based tests of the configuration edge: whatever the files hold, loading either
succeeds or raises a ``ConfigError`` whose every line reads ``<file>[:<line>]: <key>: <problem>``;
never another exception, never a RecursionError, never a long wait.

Three sources of input: mutations of the example files' data (values replaced, keys dropped,
misspelt or added), byte-level mutations of their text (with hostile YAML spliced in), and
stack, model and migration files generated from the schemas' key vocabulary.
"""

from __future__ import annotations

import copy
import datetime
import re
import shutil
import tempfile
import time
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from ruamel.yaml import YAML

from infra.config import ConfigError, load_settings
from infra.config.catalog import ModelSpec
from infra.config.migration import MigrationSettings
from infra.config.stack import StackSettings

PROJECT_DIR = Path(__file__).resolve().parents[2]
FILES = {
    "stacks/Pulumi.dev.yaml": "dev",
    "stacks/Pulumi.test.yaml": "test",
    "stacks/Pulumi.prod.yaml": "prod",
    "stacks/migration.yaml": "dev",
    "stacks/models/churn.yaml": "prod",
    "stacks/models/fraud.yaml": "test",
    "stacks/models/demand-forecast.yaml": "dev",
}
#: One problem: file, optional line, key path, what is wrong, optionally what is allowed.
LINE = re.compile(r"(?P<file>stacks/[^:\n]+\.yaml)(?::(?P<line>[1-9][0-9]*))?: (?P<key>[^\n]+?): (?P<problem>[^\n]+)")
#: Generous per-case budget: a hang or an expansion shows up as seconds, a normal load is ~0.1 s.
BUDGET_SECONDS = 5.0

FUZZ = settings(
    deadline=datetime.timedelta(seconds=BUDGET_SECONDS),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
    database=None,
)


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    return yaml


def _originals() -> dict[str, bytes]:
    return {name: (PROJECT_DIR / name).read_bytes() for name in FILES}


ORIGINALS = _originals()
DATA = {name: _yaml().load(text) for name, text in ORIGINALS.items()}


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    """One copy of the project for the whole module; each case restores what it changed."""
    folder = Path(tempfile.mkdtemp(prefix="config-fuzz-"))
    shutil.copy2(PROJECT_DIR / "Pulumi.yaml", folder / "Pulumi.yaml")
    shutil.copytree(PROJECT_DIR / "stacks", folder / "stacks")
    yield folder
    shutil.rmtree(folder)


def assert_contract(project: Path, name: str, content: bytes) -> None:
    """Write ``content`` as ``name``, load the stack that reads it and check the contract."""
    target = project / name
    target.write_bytes(content)
    try:
        started = time.perf_counter()
        try:
            load_settings(project, FILES[name])
        except ConfigError as error:
            lines = error.lines()
            assert lines, "a ConfigError without a problem"
            for line in lines:
                match = LINE.fullmatch(line)
                assert match, f"not '<file>:<line>: <key>: <problem>': {line!r}"
                assert len(line) < 1200, f"a value echoed in full: {line[:200]!r}…"
        assert time.perf_counter() - started < BUDGET_SECONDS
    finally:
        target.write_bytes(ORIGINALS[name])


# --- values and edits -------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "ml.m5.large", "ml.c5.xlarg", "cron(0 3 ? * MON *)", "cron(0 3 * * ? *)", "rate(1 days)",
                     "10.40.0.0/16", "100.64.0.0/16", "eu-west-1", "eu-west-9", "organization/mlops/dev", "dev",
                     "scale-out", "scaleout", "activation", "prd", "x" * 5000, "2026-12-01", "yes", "no", "~", "<<"]),
    st.dates(),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a node of a loaded YAML tree."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _typo(key: str, position: int, kind: int) -> str:
    """``key`` with one character dropped, doubled, swapped or upper-cased."""
    if not key:
        return "x"
    i = position % len(key)
    return [
        key[:i] + key[i + 1 :],
        key[:i] + key[i] + key[i:],
        key[:i] + key[i + 1 : i + 2] + key[i : i + 1] + key[i + 2 :],
        key[:i] + key[i].swapcase() + key[i + 1 :],
    ][kind % 4] or "x"


@st.composite
def mutated_example(draw: st.DrawFn) -> tuple[str, bytes]:
    """An example file with one to three edits of its data."""
    name = draw(st.sampled_from(sorted(FILES)))
    data = copy.deepcopy(DATA[name])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        *parents, last = path
        parent = data
        for part in parents:
            parent = parent[part]
        edit = draw(st.sampled_from(["replace", "drop", "typo", "add"]))
        if edit == "replace":
            parent[last] = draw(VALUES)
        elif edit == "drop":
            del parent[last]
        elif edit == "typo" and isinstance(parent, dict):
            parent[_typo(str(last), draw(st.integers(0, 50)), draw(st.integers(0, 3)))] = parent.pop(last)
        elif edit == "add" and isinstance(parent, dict):
            parent[draw(st.one_of(st.text(max_size=15), st.integers(), st.booleans()))] = draw(VALUES)
    stream = _DumpTarget()
    _yaml().dump(data, stream)
    return name, stream.value


class _DumpTarget:
    """A write-only stream collecting ruamel's output as bytes."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str | bytes) -> None:
        self.parts.append(text.decode() if isinstance(text, bytes) else text)

    @property
    def value(self) -> bytes:
        return "".join(self.parts).encode()


HOSTILE = [
    b"lol:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    + b"".join(b"  a%d: &a%d [" % (i, i) + b", ".join([b"*a%d" % (i - 1)] * 10) + b"]\n" for i in range(1, 10)),
    b"deep: " + b"[" * 3000 + b"]" * 3000 + b"\n",
    b"deep: " + b"{a: " * 500 + b"1" + b"}" * 500 + b"\n",
    b"loop: &loop [*loop]\n",
    b"? [a, b]\n: c\n",
    b"1: one\ntrue: yes\n~: null\n2026-01-01: date\n",
    b"---\nsecond: document\n",
    b"obj: !!python/object:os.system [echo]\n",
    b"base: &b {x: 1}\nmerged:\n  <<: *b\n  <<: [*b, 3]\n",
    b"when: 2026-02-30\n",
    b"n: " + b"9" * 5000 + b"\n",
    b"\t tabbed: value\n",
    b"\x00\xff\xfe",
    b"key: 'unclosed\n",
    b"- a list\n- at the root\n",
]


@st.composite
def mutated_text(draw: st.DrawFn) -> tuple[str, bytes]:
    """An example file with its bytes cut, overwritten or spliced with hostile YAML."""
    name = draw(st.sampled_from(sorted(FILES)))
    text = ORIGINALS[name]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        edit = draw(st.sampled_from(["splice", "cut", "bytes", "truncate"]))
        if edit == "splice":
            text = text[:at] + draw(st.sampled_from(HOSTILE)) + text[at:]
        elif edit == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif edit == "bytes":
            text = text[:at] + draw(st.binary(min_size=1, max_size=8)) + text[at:]
        else:
            text = text[:at]
    return name, text


# --- files generated from the schemas' vocabulary --------------------------------------------


def _keys(model: Any) -> list[str]:
    """Every key a model or its nested models accept (their aliases)."""
    found: list[str] = []
    stack = [model]
    seen = set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        for name, info in current.model_fields.items():
            found.append(info.alias or name)
            for inner in _models(info.annotation):
                stack.append(inner)
    return sorted(set(found))


def _models(annotation: Any) -> list[Any]:
    """The pydantic models inside an annotation such as ``list[Waiver] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _documents(vocabulary: list[str]) -> st.SearchStrategy[dict]:
    keys = st.one_of(st.sampled_from(vocabulary), st.text(max_size=10))
    values = st.recursive(SCALARS, lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(keys, c, max_size=5)), max_leaves=20)
    return st.dictionaries(keys, values, max_size=12)


GENERATORS = {
    "stacks/Pulumi.dev.yaml": st.builds(lambda c: {"config": c}, _documents(_keys(StackSettings))),
    "stacks/models/churn.yaml": _documents(_keys(ModelSpec)),
    "stacks/migration.yaml": _documents(_keys(MigrationSettings)),
}


@st.composite
def generated_file(draw: st.DrawFn) -> tuple[str, bytes]:
    """A stack, model or migration file built from the schema's keys and random values."""
    name = draw(st.sampled_from(sorted(GENERATORS)))
    stream = _DumpTarget()
    _yaml().dump(draw(GENERATORS[name]), stream)
    return name, stream.value


# --- the properties -----------------------------------------------------------------------------


@settings(FUZZ, max_examples=250)
@given(case=mutated_example())
def test_mutated_examples_keep_the_contract(project, case):
    assert_contract(project, *case)


@settings(FUZZ, max_examples=150)
@given(case=mutated_text())
def test_mutated_text_keeps_the_contract(project, case):
    assert_contract(project, *case)


@settings(FUZZ, max_examples=150)
@given(case=generated_file())
def test_generated_files_keep_the_contract(project, case):
    assert_contract(project, *case)
