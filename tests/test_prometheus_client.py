"""PrometheusClient driven over real HTTP against the loopback stub."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from gate import __version__
from gate.errors import DataError, UsageError
from gate.http import Pacing
from gate.models import Sample
from gate.prometheus import PrometheusClient, PrometheusSettings, RangeSeries, parse_header
from tests.support.httpstub import HTTPStub, Recorded, Reply, TrickleServer, closed_port

EXPR = 'sum(rate(http_requests_total{job="api"}[5m]))'
AT = 1_700_000_000.0


class FakeTime:
    """Clock + sleep for the client: sleeping advances the clock, nothing actually waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def ok(result_type: str, result: Any, **extra: Any) -> Reply:
    return Reply.json({"status": "success", "data": {"resultType": result_type, "result": result}, **extra})


def series(value: str, **labels: str) -> dict[str, Any]:
    return {"metric": labels, "value": [AT, value]}


def make_client(url: str, fake: FakeTime | None = None, **overrides: Any) -> PrometheusClient:
    settings = PrometheusSettings(url=url, **{"backoff": 0.5, **overrides})
    if fake is None:
        return PrometheusClient(settings)
    return PrometheusClient(settings, clock=fake.clock, sleep=fake.sleep)


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def stub() -> Iterator[HTTPStub]:
    with HTTPStub() as server:
        yield server


def query_error(client: PrometheusClient) -> DataError:
    with pytest.raises(DataError) as info:
        client.instant(EXPR, AT)
    assert info.value.query == EXPR
    return info.value


# -- success -------------------------------------------------------------------------------------


def test_instant_vector_parses_samples_and_posts_form(stub: HTTPStub) -> None:
    stub.enqueue(ok("vector", [series("12.5", job="api", code="500"), series("0", job="api", code="503")]))
    with make_client(stub.url) as client:
        samples = client.instant(EXPR, AT)

    assert samples == [
        Sample(labels={"job": "api", "code": "500"}, value=12.5),
        Sample(labels={"job": "api", "code": "503"}, value=0.0),
    ]
    (request,) = stub.requests
    assert request.method == "POST"
    assert request.path == "/api/v1/query"
    assert request.form == {"query": EXPR, "time": "1700000000", "partial_response": "false"}
    assert request.header("content-type") == "application/x-www-form-urlencoded"
    assert request.header("user-agent") == f"slo-gate/{__version__}"
    assert request.header("authorization") is None
    assert request.header("x-scope-orgid") is None


def test_instant_keeps_subsecond_time(stub: HTTPStub) -> None:
    stub.enqueue(ok("vector", []))
    with make_client(stub.url) as client:
        assert client.instant(EXPR, 1_700_000_000.25) == []
    assert stub.requests[0].form["time"] == "1700000000.25"


def test_instant_scalar_becomes_one_unlabelled_sample(stub: HTTPStub) -> None:
    stub.enqueue(ok("scalar", [AT, "0.9995"]))
    with make_client(stub.url) as client:
        assert client.instant("scalar(1)", AT) == [Sample(labels={}, value=0.9995)]


@pytest.mark.parametrize("suffix", ["/prometheus", "/prometheus/", "/prometheus//"])
def test_url_path_prefix_is_joined(stub: HTTPStub, suffix: str) -> None:
    stub.enqueue(ok("vector", []), ok("matrix", []))
    with make_client(stub.url + suffix) as client:
        client.instant(EXPR, AT)
        client.range(EXPR, AT - 3600, AT, 60)
    assert [r.path for r in stub.requests] == ["/prometheus/api/v1/query", "/prometheus/api/v1/query_range"]


def test_range_posts_form_and_parses_series(stub: HTTPStub) -> None:
    stub.enqueue(
        ok(
            "matrix",
            [{"metric": {"job": "api"}, "values": [[AT - 60, "1"], [AT, "2.5"]]}],
        )
    )
    with make_client(stub.url) as client:
        result = client.range(EXPR, AT - 60, AT, 60, tenant="payments")

    assert result == [RangeSeries(labels={"job": "api"}, values=[(AT - 60, 1.0), (AT, 2.5)])]
    (request,) = stub.requests
    assert request.path == "/api/v1/query_range"
    assert request.form == {
        "query": EXPR,
        "start": "1699999940",
        "end": "1700000000",
        "step": "60",
        "partial_response": "false",
    }
    assert request.header("x-scope-orgid") == "payments"


def test_bearer_token_extra_headers_and_tenant_reach_the_server(stub: HTTPStub) -> None:
    stub.enqueue(ok("vector", []), ok("vector", []))
    settings = PrometheusSettings(
        url=stub.url, token="tok-123", headers=(("X-Team", "sre"), ("X-Api-Key", "k-456"))
    )
    with PrometheusClient(settings) as client:
        client.instant(EXPR, AT, tenant="payments")
        client.instant(EXPR, AT)

    first, second = stub.requests
    assert first.header("authorization") == "Bearer tok-123"
    assert first.header("x-team") == "sre"
    assert first.header("x-api-key") == "k-456"
    assert first.header("x-scope-orgid") == "payments"
    # The tenant is per call: the next query without one sends none.
    assert second.header("x-scope-orgid") is None
    assert second.header("authorization") == "Bearer tok-123"


def test_basic_auth_reaches_the_server(stub: HTTPStub) -> None:
    stub.enqueue(ok("vector", []))
    settings = PrometheusSettings(url=stub.url, basic_auth=("reader", "pa:ss"))
    with PrometheusClient(settings) as client:
        client.instant(EXPR, AT)
    expected = "Basic " + base64.b64encode(b"reader:pa:ss").decode()
    assert stub.requests[0].header("authorization") == expected


def test_concurrent_queries_share_one_client() -> None:
    def answer(request: Recorded) -> Reply:
        n = request.form["query"].removeprefix("q")
        return ok("vector", [series(n, n=n)])

    with HTTPStub(answer) as stub, make_client(stub.url, concurrency=4) as client:
        with ThreadPoolExecutor(max_workers=client.concurrency) as pool:
            results = list(pool.map(lambda i: client.instant(f"q{i}", AT), range(20)))
        assert len(stub.requests) == 20
    assert results == [[Sample(labels={"n": str(i)}, value=float(i))] for i in range(20)]


# -- connection failures and retries --------------------------------------------------------------


def test_refused_connection_names_the_url_after_retries(fake: FakeTime) -> None:
    port = closed_port()
    with make_client(f"http://127.0.0.1:{port}/prom", fake, retries=2) as client:
        error = query_error(client)
    assert (
        f"Prometheus POST http://127.0.0.1:{port}/prom/api/v1/query: cannot connect: connection refused"
        in str(error)
    )
    assert "gave up after 3 attempts" in str(error)
    assert len(fake.sleeps) == 2


def test_503_twice_then_success_is_retried_with_backoff(stub: HTTPStub, fake: FakeTime) -> None:
    stub.enqueue(Reply.text("busy", status=503), Reply.text("busy", status=503), ok("scalar", [AT, "3"]))
    with make_client(stub.url, fake, retries=3, backoff=0.5) as client:
        assert client.instant(EXPR, AT) == [Sample(labels={}, value=3.0)]
    assert len(stub.requests) == 3
    # Exponential with jitter: attempt n waits within [base*2^n / 2, base*2^n].
    assert len(fake.sleeps) == 2
    assert 0.25 <= fake.sleeps[0] <= 0.5
    assert 0.5 <= fake.sleeps[1] <= 1.0


def test_503_forever_gives_up_after_retries_plus_one(fake: FakeTime) -> None:
    body = {"status": "error", "errorType": "timeout", "error": "query timed out in expression evaluation"}
    with HTTPStub(default=Reply.json(body, status=503)) as stub, make_client(stub.url, fake, retries=2) as c:
        error = query_error(c)
        assert len(stub.requests) == 3
    assert str(error) == (
        f"Prometheus POST {stub.url}/api/v1/query: HTTP 503 Service Unavailable: "
        "timeout: query timed out in expression evaluation (gave up after 3 attempts)"
        f" (query: {EXPR})"
    )


def test_429_retry_after_is_honoured(stub: HTTPStub, fake: FakeTime) -> None:
    stub.enqueue(Reply.text("slow down", status=429, headers={"Retry-After": "7"}), ok("vector", []))
    with make_client(stub.url, fake, retries=1) as client:
        assert client.instant(EXPR, AT) == []
    assert len(stub.requests) == 2
    assert fake.sleeps == [7.0]


def test_dropped_connection_is_retried(stub: HTTPStub, fake: FakeTime) -> None:
    stub.enqueue(Reply.close(), ok("scalar", [AT, "1"]))
    with make_client(stub.url, fake, retries=1) as client:
        assert client.instant(EXPR, AT) == [Sample(labels={}, value=1.0)]
    assert len(stub.requests) == 2


@pytest.mark.parametrize(
    ("status", "error_type", "text"),
    [
        (400, "bad_data", 'invalid parameter "query": 1:5: parse error: unexpected "}"'),
        (422, "execution", "many-to-many matching not allowed"),
    ],
)
def test_client_errors_surface_prometheus_text_and_are_not_retried(
    stub: HTTPStub, fake: FakeTime, status: int, error_type: str, text: str
) -> None:
    stub.enqueue(Reply.json({"status": "error", "errorType": error_type, "error": text}, status=status))
    with make_client(stub.url, fake, retries=3) as client:
        error = query_error(client)
    assert f"HTTP {status}" in error.message
    assert f"{error_type}: {text}" in error.message
    assert len(stub.requests) == 1
    assert fake.sleeps == []


def test_status_error_in_a_200_is_an_error(stub: HTTPStub) -> None:
    stub.enqueue(Reply.json({"status": "error", "errorType": "internal", "error": "store unavailable"}))
    with make_client(stub.url) as client:
        assert "internal: store unavailable" in query_error(client).message


def test_warnings_are_an_error_listing_them(stub: HTTPStub) -> None:
    warnings = ["store 10.0.0.7:10901 unavailable", "result may be partial"]
    stub.enqueue(ok("vector", [series("1", job="api")], warnings=warnings))
    with make_client(stub.url) as client:
        error = query_error(client)
    assert error.message == (
        "Prometheus returned warnings (partial or unreliable data): "
        "store 10.0.0.7:10901 unavailable; result may be partial"
    )


def test_html_with_200_is_not_json(stub: HTTPStub) -> None:
    stub.enqueue(Reply.text("<html><body>Sign in</body></html>", content_type="text/html; charset=utf-8"))
    with make_client(stub.url) as client:
        error = query_error(client)
    assert "not JSON (content-type text/html)" in error.message
    assert "Sign in" in error.message


@pytest.mark.parametrize("bad", ["NaN", "+Inf", "-Inf"])
def test_non_finite_values_name_the_series(stub: HTTPStub, bad: str) -> None:
    stub.enqueue(
        ok(
            "vector",
            [series("1", job="api", code="200"), series(bad, __name__="http_requests_total", job="api")],
        )
    )
    with make_client(stub.url) as client:
        error = query_error(client)
    assert (
        error.message == f'non-finite values (NaN/Inf) in 1 series: http_requests_total{{job="api"}} = {bad}'
    )


def test_non_finite_in_range_is_an_error(stub: HTTPStub) -> None:
    stub.enqueue(ok("matrix", [{"metric": {"slo": "a"}, "values": [[AT, "1"], [AT + 60, "NaN"]]}]))
    with make_client(stub.url) as client, pytest.raises(DataError, match=r'\{slo="a"\} = NaN'):
        client.range(EXPR, AT, AT + 60, 60)


def test_unexpected_result_type(stub: HTTPStub) -> None:
    stub.enqueue(ok("matrix", []))
    with make_client(stub.url) as client:
        assert "unexpected resultType 'matrix'" in query_error(client).message


def test_malformed_sample(stub: HTTPStub) -> None:
    stub.enqueue(ok("vector", [{"metric": {"job": "api"}, "value": [AT, 1.5]}]))
    with make_client(stub.url) as client:
        assert 'malformed sample [1700000000.0, 1.5] for {job="api"}' in query_error(client).message


# -- timeouts, deadline, limits, redirects ---------------------------------------------------------


def test_stall_longer_than_read_timeout(stub: HTTPStub) -> None:
    stub.enqueue(Reply.stalled(30))
    with make_client(stub.url, read_timeout=0.3, retries=0) as client:
        error = query_error(client)
    assert error.message == (
        f"Prometheus POST {stub.url}/api/v1/query: timed out waiting for the response (limit 0.3 s) "
        "(gave up after 1 attempt)"
    )
    assert len(stub.requests) == 1


def test_deadline_cuts_off_retries(fake: FakeTime) -> None:
    busy = Reply.text("overloaded", status=503, headers={"Retry-After": "4"})
    with HTTPStub(default=busy) as stub, make_client(stub.url, fake, retries=10, deadline=10) as client:
        error = query_error(client)
        # Attempts at t=0, 4, 8; the next would start at 12 > 10.
        assert len(stub.requests) == 3
    assert fake.sleeps == [4.0, 4.0]
    assert error.message.startswith(
        f"Prometheus POST {stub.url}/api/v1/query: deadline of 10 s exceeded after 3 attempts; "
        "last error: HTTP 503 Service Unavailable: overloaded"
    )


def test_deadline_caps_each_attempt_timeout(stub: HTTPStub) -> None:
    stub.enqueue(Reply.stalled(30), Reply.stalled(30))
    with make_client(stub.url, read_timeout=30, deadline=0.4, retries=3) as client:
        error = query_error(client)
    assert error.message.startswith(
        f"Prometheus POST {stub.url}/api/v1/query: deadline of 0.4 s exceeded after 1 attempt; "
        "last error: timed out waiting for the response"
    )
    assert len(stub.requests) == 1


def test_spent_deadline_sends_nothing(stub: HTTPStub, fake: FakeTime) -> None:
    with make_client(stub.url, fake, deadline=5) as client:
        fake.now = 6
        assert query_error(client).message == (
            f"Prometheus POST {stub.url}/api/v1/query: deadline of 5 s exceeded before the first attempt"
        )
    assert stub.requests == []


@pytest.mark.parametrize("chunked", [False, True])
def test_response_over_size_limit(stub: HTTPStub, chunked: bool) -> None:
    big = '{"status":"success","data":{"resultType":"vector","result":[]},"pad":"' + "x" * 300_000 + '"}'
    stub.enqueue(Reply.text(big, content_type="application/json", chunked=chunked))
    with make_client(stub.url, max_response_bytes=100_000) as client:
        error = query_error(client)
    assert "exceeds the 100000-byte limit (" in error.message
    assert ("Content-Length" in error.message) is not chunked


def test_redirect_is_reported_not_followed(stub: HTTPStub) -> None:
    stub.enqueue(Reply.text("", status=302, headers={"Location": "/login?next=%2Fapi%2Fv1%2Fquery"}))
    with make_client(stub.url, retries=3) as client:
        error = query_error(client)
    assert error.message == (
        f"Prometheus POST {stub.url}/api/v1/query: HTTP 302 redirect to /login; redirects are not followed: "
        "point the Prometheus URL at the final address"
    )
    assert [r.path for r in stub.requests] == ["/api/v1/query"]


# -- headers, settings and secrets ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("X-Scope-OrgID: team-a", ("X-Scope-OrgID", "team-a")),
        ("Authorization:Bearer abc", ("Authorization", "Bearer abc")),
        ("  X-Thing :  a: b  ", ("X-Thing", "a: b")),
    ],
)
def test_parse_header_good(text: str, expected: tuple[str, str]) -> None:
    assert parse_header(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "no colon here",
        ": value",
        "X-Empty:",
        "Bad Name: v",
        "X-Inject: a\r\nEvil: b",
        "X-Inject: a\nb",
        "X-Ctl: a\x00b",
        "X-Ctl: a\x01b",
        "X-Uni: café",
    ],
)
def test_parse_header_bad(text: str) -> None:
    with pytest.raises(UsageError):
        parse_header(text)


def test_parse_header_error_does_not_echo_value() -> None:
    with pytest.raises(UsageError) as info:
        parse_header("Authorization: secret\x01value")
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"url": "prometheus:9090"},
        {"url": "ftp://host/"},
        {"url": "http://host/?x=1"},
        {"url": "http://h", "token": "t", "basic_auth": ("u", "p")},
        {"url": "http://h", "headers": (("X-Bad", "a\nb"),)},
        {"url": "http://h", "read_timeout": 0},
        {"url": "http://h", "retries": -1},
        {"url": "http://h", "concurrency": 0},
    ],
)
def test_invalid_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        PrometheusSettings(**kwargs)


def test_invalid_tenant_is_rejected_before_sending(stub: HTTPStub) -> None:
    with make_client(stub.url) as client, pytest.raises(UsageError, match="tenant"):
        client.instant(EXPR, AT, tenant="a\r\nX-Evil: 1")
    assert stub.requests == []


TOKEN = "tok-SECRET-1234567890"
PASSWORD = "pw-SECRET-0987654321"
API_KEY = "key-SECRET-abcdef"


def test_secrets_never_appear_in_errors_or_reprs(fake: FakeTime) -> None:
    echo = f"invalid credentials: Bearer {TOKEN} / {API_KEY}"
    failures = [
        Reply.text(echo, status=401),
        Reply.json({"status": "error", "errorType": "bad_data", "error": echo}, status=400),
        Reply.text(echo, status=503),
        Reply.text(f"<html>{echo}</html>", content_type="text/html"),
        ok("vector", [series("NaN", token=TOKEN)]),
        ok("vector", [], warnings=[echo]),
        Reply.text("", status=302, headers={"Location": f"https://sso.example/{TOKEN}?k={API_KEY}"}),
    ]
    texts: list[str] = []
    for reply in failures:
        with HTTPStub(default=reply) as stub:
            settings = PrometheusSettings(
                url=stub.url, token=TOKEN, headers=(("X-Api-Key", API_KEY), ("X-Team", "sre")), retries=1
            )
            with PrometheusClient(settings, clock=fake.clock, sleep=fake.sleep) as client:
                texts += [str(query_error(client)), repr(query_error(client)), repr(client), repr(settings)]
            assert stub.requests[0].header("authorization") == f"Bearer {TOKEN}"

    basic = PrometheusSettings(
        url=f"http://user:{PASSWORD}@127.0.0.1:{closed_port()}", basic_auth=("u", PASSWORD)
    )
    with PrometheusClient(basic, clock=fake.clock, sleep=fake.sleep) as client:
        texts += [str(query_error(client)), repr(client), repr(basic)]

    assert len(texts) == 4 * len(failures) + 3
    for text in texts:
        assert TOKEN not in text
        assert API_KEY not in text
        assert PASSWORD not in text
    assert "X-Team', 'sre'" in repr(basic) or "X-Team', 'sre'" in texts[3]
    assert "token='***'" in texts[3]


# -- issue 9 regressions: the deadline bounds the whole exchange; retry classes; hostile answers ----


class Ticking:
    """A clock that moves `step` seconds each time it is read: time passes per socket operation."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += self.step
        return self.now


def test_headers_trickled_a_byte_at_a_time_cannot_outlive_the_deadline(fake: FakeTime) -> None:
    # Each byte arrives well within the read timeout, so only a deadline over the whole exchange
    # (headers included) ends the wait; the ticking clock makes "the deadline passed" deterministic.
    ticking = Ticking(step=0.25)
    with TrickleServer(interval=0.01, limit=2000) as server:
        settings = PrometheusSettings(url=server.url, read_timeout=5, deadline=3, retries=2)
        with PrometheusClient(settings, clock=ticking, sleep=fake.sleep) as client:
            error = query_error(client)
        served = server.served
    assert "deadline of 3 s exceeded" in error.message
    assert "timed out waiting for the response" in error.message
    assert served < server.limit  # the client hung up long before the server ran out of bytes
    assert server.connections == 1  # and did not retry into a spent deadline
    assert fake.sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 501])
def test_answers_another_attempt_cannot_fix_are_not_retried(
    stub: HTTPStub, fake: FakeTime, status: int
) -> None:
    stub.enqueue(Reply.text("no", status=status), ok("vector", []))
    with make_client(stub.url, fake, retries=3) as client:
        error = query_error(client)
    assert f"HTTP {status}" in error.message
    assert "gave up" not in error.message
    assert len(stub.requests) == 1
    assert fake.sleeps == []


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_answers_are_retried(stub: HTTPStub, fake: FakeTime, status: int) -> None:
    stub.enqueue(Reply.text("busy", status=status), ok("scalar", [AT, "2"]))
    with make_client(stub.url, fake, retries=3, backoff=0.5) as client:
        assert client.instant(EXPR, AT) == [Sample(labels={}, value=2.0)]
    assert len(stub.requests) == 2
    assert len(fake.sleeps) == 1 and 0.25 <= fake.sleeps[0] <= 0.5


def test_retry_after_as_an_http_date_is_measured_against_the_injected_wall_clock(
    stub: HTTPStub, fake: FakeTime
) -> None:
    wall = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
    stub.enqueue(
        Reply.text("later", status=503, headers={"Retry-After": "Tue, 14 Nov 2023 22:13:29 GMT"}),
        ok("vector", []),
    )
    pacing = Pacing(sleep=fake.sleep, monotonic=fake.clock, now=lambda: wall, jitter=lambda a, b: b)
    with PrometheusClient(PrometheusSettings(url=stub.url), pacing=pacing) as client:
        assert client.instant(EXPR, AT) == []
    assert fake.sleeps == [9.0]


def test_retry_after_beyond_the_deadline_fails_at_once(stub: HTTPStub, fake: FakeTime) -> None:
    stub.enqueue(Reply.text("later", status=429, headers={"Retry-After": "600"}), ok("vector", []))
    with make_client(stub.url, fake, retries=3, deadline=60) as client:
        error = query_error(client)
    assert error.message.startswith(f"Prometheus POST {stub.url}/api/v1/query: deadline of 60 s exceeded")
    assert len(stub.requests) == 1
    assert fake.sleeps == []


def test_basic_auth_echoed_in_an_error_is_masked_in_every_form(stub: HTTPStub) -> None:
    credential = base64.b64encode(f"reader:{PASSWORD}".encode()).decode()
    echo = f"Authorization: Basic {credential}; bare {credential}; user reader:{PASSWORD}"
    stub.enqueue(Reply.text(echo, status=401))
    settings = PrometheusSettings(url=stub.url, basic_auth=("reader", PASSWORD))
    with PrometheusClient(settings) as client:
        error = query_error(client)
    assert stub.requests[0].header("authorization") == f"Basic {credential}"
    assert credential not in str(error)
    assert PASSWORD not in str(error)
    assert "Authorization: Basic ***" in error.message


@pytest.mark.parametrize("path", ["/api/v1/query", "/api/v1/query_range"])
def test_json_nested_deeper_than_the_parser_allows_is_a_data_error(path: str) -> None:
    hostile = Reply.text(b"[" * 400_000, content_type="application/json")
    with HTTPStub(default=hostile) as stub, make_client(stub.url) as client:

        def ask() -> object:
            if path.endswith("range"):
                return client.range(EXPR, AT - 60, AT, 60)
            return client.instant(EXPR, AT)

        with pytest.raises(DataError, match="nested deeper than 64 levels"):
            ask()
        assert len(stub.requests) == 1  # garbage is not retried
        assert stub.requests[0].path == path
