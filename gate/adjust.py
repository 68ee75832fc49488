"""PURE: maintenance windows (budget adjustments): when they happen, and what excluding them leaves.

In: a policy's adjustments as plain values (a start in unix seconds, a length in seconds, an optional
RFC 5545 RRULE text, a reason) and a span of time. Out: the windows that fall in the span, merged
where they overlap (an event is excluded once, however many windows cover it) and clipped to the span;
and, given the events counted in each of them, the window counts with those events removed from both
the bad and the total side (`exclude`), so budgets and burn rates are measured as if the excluded
time had not happened.

Bounds (a rule is policy text, so a careless one must not stall a run): an RRULE is at most 300
characters of the keys RFC 5545 defines, with a frequency of at least HOURLY; expanding it walks at
most `MAX_PERIODS` of its periods from its start to the end of the span; at most `MAX_WINDOWS` windows
may fall in one span. Past a bound the answer is a ValueError that says which and what to do, never a
long loop. No clock, no disk, no network: python-dateutil (imported on first use) expands the rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from gate.models import WindowCounts

if TYPE_CHECKING:
    from dateutil.rrule import rrule

__all__ = [
    "MAX_PERIODS",
    "MAX_WINDOWS",
    "Excluded",
    "Schedule",
    "check_rule",
    "exclude",
    "merged_windows",
    "overlaps",
]

MAX_RULE_CHARS: Final = 300
MAX_PERIODS: Final = 100_000  # periods of a rule walked from its start to the span's end
MAX_WINDOWS: Final = 100  # windows falling in one span (SLO window): each costs two queries' parts

_KEYS: Final = frozenset(
    {
        "FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYYEARDAY",
        "BYWEEKNO", "BYHOUR", "BYMINUTE", "BYSECOND", "BYSETPOS",
    }
)  # fmt: skip
# Seconds in one period of each frequency (a month and a year at their shortest: more periods is safer).
_FREQ_SECONDS: Final = {"HOURLY": 3600, "DAILY": 86400, "WEEKLY": 7 * 86400, "MONTHLY": 28 * 86400}
_FREQ_SECONDS_YEARLY: Final = 365 * 86400
_PART = re.compile(r"([A-Z]{1,12})=([A-Z0-9,+\-:TZ]{1,120})")


def _parts(text: str) -> dict[str, str]:
    """The RRULE's KEY=VALUE parts, checked; ValueError naming the first problem."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body or len(text) > MAX_RULE_CHARS:
        raise ValueError(f"an RRULE of 1 to {MAX_RULE_CHARS} characters, e.g. FREQ=WEEKLY;BYDAY=SU")
    parts: dict[str, str] = {}
    for item in body.split(";"):
        match = _PART.fullmatch(item.strip().upper())
        if match is None:
            raise ValueError(
                f"{item.strip()[:40]!r} is not KEY=VALUE (RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=SU)"
            )
        key, value = match.groups()
        if key not in _KEYS:
            raise ValueError(f"{key} is not an RRULE key (DTSTART comes from `start`)")
        if key in parts:
            raise ValueError(f"{key} is given twice")
        parts[key] = value
    freq = parts.get("FREQ")
    if freq is None:
        raise ValueError("needs FREQ (HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY)")
    if freq not in _FREQ_SECONDS and freq != "YEARLY":
        raise ValueError(f"FREQ={freq}: a maintenance window repeats at most hourly (HOURLY..YEARLY)")
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValueError("COUNT and UNTIL cannot both be given (RFC 5545)")
    return parts


def _period_seconds(parts: Mapping[str, str]) -> float:
    freq = parts["FREQ"]
    base = _FREQ_SECONDS.get(freq, _FREQ_SECONDS_YEARLY)
    interval = int(parts.get("INTERVAL", "1") or "1")
    return float(base * max(1, interval))


def _rule(parts: Mapping[str, str], start: float) -> rrule:
    from dateutil.rrule import rrule, rrulestr

    text = ";".join(f"{k}={v}" for k, v in parts.items() if k not in ("COUNT", "UNTIL"))
    built = rrulestr(text, dtstart=datetime.fromtimestamp(start, tz=UTC))
    if not isinstance(built, rrule):  # one RRULE line always gives one rule, never a set
        raise ValueError(f"not a single recurrence rule: {text}")
    return built


def check_rule(text: str, start: float) -> str:
    """`text` if it is an RRULE slo-gate expands (and dateutil reads), else ValueError saying why."""
    parts = _parts(text)
    try:
        _rule(parts, start)
        if "UNTIL" in parts:
            _until(parts["UNTIL"])
        if "COUNT" in parts and int(parts["COUNT"]) < 1:
            raise ValueError("COUNT must be at least 1")
    except (ValueError, OverflowError, TypeError) as exc:
        raise ValueError(f"not a valid RRULE: {str(exc)[:200]}") from None
    return text


def _until(value: str) -> float:
    from dateutil.parser import isoparse

    moment = isoparse(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass(frozen=True)
class Schedule:
    """One adjustment of a policy: a window of `seconds` at `start`, repeated by `rule` (RRULE) if any."""

    start: float
    seconds: float
    reason: str
    rule: str | None = None

    def starts(self, span_start: float, span_end: float) -> list[float]:
        """Start times of the occurrences that overlap (span_start, span_end], oldest first."""
        if self.rule is None:
            return [self.start] if self.start < span_end and self.start + self.seconds > span_start else []
        parts = _parts(self.rule)
        if span_end <= self.start:
            return []
        periods = (span_end - self.start) / _period_seconds(parts)
        if periods > MAX_PERIODS:
            raise ValueError(
                f"maintenance window {self.reason!r}: its rule would be walked over {periods:.0f} periods "
                f"from its start to {_iso(span_end)} (at most {MAX_PERIODS}); move `start` closer"
            )
        until = min(span_end, _until(parts["UNTIL"])) if "UNTIL" in parts else span_end
        limit = int(parts["COUNT"]) if "COUNT" in parts else None
        rule = _rule(parts, self.start).replace(until=datetime.fromtimestamp(until, tz=UTC))
        found: list[float] = []
        for index, moment in enumerate(rule):
            if limit is not None and index >= limit:
                break
            begin = moment.timestamp()
            if begin >= span_end:
                break
            if begin + self.seconds > span_start:
                found.append(begin)
                if len(found) > MAX_WINDOWS:
                    raise ValueError(
                        f"maintenance window {self.reason!r}: more than {MAX_WINDOWS} occurrences between "
                        f"{_iso(span_start)} and {_iso(span_end)}; use fewer, longer windows"
                    )
        return found


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Excluded:
    """A span of time (start, end] whose events are left out, and why (the reasons of every window in it)."""

    start: float
    end: float
    reasons: tuple[str, ...]

    @property
    def seconds(self) -> float:
        return self.end - self.start


def merged_windows(schedules: Sequence[Schedule], span_start: float, span_end: float) -> list[Excluded]:
    """Every maintenance window overlapping (span_start, span_end], merged where they overlap or touch
    and clipped to the span, oldest first. ValueError when a bound is passed (see the module)."""
    raw = sorted(
        (max(begin, span_start), min(begin + s.seconds, span_end), s.reason)
        for s in schedules
        for begin in s.starts(span_start, span_end)
    )
    merged: list[Excluded] = []
    for begin, end, reason in raw:
        if end <= begin:
            continue
        if merged and begin <= merged[-1].end:
            last = merged[-1]
            reasons = last.reasons if reason in last.reasons else (*last.reasons, reason)
            merged[-1] = Excluded(last.start, max(last.end, end), reasons)
        else:
            merged.append(Excluded(begin, end, (reason,)))
    if len(merged) > MAX_WINDOWS:
        raise ValueError(
            f"{len(merged)} maintenance windows between {_iso(span_start)} and {_iso(span_end)} "
            f"(at most {MAX_WINDOWS}); use fewer, longer windows"
        )
    return merged


def overlaps(windows: Sequence[Excluded], start: float, end: float) -> list[Excluded]:
    """The parts of `windows` inside (start, end]."""
    out = []
    for window in windows:
        begin, finish = max(window.start, start), min(window.end, end)
        if finish > begin:
            out.append(Excluded(begin, finish, window.reasons))
    return out


def exclude(counts: WindowCounts, removed: Sequence[tuple[float, float]], per_second: bool) -> WindowCounts:
    """`counts` with the (bad, total) events of `removed` taken out of both sides.

    `counts` is in the query's units: per second over the window (`per_second`) or events; `removed`
    is always events. A window left without events has total 0 (no traffic, so no burn rate); a
    remainder below zero from scrape skew is clamped to zero.
    """
    if counts.total is None or not removed:
        return counts
    scale = counts.seconds if per_second else 1.0
    bad = (counts.bad or 0.0) * scale - sum(b for b, _ in removed)
    total = counts.total * scale - sum(t for _, t in removed)
    total = max(total, 0.0)
    bad = min(max(bad, 0.0), total)
    if scale == 0:
        return counts
    return counts.model_copy(update={"bad": bad / scale, "total": total / scale, "ratio": None})
