"""Prometheus HTTP API client: instant and range queries with auth, tenant, limits and typed samples.

Speaks the plain `/api/v1` API, so Thanos, Mimir, Cortex and VictoriaMetrics work through the same
code. Anything that makes a result untrustworthy (HTTP failure, partial data, NaN) raises DataError:
the SLO becomes inconclusive instead of silently healthy.
"""

from __future__ import annotations

import email.utils
import json
import math
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Final

import httpx

from gate import __version__
from gate.errors import DataError, UsageError
from gate.models import Frozen, Sample

__all__ = ["PrometheusClient", "PrometheusSettings", "RangeSeries", "parse_header"]

_TOKEN_RE: Final = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 field-name
_SENSITIVE_EXACT: Final = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_SENSITIVE_PARTS: Final = ("token", "key", "secret", "password", "passwd", "auth", "session")
_MASK: Final = "***"
_EXCERPT_CHARS: Final = 200
_ERROR_BODY_BYTES: Final = 64 * 1024  # enough to explain a failure; never the whole payload
_MAX_SERIES_NAMED: Final = 5


def is_sensitive_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SENSITIVE_EXACT or any(part in lowered for part in _SENSITIVE_PARTS)


def _check_header_value(name: str, value: str) -> None:
    # Never echo the value: it may be a credential.
    if not value:
        raise UsageError(f"header {name!r} has an empty value")
    if any((ord(ch) < 0x20 and ch != "\t") or ord(ch) == 0x7F for ch in value):
        raise UsageError(f"header {name!r} value contains control characters (CR/LF are not allowed)")
    if not value.isascii():
        raise UsageError(f"header {name!r} value must be ASCII")


def parse_header(text: str) -> tuple[str, str]:
    """Parse `Name: value` (as given to --prometheus-header) into (name, value)."""
    if "\r" in text or "\n" in text or "\0" in text:
        raise UsageError("header must be a single line 'Name: value' (CR, LF and NUL are not allowed)")
    name, sep, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not name:
        raise UsageError("header must look like 'Name: value'")
    if not _TOKEN_RE.fullmatch(name):
        raise UsageError(f"invalid header name {name!r}: use letters, digits and -")
    _check_header_value(name, value)
    return name, value


def redact_url(url: str) -> str:
    """The URL without userinfo: `https://user:pass@host` must not end up in a log."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "<invalid URL>"
    if not parsed.userinfo:
        return url
    return str(parsed.copy_with(username=None, password=None))


@dataclass(frozen=True, repr=False)
class PrometheusSettings:
    url: str  # may carry a path prefix, e.g. https://mimir.example/prometheus
    token: str | None = None
    basic_auth: tuple[str, str] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    deadline: float = 120.0  # one budget for every request of a client's life
    retries: int = 3  # extra attempts on connection errors, 429 and 5xx
    backoff: float = 0.5
    max_response_bytes: int = 32 * 1024 * 1024
    concurrency: int = 8  # for callers that fan out; also sizes the connection pool

    def __post_init__(self) -> None:
        try:
            parsed = httpx.URL(self.url)
        except httpx.InvalidURL as exc:
            raise UsageError(f"invalid Prometheus URL: {exc}") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise UsageError(f"Prometheus URL must be http(s)://host[/prefix], got {redact_url(self.url)!r}")
        if parsed.query or parsed.fragment:
            raise UsageError("Prometheus URL must not carry a query string or fragment")
        if self.token is not None and self.basic_auth is not None:
            raise UsageError("use either a bearer token or basic auth for Prometheus, not both")
        for name, value in self.headers:
            if not _TOKEN_RE.fullmatch(name):
                raise UsageError(f"invalid header name {name!r}")
            _check_header_value(name, value)
        for label, number in (
            ("connect timeout", self.connect_timeout),
            ("read timeout", self.read_timeout),
            ("deadline", self.deadline),
        ):
            if not (number > 0 and math.isfinite(number)):
                raise UsageError(f"Prometheus {label} must be a positive number of seconds")
        if self.retries < 0 or self.backoff < 0:
            raise UsageError("Prometheus retries and backoff must not be negative")
        if self.max_response_bytes <= 0 or self.concurrency <= 0:
            raise UsageError("Prometheus max response size and concurrency must be positive")

    def secrets(self) -> list[str]:
        """Every configured value that must never be shown."""
        found = [self.token] if self.token else []
        if self.basic_auth and self.basic_auth[1]:
            found.append(self.basic_auth[1])
        found.extend(value for name, value in self.headers if is_sensitive_header(name))
        password = httpx.URL(self.url).password
        if password:
            found.append(password)
        return found

    def __repr__(self) -> str:
        auth = None if self.basic_auth is None else (self.basic_auth[0], _MASK)
        headers = tuple((n, _MASK if is_sensitive_header(n) else v) for n, v in self.headers)
        return (
            f"PrometheusSettings(url={redact_url(self.url)!r}, "
            f"token={None if self.token is None else _MASK!r}, basic_auth={auth!r}, headers={headers!r}, "
            f"connect_timeout={self.connect_timeout!r}, read_timeout={self.read_timeout!r}, "
            f"deadline={self.deadline!r}, retries={self.retries!r}, backoff={self.backoff!r}, "
            f"max_response_bytes={self.max_response_bytes!r}, concurrency={self.concurrency!r})"
        )


class RangeSeries(Frozen):
    """One series of a range-query result: (unix seconds, value) pairs in time order."""

    labels: dict[str, str]
    values: list[tuple[float, float]]


class _Retryable(Exception):
    """An attempt failed in a way another attempt may fix (connection, timeout, 429, 5xx)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _fmt_seconds(value: float) -> str:
    return f"{value:g}"


def _fmt_number(value: float) -> str:
    # Millisecond precision is what Prometheus keeps; no exponent notation in form fields.
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _excerpt(raw: bytes) -> str:
    text = " ".join(raw.decode("utf-8", errors="replace").split())
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "…"


def _series_name(labels: Mapping[str, str]) -> str:
    name = labels.get("__name__", "")
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{rest}}}"


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class PrometheusClient:
    """Thread-safe: one shared httpx.Client serves every worker of a fan-out.

    The settings' deadline is one budget for the client's whole life (its clock starts here), so a
    run with many queries cannot take longer than configured however the retries fall.
    `clock` and `sleep` exist so tests can drive retries and the deadline without waiting.
    """

    def __init__(
        self,
        settings: PrometheusSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._sleep = sleep
        self._started = clock()
        self._base = settings.url.rstrip("/")
        self._shown_base = redact_url(self._base)
        self._secrets = sorted(settings.secrets(), key=len, reverse=True)
        headers = {"User-Agent": f"slo-gate/{__version__}", "Accept": "application/json"}
        if settings.token:
            headers["Authorization"] = f"Bearer {settings.token}"
        headers.update(dict(settings.headers))
        self._http = httpx.Client(
            headers=headers,
            auth=settings.basic_auth,
            follow_redirects=False,
            transport=transport,
            limits=httpx.Limits(
                max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
            ),
        )

    @property
    def concurrency(self) -> int:
        return self.settings.concurrency

    def __repr__(self) -> str:
        return f"PrometheusClient({self.settings!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PrometheusClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- queries -------------------------------------------------------------------------------
    def instant(self, expr: str, at: float, *, tenant: str | None = None) -> list[Sample]:
        """Evaluate `expr` at unix time `at`; a scalar result becomes one Sample with no labels."""
        form = {"query": expr, "time": _fmt_number(at), "partial_response": "false"}
        data = self._query("/api/v1/query", form, expr, tenant)
        kind, result = data.get("resultType"), data.get("result")
        samples = []
        if kind == "scalar":
            samples.append(Sample(labels={}, value=self._point(result, {}, expr)[1]))
        elif kind == "vector":
            for item in self._series_list(result, expr):
                labels = self._labels(item, expr)
                if "value" not in item:
                    raise self._error(
                        f"series {_series_name(labels)} has no float value (native histogram?)", expr
                    )
                samples.append(Sample(labels=labels, value=self._point(item["value"], labels, expr)[1]))
        else:
            raise self._error(f"unexpected resultType {kind!r} (expected vector or scalar)", expr)
        self._reject_non_finite(((s.labels, (s.value,)) for s in samples), expr)
        return samples

    def range(
        self, expr: str, start: float, end: float, step: float, *, tenant: str | None = None
    ) -> list[RangeSeries]:
        """Evaluate `expr` from `start` to `end` (unix seconds) every `step` seconds."""
        if not (step > 0 and end >= start):
            raise ValueError("range query needs step > 0 and end >= start")
        form = {
            "query": expr,
            "start": _fmt_number(start),
            "end": _fmt_number(end),
            "step": _fmt_number(step),
            "partial_response": "false",
        }
        data = self._query("/api/v1/query_range", form, expr, tenant)
        if data.get("resultType") != "matrix":
            raise self._error(f"unexpected resultType {data.get('resultType')!r} (expected matrix)", expr)
        series = []
        for item in self._series_list(data.get("result"), expr):
            labels = self._labels(item, expr)
            points = item.get("values")
            if not isinstance(points, list):
                raise self._error(
                    f"series {_series_name(labels)} has no float values (native histogram?)", expr
                )
            values = [self._point(p, labels, expr) for p in points]
            series.append(RangeSeries(labels=labels, values=values))
        self._reject_non_finite(((s.labels, [v for _, v in s.values]) for s in series), expr)
        return series

    # -- result parsing ------------------------------------------------------------------------
    def _series_list(self, result: object, expr: str) -> list[dict[str, object]]:
        if not isinstance(result, list) or not all(isinstance(i, dict) for i in result):
            raise self._error("malformed result: expected a list of series", expr)
        return result

    def _labels(self, item: Mapping[str, object], expr: str) -> dict[str, str]:
        metric = item.get("metric", {})
        if not isinstance(metric, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metric.items()
        ):
            raise self._error("malformed result: series labels are not a string map", expr)
        return dict(metric)

    def _point(self, raw: object, labels: Mapping[str, str], expr: str) -> tuple[float, float]:
        # The API sends [<unix seconds>, "<value>"]; the value is a string so NaN/Inf survive JSON.
        if (
            isinstance(raw, list)
            and len(raw) == 2
            and isinstance(raw[0], int | float)
            and not isinstance(raw[0], bool)
            and isinstance(raw[1], str)
        ):
            try:
                return float(raw[0]), float(raw[1])
            except ValueError:
                pass
        raise self._error(
            f"malformed sample {_excerpt(json.dumps(raw).encode())} for {_series_name(labels)}", expr
        )

    def _reject_non_finite(
        self, series: Iterable[tuple[Mapping[str, str], Iterable[float]]], expr: str
    ) -> None:
        bad = []
        for labels, values in series:
            odd = sorted({_fmt_value(v) for v in values if not math.isfinite(v)})
            if odd:
                bad.append(f"{_series_name(labels)} = {'/'.join(odd)}")
        if bad:
            named = "; ".join(bad[:_MAX_SERIES_NAMED])
            more = f" (and {len(bad) - _MAX_SERIES_NAMED} more)" if len(bad) > _MAX_SERIES_NAMED else ""
            raise self._error(f"non-finite values (NaN/Inf) in {len(bad)} series: {named}{more}", expr)

    # -- transport -----------------------------------------------------------------------------
    def _redact(self, message: str) -> str:
        # Defence in depth: a proxy may echo request headers into an error body.
        for secret in self._secrets:
            message = message.replace(secret, _MASK)
        return message

    def _error(self, message: str, expr: str) -> DataError:
        return DataError(self._redact(message), query=expr)

    def _time_left(self) -> float:
        return self.settings.deadline - (self._clock() - self._started)

    def _deadline_error(self, expr: str, detail: str) -> DataError:
        return self._error(f"deadline of {_fmt_seconds(self.settings.deadline)} s exceeded {detail}", expr)

    def _query(self, path: str, form: dict[str, str], expr: str, tenant: str | None) -> dict[str, object]:
        url = self._base + path
        headers = {}
        if tenant is not None:
            if not tenant or not tenant.isascii() or not tenant.isprintable() or " " in tenant:
                raise UsageError(f"invalid Prometheus tenant {tenant!r} (sent as X-Scope-OrgID)")
            headers["X-Scope-OrgID"] = tenant
        attempts = self.settings.retries + 1
        last: str | None = None
        for attempt in range(attempts):
            left = self._time_left()
            if left <= 0:
                raise self._deadline_error(expr, _after(attempt, last))
            try:
                return self._attempt(url, form, headers, left, expr)
            except _Retryable as failure:
                last = failure.message
                if attempt + 1 == attempts:
                    break
                base = self.settings.backoff * 2**attempt
                wait = (
                    failure.retry_after
                    if failure.retry_after is not None
                    else base / 2 + random.uniform(0, base / 2)
                )
                # No point sleeping into a deadline we already know we will miss.
                if wait >= self._time_left():
                    raise self._deadline_error(expr, _after(attempt + 1, last)) from None
                self._sleep(wait)
        raise self._error(f"{last} (gave up after {_attempts(attempts)})", expr)

    def _attempt(
        self, url: str, form: dict[str, str], headers: dict[str, str], left: float, expr: str
    ) -> dict[str, object]:
        s = self.settings
        shown = self._shown_base + url[len(self._base) :]
        timeout = httpx.Timeout(
            connect=min(s.connect_timeout, left),
            read=min(s.read_timeout, left),
            write=min(s.read_timeout, left),
            pool=left,
        )
        try:
            with self._http.stream("POST", url, data=form, headers=headers, timeout=timeout) as response:
                status = response.status_code
                if 300 <= status < 400:
                    where = response.headers.get("location", "").split("?")[0] or "an unspecified location"
                    raise self._error(
                        f"{shown} redirects (HTTP {status} to {where}); redirects are not followed: "
                        "point the Prometheus URL at the final address",
                        expr,
                    )
                ok = 200 <= status < 300
                body = self._read(
                    response, s.max_response_bytes if ok else _ERROR_BODY_BYTES, ok, shown, expr
                )
                content_type = response.headers.get("content-type", "unknown").split(";")[0].strip()
        except httpx.TimeoutException as exc:
            phase = (
                "connecting to"
                if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
                else "waiting for"
            )
            limit = timeout.connect if phase == "connecting to" else timeout.read
            raise _Retryable(f"timeout {phase} {shown} (limit {_fmt_seconds(limit or 0)} s)") from exc
        except httpx.ConnectError as exc:
            reason = "connection refused" if "refused" in str(exc).lower() else str(exc) or type(exc).__name__
            raise _Retryable(f"cannot connect to {shown}: {reason}") from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Retryable(f"connection to {shown} failed: {str(exc) or type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise self._error(f"request to {shown} failed: {str(exc) or type(exc).__name__}", expr) from exc

        payload = _decode(body)
        if not ok:
            detail = _api_error(payload) or _excerpt(body) or "(empty body)"
            message = f"HTTP {status} {response.reason_phrase} from {shown}: {detail}".replace("  ", " ")
            if status == 429 or status >= 500:
                retry_after = (
                    _retry_after(response.headers.get("retry-after")) if status in (429, 503) else None
                )
                raise _Retryable(self._redact(message), retry_after)
            raise self._error(message, expr)
        if not isinstance(payload, dict):
            what = "not JSON" if payload is None else "JSON but not an object"
            raise self._error(
                f"response from {shown} is {what} (content-type {content_type}): {_excerpt(body)}", expr
            )
        if payload.get("status") != "success":
            detail = _api_error(payload) or f"status {payload.get('status')!r}"
            raise self._error(f"Prometheus error from {shown}: {detail}", expr)
        warnings = payload.get("warnings")
        if warnings:
            listed = "; ".join(str(w) for w in warnings) if isinstance(warnings, list) else str(warnings)
            raise self._error(f"Prometheus returned warnings (partial or unreliable data): {listed}", expr)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise self._error(f"response from {shown} has no data object", expr)
        return data

    def _read(self, response: httpx.Response, limit: int, strict: bool, shown: str, expr: str) -> bytes:
        """Read at most `limit` bytes; past it, fail (strict) or keep the head for an excerpt."""
        declared = response.headers.get("content-length", "")
        if strict and declared.isdigit() and int(declared) > limit:
            raise self._error(_too_big(shown, limit, f"Content-Length {declared}"), expr)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                if strict:
                    raise self._error(_too_big(shown, limit, "stopped reading"), expr)
                chunks.append(chunk[: limit - (size - len(chunk))])
                break
            chunks.append(chunk)
            # The read timeout is per chunk; a trickling body must not outlive the deadline.
            if self._time_left() <= 0:
                raise self._deadline_error(expr, f"while reading the response from {shown}")
        return b"".join(chunks)


def _too_big(shown: str, limit: int, detail: str) -> str:
    return f"response from {shown} exceeds the limit of {limit} bytes (max_response_bytes; {detail})"


def _attempts(count: int) -> str:
    return f"{count} attempt{'s' if count != 1 else ''}"


def _after(attempts: int, last: str | None) -> str:
    return f"after {_attempts(attempts)}; last error: {last}" if last else "before the first attempt"


def _fmt_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


def _decode(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _api_error(payload: object) -> str | None:
    """`errorType: error` from a Prometheus error envelope, if that is what the body is."""
    if isinstance(payload, dict) and payload.get("status") == "error":
        kind, text = payload.get("errorType"), payload.get("error")
        return f"{kind}: {text}" if kind else str(text)
    return None
