"""Post to Slack through gate.http: an incoming webhook, or a bot token (threads and updates).

Safety rules, each enforced here:
- The webhook URL is a credential: it goes through gate.http as `Endpoint(secret_url=True)`, so no
  message, error or repr shows more than its scheme and host; the bot token is a bearer token the
  layer masks in every form. Both come from the environment only (the composition root reads them).
- A post is not repeated after an ambiguous failure (a timeout, a 5xx): the message may have arrived,
  and a second would be a duplicate (gate.http's rule for POST). 429 is waited out.
- Slack's refusals (`invalid_blocks`, `no_service`, a `{"ok": false}` answer) become ExternalError with
  Slack's own error code, never the payload.

`post(message, thread=None)` returns a `MessageRef` with a bot token (channel and ts, for threads and
`update`) and None with a webhook, which cannot say where its message went.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gate.errors import ExternalError, UsageError
from gate.http import Endpoint, HttpClient, HttpFailure
from gate.notify.blocks import SlackMessage

__all__ = ["SLACK_API", "MessageRef", "SlackNotifier"]

SLACK_API = "https://slack.com/api"
DEADLINE = 30.0


@dataclass(frozen=True)
class MessageRef:
    channel: str
    ts: str


class SlackNotifier:
    """One Slack destination: `webhook_url`, or `token` + `channel` (chat.postMessage / chat.update)."""

    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        token: str | None = None,
        channel: str | None = None,
        api_url: str = SLACK_API,
        deadline: float = DEADLINE,
    ) -> None:
        if (webhook_url is None) == (token is None):
            raise UsageError("Slack needs either a webhook URL or a bot token (with a channel)")
        if token is not None and not channel:
            raise UsageError("a Slack bot token needs a channel (SLO_GATE_SLACK_CHANNEL)")
        self.channel = channel
        if webhook_url is not None:
            endpoint = Endpoint(url=webhook_url, name="Slack webhook", secret_url=True)
        else:
            endpoint = Endpoint(url=api_url, name="Slack API", token=token, show_path=True)
        self._webhook = webhook_url is not None
        self._http = HttpClient(endpoint, call_deadline=deadline)

    def __repr__(self) -> str:
        return f"SlackNotifier(webhook={self._webhook!r}, channel={self.channel!r})"

    def close(self) -> None:
        self._http.close()

    def post(self, message: SlackMessage, *, thread: MessageRef | None = None) -> MessageRef | None:
        if self._webhook:
            if thread is not None:
                raise UsageError("a Slack webhook cannot reply in a thread; use a bot token")
            self._send("", message.payload())
            return None
        body = {**message.payload(), "channel": self.channel}
        if thread is not None:
            body.update(channel=thread.channel, thread_ts=thread.ts)
        answer = self._send("/chat.postMessage", body)
        channel, ts = answer.get("channel"), answer.get("ts")
        if not isinstance(channel, str) or not isinstance(ts, str):
            raise ExternalError("Slack chat.postMessage answered without channel and ts")
        return MessageRef(channel, ts)

    def update(self, ref: MessageRef, message: SlackMessage) -> None:
        if self._webhook:
            raise UsageError("a Slack webhook cannot update a message; use a bot token")
        self._send("/chat.update", {**message.payload(), "channel": ref.channel, "ts": ref.ts})

    def _send(self, target: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            reply = self._http.send("POST", target, json=body)
        except HttpFailure as exc:
            detail = f" ({exc.detail})" if exc.detail else ""
            raise ExternalError(f"Slack refused the message: {exc.message}{detail}") from None
        if self._webhook:
            return {}
        try:
            answer = self._http.json_of(reply)
        except HttpFailure as exc:
            raise ExternalError(f"Slack's answer could not be read: {exc.message}") from None
        if not isinstance(answer, dict) or answer.get("ok") is not True:
            code = answer.get("error") if isinstance(answer, dict) else None
            shown = code if isinstance(code, str) and code.isidentifier() else "unknown_error"
            raise ExternalError(f"Slack refused the message: {shown}")
        return answer
