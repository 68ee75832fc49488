"""Prometheus HTTP API client: instant and range queries with auth, tenant, limits and typed samples.

Speaks the plain `/api/v1` API, so Thanos, Mimir, Cortex and VictoriaMetrics work through the same
code. Every request goes through gate.http (deadline over the whole exchange, retries, size limits,
secret masking); this module adds what is Prometheus's own: the form fields, the tenant header, the
`status`/`warnings`/`data` envelope and the shape of results. Anything that makes a result
untrustworthy (HTTP failure, partial data: VictoriaMetrics' `isPartial` or Thanos' and Prometheus'
`warnings`, malformed or non-finite samples) raises
DataError: the SLO becomes inconclusive instead of silently healthy. Every message is masked.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import httpx

from gate import http, safejson
from gate.errors import DataError, UsageError
from gate.http import Deadline, Endpoint, HttpClient, HttpFailure, Pacing, Reply, RetryPolicy, StatusRules
from gate.http import redact_url as redact_url
from gate.metrics import check_series, series_name, text_map
from gate.models import Frozen, Sample
from gate.secrets import MASK, is_sensitive_header

__all__ = ["PrometheusClient", "PrometheusSettings", "RangeSeries", "parse_header", "redact_url"]

_REDIRECT_HINT: Final = ": point the Prometheus URL at the final address"


def parse_header(text: str) -> tuple[str, str]:
    """Parse `Name: value` (as given to --prometheus-header) into (name, value)."""
    if "\r" in text or "\n" in text or "\0" in text:
        raise UsageError("header must be a single line 'Name: value' (CR, LF and NUL are not allowed)")
    name, sep, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not name:
        raise UsageError("header must look like 'Name: value'")
    http.check_header(name, value)
    return name, value


@dataclass(frozen=True, repr=False)
class PrometheusSettings:
    url: str  # may carry a path prefix, e.g. https://mimir.example/prometheus
    token: str | None = None
    basic_auth: tuple[str, str] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    deadline: float = 120.0  # one budget for every request of a client's life
    retries: int = 3  # extra attempts on connection errors, timeouts, 408, 429, 500, 502-504
    backoff: float = 0.5
    max_response_bytes: int = 32 * 1024 * 1024
    concurrency: int = 8  # for callers that fan out; also sizes the connection pool

    def __post_init__(self) -> None:
        if not (self.deadline > 0 and math.isfinite(self.deadline)):
            raise UsageError("Prometheus deadline must be a positive number of seconds")
        if self.concurrency <= 0:
            raise UsageError("Prometheus max response size and concurrency must be positive")
        self.endpoint()  # validates everything else, in gate.http's words

    def endpoint(self) -> Endpoint:
        """The HTTP endpoint: userinfo in the URL becomes basic auth (as a browser would send it)."""
        try:
            parsed = httpx.URL(self.url)
        except httpx.InvalidURL:
            raise UsageError("Prometheus URL is not a valid URL") from None
        url, basic = self.url, self.basic_auth
        if parsed.userinfo:
            url = redact_url(self.url)
            if basic is None and self.token is None:
                basic = (parsed.username, parsed.password)
        return Endpoint(
            url=url,
            name="Prometheus",
            headers=self.headers,
            token=self.token,
            basic_auth=basic,
            secrets=tuple(self.secrets()),
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retry=RetryPolicy(retries=self.retries, backoff=self.backoff),
            max_response_bytes=self.max_response_bytes,
            max_connections=self.concurrency,
            redirect_hint=_REDIRECT_HINT,
        )

    def secrets(self) -> list[str]:
        """Every configured value that must never be shown."""
        found = [self.token] if self.token else []
        if self.basic_auth and self.basic_auth[1]:
            found.append(self.basic_auth[1])
        found.extend(value for name, value in self.headers if is_sensitive_header(name))
        try:
            password = httpx.URL(self.url).password
        except httpx.InvalidURL:
            password = ""
        if password:
            found.append(password)
        return found

    def __repr__(self) -> str:
        auth = None if self.basic_auth is None else (self.basic_auth[0], MASK)
        headers = tuple((n, MASK if is_sensitive_header(n) else v) for n, v in self.headers)
        return (
            f"PrometheusSettings(url={redact_url(self.url)!r}, "
            f"token={None if self.token is None else MASK!r}, basic_auth={auth!r}, headers={headers!r}, "
            f"connect_timeout={self.connect_timeout!r}, read_timeout={self.read_timeout!r}, "
            f"deadline={self.deadline!r}, retries={self.retries!r}, backoff={self.backoff!r}, "
            f"max_response_bytes={self.max_response_bytes!r}, concurrency={self.concurrency!r})"
        )


class RangeSeries(Frozen):
    """One series of a range-query result: (unix seconds, value) pairs in time order."""

    labels: dict[str, str]
    values: list[tuple[float, float]]


def _fmt_number(value: float) -> str:
    # Millisecond precision is what Prometheus keeps; no exponent notation in form fields.
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _api_error(payload: object) -> str | None:
    """`errorType: error` from a Prometheus error envelope, if that is what the body is."""
    if isinstance(payload, dict) and payload.get("status") == "error":
        kind, text = payload.get("errorType"), payload.get("error")
        return f"{kind}: {text}" if kind else str(text)
    return None


class _PrometheusRules(StatusRules):
    """Prometheus explains a failure in its own envelope: `errorType: error`."""

    def detail(self, reply: Reply) -> str:
        try:
            payload = safejson.loads(reply.body)
        except safejson.JSONError:
            return reply.text()
        return _api_error(payload) or reply.text()


class PrometheusClient(http.Closing):
    """Thread-safe: one shared connection pool serves every worker of a fan-out.

    The settings' deadline is one budget for the client's whole life (its clock starts here) unless
    a shared `deadline` is given, so a run with many queries cannot take longer than configured
    however the retries fall. `clock` (monotonic) and `sleep` override `pacing` (default:
    gate.http.PACING) so tests can drive retries and the deadline without waiting.
    """

    def __init__(
        self,
        settings: PrometheusSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        pacing: Pacing | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        self.settings = settings
        pace = pacing or http.PACING
        if clock is not None:
            pace = dataclasses.replace(pace, monotonic=clock)
        if sleep is not None:
            pace = dataclasses.replace(pace, sleep=sleep)
        if deadline is None:
            deadline = Deadline(settings.deadline, clock=pace.monotonic)
        self._http = HttpClient(
            settings.endpoint(), deadline=deadline, pacing=pace, rules=_PrometheusRules(), transport=transport
        )

    @property
    def concurrency(self) -> int:
        return self.settings.concurrency

    def __repr__(self) -> str:
        return f"PrometheusClient({self.settings!r})"

    def close(self) -> None:
        self._http.close()

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
                        f"series {series_name(labels)} has no float value (native histogram?)", expr
                    )
                samples.append(Sample(labels=labels, value=self._point(item["value"], labels, expr)[1]))
        else:
            raise self._error(
                f"unexpected resultType {_capped(repr(kind))} (expected vector or scalar)", expr
            )
        self._check(((s.labels, (s.value,)) for s in samples), expr)
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
            raise self._error(
                f"unexpected resultType {_capped(repr(data.get('resultType')))} (expected matrix)", expr
            )
        series = []
        for item in self._series_list(data.get("result"), expr):
            labels = self._labels(item, expr)
            points = item.get("values")
            if not isinstance(points, list):
                raise self._error(
                    f"series {series_name(labels)} has no float values (native histogram?)", expr
                )
            values = [self._point(p, labels, expr) for p in points]
            series.append(RangeSeries(labels=labels, values=values))
        self._check(((s.labels, [v for _, v in s.values]) for s in series), expr)
        return series

    # -- result parsing ------------------------------------------------------------------------
    def _series_list(self, result: object, expr: str) -> list[dict[str, object]]:
        if not isinstance(result, list) or not all(isinstance(i, dict) for i in result):
            raise self._error("malformed result: expected a list of series", expr)
        return result

    def _labels(self, item: Mapping[str, object], expr: str) -> dict[str, str]:
        metric = item.get("metric", {})
        if not isinstance(metric, dict) or not text_map(metric):
            raise self._error("malformed result: series labels are not a string map", expr)
        return metric  # parsed from this answer: nobody else holds it

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
        raise self._error(f"malformed sample {_capped(json.dumps(raw))} for {series_name(labels)}", expr)

    def _check(self, series: Iterable[tuple[Mapping[str, str], Iterable[float]]], expr: str) -> None:
        """The validation every answer gets, live or replayed (gate.metrics.check_series)."""
        try:
            check_series(series, query=expr)
        except DataError as exc:
            raise self._error(exc.message, expr) from None

    # -- transport -----------------------------------------------------------------------------
    def _error(self, message: str, expr: str) -> DataError:
        return DataError(self._http.mask(message), query=expr)

    def _query(self, path: str, form: dict[str, str], expr: str, tenant: str | None) -> dict[str, object]:
        headers = {}
        if tenant is not None:
            if not tenant or not tenant.isascii() or not tenant.isprintable() or " " in tenant:
                raise UsageError(f"invalid Prometheus tenant {tenant!r} (sent as X-Scope-OrgID)")
            headers["X-Scope-OrgID"] = tenant
        try:
            # A query changes nothing, so it may be sent again after any failure.
            payload = self._http.post_form(path, form, headers=headers, idempotent=True)
        except HttpFailure as exc:
            raise DataError(exc.message, query=expr) from None
        subject = self._http.subject("POST", path)
        if not isinstance(payload, dict):
            raise self._error(f"{subject}: the answer is JSON but not an object", expr)
        if payload.get("status") != "success":
            detail = _api_error(payload) or f"status {_capped(repr(payload.get('status')))}"
            raise self._error(f"{subject}: Prometheus error: {self._http.excerpt(detail)}", expr)
        partial = payload.get("isPartial")
        if partial is True or (partial is not None and not isinstance(partial, bool)):
            # VictoriaMetrics cluster: some vmstorage nodes did not answer, so sums and counts are short.
            raise self._error(
                "the answer is partial (isPartial: some storage nodes did not answer; the figures would "
                "count only part of the data)",
                expr,
            )
        warnings = payload.get("warnings")
        if warnings:
            listed = "; ".join(str(w) for w in warnings) if isinstance(warnings, list) else str(warnings)
            raise self._error(
                f"Prometheus returned warnings (partial or unreliable data): {self._http.excerpt(listed)}",
                expr,
            )
        data = payload.get("data")
        if not isinstance(data, dict):
            raise self._error(f"{subject}: the answer has no data object", expr)
        return data


def _capped(text: str) -> str:
    """A value from an answer as a message quotes it: at most 200 characters."""
    return text if len(text) <= 200 else text[:200] + "…"
