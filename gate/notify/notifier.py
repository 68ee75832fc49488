"""The `Notifier` seam: deliver one `Notice` about an incident (or an alert group) to one sink, and
keep the reference a later notice threads under.

A `Notice` is rendered once for every kind of sink (gate.watch.render): the whole Slack message (the
first post, and what an update shows), the reply that goes into the thread on a later event, and
the JSON document for webhooks. Sinks:

- `SlackThreads`: with a bot token, the first notice is posted to the channel and its reference
  (channel, ts) returned; each later notice is a reply in that thread (an escalation also shown in
  the channel) followed by `chat.update` of the first message, so the channel always shows the
  current state. With an incoming webhook every notice is a new message (webhooks cannot thread).
- `WebhookSink`: every notice is one POST of its JSON document.

A quiet delivery refreshes what is already shown (a bot's `chat.update`) and posts nothing new:
`slo-gate serve` uses it for Alertmanager's repeated notifications of an unchanged group.

A failure is a NotifyError naming the sink; nothing here retries beyond gate.http's own rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from gate.notify.blocks import SlackMessage
from gate.notify.slack import MessageRef, SlackNotifier
from gate.notify.webhook import JsonWebhook

__all__ = ["Event", "Notice", "Notifier", "SlackThreads", "WebhookSink"]

Event = Literal["new", "escalated", "repeat", "resolved"]


@dataclass(frozen=True)
class Notice:
    key: str  # what the notice is about: `service/slo`, or an alert group's key
    event: Event
    message: SlackMessage
    reply: SlackMessage
    document: Mapping[str, Any] = field(default_factory=dict)


class Notifier(Protocol):
    name: str  # the key under which this sink's message reference is kept ("slack", "webhook")
    where: str  # how messages name the sink (no secret)
    updates: bool  # whether a posted message can be updated in place (a Slack bot) or not

    def deliver(
        self, notice: Notice, ref: Mapping[str, str] | None, *, quiet: bool = False
    ) -> dict[str, str] | None:
        """Deliver `notice`; the reference to keep for the next notice about the same key (or None).
        `quiet`: only refresh a message already posted (nothing new appears; a no-op for sinks that
        cannot update)."""
        ...


class SlackThreads:
    """Slack with threads (bot token) or without (incoming webhook)."""

    name = "slack"

    def __init__(self, slack: SlackNotifier) -> None:
        self.slack = slack
        self.where = slack.where
        self.updates = not slack.webhook

    def deliver(
        self, notice: Notice, ref: Mapping[str, str] | None, *, quiet: bool = False
    ) -> dict[str, str] | None:
        first = MessageRef.from_dict(ref) if ref and not self.slack.webhook else None
        if quiet:
            if first is not None:
                self.slack.update(first, notice.message)
            return first.as_dict() if first is not None else None
        if first is None:
            posted = self.slack.post(notice.message)
            return posted.as_dict() if posted is not None else None
        self.slack.post(notice.reply, thread=first, broadcast=notice.event == "escalated")
        self.slack.update(first, notice.message)
        return first.as_dict()


class WebhookSink:
    """The generic JSON webhook."""

    name = "webhook"

    updates = False

    def __init__(self, webhook: JsonWebhook) -> None:
        self.webhook = webhook
        self.where = webhook.where

    def deliver(
        self, notice: Notice, ref: Mapping[str, str] | None, *, quiet: bool = False
    ) -> dict[str, str] | None:
        if not quiet:
            self.webhook.send(dict(notice.document))
        return None
