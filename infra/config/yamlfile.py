"""Reading the YAML files of the configuration edge: bounded, iterative, every key's line kept.

A configuration file is small and written by people, so anything far outside that shape is
refused before it costs time or memory: files above ``MAX_BYTES``, nesting deeper than
``MAX_DEPTH``, documents whose aliases stand for more than ``MAX_ALIAS_NODES`` nodes (the
"billion laughs": the size is computed from the anchors, nothing is expanded), keys that are
not strings, keys given twice. The tree is built from ruamel.yaml's parse events with an
explicit stack, so no input makes Python recurse. Mappings and lists come back as
``YamlMapping``/``YamlList`` (a ``dict``/``list`` that also knows the line of each key or item)
so that later errors can name the line.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import ScalarNode

from infra.config.errors import ConfigError, Problem

#: Largest configuration file read (the example files are 1-2 KB).
MAX_BYTES = 256 * 1024
#: Deepest nesting of mappings and lists (the schemas need 5).
MAX_DEPTH = 32
#: Most nodes a document may produce through aliases (each use of an alias counts the whole
#: anchored subtree, nested aliases included).
MAX_ALIAS_NODES = 2_000

_YAML_HELP = "YAML with consistent indentation, closed quotes and each key once"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlMapping(dict):
    """A mapping read from a file; ``key_lines`` gives the 1-based line of each key and
    ``line`` the line of the key holding this mapping (or where it starts)."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int):
        super().__init__()
        self.key_lines: dict[Any, int] = {}
        self.line = line


class YamlList(list):
    """A list read from a file; ``item_lines[i]`` is the 1-based line of item ``i`` and ``line``
    the line of the key holding this list (or where it starts)."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int):
        super().__init__()
        self.item_lines: list[int] = []
        self.line = line


def kind_of(value: Any) -> str:
    """A YAML-reader's name for the type of ``value`` (for messages)."""
    if value is None:
        return "null"
    names = {bool: "boolean", int: "integer", float: "number", str: "string", bytes: "binary"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def short(value: Any, limit: int = 40) -> str:
    """``value`` for an error message, cut to a short prefix; containers are described, never
    printed (a shared subtree may stand for millions of nodes)."""
    if isinstance(value, dict):
        return f"a mapping of {len(value)} key{'s' * (len(value) != 1)}"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' * (len(value) != 1)}"
    if isinstance(value, str):
        return repr(value[:limit]) + ("…" if len(value) > limit else "")
    if isinstance(value, bytes):
        return repr(value[:limit]) + ("…" if len(value) > limit else "")
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(value: Any) -> str:
    """The type and a short prefix of ``value``: ``integer 3``, ``string 'eu-west'``, ``a list of 2 items``."""
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return short(value)
    return f"{kind_of(value)} {short(value)}"


def key_path(parts: tuple[Any, ...]) -> str:
    """``('serving', 'overrides', 'prod')`` → ``serving.overrides.prod``; ints become ``[i]``."""
    path = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            path += f"[{part}]"
        else:
            text = str(part)
            path = f"{path}.{text}" if path else text
    return path or "(root)"


#: Stands for YAML's merge key (a plain ``<<``) until its mapping is finished.
_MERGE = object()


class _Refused(Exception):
    """A limit was hit: stop reading at once (the problem is already recorded)."""


@dataclass
class _Frame:
    """A mapping or list being built, with what is needed to finish it."""

    value: YamlMapping | YamlList
    path: tuple[Any, ...]
    anchor: str | None
    nodes: int = 1
    key: Any = None
    key_line: int = 0
    has_key: bool = False
    merges: list[tuple[Any, int]] = field(default_factory=list)


@dataclass
class _Builder:
    """Builds the document tree from parse events, recording every problem it finds."""

    display: str
    yaml: YAML
    problems: list[Problem] = field(default_factory=list)
    stack: list[_Frame] = field(default_factory=list)
    anchors: dict[str, tuple[Any, int]] = field(default_factory=dict)
    open_anchors: set[str] = field(default_factory=set)
    alias_nodes: int = 0
    root: Any = None
    documents: int = 0

    def problem(self, line: int | None, path: tuple[Any, ...], text: str, allowed: str | None = None) -> None:
        self.problems.append(Problem(self.display, line, key_path(path), text, allowed))

    def refuse(self, line: int | None, path: tuple[Any, ...], text: str, allowed: str | None = None) -> None:
        self.problem(line, path, text, allowed)
        raise _Refused

    def current_path(self) -> tuple[Any, ...]:
        """The key path of the node about to be read."""
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if isinstance(frame.value, YamlList):
            return (*frame.path, len(frame.value))
        return (*frame.path, frame.key) if frame.has_key else frame.path

    def feed(self, event: Event) -> None:
        """Take one parse event."""
        if isinstance(event, DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.refuse(event.start_mark.line + 1, (), "more than one YAML document (a second '---')", "one document per file")
            return
        if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            self.open(event)
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            self.close()
        elif isinstance(event, ScalarEvent):
            line = event.start_mark.line + 1
            value = self.scalar(event, line)
            self.remember(event.anchor, value, 1)
            self.add(value, line, 1)
        elif isinstance(event, AliasEvent):
            self.alias(event)

    def open(self, event: MappingStartEvent | SequenceStartEvent) -> None:
        line = event.start_mark.line + 1
        path = self.current_path()
        if len(self.stack) >= MAX_DEPTH:
            self.refuse(line, path, f"nested deeper than {MAX_DEPTH} levels", f"at most {MAX_DEPTH} levels of mappings and lists")
        mapping = isinstance(event, MappingStartEvent)
        expected = _MAP_TAG if mapping else _SEQ_TAG
        if event.tag not in (None, "!", expected):
            # !!set, !!omap and custom tags build types no setting accepts.
            self.problem(line, path, f"YAML tag {short(event.tag)} is not supported", "plain mappings and lists, no tags")
        holder = self.stack[-1] if self.stack else None
        if holder is not None and isinstance(holder.value, YamlMapping) and holder.has_key:
            line = holder.key_line
        container: YamlMapping | YamlList = YamlMapping(line) if mapping else YamlList(line)
        if event.anchor:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame(container, path, event.anchor))

    def close(self) -> None:
        frame = self.stack.pop()
        if isinstance(frame.value, YamlMapping):
            self.merge(frame)
        if frame.anchor:
            self.open_anchors.discard(frame.anchor)
        self.remember(frame.anchor, frame.value, frame.nodes)
        self.add(frame.value, frame.value.line, frame.nodes)

    def scalar(self, event: ScalarEvent, line: int) -> Any:
        """The Python value of a scalar, resolved and constructed as the safe loader does."""
        if event.tag == "!":
            tag = "tag:yaml.org,2002:str"
        elif event.tag is None:
            tag = str(self.yaml.resolver.resolve(ScalarNode, event.value, event.implicit))
        else:
            tag = event.tag
        if tag == _MERGE_TAG:
            return _MERGE
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.yaml.constructor.construct_object(node, deep=True)
        except YAMLError as error:
            problem = getattr(error, "problem", None) or str(error)
            self.problem(line, self.current_path(), f"cannot read {short(event.value)}: {problem.strip()}", "plain values, no YAML tags")
        except (ValueError, OverflowError) as error:
            # e.g. a date such as 2026-13-45, or an integer beyond Python's digit limit.
            kind = str(tag).rsplit(":", 1)[-1]
            self.problem(line, self.current_path(), f"{short(event.value)} is not a valid {kind}: {error}", f"a valid {kind}, or a quoted string")
        return event.value

    def alias(self, event: AliasEvent) -> None:
        line = event.start_mark.line + 1
        path = self.current_path()
        if event.anchor in self.open_anchors:
            self.refuse(line, path, f"alias *{event.anchor[:40]} refers to a node that contains it (a recursive structure)", "aliases of finished nodes only")
        if event.anchor not in self.anchors:
            self.refuse(line, path, f"alias *{event.anchor[:40]} has no anchor before it", "&name defined before *name")
        value, nodes = self.anchors[event.anchor]
        self.alias_nodes += nodes
        if self.alias_nodes > MAX_ALIAS_NODES:
            self.refuse(
                line, path, f"aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?)",
                f"at most {MAX_ALIAS_NODES} nodes produced through aliases",
            )
        self.add(value, line, nodes)

    def remember(self, anchor: str | None, value: Any, nodes: int) -> None:
        if anchor:
            self.anchors[anchor] = (value, nodes)

    def add(self, value: Any, line: int, nodes: int) -> None:
        """Put a finished node into the container being built (or make it the root)."""
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        frame.nodes += nodes
        if isinstance(frame.value, YamlList):
            frame.value.item_lines.append(line)
            frame.value.append(value)
        elif not frame.has_key:
            frame.key, frame.key_line, frame.has_key = value, line, True
        else:
            frame.has_key = False
            self.put(frame, frame.key, frame.key_line, value)

    def put(self, frame: _Frame, key: Any, line: int, value: Any) -> None:
        mapping = frame.value
        if key is _MERGE:
            frame.merges.append((value, line))
            return
        if not isinstance(key, str):
            self.problem(
                line, frame.path, f"keys must be strings, got {describe(key)}",
                "string keys; quote keys that YAML reads as numbers, booleans, null or dates",
            )
            return
        if key in mapping:
            self.problem(line, (*frame.path, key), f"key given twice (first on line {mapping.key_lines[key]})", "each key once")
            return
        mapping[key] = value
        mapping.key_lines[key] = line

    def merge(self, frame: _Frame) -> None:
        """Apply ``<<: *base`` merge keys: keys given in the mapping itself win."""
        mapping = frame.value
        for source, line in frame.merges:
            sources = source if isinstance(source, list) else [source]
            for item in sources:
                if not isinstance(item, dict):
                    self.problem(line, (*frame.path, "<<"), f"merge key needs a mapping, got {kind_of(item)}", "<<: *anchor-of-a-mapping")
                    continue
                for key, value in item.items():
                    if key not in mapping:
                        mapping[key] = value
                        mapping.key_lines[key] = line


def _read_bytes(path: Path, display: str) -> bytes:
    """The file's bytes, after checking that it is a regular file of a sensible size."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(display, "(file)", "file not found", f"{display} as in the example project") from None
    except OSError as exc:
        raise ConfigError(display, "(file)", f"cannot read file: {exc.strerror or exc}", "a readable YAML file") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(display, "(file)", "is a folder, not a file", "a YAML file")
    if not stat.S_ISREG(info.st_mode):
        # Opening a FIFO would block until a writer appears.
        raise ConfigError(display, "(file)", "is not a regular file (a pipe, socket or device)", "a YAML file")
    if info.st_size > MAX_BYTES:
        raise ConfigError(display, "(file)", f"file is {info.st_size} bytes", f"at most {MAX_BYTES} bytes")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(display, "(file)", f"cannot read file: {exc.strerror or exc}", "a readable YAML file") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(display, "(file)", f"file is larger than {MAX_BYTES} bytes", f"at most {MAX_BYTES} bytes")
    return raw


def parse_text(text: str, display: str) -> Any:
    """Build the tree of one YAML document; raise ``ConfigError`` with every problem found."""
    yaml = YAML(typ="safe", pure=True)
    builder = _Builder(display, yaml)
    events = yaml.parse(text)
    try:
        while True:
            try:
                event = next(events)
            except StopIteration:
                break
            except MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                problem = (exc.problem or exc.context or "syntax error").strip()
                builder.problem(mark.line + 1 if mark else None, builder.current_path(), f"invalid YAML: {problem}", _YAML_HELP)
                break
            except YAMLError as exc:
                builder.problem(None, builder.current_path(), f"invalid YAML: {str(exc).strip()}", _YAML_HELP)
                break
            except RecursionError:
                builder.problem(None, builder.current_path(), "invalid YAML: nesting too deep to parse", f"at most {MAX_DEPTH} levels")
                break
            if isinstance(event, StreamEndEvent):
                break
            builder.feed(event)
    except _Refused:
        pass
    finally:
        events.close()
    if builder.problems:
        raise ConfigError.of(builder.problems)
    return builder.root


def read_mapping(path: Path, display: str) -> dict[str, Any]:
    """Parse ``path`` as a YAML mapping; any problem becomes a ``ConfigError`` naming ``display``.

    The result is a ``YamlMapping`` (nested mappings and lists are ``YamlMapping``/``YamlList``)
    that remembers the line of every key.
    """
    raw = _read_bytes(path, display)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(display, "(file)", f"not UTF-8 text (byte {exc.start})", "UTF-8 encoded YAML") from None
    if not text.strip():
        raise ConfigError(display, "(root)", "file is empty", "a YAML mapping", line=1)
    data = parse_text(text, display)
    if data is None:
        raise ConfigError(display, "(root)", "file holds no data", "a YAML mapping", line=1)
    if not isinstance(data, dict):
        raise ConfigError(display, "(root)", f"expected a mapping, got {kind_of(data)}", "a YAML mapping", line=1)
    return data
