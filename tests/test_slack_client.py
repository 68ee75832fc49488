"""The Slack client over real HTTP (tests/support/fake_slack.py): bot posts, threads and updates; the
incoming webhook; rate limits waited out within a bound; refusals named by channel, never a secret."""

from __future__ import annotations

import pytest

from gate.http import Pacing
from gate.notify.blocks import message, section
from gate.notify.notifier import Notice, SlackThreads, WebhookSink
from gate.notify.slack import MessageRef, NotifyError, SlackNotifier
from gate.notify.webhook import JsonWebhook
from tests.support.fake_slack import FakeSlack
from tests.support.httpstub import HTTPStub, Reply

TOKEN = "xoxb-client-test"


def pacing(waits: list[float]) -> Pacing:
    return Pacing(sleep=waits.append, jitter=lambda low, high: low)


def notice(event: str = "new") -> Notice:
    return Notice(
        key="orders/availability",
        event=event,  # type: ignore[arg-type]
        message=message(f"{event} main", [section(f"*{event}* main")]),
        reply=message(f"{event} reply", [section(f"{event} reply")]),
        document={"event": event},
    )


def test_a_bot_posts_replies_in_the_thread_and_updates_the_first_message() -> None:
    with FakeSlack(token=TOKEN, channels={"C1"}) as slack:
        client = SlackNotifier.bot_client(TOKEN, "C1", api_url=slack.api_url)
        threads = SlackThreads(client)
        ref = threads.deliver(notice("new"), None)
        assert ref == {"channel": "C1", "ts": slack.messages[0].ts}
        assert threads.deliver(notice("escalated"), ref) == ref
        assert threads.deliver(notice("repeat"), ref, quiet=True) == ref
        [first] = slack.messages
        assert [r.text for r in first.replies] == ["escalated reply"] and first.replies[0].broadcast
        assert first.text == "repeat main" and len(first.versions) == 2
        body = slack.requests[0].json()
        assert body["unfurl_links"] is False and body["channel"] == "C1"


def test_a_refusal_names_the_channel_and_is_not_retried() -> None:
    with FakeSlack(token=TOKEN, channels={"C1"}) as slack:
        client = SlackNotifier.bot_client(TOKEN, "C404", api_url=slack.api_url)
        with pytest.raises(NotifyError, match="Slack channel C404 was refused: channel_not_found"):
            client.post(notice().message)
        wrong = SlackNotifier.bot_client("xoxb-wrong", "C1", api_url=slack.api_url)
        with pytest.raises(NotifyError, match="invalid_auth") as caught:
            wrong.post(notice().message)
        assert "xoxb-wrong" not in str(caught.value)
        with pytest.raises(NotifyError, match="thread_not_found"):
            SlackNotifier.bot_client(TOKEN, "C1", api_url=slack.api_url).post(
                notice().reply, thread=MessageRef("C1", "1.000001")
            )
        assert len(slack.requests) == 3


def test_429_waits_for_retry_after_and_gives_up_past_the_bound() -> None:
    waits: list[float] = []
    with FakeSlack(token=TOKEN, channels={"C1"}) as slack:
        slack.rate_limit(2, retry_after=3)
        client = SlackNotifier.bot_client(TOKEN, "C1", api_url=slack.api_url, pacing=pacing(waits))
        assert client.post(notice().message) is not None
        assert waits == [3.0, 3.0]
        slack.rate_limit(1, retry_after=3600)
        with pytest.raises(NotifyError, match="Retry-After"):
            client.post(notice().message)
        assert waits == [3.0, 3.0]  # never slept an hour


def test_an_incoming_webhook_is_a_secret_url_and_cannot_thread() -> None:
    with FakeSlack(token=TOKEN) as slack:
        client = SlackNotifier.webhook_client(slack.webhook_url)
        threads = SlackThreads(client)
        assert threads.deliver(notice("new"), None) is None
        assert threads.deliver(notice("resolved"), {"channel": "C1", "ts": "1.1"}) is None
        assert threads.deliver(notice("repeat"), None, quiet=True) is None
        assert [m.text for m in slack.messages] == ["new main", "resolved main"]
        assert "s3cr3t" not in repr(client) and client.where.endswith("/***")
    secret = "/services/T9/B9/" + "W3bh00kS3cr3t" * 3
    with HTTPStub(default=Reply.text("invalid_blocks", status=400)) as stub:
        client = SlackNotifier.webhook_client(stub.url + secret)
        with pytest.raises(NotifyError) as caught:
            client.post(notice().message)
        assert "invalid_blocks" in str(caught.value) and "W3bh00k" not in str(caught.value)
        assert len(stub.requests) == 1


def test_the_json_webhook_posts_the_document_and_masks_its_url() -> None:
    secret = "/hooks/" + "t0k3n" * 8
    with HTTPStub([Reply.json({}), Reply.text("nope", status=500)]) as stub:
        sink = WebhookSink(JsonWebhook(stub.url + secret))
        assert sink.deliver(notice(), None) is None
        assert stub.requests[0].json() == {"event": "new"}
        assert sink.deliver(notice("repeat"), None, quiet=True) is None and len(stub.requests) == 1
        with pytest.raises(NotifyError) as caught:
            sink.deliver(notice(), None)
        assert "t0k3n" not in str(caught.value)
