"""The watch's own dataset: an incident with a known onset, concentrated errors and a deploy before it.

Two services, 8 days of data ending END (2026-11-03T20:00:00Z), samples every 300 s and every 60 s for
the last 2 days; a sample sits on every 5-minute mark, and every time named here is one, so instant
queries at them are exact (no extrapolation).

- `orders` (`http_requests_total{job="orders", route, tenant, code}`): 3 routes x 3 tenants at 5 req/s
  each, errors at 0.1x of a 99.9 % budget. From BURN_START (12:00) to BURN_END (13:30) errors burst,
  concentrated on route `/api/orders` and tenant `acme`; a fourth, hostile route value (HOSTILE_ROUTE:
  a Slack broadcast, Markdown, a link, a newline, a workflow command and 10 kB of padding) exists from
  30 min before the burst, with errors only. A deploy passed the gate 40 min before the burst
  (DEPLOY_AT; the tests record it in a real audit branch).
- `payments` (`http_requests_total{job="payments", code}`): 10 req/s; a slow burn at 1.2x from END - 2 d
  (a ticket on a 7-day SLO), and a 40x spike from SPIKE_START for an hour (a page): ticket, then
  escalation.

Counters start at 0 and accumulate rate x dt, so the exact increase over any window is known
(`bad_between`, `total_between`) and tests check Prometheus' answers against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .dataset import Dataset, SeriesSamples

MINUTE = 60
HOUR = 3600
DAY = 86400

END = int(datetime(2026, 11, 3, 20, 0, tzinfo=UTC).timestamp())  # 1793736000
START = END - 8 * DAY
FINE_START = END - 2 * DAY
BURN_START = END - 8 * HOUR  # 12:00
BURN_END = BURN_START + 90 * MINUTE  # 13:30
DEPLOY_AT = BURN_START - 40 * MINUTE  # 11:20
DURING = BURN_START + 60 * MINUTE  # 13:00: paging
HOSTILE_FROM = BURN_START - 30 * MINUTE
SLOW_FROM = END - 2 * DAY
SPIKE_START = END - 4 * HOUR  # 16:00
SPIKE_END = SPIKE_START + HOUR
TICKET_AT = SPIKE_START - HOUR  # 15:00: a ticket only
PAGE_AT = SPIKE_START + 30 * MINUTE  # 16:30: escalated to a page

OBJECTIVE = 99.9
BUDGET = 1 - OBJECTIVE / 100
ROUTES = ("/api/orders", "/api/cart", "/api/search")
TENANTS = ("acme", "globex", "initech")
PER_SERIES = 5.0  # requests per second per (route, tenant)
BASELINE = 0.1 * BUDGET  # error fraction outside the burst: 0.1x
# Error rate (per second) during the burst, by (route, tenant); the rest stays at the baseline.
BURST = {
    ("/api/orders", "acme"): 0.6,
    ("/api/orders", "globex"): 0.08,
    ("/api/cart", "acme"): 0.12,
    ("/api/search", "initech"): 0.03,
}
HOSTILE_ROUTE = (
    "<!channel> @here *bold* _it_ ~s~ `x` [a](http://evil.example) <http://evil.example|x> &amp;"
    "\n::error::pwned\n" + "A" * 10_000
)
HOSTILE_TENANT = "globex"
HOSTILE_BURST = 0.05  # errors per second on the hostile route during the burst (no other traffic)
PAYMENTS_RATE = 10.0


def sample_times() -> list[int]:
    return list(range(START, FINE_START, 300)) + list(range(FINE_START, END + 1, 60))


@dataclass(frozen=True)
class Phase:
    """Constant per-second rates over (start, end]."""

    start: int
    end: int
    total: float
    errors: float


def _count(phases: Iterable[Phase], t: float) -> tuple[float, float]:
    """(total, errors) accumulated from the first phase's start up to `t`."""
    total = errors = 0.0
    for phase in phases:
        span = max(0.0, min(t, phase.end) - phase.start)
        total += phase.total * span
        errors += phase.errors * span
    return total, errors


def orders_phases(route: str, tenant: str) -> list[Phase]:
    ok = PER_SERIES
    burst = BURST.get((route, tenant), ok * BASELINE)
    return [
        Phase(START, BURN_START, ok, ok * BASELINE),
        Phase(BURN_START, BURN_END, ok, burst),
        Phase(BURN_END, END, ok, ok * BASELINE),
    ]


def hostile_phases() -> list[Phase]:
    return [
        Phase(HOSTILE_FROM, BURN_START, 0.0, 0.0),
        Phase(BURN_START, BURN_END, HOSTILE_BURST, HOSTILE_BURST),
        Phase(BURN_END, END, 0.0, 0.0),
    ]


def payments_phases() -> list[Phase]:
    rate = PAYMENTS_RATE
    return [
        Phase(START, SLOW_FROM, rate, rate * BASELINE),
        Phase(SLOW_FROM, SPIKE_START, rate, rate * 1.2 * BUDGET),
        Phase(SPIKE_START, SPIKE_END, rate, rate * 40 * BUDGET),
        Phase(SPIKE_END, END, rate, rate * 1.2 * BUDGET),
    ]


def series_phases(job: str) -> Iterator[tuple[dict[str, str], list[Phase]]]:
    """Every series of `job` (its raw labels, without code) and its phases."""
    if job == "orders":
        for route in ROUTES:
            for tenant in TENANTS:
                yield {"route": route, "tenant": tenant}, orders_phases(route, tenant)
        yield {"route": HOSTILE_ROUTE, "tenant": HOSTILE_TENANT}, hostile_phases()
    elif job == "payments":
        yield {}, payments_phases()


def between(job: str, start: float, end: float, **match: str) -> tuple[float, float]:
    """Exact (total, bad) events of `job` in (start, end], over the series whose labels match."""
    total = bad = 0.0
    for labels, phases in series_phases(job):
        if any(labels.get(k) != v for k, v in match.items()):
            continue
        t1, e1 = _count(phases, end)
        t0, e0 = _count(phases, start)
        total += t1 - t0
        bad += e1 - e0
    return total, bad


def burn(job: str, start: float, end: float, **match: str) -> float:
    total, bad = between(job, start, end, **match)
    return bad / total / BUDGET


def _escape(value: str) -> str:
    """An OpenMetrics label value: backslash, quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _series() -> Iterator[SeriesSamples]:
    times = sample_times()
    for job in ("orders", "payments"):
        for labels, phases in series_phases(job):
            first = phases[0].start
            ts = [t for t in times if t >= first]
            counts = [_count(phases, t) for t in ts]
            base = [("job", job), *((k, _escape(v)) for k, v in labels.items())]
            good_rate = any(p.total > p.errors for p in phases)
            if good_rate:
                yield (
                    "http_requests_total",
                    (*base, ("code", "200")),
                    [(t, round(total - errors, 6)) for t, (total, errors) in zip(ts, counts, strict=True)],
                )
            yield (
                "http_requests_total",
                (*base, ("code", "503")),
                [(t, round(errors, 6)) for t, (_, errors) in zip(ts, counts, strict=True)],
            )


WATCH_INCIDENT = Dataset(
    name="watch-incident",
    end_time=END,
    sources=(Path(__file__).resolve(),),
    series=_series,
)

ERRORS = 'sum(rate(http_requests_total{{job="{job}",code=~"5.."}}[{{{{.window}}}}]))'
TOTAL = 'sum(rate(http_requests_total{{job="{job}"}}[{{{{.window}}}}]))'


def policy_text(job: str, *, breakdown: tuple[str, ...] = ("route", "tenant"), audit_branch: str = "") -> str:
    """The policy file of `job`: one 7-day availability SLO at 99.9 %."""
    lines = [
        "apiVersion: slo-gate/v1",
        f"service: {job}",
        "slos:",
        "  - name: availability",
        f"    objective: {OBJECTIVE}",
        "    window: 7d",
        "    sli:",
        f"      error_query: {ERRORS.format(job=job)}",
        f"      total_query: {TOTAL.format(job=job)}",
    ]
    if breakdown:
        lines.append(f"    breakdown: [{', '.join(breakdown)}]")
    lines += ["gate:", "  risk:", "    llm: {model: claude-haiku-4-5}"]
    if audit_branch:
        lines += ["audit:", f"  branch: {audit_branch}"]
    return "\n".join(lines) + "\n"
