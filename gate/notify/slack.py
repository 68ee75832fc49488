"""The Slack client: post a message (to a channel or into a thread) and update it, through gate.http.

Two ways in, chosen by the composition root from the environment:
- an incoming webhook URL (`SLO_GATE_SLACK_WEBHOOK_URL`): the URL is the credential, so it is an
  `Endpoint(secret_url=True)`: shown as `https://hooks.slack.com/***` and masked in every form in
  every message. A webhook posts to its own channel, returns no message id (`post` returns None),
  and cannot thread or update;
- a bot token (`SLO_GATE_SLACK_TOKEN`, only from the environment) and a channel: `chat.postMessage`
  (also into a thread: `thread_ts`) and `chat.update`, which return a `MessageRef` (channel, ts).

Rules: a 429 waits for Retry-After (at most `max_wait` seconds, then fails) and is sent again; any
other 4xx, and a Web API answer `{"ok": false, "error": ...}`, fails at once with Slack's error code and
the channel named (never the token or the webhook URL). A post that may have reached Slack (a
timeout after sending) is not sent again, so a message is never posted twice by a retry. Every
failure is a `NotifyError` (exit 1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from gate.errors import ExternalError
from gate.http import Endpoint, HttpClient, HttpFailure, Pacing, Reply, RetryPolicy, StatusRules
from gate.notify.blocks import SlackMessage

__all__ = ["DEFAULT_API_URL", "MessageRef", "NotifyError", "SlackNotifier"]

DEFAULT_API_URL: Final = "https://slack.com/api"
_CHANNEL: Final = re.compile(r"[#@]?[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
_TS: Final = re.compile(r"\d{1,12}\.\d{1,9}")
_ERROR_CODE: Final = re.compile(r"[a-z0-9_]{1,60}")


class NotifyError(ExternalError):
    """A notification could not be delivered (exit 1); the message names where, never a secret."""


@dataclass(frozen=True)
class MessageRef:
    """A posted message: the channel id and its timestamp (Slack's message id)."""

    channel: str
    ts: str

    def as_dict(self) -> dict[str, str]:
        return {"channel": self.channel, "ts": self.ts}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MessageRef | None:
        channel, ts = data.get("channel"), data.get("ts")
        if (
            isinstance(channel, str)
            and isinstance(ts, str)
            and _CHANNEL.fullmatch(channel)
            and _TS.fullmatch(ts)
        ):
            return cls(channel, ts)
        return None


class _SlackRules(StatusRules):
    """Slack's error bodies: a webhook answers with the bare code (`channel_not_found`), the Web API
    with `{"ok": false, "error": code}`; only a code of plain letters is quoted."""

    def detail(self, reply: Reply) -> str:
        text = super().detail(reply).strip()
        return text if _ERROR_CODE.fullmatch(text) else ""


class SlackNotifier:
    """Posts and updates messages; build it with `webhook(...)` or `bot(...)`; close it after use."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        channel: str | None,
        call_deadline: float,
        pacing: Pacing | None = None,
    ) -> None:
        self._http = HttpClient(endpoint, call_deadline=call_deadline, pacing=pacing, rules=_SlackRules())
        self.channel = channel
        self.webhook = channel is None
        self.where = f"Slack channel {channel}" if channel else f"the Slack webhook {endpoint.display_base}"

    @classmethod
    def webhook_client(
        cls, url: str, *, timeout: float = 30.0, max_wait: float = 60.0, pacing: Pacing | None = None
    ) -> SlackNotifier:
        endpoint = Endpoint(
            url=url,
            name="Slack webhook",
            secret_url=True,
            read_timeout=timeout,
            retry=RetryPolicy(retries=3, backoff=1.0, max_backoff=10.0, max_wait=max_wait),
            max_response_bytes=64 * 1024,
        )
        return cls(endpoint, channel=None, call_deadline=timeout + max_wait * 3, pacing=pacing)

    @classmethod
    def bot_client(
        cls,
        token: str,
        channel: str,
        *,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 30.0,
        max_wait: float = 60.0,
        pacing: Pacing | None = None,
    ) -> SlackNotifier:
        if not _CHANNEL.fullmatch(channel):
            from gate.errors import UsageError

            raise UsageError(f"--slack-channel {channel[:80]!r}: expected a channel id (C0123ABC) or #name")
        endpoint = Endpoint(
            url=api_url,
            name="Slack",
            token=token,
            read_timeout=timeout,
            retry=RetryPolicy(retries=3, backoff=1.0, max_backoff=10.0, max_wait=max_wait),
            max_response_bytes=1024 * 1024,
        )
        return cls(endpoint, channel=channel, call_deadline=timeout + max_wait * 3, pacing=pacing)

    def __repr__(self) -> str:
        return f"SlackNotifier({self._http.endpoint!r}, channel={self.channel!r})"

    def close(self) -> None:
        self._http.close()

    # -- what callers use -----------------------------------------------------------------------
    def post(
        self, message: SlackMessage, *, thread: MessageRef | None = None, broadcast: bool = False
    ) -> MessageRef | None:
        """Post `message` (into `thread` when given and this is a bot; `broadcast` also shows the reply
        in the channel); the new message's ref, or None for an incoming webhook (no message id)."""
        body = message.payload()
        if self.webhook:
            self._send("", body, "post")
            return None
        body["channel"] = thread.channel if thread is not None else self.channel
        if thread is not None:
            body["thread_ts"] = thread.ts
            if broadcast:
                body["reply_broadcast"] = True
        body["unfurl_links"] = False
        body["unfurl_media"] = False
        answer = self._send("/chat.postMessage", body, "chat.postMessage")
        ref = MessageRef.from_dict(answer)
        if ref is None:
            raise NotifyError(f"Slack chat.postMessage to {self.where}: the answer carries no channel and ts")
        return ref

    def update(self, ref: MessageRef, message: SlackMessage) -> None:
        """Replace the text of a message posted with a bot token (`chat.update`)."""
        if self.webhook:
            raise NotifyError("an incoming webhook cannot update a message (give a bot token and channel)")
        body = {**message.payload(), "channel": ref.channel, "ts": ref.ts}
        self._send("/chat.update", body, "chat.update")

    # -- one call ------------------------------------------------------------------------------
    def _send(self, path: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        try:
            reply = self._http.send("POST", path, json=body)
        except HttpFailure as exc:
            raise NotifyError(f"Slack {what} to {self.where} failed: {exc.message}") from None
        if self.webhook:
            return {}
        try:
            answer = self._http.json_of(reply)
        except HttpFailure as exc:
            raise NotifyError(f"Slack {what} to {self.where}: {exc.message}") from None
        if not isinstance(answer, dict):
            raise NotifyError(f"Slack {what} to {self.where}: the answer is not a JSON object")
        if answer.get("ok") is not True:
            error = answer.get("error")
            code = error if isinstance(error, str) and _ERROR_CODE.fullmatch(error) else "unknown error"
            raise NotifyError(f"Slack {what} to {self.where} was refused: {code}")
        return answer
