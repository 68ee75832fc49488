"""A loopback Slack for tests: the Web API's chat.postMessage / chat.update and incoming webhooks,
enforcing Block Kit's limits, answering 429 with Retry-After when scripted, and recording threads.

Usage::

    with FakeSlack(token="xoxb-test", channels={"C123"}) as slack:
        env = {"SLO_GATE_SLACK_API_URL": slack.api_url, "SLO_GATE_SLACK_TOKEN": "xoxb-test"}
        ...  # or SLO_GATE_SLACK_WEBHOOK_URL=slack.webhook_url
        slack.messages            # top-level messages, each with its thread replies and updates

Rules checked on every message, as Slack documents them (a violation is `invalid_blocks` on the Web
API, HTTP 400 `invalid_blocks` on a webhook): at most 50 blocks; a section's text at most 3000
characters; a header's text plain_text and at most 150; a context block at most 10 elements; every
text object a non-empty string; plus `msg_blocks_too_long` past 13 000 characters of block text (the
API's observed limit). The Web API also wants `Authorization: Bearer TOKEN` (`invalid_auth`), a known
channel (`channel_not_found`) and, for a reply, an existing parent (`thread_not_found`).
`rate_limit(n, retry_after)` makes the next n requests answer 429 with that Retry-After.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from tests.support.httpstub import HTTPStub, Recorded, Reply

__all__ = ["FakeSlack", "Posted", "block_problems"]

WEBHOOK_PATH = "/services/T0000/B0000/" + "s3cr3tW3bh00kT0k3n" * 2


@dataclass
class Posted:
    """A message as the fake holds it: its latest text/blocks, earlier versions, and its replies."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    broadcast: bool = False
    versions: list[dict[str, Any]] = field(default_factory=list)
    replies: list[Posted] = field(default_factory=list)
    via: str = "api"

    @property
    def block_text(self) -> str:
        return "\n".join(_texts(self.blocks))


def _texts(blocks: Iterable[Any]) -> Iterable[str]:
    for block in blocks:
        if not isinstance(block, dict):
            continue
        text = block.get("text")
        if isinstance(text, dict) and isinstance(text.get("text"), str):
            yield text["text"]
        for element in block.get("elements", []) or []:
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                yield element["text"]


def block_problems(blocks: Any) -> list[str]:
    """Why Slack would refuse these blocks (empty: it would take them)."""
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    problems: list[str] = []
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks (at most 50)")
    total = 0
    for index, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "header":
            text = block["text"]
            if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150:
                problems.append(f"block {index}: header text must be plain_text of 1..150 characters")
        elif kind == "section":
            text = block.get("text", {})
            if text.get("type") not in ("mrkdwn", "plain_text") or not 0 < len(text.get("text", "")) <= 3000:
                problems.append(f"block {index}: section text must be 1..3000 characters")
        elif kind == "context":
            elements = block.get("elements", [])
            if not 0 < len(elements) <= 10:
                problems.append(f"block {index}: context needs 1..10 elements")
            for element in elements:
                if not 0 < len(element.get("text", "")) <= 3000:
                    problems.append(f"block {index}: a context element must be 1..3000 characters")
        elif kind != "divider":
            problems.append(f"block {index}: unknown type {kind!r}")
        total += sum(len(t) for t in _texts([block]))
    if total > 13_000:
        problems.append("msg_blocks_too_long")
    return problems


class FakeSlack:
    def __init__(self, *, token: str = "xoxb-test-token", channels: Iterable[str] = ("C0123ABC",)) -> None:  # noqa: S107
        self.token = token
        self.channels = set(channels)
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._limited: list[float] = []
        self.messages: list[Posted] = []
        self.rejected: list[str] = []
        self._stub = HTTPStub(self._handle)

    # -- scripting ----------------------------------------------------------------------------
    def rate_limit(self, times: int, retry_after: float) -> None:
        with self._lock:
            self._limited += [retry_after] * times

    @property
    def api_url(self) -> str:
        return self._stub.url + "/api"

    @property
    def webhook_url(self) -> str:
        return self._stub.url + WEBHOOK_PATH

    @property
    def requests(self) -> list[Recorded]:
        return self._stub.requests

    def find(self, ts: str) -> Posted | None:
        with self._lock:
            for message in self.messages:
                if message.ts == ts:
                    return message
        return None

    # -- serving ------------------------------------------------------------------------------
    def _handle(self, request: Recorded) -> Reply:
        with self._lock:
            if self._limited:
                wait = self._limited.pop(0)
                return Reply.json(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": f"{wait:g}"}
                )
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return self._refuse(request, "invalid_json")
        if request.path == WEBHOOK_PATH:
            return self._webhook(body)
        if request.header("authorization") != f"Bearer {self.token}":
            return Reply.json({"ok": False, "error": "invalid_auth"})
        if request.path == "/api/chat.postMessage":
            return self._post(body)
        if request.path == "/api/chat.update":
            return self._update(body)
        return Reply.json({"ok": False, "error": "unknown_method"}, status=404)

    def _refuse(self, request: Recorded, error: str) -> Reply:
        self.rejected.append(error)
        if request.path == WEBHOOK_PATH:
            return Reply.text(error, status=400)
        return Reply.json({"ok": False, "error": error})

    def _checked(self, body: dict[str, Any]) -> str | None:
        problems = block_problems(body.get("blocks", []))
        if problems:
            self.rejected += problems
            return "msg_blocks_too_long" if "msg_blocks_too_long" in problems else "invalid_blocks"
        if not isinstance(body.get("text"), str) or not body["text"]:
            return "no_text"
        return None

    def _webhook(self, body: dict[str, Any]) -> Reply:
        error = self._checked(body)
        if error:
            return Reply.text(error, status=400)
        with self._lock:
            ts = f"{1700000000 + next(self._ts)}.000100"
            self.messages.append(Posted("webhook", ts, body["text"], body.get("blocks", []), via="webhook"))
        return Reply.text("ok")

    def _post(self, body: dict[str, Any]) -> Reply:
        error = self._checked(body)
        if error:
            return Reply.json({"ok": False, "error": error})
        channel = body.get("channel")
        if channel not in self.channels:
            return Reply.json({"ok": False, "error": "channel_not_found"})
        with self._lock:
            ts = f"{1700000000 + next(self._ts)}.000100"
            posted = Posted(channel, ts, body["text"], body.get("blocks", []), body.get("thread_ts"))
            posted.broadcast = bool(body.get("reply_broadcast"))
            if posted.thread_ts is not None:
                parent = next((m for m in self.messages if m.ts == posted.thread_ts), None)
                if parent is None:
                    return Reply.json({"ok": False, "error": "thread_not_found"})
                parent.replies.append(posted)
            else:
                self.messages.append(posted)
        return Reply.json({"ok": True, "channel": channel, "ts": ts, "message": {"text": body["text"]}})

    def _update(self, body: dict[str, Any]) -> Reply:
        error = self._checked(body)
        if error:
            return Reply.json({"ok": False, "error": error})
        with self._lock:
            message = next(
                (m for m in self.messages if m.ts == body.get("ts") and m.channel == body.get("channel")),
                None,
            )
            if message is None:
                return Reply.json({"ok": False, "error": "message_not_found"})
            message.versions.append({"text": message.text, "blocks": message.blocks})
            message.text, message.blocks = body["text"], body.get("blocks", [])
        return Reply.json({"ok": True, "channel": message.channel, "ts": message.ts})

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> FakeSlack:
        self._stub.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stub.stop()
