"""A fake Anthropic Messages API on 127.0.0.1, scripted per test, for the real SDK to talk to.

Usage::

    with FakeAnthropic(tool({"risk": "low", ...}), error(529, "overloaded_error")) as fake:
        ModelClient("sk-test", base_url=fake.url).call(request)   # or ANTHROPIC_BASE_URL=fake.url
        assert fake.requests[0].body["model"] == request.model

`POST /v1/messages` consumes one behaviour per request, in order, then `default` (if given); with
nothing left it answers 500 with `x-should-retry: false`, so a test that under-scripts fails fast.
Requests for other tools (an incident summary next to a risk classification) can be scripted apart:
`enqueue_for("summarise_incident", answer({...}))` queues behaviours used only by requests whose
`tool_choice` forces that tool (before the shared queue); `answer(payload)` calls whichever tool the
request forced.
Answers are message objects shaped exactly like the API's (id, type, role, model, content,
stop_reason, stop_sequence, usage) and errors are `{"type": "error", "error": {...}}` with the right
status, a `request-id` header, and `retry-after-ms: 10` so the SDK's retries take milliseconds.

Like the real API (version 2026-10-21, which SDK 2.x sends), requests are checked before any behaviour
is used: a wrong path is 404, a missing credential (x-api-key or Authorization: Bearer) is 401, a
missing anthropic-version header, a malformed body, a sampling parameter (temperature, top_p, top_k) or
a tool_choice naming an absent tool is 400 invalid_request_error. `check_strict_schema=True` also
rejects `strict` tools whose schema uses keywords strict mode does not support (maxLength, maxItems,
minimum...); that check follows the documented limits, worded like the API's message, not copied.

Every request is recorded before it is answered (also stalled and rejected ones): `fake.requests`.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from gate.risk.verdict import TOOL_NAME
from tests.support.httpstub import HTTPStub, Recorded, Reply

__all__ = [
    "Behaviour",
    "FakeAnthropic",
    "FakeRequest",
    "answer",
    "drop",
    "error",
    "malformed",
    "raw",
    "stall",
    "stop",
    "strict_schema_problems",
    "text_only",
    "tool",
    "tool_named",
    "two_tools",
]

DEFAULT_USAGE = (120, 30)
SAMPLING_PARAMETERS = ("temperature", "top_p", "top_k")
# Keywords strict tool schemas may not use (documented structured-output limits).
STRICT_UNSUPPORTED = frozenset(
    {
        "minLength",
        "maxLength",
        "maxItems",
        "uniqueItems",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minProperties",
        "maxProperties",
        "patternProperties",
    }
)


@dataclass(frozen=True)
class FakeRequest:
    """One request as the fake saw it: header names lower-cased, body parsed (None if not JSON)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes

    @property
    def credential(self) -> str | None:
        """The API key as sent: `x-api-key`, or the token of `Authorization: Bearer` (SDK 2.x)."""
        if "x-api-key" in self.headers:
            return self.headers["x-api-key"]
        auth = self.headers.get("authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None

    @property
    def tools(self) -> list[Any]:
        tools = self.body.get("tools") if isinstance(self.body, dict) else None
        return tools if isinstance(tools, list) else []

    @property
    def user_text(self) -> str | None:
        """The text of the first user message (a plain string, or its text blocks joined)."""
        messages = self.body.get("messages") if isinstance(self.body, dict) else None
        if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
            return None
        content = messages[0].get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "".join(b.get("text", "") for b in content if isinstance(b, dict))
        return None


@dataclass(frozen=True)
class Behaviour:
    """What the fake does with one messages request. Build with the factory functions below."""

    describe: str
    respond: Callable[[dict[str, Any], str], Reply]  # (request body, message id suffix) -> reply


# -- behaviours ----------------------------------------------------------------------------------
def _message(
    body: dict[str, Any], suffix: str, content: list[dict[str, Any]], stop_reason: str, usage: tuple[int, int]
) -> Reply:
    message = {
        "id": f"msg_fake{suffix}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "claude-fake"),
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": usage[0],
            "output_tokens": usage[1],
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }
    return Reply.json(message, headers={"request-id": f"req_fake{suffix}"})


def _tool_block(name: str, payload: Any, suffix: str, index: int = 0) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_fake{suffix}_{index}", "name": name, "input": payload}


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text, "citations": None}


def tool_named(
    name: str, payload: Any, *, usage: tuple[int, int] = DEFAULT_USAGE, preamble: str | None = None
) -> Behaviour:
    """One tool_use block called `name` with `payload` as its input (stop_reason tool_use)."""

    def respond(body: dict[str, Any], suffix: str) -> Reply:
        blocks = [_text_block(preamble)] if preamble is not None else []
        return _message(body, suffix, [*blocks, _tool_block(name, payload, suffix)], "tool_use", usage)

    return Behaviour(f"tool_use {name}", respond)


def tool(
    payload: Mapping[str, Any], *, usage: tuple[int, int] = DEFAULT_USAGE, preamble: str | None = None
) -> Behaviour:
    """The normal answer: one classify_change call; `preamble` adds a text block before it."""
    return tool_named(TOOL_NAME, dict(payload), usage=usage, preamble=preamble)


def answer(payload: Any, *, usage: tuple[int, int] = DEFAULT_USAGE, preamble: str | None = None) -> Behaviour:
    """One call of the tool the request forced (its `tool_choice` name) with `payload` as its input."""

    def respond(body: dict[str, Any], suffix: str) -> Reply:
        forced = _forced_tool(body) or TOOL_NAME
        blocks = [_text_block(preamble)] if preamble is not None else []
        return _message(body, suffix, [*blocks, _tool_block(forced, payload, suffix)], "tool_use", usage)

    return Behaviour("tool_use of the forced tool", respond)


def _forced_tool(body: Any) -> str | None:
    choice = body.get("tool_choice") if isinstance(body, dict) else None
    name = choice.get("name") if isinstance(choice, dict) and choice.get("type") == "tool" else None
    return name if isinstance(name, str) else None


def malformed(payload: Any, *, usage: tuple[int, int] = DEFAULT_USAGE) -> Behaviour:
    """A classify_change call with arbitrary input (wrong values, extra fields, not even an object)."""
    return tool_named(TOOL_NAME, payload, usage=usage)


def two_tools(
    a: Mapping[str, Any], b: Mapping[str, Any], *, usage: tuple[int, int] = DEFAULT_USAGE
) -> Behaviour:
    def respond(body: dict[str, Any], suffix: str) -> Reply:
        blocks = [_tool_block(TOOL_NAME, dict(a), suffix, 0), _tool_block(TOOL_NAME, dict(b), suffix, 1)]
        return _message(body, suffix, blocks, "tool_use", usage)

    return Behaviour("two tool_use blocks", respond)


def text_only(text: str, *, usage: tuple[int, int] = DEFAULT_USAGE) -> Behaviour:
    def respond(body: dict[str, Any], suffix: str) -> Reply:
        return _message(body, suffix, [_text_block(text)], "end_turn", usage)

    return Behaviour("text only", respond)


def stop(
    reason: str, *, usage: tuple[int, int] = DEFAULT_USAGE, content: list[dict[str, Any]] | None = None
) -> Behaviour:
    """A message ending with `reason`. By default max_tokens carries a cut-off tool call (as the API
    does when the limit hits mid-input) and other reasons carry no content."""

    def respond(body: dict[str, Any], suffix: str) -> Reply:
        blocks = content
        if blocks is None:
            blocks = [_tool_block(TOOL_NAME, {"risk": "low"}, suffix)] if reason == "max_tokens" else []
        return _message(body, suffix, blocks, reason, usage)

    return Behaviour(f"stop {reason}", respond)


def error(
    status: int,
    type: str,
    message: str | None = None,
    *,
    retry_after_ms: int | None = 10,
    should_retry: bool | None = None,
) -> Behaviour:
    """An API error: 429 rate_limit_error, 529 overloaded_error, 500 api_error, 400 invalid_request_error..."""

    def respond(body: dict[str, Any], suffix: str) -> Reply:
        return _error_reply(status, type, message or f"fake {type}", suffix, retry_after_ms, should_retry)

    return Behaviour(f"error {status} {type}", respond)


def stall(seconds: float, then: Behaviour | None = None) -> Behaviour:
    """Wait `seconds` before answering (`then`, default a low-risk tool call); cut short at shutdown."""
    after = then or tool({"risk": "low", "category": "docs", "rationale": "late", "signals": []})

    def respond(body: dict[str, Any], suffix: str) -> Reply:
        return Reply.stalled(seconds, then=after.respond(body, suffix))

    return Behaviour(f"stall {seconds}s", respond)


def raw(
    status: int,
    body: str | bytes,
    *,
    content_type: str | None = "application/json",
    headers: Mapping[str, str] | None = None,
) -> Behaviour:
    """Exactly these bytes (a proxy's HTML page, truncated JSON, a body the SDK cannot read)."""
    return Behaviour(f"raw {status}", lambda _body, _suffix: Reply.text(body, status, content_type, headers))


def drop() -> Behaviour:
    """Close the connection without answering."""
    return Behaviour("drop", lambda _body, _suffix: Reply.close())


def _error_reply(
    status: int,
    kind: str,
    message: str,
    suffix: str,
    retry_after_ms: int | None = None,
    should_retry: bool | None = None,
) -> Reply:
    headers = {"request-id": f"req_fake{suffix}"}
    if retry_after_ms is not None:
        headers["retry-after-ms"] = str(retry_after_ms)
    if should_retry is not None:
        headers["x-should-retry"] = "true" if should_retry else "false"
    payload = {
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": f"req_fake{suffix}",
    }
    return Reply.json(payload, status=status, headers=headers)


# -- request checks ------------------------------------------------------------------------------
def strict_schema_problems(schema: Any) -> list[str]:
    """Why strict mode would refuse `schema`: unsupported keywords, and objects not closed."""
    problems: list[str] = []

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        bad = sorted(k for k in node if k in STRICT_UNSUPPORTED)
        if "minItems" in node and node["minItems"] not in (0, 1):
            bad.append("minItems")
        if bad:
            problems.append(f"{where}: For '{kind}' type, properties {', '.join(bad)} are not supported")
        if kind == "object" and node.get("additionalProperties") is not False:
            problems.append(f"{where}: additionalProperties must be false")
        for name, sub in (node.get("properties") or {}).items():
            walk(sub, f"{where}.properties.{name}")
        walk(node.get("items"), f"{where}.items")
        for combinator in ("anyOf", "allOf"):
            for i, sub in enumerate(node.get(combinator) or []):
                walk(sub, f"{where}.{combinator}.{i}")
        for name, sub in (node.get("$defs") or {}).items():
            walk(sub, f"{where}.$defs.{name}")

    walk(schema, "input_schema")
    return problems


def _invalid_request(body: Any, check_strict: bool) -> str | None:
    """The API's 400 message for a request it would refuse before running the model, else None."""
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    for field, kind in (("model", str), ("max_tokens", int)):
        if not isinstance(body.get(field), kind):
            return f"{field}: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: Field required"
    for name in SAMPLING_PARAMETERS:
        if name in body:
            return f"{name}: Extra inputs are not permitted"
    tools = body.get("tools") or []
    names = [t.get("name") for t in tools if isinstance(t, dict)]
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "tool" and choice.get("name") not in names:
        return "tool_choice.name: Tool not found in tools"
    if check_strict:
        for i, spec in enumerate(tools):
            if isinstance(spec, dict) and spec.get("strict") is True:
                problems = strict_schema_problems(spec.get("input_schema"))
                if problems:
                    return f"tools.{i}.custom.{problems[0]}"
    return None


# -- the server ----------------------------------------------------------------------------------
class FakeAnthropic:
    """The fake API; a context manager. `url` is the base_url (also for ANTHROPIC_BASE_URL)."""

    def __init__(
        self,
        *behaviours: Behaviour,
        default: Behaviour | None = None,
        api_key: str | None = None,
        check_strict_schema: bool = True,
    ) -> None:
        self.default = default
        self.api_key = api_key  # when set, any other credential is a 401
        self.check_strict_schema = check_strict_schema
        self._queue: deque[Behaviour] = deque(behaviours)
        self._by_tool: dict[str, deque[Behaviour]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stub = HTTPStub(self._handle)

    # -- scripting and inspection -------------------------------------------------------------
    def enqueue(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    def enqueue_for(self, tool_name: str, *behaviours: Behaviour) -> None:
        """Behaviours for requests that force `tool_name` only; they go before the shared queue."""
        with self._lock:
            self._by_tool.setdefault(tool_name, deque()).extend(behaviours)

    @property
    def pending(self) -> int:
        """Scripted behaviours not used yet (shared and per tool)."""
        with self._lock:
            return len(self._queue) + sum(len(q) for q in self._by_tool.values())

    @property
    def requests(self) -> list[FakeRequest]:
        return [_parse(r) for r in self._stub.requests]

    @property
    def messages_requests(self) -> list[FakeRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/messages"]

    @property
    def url(self) -> str:
        return self._stub.url

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FakeAnthropic:
        self._stub.start()
        return self

    def stop(self) -> None:
        self._stub.stop()

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- answering ----------------------------------------------------------------------------
    def _handle(self, recorded: Recorded) -> Reply:
        request = _parse(recorded)
        suffix = f"_{next(self._ids):04d}"
        if request.path != "/v1/messages" or request.method != "POST":
            return _error_reply(404, "not_found_error", f"Not found: {request.method} {request.path}", suffix)
        credential = request.credential
        if not credential:
            return _error_reply(401, "authentication_error", "x-api-key header is required", suffix)
        if self.api_key is not None and credential != self.api_key:
            return _error_reply(401, "authentication_error", "invalid x-api-key", suffix)
        if "anthropic-version" not in request.headers:
            return _error_reply(400, "invalid_request_error", "anthropic-version: header is required", suffix)
        problem = _invalid_request(request.body, self.check_strict_schema)
        if problem is not None:
            return _error_reply(400, "invalid_request_error", problem, suffix)
        with self._lock:
            own = self._by_tool.get(_forced_tool(request.body) or "")
            if own:
                behaviour: Behaviour | None = own.popleft()
            else:
                behaviour = self._queue.popleft() if self._queue else self.default
        if behaviour is None:
            return _error_reply(
                500, "api_error", "fake_anthropic: no scripted behaviour left", suffix, should_retry=False
            )
        return behaviour.respond(request.body, suffix)


def _parse(recorded: Recorded) -> FakeRequest:
    try:
        body: Any = json.loads(recorded.body) if recorded.body else None
    except ValueError:
        body = None
    return FakeRequest(recorded.method, recorded.path, dict(recorded.headers), body, recorded.body)
