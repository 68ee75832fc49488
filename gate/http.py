"""The one HTTP layer: every request slo-gate sends to a service goes through `HttpClient.send`.

In: an `Endpoint` (base URL, headers, credentials, the secrets to mask, timeouts, retry policy, size
limit), a `Deadline` that all requests of a run may share (or a budget per call), `Pacing` (sleep,
clocks, jitter: tests never wait) and optional `StatusRules` for a service's own reading of its
error answers. Out: a `Reply` (status, headers, the body read up to the limit) or JSON parsed with
bounded depth (`get_json`, `post_json`, `post_form`). Every failure is one `HttpFailure` carrying the
status (or None), a masked message and whether the deadline ran out; each client wraps it into its
own GateError.

Rules, each enforced here and nowhere else:

- The deadline bounds the whole exchange. Connecting, TLS and every socket read and write (response
  headers included) get at most the time left, so a server trickling one byte at a time cannot hold
  a run past it; no retry sleeps into a deadline it would miss. (Name resolution is the exception:
  the system resolver cannot be interrupted; it is bounded by its own timeouts.)
- Credentials go only to the endpoint's origin: redirects are never followed (reported with the
  target's scheme://host/path only), an absolute URL on another origin is refused, and a base URL
  carrying userinfo is refused.
- Retried: connection failures, timeouts, 408, 429, 500, 502, 503, 504, with exponential backoff and
  jitter, or the server's Retry-After (seconds or HTTP-date). Never retried: every other answer
  (400, 401, 403, 404, 422, 501, ...) unless a service's StatusRules says so (GitHub's rate-limit
  403s). A request that is not idempotent (POST and PATCH unless the caller says so) is not sent
  again after an ambiguous failure: only when it never left (no connection) or was refused (429).
- Bodies are capped: a success over the limit is an error; an error body keeps its head for an excerpt.
- Every message, and every excerpt of an answer in it, passes through `Secrets.mask`, which knows each
  form a secret comes back in (raw, Basic base64, URL- and JSON-encoded, a credential URL, userinfo,
  any Authorization value) before it leaves this module. No message quotes more than 200 characters
  of an answer, and none is cut before masking.
"""

from __future__ import annotations

import base64
import contextvars
import email.utils
import math
import os
import random
import re
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from functools import cached_property
from types import TracebackType
from typing import Any, Final, Self

import httpcore
import httpx

from gate import __version__, safejson
from gate.errors import UsageError
from gate.secrets import MASK, Secrets, is_sensitive_header

__all__ = [
    "IDEMPOTENT_METHODS",
    "PACING",
    "RETRY_STATUSES",
    "Closing",
    "Deadline",
    "Endpoint",
    "HttpClient",
    "HttpFailure",
    "Pacing",
    "Reply",
    "RetryPolicy",
    "StatusRules",
    "Verdict",
    "check_header",
    "location",
    "parse_retry_after",
    "redact_url",
]

RETRY_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_ERROR_BODY_BYTES: Final = 64 * 1024  # enough to explain a failure; never the whole payload
_PARTIAL_WORD: Final = 8 * 1024  # the longest credential an error body's cut may split (a JWT fits)
_WRITE_CHUNK: Final = 64 * 1024  # each piece of a request body gets its own share of the deadline
_TOKEN_RE: Final = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 field-name
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


# -- time --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pacing:
    """How the layer waits and tells time; tests pass stand-ins so no retry ever sleeps for real.

    `monotonic` measures deadlines, `now` (unix seconds) reads Retry-After dates and rate-limit
    resets, `jitter(low, high)` spreads backoffs.
    """

    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    now: Callable[[], float] = time.time
    jitter: Callable[[float, float], float] = random.uniform


# The process-wide default for clients built without one (the CLI's). Tests replace it.
PACING = Pacing()


class Deadline:
    """A time budget that starts when made; share one object across every request of a run."""

    __slots__ = ("_clock", "_ends", "seconds")

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if not (seconds > 0 and math.isfinite(seconds)):
            raise UsageError("a deadline must be a positive number of seconds")
        self.seconds = seconds
        self._clock = clock
        self._ends = clock() + seconds

    def left(self) -> float:
        return self._ends - self._clock()

    def within(self, seconds: float) -> Deadline:
        """This deadline, or a fresh one of `seconds` (same clock) if that one ends sooner."""
        fresh = Deadline(seconds, clock=self._clock)
        return fresh if fresh._ends < self._ends else self

    def __repr__(self) -> str:
        return f"Deadline(seconds={self.seconds:g}, left={self.left():.3f})"


# The deadline of the exchange running on this thread; the network backend reads it per operation.
_ACTIVE: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "slo_gate_http_deadline", default=None
)


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = _ACTIVE.get()
    if deadline is None:
        return timeout
    left = deadline.left()
    if left <= 0:
        raise error("the deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write is bounded by the time left on the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for start in range(0, len(buffer), _WRITE_CHUNK):
            piece = buffer[start : start + _WRITE_CHUNK]
            self._inner.write(piece, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Wraps httpcore's backend so that connecting and every stream it opens obey the deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        # The socket module resolves a str host through the `idna` codec, whose first use imports
        # ~35 ms of Unicode tables even for `127.0.0.1`; an ASCII name is its own IDNA form, so it
        # goes as bytes (which getaddrinfo takes as they are).
        name: Any = host.encode("ascii") if host.isascii() else host
        return _DeadlineStream(self._inner.connect_tcp(name, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _bound_transport(transport: httpx.BaseTransport) -> httpx.BaseTransport:
    """Put the deadline backend under httpx's own transport (direct or through a proxy)."""
    if isinstance(transport, httpx.HTTPTransport):
        pool: Any = getattr(transport, "_pool", None)
        inner = getattr(pool, "_network_backend", None)
        if not isinstance(inner, httpcore.NetworkBackend):
            # Fail loudly: without the backend a trickling server could outlive every deadline.
            raise RuntimeError("httpx/httpcore changed: cannot bound socket operations by the deadline")
        if not isinstance(inner, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(inner)
    return transport


_SHOWN_URLS_KEPT: Final = 64  # distinct URLs a client remembers how to show (pagination links vary)
_PROXY_VARIABLES: Final = frozenset({"http_proxy", "https_proxy", "all_proxy"})
_shared_tls: ssl.SSLContext | None = None


def _tls_context(scheme: str, environ: Mapping[str, str]) -> ssl.SSLContext:
    """The TLS context a client's connections use.

    A plain-http origin with no proxy in the environment never negotiates TLS (redirects are not
    followed and other origins are refused), so it gets an empty context: it costs nothing, and since
    it trusts no CA, any handshake through it fails rather than goes unverified. Every other client
    shares one context built the way httpx builds its default (certifi, or SSL_CERT_FILE/SSL_CERT_DIR):
    loading a CA bundle takes ~50 ms, once per process instead of once per client (watch rounds).
    """
    global _shared_tls
    if scheme == "http" and not any(k.lower() in _PROXY_VARIABLES and v for k, v in environ.items()):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if _shared_tls is None:
        _shared_tls = httpx.create_ssl_context(trust_env=True)
    return _shared_tls


class _Client(httpx.Client):
    """httpx.Client whose default and proxy transports read and write within the deadline."""

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        return _bound_transport(super()._init_transport(*args, **kwargs))

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        return _bound_transport(super()._init_proxy_transport(*args, **kwargs))


# -- URLs and headers --------------------------------------------------------------------------


def check_header(name: str, value: str) -> None:
    """A header name and value that can be sent as they are; the value is never echoed."""
    if not _TOKEN_RE.fullmatch(name):
        raise UsageError(f"invalid header name {name!r}: use letters, digits and -")
    if not value:
        raise UsageError(f"header {name!r} has an empty value")
    if any((ord(ch) < 0x20 and ch != "\t") or ord(ch) == 0x7F for ch in value):
        raise UsageError(f"header {name!r} value contains control characters (CR/LF are not allowed)")
    if not value.isascii():
        raise UsageError(f"header {name!r} value must be ASCII")


def redact_url(url: str) -> str:
    """The URL without userinfo: `https://user:pass@host` must not end up in a log."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "<invalid URL>"
    if not parsed.userinfo:
        return url
    return str(parsed.copy_with(username=None, password=None))


def location(text: str) -> str:
    """A URL reduced to scheme://host[:port]/path: its query and userinfo may hold secrets."""
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        return "an unparsable location"
    if not url.host:
        return url.path or "a relative location"
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Retry-After as seconds from `now` (unix): delta-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


# -- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to try again.

    Attempt n (from 0) that failed without a server-requested wait is followed by a wait drawn from
    [b/2, b] with b = min(backoff * 2**n, max_backoff). A Retry-After longer than `max_wait` fails
    at once instead of waiting; every wait is also capped by the deadline.
    """

    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = math.inf
    max_wait: float = math.inf
    statuses: frozenset[int] = RETRY_STATUSES

    def __post_init__(self) -> None:
        if self.retries < 0 or self.backoff < 0 or self.max_backoff < 0 or not self.max_wait >= 0:
            raise UsageError("retries, backoff and waits must not be negative")


@dataclass(frozen=True, repr=False)
class Endpoint:
    """One service as the layer sees it. Validated when made; `repr` never shows a secret.

    `url`: http(s)://host[:port][/prefix], no query, fragment or userinfo. `secret_url`: the URL is
    itself a credential (a Slack webhook): shown as scheme://host/*** and masked in every form.
    `show_path`: name requests by their path below the base URL (GitHub) instead of the full URL.
    `secrets`: more values to mask; sensitive header values, the token and basic auth always are.
    """

    url: str
    name: str = "HTTP"
    headers: tuple[tuple[str, str], ...] = ()
    token: str | None = None
    basic_auth: tuple[str, str] | None = None
    secrets: tuple[str, ...] = ()
    secret_url: bool = False
    show_path: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_response_bytes: int = 32 * 1024 * 1024
    max_connections: int | None = None
    redirect_hint: str = ""

    def __post_init__(self) -> None:
        shown = self.display_base
        try:
            parsed = httpx.URL(self.url)
        except httpx.InvalidURL:
            raise UsageError(f"{self.name} URL is not a valid URL") from None
        if parsed.scheme not in _DEFAULT_PORTS or not parsed.host:
            raise UsageError(f"{self.name} URL must be http(s)://host[/prefix], got {shown!r}")
        if parsed.userinfo:
            raise UsageError(f"{self.name} URL must not carry credentials (user:password@)")
        if parsed.query or parsed.fragment:
            raise UsageError(f"{self.name} URL must not carry a query string or fragment")
        if self.token is not None and self.basic_auth is not None:
            raise UsageError(f"use either a bearer token or basic auth for {self.name}, not both")
        if self.token is not None:
            check_header("Authorization", f"Bearer {self.token}")
        for name, value in self.headers:
            check_header(name, value)
        for label, number in (("connect timeout", self.connect_timeout), ("read timeout", self.read_timeout)):
            if not (number > 0 and math.isfinite(number)):
                raise UsageError(f"{self.name} {label} must be a positive number of seconds")
        if self.max_response_bytes <= 0 or (self.max_connections is not None and self.max_connections <= 0):
            raise UsageError(f"{self.name} max response size and connections must be positive")

    @cached_property
    def masker(self) -> Secrets:
        values = [self.token or "", *self.secrets]
        values += [value for name, value in self.headers if is_sensitive_header(name)]
        return Secrets(values, basic=self.basic_auth, urls=[self.url] if self.secret_url else [])

    @property
    def display_base(self) -> str:
        """The base URL as messages show it."""
        if not self.secret_url:
            return redact_url(self.url)
        try:
            parsed = httpx.URL(self.url)
        except httpx.InvalidURL:
            return "<invalid URL>"
        port = f":{parsed.port}" if parsed.port else ""
        return f"{parsed.scheme}://{parsed.host}{port}/{MASK}"

    def auth_headers(self) -> dict[str, str]:
        if self.token is not None:
            return {"Authorization": f"Bearer {self.token}"}
        if self.basic_auth is not None:
            pair = ":".join(self.basic_auth).encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return {}

    def __repr__(self) -> str:
        auth = None if self.basic_auth is None else (self.basic_auth[0], MASK)
        headers = tuple((n, MASK if is_sensitive_header(n) else v) for n, v in self.headers)
        return (
            f"Endpoint(url={self.display_base!r}, name={self.name!r}, "
            f"token={None if self.token is None else MASK!r}, basic_auth={auth!r}, headers={headers!r}, "
            f"connect_timeout={self.connect_timeout!r}, read_timeout={self.read_timeout!r}, "
            f"retry={self.retry!r}, max_response_bytes={self.max_response_bytes!r})"
        )


# -- answers and failures ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One answer: the body is complete for a success, the head of it for an error."""

    status: int
    reason: str
    headers: httpx.Headers
    body: bytes
    subject: str  # "<service> <METHOD> <where>", how messages name the request

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "unknown").split(";")[0].strip() or "unknown"

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class HttpFailure(Exception):
    """A request failed. `message` is masked; `status` is the last HTTP status (None: no answer);
    `answered`: that status is the server's definitive answer (a 404 is an answer, a 503 after every
    retry is not); `deadline`: the time ran out; `detail`: the service's own (masked) explanation."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        answered: bool = False,
        deadline: bool = False,
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.answered = answered
        self.deadline = deadline
        self.detail = detail

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Verdict:
    """What to do about an error answer; build one with `final`, `again` or `give_up`.

    `wait`: seconds the server asked for (None: back off). `refused`: the server turned the request
    away unprocessed, so even a POST may be sent again. `note`: added to the message when not retried.
    `answered`: the status is the server's definitive answer (HttpFailure.answered), as opposed to a
    transient refusal this run cannot wait out.
    """

    retry: bool
    wait: float | None = None
    refused: bool = False
    note: str = ""
    answered: bool = False

    @classmethod
    def final(cls) -> Verdict:
        """The answer stands: another attempt would get the same (400, 401, 404, 422, 501...)."""
        return cls(retry=False, answered=True)

    @classmethod
    def again(cls, wait: float | None = None, *, refused: bool = False) -> Verdict:
        return cls(retry=True, wait=wait, refused=refused)

    @classmethod
    def give_up(cls, note: str) -> Verdict:
        """Worth retrying, but not within this run (the server asks for a longer wait)."""
        return cls(retry=False, note=note)


class StatusRules:
    """A service's reading of its error answers. The default suits most JSON APIs; subclass it."""

    def detail(self, reply: Reply) -> str:
        """The service's explanation: a JSON `message`/`error` field, else the start of the body."""
        try:
            payload = safejson.loads(reply.body)
        except safejson.JSONError:
            return reply.text()
        if isinstance(payload, dict):
            for key in ("message", "error_description", "error", "detail"):
                value = payload.get(key)
                if isinstance(value, str) and value:
                    return value
        return reply.text()

    def verdict(self, method: str, reply: Reply, now: float, policy: RetryPolicy) -> Verdict:
        if reply.status not in policy.statuses:
            return Verdict.final()
        wait = parse_retry_after(reply.headers.get("retry-after"), now)
        if wait is not None and wait > policy.max_wait:
            return Verdict.give_up(
                f"; the server asks to wait {math.ceil(wait)} s (Retry-After), "
                f"longer than the {policy.max_wait:g} s this run may wait"
            )
        return Verdict.again(wait, refused=reply.status == 429)


@dataclass(frozen=True)
class _Failed:
    """An attempt that failed in a way a later attempt may fix."""

    problem: str  # masked, without the subject
    status: int | None = None
    detail: str = ""
    wait: float | None = None
    unsent: bool = False  # the request never reached the server
    refused: bool = False


class _Retryable(Exception):
    def __init__(self, failed: _Failed) -> None:
        super().__init__(failed.problem)
        self.failed = failed


# -- the client --------------------------------------------------------------------------------


class Closing:
    """`with client:` closes it: the one context-manager protocol every client here shares."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class HttpClient(Closing):
    """Thread-safe: one connection pool serves every worker of a fan-out. Close it, or use `with`.

    `deadline` is shared by every request (a run's budget; its clock is already running);
    `call_deadline` gives each call (with its retries) its own budget of that many seconds. At least
    one is required: no exchange is unbounded. With both, whichever ends first wins.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        deadline: Deadline | None = None,
        call_deadline: float | None = None,
        pacing: Pacing | None = None,
        rules: StatusRules | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if deadline is None and call_deadline is None:
            raise ValueError("an HttpClient needs a deadline or a call_deadline")
        if call_deadline is not None and not (call_deadline > 0 and math.isfinite(call_deadline)):
            raise UsageError(f"{endpoint.name} call deadline must be a positive number of seconds")
        self.endpoint = endpoint
        self.deadline = deadline
        self._call_deadline = call_deadline
        self._pacing = pacing or PACING
        self._rules = rules or StatusRules()
        self._base = endpoint.url.rstrip("/")
        self._base_url = httpx.URL(self._base)
        self._shown_urls: dict[str, str] = {}
        self._origin = _origin(self._base_url)
        headers = {"User-Agent": f"slo-gate/{__version__}", "Accept": "application/json"}
        headers.update(endpoint.auth_headers())
        headers.update(dict(endpoint.headers))
        limits = (
            httpx.Limits(
                max_connections=endpoint.max_connections, max_keepalive_connections=endpoint.max_connections
            )
            if endpoint.max_connections is not None
            else httpx.Limits()
        )
        self._http = _Client(
            headers=headers,
            follow_redirects=False,
            transport=transport,
            limits=limits,
            verify=_tls_context(self._origin[0], os.environ),
        )

    def __repr__(self) -> str:
        return f"HttpClient({self.endpoint!r})"

    def close(self) -> None:
        self._http.close()

    # -- what callers use ---------------------------------------------------------------------
    def mask(self, text: str) -> str:
        return self.endpoint.masker.mask(text)

    def excerpt(self, text: str) -> str:
        return self.endpoint.masker.excerpt(text)

    def subject(self, method: str, target: str = "") -> str:
        """How messages name a request: `<service> <METHOD> <url or path>`."""
        return f"{self.endpoint.name} {method} {self._shown(self._resolve(target))}"

    def get_json(
        self,
        target: str = "",
        params: Mapping[str, str | int] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return self.json_of(self.send("GET", target, params=params, headers=headers))

    def post_json(
        self,
        target: str,
        body: Any,
        *,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> Any:
        return self.json_of(self.send("POST", target, json=body, headers=headers, idempotent=idempotent))

    def post_form(
        self,
        target: str,
        form: Mapping[str, str],
        *,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> Any:
        return self.json_of(self.send("POST", target, data=form, headers=headers, idempotent=idempotent))

    def json_of(self, reply: Reply) -> Any:
        """The reply's JSON (None for 204 No Content), parsed with bounded depth."""
        if reply.status == 204:
            return None
        try:
            return safejson.loads(reply.body)
        except safejson.JSONError as exc:
            what = f"HTTP {reply.status} body"
            if exc.syntax:
                shown = self.excerpt(reply.text())
                text = f"{reply.subject}: {what} is not JSON (content-type {reply.content_type}): {shown}"
            else:
                text = f"{reply.subject}: {what} is not usable JSON: {exc}"
            raise HttpFailure(self.mask(text), status=reply.status) from None

    def send(
        self,
        method: str,
        target: str = "",
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Reply:
        """One call with its retries. Any 2xx is returned; anything else raises HttpFailure.

        `target`: a path below the base URL ("" is the base URL itself) or an absolute URL on the
        endpoint's own origin (a pagination link). `idempotent` defaults by method.
        """
        url = self._resolve(target)
        subject = f"{self.endpoint.name} {method} {self._shown(url)}"
        request = _Request(method, url, subject, params, json, data, dict(headers or {}))
        deadline = self._deadline_for_call()
        may_repeat = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        attempts = self.endpoint.retry.retries + 1
        last: _Failed | None = None
        for attempt in range(attempts):
            if deadline.left() <= 0:
                raise self._deadline_failure(subject, deadline, attempt, last)
            try:
                reply = self._exchange(request, deadline)
                if reply.ok:
                    return reply
                last = self._judge(method, reply)
            except _Retryable as failure:
                last = failure.failed
            if deadline.left() <= 0:
                raise self._deadline_failure(subject, deadline, attempt + 1, last)
            if not (may_repeat or last.unsent or last.refused):
                # The first attempt may have landed; another could apply it twice.
                raise self._failure(
                    f"{subject}: {last.problem} (not retried: the request may have been applied)", last
                )
            if attempt + 1 == attempts:
                break
            wait = last.wait if last.wait is not None else self._backoff(attempt)
            # No point sleeping into a deadline we already know we will miss.
            if wait >= deadline.left():
                raise self._deadline_failure(subject, deadline, attempt + 1, last)
            self._pacing.sleep(wait)
        assert last is not None
        raise self._failure(f"{subject}: {last.problem} (gave up after {_attempts(attempts)})", last)

    # -- one attempt --------------------------------------------------------------------------
    def _exchange(self, request: _Request, deadline: Deadline) -> Reply:
        endpoint = self.endpoint
        left = deadline.left()
        timeout = httpx.Timeout(
            connect=min(endpoint.connect_timeout, left),
            read=min(endpoint.read_timeout, left),
            write=min(endpoint.read_timeout, left),
            pool=left,
        )
        token = _ACTIVE.set(deadline)
        try:
            with self._http.stream(
                request.method,
                request.url,
                params=request.params,
                json=request.json,
                data=request.data,
                headers=request.headers,
                timeout=timeout,
            ) as response:
                status = response.status_code
                if 300 <= status < 400:
                    raise self._redirect(request.subject, status, response.headers.get("location", ""))
                body = self._read(response, 200 <= status < 300, request.subject)
                return Reply(status, response.reason_phrase, response.headers, body, request.subject)
        except httpx.TimeoutException as exc:
            unsent = isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            if unsent:
                problem = f"timed out connecting (limit {timeout.connect or 0:g} s)"
            elif isinstance(exc, httpx.WriteTimeout):
                problem = f"timed out sending the request (limit {timeout.write or 0:g} s)"
            else:
                problem = f"timed out waiting for the response (limit {timeout.read or 0:g} s)"
            raise _Retryable(_Failed(problem, unsent=unsent)) from exc
        except httpx.ConnectError as exc:
            raise _Retryable(_Failed(f"cannot connect: {self._reason(exc)}", unsent=True)) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Retryable(_Failed(f"connection failed: {self._reason(exc)}")) from exc
        except httpx.HTTPError as exc:
            raise self._failure(f"{request.subject}: request failed: {self._reason(exc)}", None) from exc
        finally:
            _ACTIVE.reset(token)

    def _judge(self, method: str, reply: Reply) -> _Failed:
        """An error answer: a retryable _Failed, or HttpFailure raised at once."""
        detail = self.excerpt(self._rules.detail(reply))
        problem = f"HTTP {reply.status} {reply.reason}".rstrip() + (f": {detail}" if detail else "")
        verdict = self._rules.verdict(method, reply, self._pacing.now(), self.endpoint.retry)
        if not verdict.retry:
            message = self.mask(f"{reply.subject}: {problem}{verdict.note}")
            raise HttpFailure(message, status=reply.status, answered=verdict.answered, detail=detail)
        return _Failed(problem, reply.status, detail, verdict.wait, refused=verdict.refused)

    def _read(self, response: httpx.Response, ok: bool, subject: str) -> bytes:
        """A success body in full up to the limit (past it: an error); an error body's head only."""
        limit = self.endpoint.max_response_bytes if ok else _ERROR_BODY_BYTES
        declared = response.headers.get("content-length", "")
        if ok and declared.isdigit() and int(declared) > limit:
            raise self._failure(
                f"{subject}: the response exceeds the {limit}-byte limit (Content-Length {declared})", None
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                if ok:
                    raise self._failure(
                        f"{subject}: the response exceeds the {limit}-byte limit (stopped reading)", None
                    )
                chunks.append(chunk[: limit - (size - len(chunk))])
                return _drop_partial_word(b"".join(chunks))
            chunks.append(chunk)
        return b"".join(chunks)

    def _redirect(self, subject: str, status: int, target: str) -> HttpFailure:
        where = self.mask(location(target)) if target else "an unspecified location"
        hint = self.endpoint.redirect_hint
        return HttpFailure(
            self.mask(f"{subject}: HTTP {status} redirect to {where}; redirects are not followed{hint}"),
            status=status,
        )

    # -- building blocks ----------------------------------------------------------------------
    def _deadline_for_call(self) -> Deadline:
        if self._call_deadline is None:
            assert self.deadline is not None
            return self.deadline
        if self.deadline is None:
            return Deadline(self._call_deadline, clock=self._pacing.monotonic)
        return self.deadline.within(self._call_deadline)

    def _backoff(self, attempt: int) -> float:
        policy = self.endpoint.retry
        base = min(policy.backoff * 2.0**attempt, policy.max_backoff)
        return base / 2 + self._pacing.jitter(0, base / 2)  # retries of many clients do not arrive in step

    def _resolve(self, target: str) -> str:
        if not target.startswith(("http://", "https://")):
            return self.endpoint.url if not target else self._base + target
        try:
            url = httpx.URL(target)
        except httpx.InvalidURL:
            raise HttpFailure(f"{self.endpoint.name}: refusing an unparsable URL") from None
        if _origin(url) != self._origin or url.userinfo:
            raise HttpFailure(
                self.mask(
                    f"{self.endpoint.name}: refusing to send credentials to {location(target)}, "
                    f"which is not on {self._origin[0]}://{self._origin[1]}"
                )
            )
        return target

    def _shown(self, url: str) -> str:
        """A request URL as messages show it: never its query, userinfo or a credential URL.

        Every call names its URL in advance (in case it fails), and a client sends the same few
        URLs over and over: each is worked out once (parsing a URL costs more than a small answer)."""
        shown = self._shown_urls.get(url)
        if shown is None:
            shown = self._work_out_shown(url)
            if len(self._shown_urls) < _SHOWN_URLS_KEPT:
                self._shown_urls[url] = shown
        return shown

    def _work_out_shown(self, url: str) -> str:
        if self.endpoint.secret_url:
            return self.endpoint.display_base
        parsed = httpx.URL(url)
        if self.endpoint.show_path:
            prefix = self._base_url.path.rstrip("/")
            path = parsed.path
            return path[len(prefix) :] if prefix and path.startswith(prefix + "/") else path
        return self.mask(location(url))

    def _deadline_failure(
        self, subject: str, deadline: Deadline, attempts: int, last: _Failed | None
    ) -> HttpFailure:
        after = (
            f"after {_attempts(attempts)}; last error: {last.problem}"
            if last is not None
            else "before the first attempt"
        )
        return self._failure(
            f"{subject}: deadline of {deadline.seconds:g} s exceeded {after}", last, deadline=True
        )

    def _failure(self, text: str, last: _Failed | None, *, deadline: bool = False) -> HttpFailure:
        status, detail = (last.status, last.detail) if last is not None else (None, "")
        return HttpFailure(self.mask(text), status=status, deadline=deadline, detail=detail)

    def _reason(self, exc: Exception) -> str:
        text = str(exc)
        if isinstance(exc, httpx.ConnectError) and "refused" in text.lower():
            return "connection refused"
        return self.excerpt(text) or type(exc).__name__


@dataclass(frozen=True)
class _Request:
    method: str
    url: str
    subject: str
    params: Mapping[str, str | int] | None
    json: Any
    data: Mapping[str, str] | None
    headers: dict[str, str]


def _drop_partial_word(head: bytes) -> bytes:
    """The head of a body cut at a size limit, without the word the cut went through.

    A secret split by the cut no longer matches its mask; it ends the head, so it goes with the
    last word (or with the last 8 KiB when no separator is that close).
    """
    cut = max(head.rfind(sep) for sep in (b" ", b"\n", b"\t", b'"', b"'", b",", b";", b"<", b">"))
    return head[:cut] if cut >= len(head) - _PARTIAL_WORD else head[: max(0, len(head) - _PARTIAL_WORD)]


def _attempts(count: int) -> str:
    return f"{count} attempt{'s' if count != 1 else ''}"
