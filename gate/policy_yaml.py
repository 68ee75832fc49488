"""Safe YAML for policy files: plain data plus the line of every node, and file:line validation errors.

`parse_yaml_documents` reads files that hold several documents (Sloth, OpenSLO and Pyrra specs) with
the same rules, each document with its own line map.

The loader is a `yaml.SafeLoader` subclass that composes the node tree and builds plain dicts, lists and
scalars itself, rejecting what a reviewed policy file never needs and an attacker might use: anchors,
aliases and merge keys (`&a`, `*a`, `<<`), every explicit tag (`!!python/...`, `!custom`, even `!!str`),
duplicate keys, non-string keys, several documents, files over `MAX_POLICY_BYTES`, bytes that are not
UTF-8 and a top level that is not a mapping. Structural problems are collected for the whole file and
reported together; schema validation only runs on a file that is structurally sound, because an
alias or a duplicate key leaves data that is not what the author meant.

`validation_errors` turns a pydantic `ValidationError` into one `PolicyError` per problem, located at
the deepest line the line map knows for the error's path, with the field spelled as in YAML
(`slos[0].sli.error_query`) and a message meant for the person editing the file.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from gate.errors import PolicyError, PolicyErrors

MAX_POLICY_BYTES = 64 * 1024  # policy_load.py re-exports the same number
MAX_DEPTH = 64

NodePath = tuple[str | int, ...]
LineMap = dict[NodePath, int]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_YAML_TAG = "tag:yaml.org,2002:"
_MAX_SHOWN = 60


@dataclass(frozen=True)
class ParsedYAML:
    """The document as plain data and the 1-based line of each node (for keys, the key's line)."""

    data: dict[str, Any]
    lines: LineMap


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


if TYPE_CHECKING:
    _LoaderBase = yaml.SafeLoader
elif getattr(yaml, "__with_libyaml__", False):
    # libyaml scans and parses (the slow part, ~10x faster); composition stays in Python so every
    # event's anchor, tag and line can be inspected below.
    class _LoaderBase(
        yaml.composer.Composer, yaml.cyaml.CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver
    ):
        def __init__(self, stream):
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml
    _LoaderBase = yaml.SafeLoader


class _PolicyLoader(_LoaderBase):
    """Composes nodes like SafeLoader, but records (instead of honouring) anchors, aliases and tags."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[tuple[int, str, str]] = []  # line, field, message
        self._stack: list[NodePath] = [()]

    def _path(self, parent: yaml.Node | None, index: Any) -> NodePath:
        here = self._stack[-1]
        if parent is None or index is None:  # the root, or a mapping key
            return here
        if isinstance(index, int):  # a sequence item
            return (*here, index)
        if isinstance(index, yaml.ScalarNode):  # the value of a key
            return (*here, index.value)
        return here

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        path = self._path(parent, index)
        where = field_name(path)
        if self.check_event(yaml.AliasEvent):
            alias = self.get_event()  # type: ignore[no-untyped-call]
            self.problems.append(
                (
                    alias.start_mark.line + 1,
                    where,
                    f"aliases (*{alias.anchor}) are not allowed; repeat the value",
                )
            )
            return yaml.ScalarNode("tag:yaml.org,2002:null", "", alias.start_mark, alias.end_mark)
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1
        if event.anchor is not None:
            self.problems.append(
                (line, where, f"anchors (&{event.anchor}) are not allowed; repeat the value")
            )
            event.anchor = None
        tag = getattr(event, "tag", None)
        if tag is not None:
            shown = "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag
            self.problems.append((line, where, f"tags ({shown}) are not allowed; write plain YAML values"))
            event.tag = None
        if len(self._stack) > MAX_DEPTH:
            raise _TooDeep(line)
        self._stack.append(path)
        try:
            return super().compose_node(parent, index)
        finally:
            self._stack.pop()


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def field_name(path: Iterable[str | int]) -> str:
    """`("slos", 0, "sli", "error_query")` -> `slos[0].sli.error_query`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def line_for(lines: Mapping[NodePath, int], path: NodePath) -> int | None:
    """The line of the deepest known node on `path` (a missing key points at its parent)."""
    for end in range(len(path), -1, -1):
        line = lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return None


class _Builder:
    """Turns the composed node tree into plain data, recording lines and structural problems."""

    def __init__(self, loader: _PolicyLoader) -> None:
        self.loader = loader
        self.lines: LineMap = {}
        self.problems: list[tuple[int, str, str]] = []  # line, field, message

    def build(self, node: yaml.Node, path: NodePath) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: NodePath) -> Any:
        if node.tag in (_MERGE_TAG, _VALUE_TAG):
            return node.value
        try:
            return self.loader.construct_object(node)
        except yaml.YAMLError:  # pragma: no cover - every implicit tag of SafeLoader has a constructor
            return node.value
        except (ValueError, OverflowError) as exc:  # `2026-13-45` has a date's shape but is none
            self.problems.append(
                (
                    node.start_mark.line + 1,
                    field_name(path),
                    f"{_shown(node.value)} reads as a date YAML cannot hold ({exc}); quote it if it is text",
                )
            )
            return node.value

    def _mapping(self, node: yaml.MappingNode, path: NodePath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            where = field_name(path)
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append((line, where, "mapping keys must be plain strings"))
                continue
            if key_node.tag == _MERGE_TAG:
                self.problems.append((line, where, "merge keys (<<) are not allowed; repeat the keys"))
                continue
            key = self._scalar(key_node, path)
            if not isinstance(key, str):
                shown = "null" if key is None else str(key).lower() if isinstance(key, bool) else str(key)
                self.problems.append(
                    (
                        line,
                        where,
                        f"key {key_node.value!r} is not a string (YAML reads it as {shown}); quote it",
                    )
                )
                continue
            if key in first_line:
                self.problems.append(
                    (
                        line,
                        field_name((*path, key)),
                        f"duplicate key {key!r} (first on line {first_line[key]}, again on line {line})",
                    )
                )
                continue
            first_line[key] = line
            self.lines[(*path, key)] = line
            out[key] = self.build(value_node, (*path, key))
            self.lines[(*path, key)] = line  # the key's line, not its value's
        return out


def too_large(path: str, size: int) -> PolicyError:
    return PolicyError(
        path,
        None,
        "",
        f"file is {size} bytes; policy files are limited to {MAX_POLICY_BYTES} bytes ({MAX_POLICY_BYTES // 1024} KiB)",
    )


def _policy_text(data: bytes, path: str) -> str:
    """`data` as text, or PolicyErrors for a file over MAX_POLICY_BYTES or not UTF-8 (naming the line)."""
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyErrors([too_large(path, len(data))])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        why = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        raise PolicyErrors([PolicyError(path, line, "", why)]) from None


def _loader(path: str, text: str) -> _PolicyLoader:
    try:
        return _PolicyLoader(text)
    except yaml.reader.ReaderError as exc:
        raise PolicyErrors([_reader_error(path, text, exc)]) from None


@contextlib.contextmanager
def _composing(path: str, text: str, loader: _PolicyLoader, errors: list[PolicyError]) -> Iterator[None]:
    """Compose inside the block; syntax and depth problems join `errors`, then the loader's own.

    An unreadable character raises PolicyErrors at once: libyaml reads lazily, so it surfaces here.
    """
    try:
        yield
    except yaml.reader.ReaderError as exc:
        raise PolicyErrors([_reader_error(path, text, exc)]) from None
    except yaml.MarkedYAMLError as exc:
        errors.append(_syntax_error(path, exc))
    except _TooDeep as exc:
        errors.append(PolicyError(path, exc.line, "", f"nested more than {MAX_DEPTH} levels deep"))
    errors.extend(PolicyError(path, line, field, message) for line, field, message in loader.problems)


_STR_TAG = "tag:yaml.org,2002:str"


class _NotPlain(Exception):
    """The fast path met something only the full composer reports properly (or a syntax error)."""


def _plain_parse(text: str) -> ParsedYAML | None:
    """The common case in one pass over libyaml's events: a single mapping document of plain data.

    The same data and line map as composing nodes and building them (`_PolicyLoader`, `_Builder`),
    about three times faster, which counts at a thousand SLOs. At the first anchor, alias, tag, merge
    key, non-string or duplicate key, nesting past MAX_DEPTH, second document or syntax error it
    gives up (None), and the full path finds and reports every problem in the file.
    """
    loader = _PolicyLoader(text)
    lines: LineMap = {}
    try:
        return _plain_document(loader, lines)
    except (_NotPlain, yaml.YAMLError):
        return None
    finally:
        loader.dispose()


def _line(event: Any) -> int:
    return int(event.start_mark.line) + 1


def _next_event(loader: _PolicyLoader) -> Any:
    return loader.get_event()  # type: ignore[no-untyped-call]


def _plain_document(loader: _PolicyLoader, lines: LineMap) -> ParsedYAML:
    for expected in (yaml.StreamStartEvent, yaml.DocumentStartEvent):
        if not isinstance(_next_event(loader), expected):
            raise _NotPlain
    first = _next_event(loader)
    if not isinstance(first, yaml.MappingStartEvent):
        raise _NotPlain
    data = _plain_value(loader, first, (), lines)
    for closing in (yaml.DocumentEndEvent, yaml.StreamEndEvent):
        if not isinstance(_next_event(loader), closing):
            raise _NotPlain
    return ParsedYAML(data=data, lines=lines)


def _plain_value(loader: _PolicyLoader, event: Any, path: NodePath, lines: LineMap) -> Any:
    """The value `event` starts (its events consumed), its line and its children's recorded."""
    if event.anchor is not None or getattr(event, "tag", None) is not None or len(path) >= MAX_DEPTH:
        raise _NotPlain
    lines.setdefault(path, _line(event))
    if isinstance(event, yaml.ScalarEvent):
        return _plain_scalar(loader, event)
    if isinstance(event, yaml.SequenceStartEvent):
        items: list[Any] = []
        while not isinstance(item := _next_event(loader), yaml.SequenceEndEvent):
            items.append(_plain_value(loader, item, (*path, len(items)), lines))
        return items
    if isinstance(event, yaml.MappingStartEvent):
        out: dict[str, Any] = {}
        key_event: Any
        while not isinstance(key_event := _next_event(loader), yaml.MappingEndEvent):
            if not isinstance(key_event, yaml.ScalarEvent) or key_event.anchor is not None or key_event.tag:
                raise _NotPlain
            key = _plain_scalar(loader, key_event)
            if not isinstance(key, str) or key in out:
                raise _NotPlain
            lines[(*path, key)] = _line(key_event)  # the key's line, not its value's
            out[key] = _plain_value(loader, _next_event(loader), (*path, key), lines)
        return out
    raise _NotPlain  # an alias


def _plain_scalar(loader: _PolicyLoader, event: Any) -> Any:
    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
    if tag == _STR_TAG:
        return event.value
    if tag in (_MERGE_TAG, _VALUE_TAG):
        raise _NotPlain
    try:
        return loader.construct_object(yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark))
    except (ValueError, OverflowError):  # a date that is none: the full path reports it
        raise _NotPlain from None


def parse_yaml(data: bytes, path: str) -> ParsedYAML:
    """Parse one policy file's bytes, or raise `PolicyErrors` with every structural problem found."""
    text = _policy_text(data, path)
    return _plain_parse(text) or _composed_parse(text, path)


def _composed_parse(text: str, path: str) -> ParsedYAML:
    """The full path: compose every node, build them, and report every structural problem."""
    errors: list[PolicyError] = []
    loader = _loader(path, text)
    try:
        root: yaml.Node | None = None
        with _composing(path, text, loader, errors):
            if loader.check_node():
                root = loader.compose_document()
                if loader.check_node():
                    extra = loader.peek_event()  # type: ignore[no-untyped-call]
                    errors.append(
                        PolicyError(
                            path,
                            extra.start_mark.line + 1,
                            "",
                            "more than one YAML document ('---'); a policy file holds exactly one",
                        )
                    )
        if root is None:
            if not errors:
                errors.append(PolicyError(path, 1, "", "the file is empty; expected a policy mapping"))
            raise PolicyErrors(sort_errors(errors))
        if not isinstance(root, yaml.MappingNode):
            kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
            errors.append(
                PolicyError(
                    path,
                    root.start_mark.line + 1,
                    "",
                    f"the top level must be a mapping (apiVersion, service, slos, ...), not {kind}",
                )
            )
            raise PolicyErrors(sort_errors(errors))
        builder = _Builder(loader)
        built = builder.build(root, ())
        errors.extend(PolicyError(path, ln, f, m) for ln, f, m in builder.problems)
    finally:
        loader.dispose()
    if errors:
        raise PolicyErrors(sort_errors(errors))
    assert isinstance(built, dict)
    return ParsedYAML(data=built, lines=builder.lines)


MAX_DOCUMENTS = 100


def parse_yaml_documents(data: bytes, path: str) -> list[ParsedYAML]:
    """Every document of a file that may hold several (Kubernetes-style specs: `---`, or a top-level
    list of objects), each as plain data with its own line map; the same strictness as `parse_yaml`
    (no anchors, aliases, tags, duplicate keys; UTF-8; at most MAX_POLICY_BYTES), every problem at once.
    A document that is a list contributes each of its items (which must be mappings)."""
    text = _policy_text(data, path)
    errors: list[PolicyError] = []
    documents: list[ParsedYAML] = []
    loader = _loader(path, text)
    try:
        roots: list[yaml.Node] = []
        with _composing(path, text, loader, errors):
            while loader.check_node():
                node = loader.compose_document()
                if node is not None:
                    roots.append(node)
                if len(roots) > MAX_DOCUMENTS:
                    errors.append(PolicyError(path, None, "", f"more than {MAX_DOCUMENTS} YAML documents"))
                    break
        for root in roots:
            items = root.value if isinstance(root, yaml.SequenceNode) else [root]
            for item in items:
                if not isinstance(item, yaml.MappingNode):
                    errors.append(
                        PolicyError(
                            path,
                            item.start_mark.line + 1,
                            "",
                            "expected a mapping (an object with apiVersion)",
                        )
                    )
                    continue
                builder = _Builder(loader)
                built = builder.build(item, ())
                errors.extend(PolicyError(path, ln, f, m) for ln, f, m in builder.problems)
                documents.append(ParsedYAML(data=built, lines=builder.lines))
    finally:
        loader.dispose()
    if errors:
        raise PolicyErrors(sort_errors(errors))
    if not documents:
        raise PolicyErrors([PolicyError(path, 1, "", "the file is empty")])
    return documents


def _reader_error(path: str, text: str, exc: yaml.reader.ReaderError) -> PolicyError:
    line = text[: exc.position].count("\n") + 1
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return PolicyError(path, line, "", f"control character U+{ord(char):04X} is not allowed in YAML")


def _syntax_error(path: str, exc: yaml.MarkedYAMLError) -> PolicyError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    parts = [p for p in (exc.problem, exc.context) if p]
    detail = "; ".join(parts) if parts else "invalid YAML"
    return PolicyError(path, line, "", f"YAML syntax error: {detail}")


def sort_errors(errors: Iterable[PolicyError]) -> list[PolicyError]:
    """Stable order for display: by file, then line (file-level errors first)."""
    return sorted(errors, key=lambda e: (e.file, e.line if e.line is not None else 0))


# --- pydantic errors -> PolicyError ------------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional: `Annotated[list[X], ...] | None` -> `list[X]`."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _field(model: type[BaseModel], key: str) -> tuple[str, FieldInfo] | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.alias or name, info
    return None


@dataclass
class _Resolved:
    path: NodePath  # as spelled in YAML
    owner: type[BaseModel] | None  # model holding the last key
    info: FieldInfo | None  # the last key's field, when it is one


def _resolve(root: type[BaseModel], loc: Iterable[str | int]) -> _Resolved:
    """Walk a pydantic loc through the schema: YAML key names, union-member tags dropped."""
    path: list[str | int] = []
    tp: Any = root
    owner: type[BaseModel] | None = None
    info: FieldInfo | None = None
    for element in loc:
        tp = _unwrap(tp)
        if isinstance(element, int):
            args = get_args(tp)
            tp = args[0] if get_origin(tp) in (list, tuple, set, frozenset) and args else None
            path.append(element)
            info = None
            continue
        if _is_model(tp):
            owner = tp
            found = _field(tp, element)
            if found is not None:
                name, info = found
                path.append(name)
                tp = info.annotation
            else:
                path.append(element)
                tp, info = None, None
            continue
        if get_origin(tp) in (Union, types.UnionType):
            members = {getattr(m, "__name__", str(m)): m for m in get_args(tp)}
            if element in members:  # pydantic names the union member it tried: skip it
                tp = members[element]
                continue
        path.append(element)
        tp, info = None, None
    return _Resolved(tuple(path), owner, info)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


_KIND = {
    "string_type": "a string",
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}

_BOUND = {
    "greater_than": ("gt", "greater than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}


def _got(value: Any) -> str:
    if isinstance(value, dict | list):
        return _type_name(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return _shown(value)


def _message(error: Mapping[str, Any], resolved: _Resolved) -> str:
    kind = str(error["type"])
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        if resolved.owner is None:
            return "unknown key"
        allowed = ", ".join(info.alias or name for name, info in resolved.owner.model_fields.items())
        return f"unknown key (allowed: {allowed})"
    if kind in ("literal_error", "enum"):
        return f"must be {ctx.get('expected', 'one of the allowed values')} (got {_got(value)})"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    if kind == "policy":
        return str(error["msg"])
    if kind in _KIND:
        message = f"must be {_KIND[kind]} (got {_got(value)})"
    elif kind in _BOUND:
        key, words = _BOUND[kind]
        bound = ctx.get(key)
        shown = f"{bound:g}" if isinstance(bound, float) else str(bound)
        message = f"must be {words} {shown} (got {_got(value)})"
    elif kind == "too_short":
        need = ctx.get("min_length", 1)
        message = f"needs at least {need} item{'s' if need != 1 else ''}"
    elif kind == "too_long":
        message = f"allows at most {ctx.get('max_length')} items"
    else:
        message = str(error["msg"])
        message = message[:1].lower() + message[1:]
    if resolved.info is not None and resolved.info.description:
        message += f"; {resolved.info.description}"
    return message


def validation_errors(
    exc: ValidationError, path: str, lines: Mapping[NodePath, int], root: type[BaseModel]
) -> list[PolicyError]:
    """Every pydantic error as a PolicyError at its line, with the YAML field name."""
    out: list[PolicyError] = []
    seen: set[tuple[int | None, str, str]] = set()
    for error in exc.errors():
        loc: tuple[str | int, ...] = tuple(error["loc"])
        ctx = error.get("ctx") or {}
        if error["type"] == "policy" and ctx.get("at"):
            loc = (*loc, *ctx["at"])
        resolved = _resolve(root, loc)
        line = line_for(lines, resolved.path)
        field = field_name(resolved.path)
        message = _message(error, resolved)
        key = (line, field, message)
        if key not in seen:
            seen.add(key)
            out.append(PolicyError(path, line, field, message))
    return sort_errors(out)
