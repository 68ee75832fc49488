"""gate.http, the one HTTP layer, and the two pure parts it stands on (gate.secrets, gate.safejson).

Retry classes and message shapes run on httpx.MockTransport; everything about sockets (the deadline
over trickled headers, proxies, size caps, cut error bodies) runs against real loopback servers.
"""

from __future__ import annotations

import base64
import json
import re
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate import safejson
from gate.errors import UsageError
from gate.http import (
    Deadline,
    Endpoint,
    HttpClient,
    HttpFailure,
    Pacing,
    RetryPolicy,
    parse_retry_after,
)
from gate.secrets import Secrets
from tests.support.httpstub import HTTPStub, Reply, TrickleServer, closed_port

BASE = "http://svc.test/api"
TOKEN = "tok-Abc123-SECRET-xyz"
USER, PASSWORD = "reader", 'p@ss:w/rd+"\\'
WALL = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT


class Clock:
    """Monotonic clock + sleep: sleeping moves the clock; nothing waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def pacing(self) -> Pacing:
        # Jitter picks the top of its range, so waits are exact numbers.
        return Pacing(sleep=self.sleep, monotonic=self.monotonic, now=lambda: WALL, jitter=lambda a, b: b)


@pytest.fixture
def clock() -> Clock:
    return Clock()


Handler = Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport answering from a list (the last answer repeats); records every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        # A fresh copy each time: a response's stream can be read only once.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def client(
    script: Script,
    clock: Clock,
    *,
    deadline: float = 100.0,
    retry: RetryPolicy | None = None,
    **endpoint: Any,
) -> HttpClient:
    options: dict[str, Any] = {
        "url": BASE,
        "name": "Svc",
        "retry": retry or RetryPolicy(retries=3, backoff=1.0),
    }
    options.update(endpoint)
    return HttpClient(
        Endpoint(**options),
        deadline=Deadline(deadline, clock=clock.monotonic),
        pacing=clock.pacing(),
        transport=script.transport(),
    )


def failure(call: Callable[[], object]) -> HttpFailure:
    with pytest.raises(HttpFailure) as caught:
        call()
    return caught.value


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    if isinstance(body, str | bytes):
        return httpx.Response(status, content=body, headers=headers)
    return httpx.Response(status, json=body if body is not None else {"message": "m"}, headers=headers)


# -- Deadline ------------------------------------------------------------------------------------


def test_a_deadline_counts_down_on_its_clock_and_within_keeps_the_earlier_end(clock: Clock) -> None:
    deadline = Deadline(10, clock=clock.monotonic)
    clock.now = 4
    assert deadline.left() == 6
    assert deadline.within(30) is deadline  # the fresh 30 s would end later
    sooner = deadline.within(2)
    assert sooner is not deadline and sooner.left() == 2 and sooner.seconds == 2


@pytest.mark.parametrize("seconds", [0, -1, float("inf"), float("nan")])
def test_a_deadline_must_be_a_positive_finite_number(seconds: float) -> None:
    with pytest.raises(UsageError):
        Deadline(seconds)


def test_a_client_without_any_deadline_is_refused() -> None:
    with pytest.raises(ValueError, match="deadline"):
        HttpClient(Endpoint(url=BASE))


def test_one_deadline_is_shared_by_every_request_of_a_run(clock: Clock) -> None:
    script = Script(answer(200, {"n": 1}))
    with client(script, clock, deadline=5) as http:
        assert http.get_json("/a") == {"n": 1}
        clock.now = 5
        spent = failure(lambda: http.get_json("/b"))
    assert spent.message == "Svc GET http://svc.test/api/b: deadline of 5 s exceeded before the first attempt"
    assert spent.deadline and spent.status is None
    assert len(script.requests) == 1


def test_a_call_deadline_gives_each_call_its_own_budget(clock: Clock) -> None:
    script = Script(answer(503))
    http = HttpClient(
        Endpoint(url=BASE, name="Svc", retry=RetryPolicy(retries=10, backoff=2)),
        call_deadline=10,
        pacing=clock.pacing(),
        transport=script.transport(),
    )
    with http:
        first = failure(lambda: http.get_json("/a"))
        second = failure(lambda: http.get_json("/a"))
    # Waits of 2 and 4 fit in 10 s; the next (8) would not. The second call starts afresh.
    assert clock.sleeps == [2.0, 4.0, 2.0, 4.0]
    assert first.deadline and second.deadline
    assert first.message.startswith(
        "Svc GET http://svc.test/api/a: deadline of 10 s exceeded after 3 attempts"
    )


# -- retries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "attempts", "answered"),
    [
        (400, 1, True),
        (401, 1, True),
        (403, 1, True),
        (404, 1, True),
        (422, 1, True),
        (501, 1, True),
        (505, 1, True),
        (408, 4, False),
        (429, 4, False),
        (500, 4, False),
        (502, 4, False),
        (503, 4, False),
        (504, 4, False),
    ],
)
def test_which_answers_are_retried(clock: Clock, status: int, attempts: int, answered: bool) -> None:
    script = Script(answer(status, {"message": "nope"}))
    with client(script, clock) as http:
        error = failure(lambda: http.get_json("/x"))
    assert len(script.requests) == attempts
    assert error.status == status and error.answered is answered and not error.deadline
    assert error.detail == "nope"
    shown = f"Svc GET http://svc.test/api/x: HTTP {status} {httpx.codes.get_reason_phrase(status)}: nope"
    assert error.message == (shown if attempts == 1 else f"{shown} (gave up after 4 attempts)")


def test_backoff_doubles_with_jitter_and_is_capped(clock: Clock) -> None:
    script = Script(answer(500))
    low = Pacing(sleep=clock.sleep, monotonic=clock.monotonic, jitter=lambda a, b: a)
    endpoint = Endpoint(url=BASE, retry=RetryPolicy(retries=4, backoff=1.0, max_backoff=5.0))
    with HttpClient(
        endpoint, deadline=Deadline(1000, clock=clock.monotonic), pacing=low, transport=script.transport()
    ) as http:
        failure(lambda: http.get_json())
    # base = min(2**n, 5); each wait is drawn from [base/2, base]: here always the bottom.
    assert clock.sleeps == [0.5, 1.0, 2.0, 2.5]


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("7", 7.0),
        ("Tue, 14 Nov 2023 22:13:29 GMT", 9.0),
        ("Tue, 14 Nov 2023 22:00:00 GMT", 0.0),
        ("soon", 1.0),
    ],
)
def test_retry_after_in_seconds_or_as_a_date_is_honoured(clock: Clock, header: str, wait: float) -> None:
    script = Script(answer(503, headers={"Retry-After": header}), answer(200, {"ok": True}))
    with client(script, clock) as http:
        assert http.get_json() == {"ok": True}
    assert clock.sleeps == [wait]  # "soon" is unreadable: the backoff applies (1 s, jitter at the top)


def test_parse_retry_after_reads_both_forms() -> None:
    assert parse_retry_after("120", WALL) == 120.0
    assert parse_retry_after(" Tue, 14 Nov 2023 22:15:20 GMT ", WALL) == 120.0
    assert parse_retry_after("", WALL) is None
    assert parse_retry_after("-5", WALL) is None
    assert parse_retry_after("Tue, 99 Foo 2023", WALL) is None


def test_a_retry_after_longer_than_max_wait_fails_at_once(clock: Clock) -> None:
    script = Script(answer(429, {"message": "slow down"}, headers={"Retry-After": "600"}))
    with client(script, clock, retry=RetryPolicy(retries=3, max_wait=60)) as http:
        error = failure(lambda: http.get_json())
    assert error.message == (
        "Svc GET http://svc.test/api: HTTP 429 Too Many Requests: slow down; the server asks to wait "
        "600 s (Retry-After), longer than the 60 s this run may wait"
    )
    assert not error.answered and len(script.requests) == 1 and clock.sleeps == []


def test_a_wait_past_the_deadline_is_not_slept(clock: Clock) -> None:
    script = Script(answer(503, headers={"Retry-After": "30"}))
    with client(script, clock, deadline=20) as http:
        error = failure(lambda: http.get_json())
    assert error.deadline and clock.sleeps == []
    assert error.message.endswith(
        "deadline of 20 s exceeded after 1 attempt; last error: HTTP 503 Service Unavailable: m"
    )


@pytest.mark.parametrize(
    ("outcome", "attempts", "text"),
    [
        (answer(503), 1, "HTTP 503 Service Unavailable: m (not retried: the request may have been applied)"),
        (httpx.ReadTimeout("slow"), 1, "timed out waiting for the response (limit 30 s) (not retried"),
        (httpx.RemoteProtocolError("gone"), 1, "connection failed: gone (not retried"),
        (answer(429), 4, "HTTP 429 Too Many Requests: m (gave up after 4 attempts)"),
        (httpx.ConnectError("no route"), 4, "cannot connect: no route (gave up after 4 attempts)"),
        (httpx.ConnectTimeout("slow"), 4, "timed out connecting (limit 5 s) (gave up after 4 attempts)"),
    ],
    ids=["503", "read-timeout", "dropped", "429-refused", "never-sent", "connect-timeout"],
)
def test_a_post_is_sent_again_only_when_it_cannot_have_landed(
    clock: Clock, outcome: httpx.Response | Exception, attempts: int, text: str
) -> None:
    script = Script(outcome)
    with client(script, clock) as http:
        error = failure(lambda: http.post_json("/hook", {"text": "hi"}))
    assert len(script.requests) == attempts
    assert text in error.message


def test_a_post_the_caller_calls_idempotent_is_retried_after_anything(clock: Clock) -> None:
    script = Script(answer(503), httpx.ReadTimeout("slow"), answer(200, {"ok": 1}))
    with client(script, clock) as http:
        assert http.post_form("/q", {"query": "up"}, idempotent=True) == {"ok": 1}
    assert len(script.requests) == 3
    assert script.requests[0].content == b"query=up"


# -- what leaves the layer: messages, excerpts, redirects, origins --------------------------------


def test_a_redirect_is_reported_with_scheme_host_and_path_only(clock: Clock) -> None:
    location = f"https://sso.example:8443/login/{TOKEN}?next=/x&key=abc#frag"
    script = Script(httpx.Response(302, headers={"Location": location}))
    with client(script, clock, token=TOKEN, redirect_hint=": use the final address") as http:
        error = failure(lambda: http.get_json("/x"))
    assert error.message == (
        "Svc GET http://svc.test/api/x: HTTP 302 redirect to https://sso.example:8443/login/***; "
        "redirects are not followed: use the final address"
    )
    assert len(script.requests) == 1


def test_an_absolute_url_on_another_origin_is_refused_before_sending(clock: Clock) -> None:
    script = Script(answer(200, {}))
    with client(script, clock, token=TOKEN) as http:
        error = failure(lambda: http.get_json("http://svc.test:8080/api/x"))
        assert http.get_json("http://svc.test/api/next?page=2") == {}
    assert "refusing to send credentials to http://svc.test:8080/api/x" in error.message
    assert [str(r.url) for r in script.requests] == ["http://svc.test/api/next?page=2"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://svc.test", "must be http(s)://host"),
        ("http://u:hunter2@svc.test", "must not carry credentials"),
        ("http://svc.test/?a=1", "query string"),
        ("http://svc.test/#x", "fragment"),
        ("not a url at all", "must be http(s)://host"),
    ],
)
def test_bad_base_urls_are_refused_without_echoing_credentials(url: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)) as caught:
        Endpoint(url=url)
    assert "hunter2" not in str(caught.value)


def test_credentials_and_repr(clock: Clock) -> None:
    script = Script(answer(200, {}))
    with client(script, clock, basic_auth=(USER, PASSWORD), headers=(("X-Api-Key", "k-SECRET-1"),)) as http:
        http.get_json()
        shown = repr(http)
    sent = script.requests[0].headers
    assert sent["authorization"] == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert sent["x-api-key"] == "k-SECRET-1"
    assert sent["user-agent"].startswith("slo-gate/")
    assert PASSWORD not in shown and "k-SECRET-1" not in shown and "'reader', '***'" in shown


def test_a_webhook_url_that_is_a_secret_never_shows(clock: Clock) -> None:
    hook = "https://hooks.slack.test/services/T0001/B0002/XyZsecretTokenValue123"
    echo = f"invalid_token for {hook} (path /services/T0001/B0002/XyZsecretTokenValue123, {quote(hook, safe='')})"
    script = Script(answer(404, echo))
    http = HttpClient(
        Endpoint(url=hook, name="Slack webhook", secret_url=True),
        call_deadline=10,
        pacing=clock.pacing(),
        transport=script.transport(),
    )
    with http:
        error = failure(lambda: http.send("POST", json={"text": "hi"}))
        shown = repr(http)
    assert str(script.requests[0].url) == hook
    assert error.message.startswith(
        "Slack webhook POST https://hooks.slack.test/***: HTTP 404 Not Found: invalid_token"
    )
    for text in (error.message, shown):
        assert "XyZsecretTokenValue123" not in text
        assert "B0002" not in text


def test_a_secret_cut_by_the_error_body_limit_leaves_no_prefix() -> None:
    # 64 KiB of blanks then the secret across the cut: collapsed, its head would open the excerpt.
    body = " " * (64 * 1024 - 10) + TOKEN + " tail"
    with HTTPStub(default=Reply.text(body, status=401)) as stub:
        http = HttpClient(Endpoint(url=stub.url, name="Svc", token=TOKEN), call_deadline=10)
        with http:
            error = failure(lambda: http.get_json())
    assert TOKEN[:10] not in error.message
    assert error.message == f"Svc GET {stub.url}/: HTTP 401 Unauthorized"


@pytest.mark.parametrize("chunked", [False, True])
def test_a_success_over_the_size_limit_is_an_error(chunked: bool) -> None:
    reply = Reply.text(b"[" + b"1," * 5000 + b"1]", content_type="application/json", chunked=chunked)
    with HTTPStub(default=reply) as stub:
        http = HttpClient(Endpoint(url=stub.url, name="Svc", max_response_bytes=1000), call_deadline=10)
        with http:
            error = failure(lambda: http.get_json())
    detail = "stopped reading" if chunked else "Content-Length 10003"
    assert error.message == f"Svc GET {stub.url}/: the response exceeds the 1000-byte limit ({detail})"


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        (
            b"<html>Sign in</html>",
            "text/html",
            "HTTP 200 body is not JSON (content-type text/html): <html>Sign in</html>",
        ),
        (b"[NaN]", "application/json", "HTTP 200 body is not usable JSON: NaN is not a JSON number"),
        (b"[" * 5000, "application/json", "HTTP 200 body is not usable JSON: nested deeper than 64 levels"),
    ],
)
def test_an_answer_that_is_not_usable_json(clock: Clock, body: bytes, content_type: str, text: str) -> None:
    script = Script(httpx.Response(200, content=body, headers={"content-type": content_type}))
    with client(script, clock) as http:
        error = failure(lambda: http.get_json())
    assert error.message == f"Svc GET http://svc.test/api: {text}"
    assert error.answered is False


def test_204_is_none(clock: Clock) -> None:
    with client(Script(httpx.Response(204)), clock) as http:
        assert http.get_json() is None


# -- sockets: the deadline over the whole exchange -------------------------------------------------


class Ticking:
    """Each read of the clock moves it `step` seconds: time passes per socket operation."""

    def __init__(self, step: float) -> None:
        self.step, self.now = step, 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_trickled_headers_end_at_the_deadline_not_at_the_last_byte() -> None:
    with TrickleServer(interval=0.01, limit=2000) as server:
        endpoint = Endpoint(url=server.url, name="Svc", read_timeout=30, retry=RetryPolicy(retries=3))
        with HttpClient(endpoint, deadline=Deadline(3, clock=Ticking(0.25))) as http:
            error = failure(lambda: http.get_json("/x"))
        served, connections = server.served, server.connections
    assert error.deadline and error.status is None
    assert error.message.startswith(f"Svc GET {server.url}/x: deadline of 3 s exceeded after 1 attempt")
    assert served < server.limit and connections == 1


def test_a_proxy_from_the_environment_is_held_to_the_deadline_too(monkeypatch: pytest.MonkeyPatch) -> None:
    with TrickleServer(interval=0.01, limit=2000) as proxy:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        endpoint = Endpoint(url="http://far.example.test", name="Svc", retry=RetryPolicy(retries=0))
        with HttpClient(endpoint, deadline=Deadline(3, clock=Ticking(0.25))) as http:
            error = failure(lambda: http.get_json())
        served = proxy.served
    assert proxy.connections == 1  # the request went through the proxy...
    assert error.deadline and served < proxy.limit  # ...and was cut off by the deadline


def test_a_refused_connection_is_named(clock: Clock) -> None:
    port = closed_port()
    endpoint = Endpoint(url=f"http://127.0.0.1:{port}", name="Svc", retry=RetryPolicy(retries=1))
    with HttpClient(endpoint, deadline=Deadline(10, clock=clock.monotonic), pacing=clock.pacing()) as http:
        error = failure(lambda: http.get_json("/x"))
    assert error.message == (
        f"Svc GET http://127.0.0.1:{port}/x: cannot connect: connection refused (gave up after 2 attempts)"
    )


def test_real_answers_round_trip_through_the_helpers() -> None:
    with HTTPStub([Reply.json({"a": [1, {"b": None}]}), Reply.json({"ok": True})]) as stub:
        with HttpClient(Endpoint(url=stub.url + "/prefix/", token=TOKEN), call_deadline=10) as http:
            assert http.get_json("/one", {"q": "x y"}) == {"a": [1, {"b": None}]}
            assert http.post_json("/two", {"text": "hi"}) == {"ok": True}
        first, second = stub.requests
    assert first.target == "/prefix/one?q=x+y" and first.header("authorization") == f"Bearer {TOKEN}"
    assert second.json() == {"text": "hi"} and second.header("content-type") == "application/json"


# -- gate.secrets ----------------------------------------------------------------------------------


def b64(text: str, urlsafe: bool = False) -> str:
    raw = text.encode()
    return (base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)).decode()


@pytest.mark.parametrize(
    "leak",
    [
        PASSWORD,
        b64(f"{USER}:{PASSWORD}"),
        b64(f"{USER}:{PASSWORD}", urlsafe=True).rstrip("="),
        quote(PASSWORD, safe=""),
        quote(PASSWORD, safe="").lower(),
        quote_plus(PASSWORD),
        json.dumps(PASSWORD)[1:-1],
        quote(f"{USER}:{PASSWORD}", safe=""),
        TOKEN,
        b64(TOKEN),
        quote(TOKEN),
    ],
)
def test_every_derived_form_of_a_secret_is_masked(leak: str) -> None:
    secrets = Secrets([TOKEN], basic=(USER, PASSWORD))
    masked = secrets.mask(f"before {leak} after")
    assert leak not in masked
    assert masked.startswith("before ") and masked.endswith(" after")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Basic Zm9vOmJhcg==", "Authorization: Basic ***"),
        ('{"authorization": "Bearer eyJhbGciOi.x.y"}', '{"authorization": "Bearer ***"}'),
        ("{'Proxy-Authorization': 'Negotiate YII'}", "{'Proxy-Authorization': 'Negotiate ***'}"),
        ("authorization=abc123&x=1", "authorization=***&x=1"),
        ("retry with Bearer sk-live-0123 please", "retry with Bearer *** please"),
        ("see https://bob:hunter2@db.example/x", "see https://***@db.example/x"),
        ("401 Authorization Required", "401 Authorization Required"),
        ("basic auth is disabled; mailto:a@b", "basic auth is disabled; mailto:a@b"),
        ("https://host/path@v2", "https://host/path@v2"),
    ],
)
def test_anything_shaped_like_a_credential_is_masked_whoever_owns_it(text: str, expected: str) -> None:
    assert Secrets().mask(text) == expected


def test_an_excerpt_is_masked_before_it_is_cut() -> None:
    secrets = Secrets([TOKEN])
    text = "x" * 195 + TOKEN + "\n\x1b[31m more"
    excerpt = secrets.excerpt(text)
    assert TOKEN[:5] not in excerpt  # the cut at 200 falls inside the token: it was masked first
    assert excerpt == "x" * 195 + "***" + " [31m more"[: 200 - 198] + "…"
    assert "\x1b" not in secrets.excerpt("a\x1bb") and secrets.excerpt("a \n\t b") == "a b"


@given(
    secret=st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=4, max_size=40),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
)
def test_a_secret_never_survives_masking(secret: str, before: str, after: str) -> None:
    masked = Secrets([secret]).mask(before + secret + after)
    assert secret not in masked


# -- gate.safejson ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, 2, {"b": "c"}]}',
        '["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]',
        '["\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\\"]',
        "\ufeff[1]",
        "[" * 64 + "]" * 64,
    ],
)
def test_json_within_the_depth_limit_parses_as_json_loads_would(text: str) -> None:
    assert safejson.loads(text) == json.loads(text.removeprefix("\ufeff"))
    assert safejson.loads(text.encode("utf-8")) == json.loads(text.removeprefix("\ufeff"))


@pytest.mark.parametrize(
    ("raw", "message", "syntax"),
    [
        (b"[" * 65 + b"]" * 65, "nested deeper than 64 levels", False),
        (b"[" * 400_000, "nested deeper than 64 levels", False),
        (b'{"a":' * 100_000, "nested deeper than 64 levels", False),
        (b"[NaN]", "NaN is not a JSON number", False),
        (b"[-Infinity]", "-Infinity is not a JSON number", False),
        (b"\xff\xfe", "not UTF-8", True),
        (b"[1,]", "Expecting value at line 1 column 4", True),
        (b"9" * 5000, "a number is too long to read", True),
    ],
)
def test_json_that_is_refused_says_why_without_quoting_it(raw: bytes, message: str, syntax: bool) -> None:
    with pytest.raises(safejson.JSONError) as caught:
        safejson.loads(raw)
    assert message in str(caught.value) and caught.value.syntax is syntax


def test_nan_constants_load_when_asked_for() -> None:
    value = safejson.loads("[NaN, Infinity]", constants=True)
    assert isinstance(value, list) and value[0] != value[0] and value[1] == float("inf")


def test_nesting_depth_ignores_brackets_inside_strings() -> None:
    assert safejson.nesting_depth('[{"a": "]]]]", "b": ["[[["]}]') == 3
    # escaped quotes and backslashes do not end a string early, as text or as bytes
    tricky = r'["a\\", ["x\"]]"], {"k": "\\\"[[[", "\u00e9": "é{"}]'
    assert json.loads(tricky) and safejson.nesting_depth(tricky) == 2
    assert safejson.nesting_depth(tricky.encode()) == 2 and safejson.nesting_depth("1") == 0


@given(
    st.recursive(
        st.none() | st.text(alphabet='[]{}"\\ab é'),
        lambda kids: st.lists(kids) | st.dictionaries(st.text(alphabet='[]{}"\\'), kids),
        max_leaves=40,
    )
)
def test_nesting_depth_agrees_with_the_structure(value: object) -> None:
    def depth(item: object) -> int:
        if isinstance(item, list):
            return 1 + max(map(depth, item), default=0)
        if isinstance(item, dict):
            return 1 + max(map(depth, item.values()), default=0)
        return 0

    assert safejson.nesting_depth(json.dumps(value, ensure_ascii=False)) == depth(value)


def test_a_document_at_the_depth_limit_loads_and_one_past_it_does_not() -> None:
    assert safejson.loads("[" * 64 + "]" * 64) is not None
    with pytest.raises(safejson.JSONError, match="nested deeper than 64 levels"):
        safejson.loads(('{"a": ' * 65 + "1" + "}" * 65).encode())


# -- TLS context ------------------------------------------------------------------------------------


def test_a_plain_http_origin_without_a_proxy_gets_a_context_that_trusts_nothing() -> None:
    from gate.http import _tls_context

    empty = _tls_context("http", {"PATH": "/bin", "NO_PROXY": "*"})
    # No CA is loaded (that is the start-up saving), and nothing is relaxed: a handshake would fail.
    assert empty.cert_store_stats()["x509_ca"] == 0
    assert empty.verify_mode == ssl.CERT_REQUIRED and empty.check_hostname


@pytest.mark.parametrize(
    ("scheme", "environ"),
    [
        ("https", {}),
        ("http", {"HTTPS_PROXY": "https://proxy.example.test:3128"}),
        ("http", {"all_proxy": "http://proxy.example.test:3128"}),
    ],
)
def test_tls_or_a_proxy_gets_the_shared_verifying_context(scheme: str, environ: dict[str, str]) -> None:
    from gate.http import _tls_context

    context = _tls_context(scheme, environ)
    assert context is _tls_context("https", {})  # built once per process, not per client
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0
