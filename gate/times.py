"""PURE: the one home for reading and writing times: RFC 3339 in UTC, unix seconds, and spans.

- `iso(at)` writes `2026-11-25T16:21:45Z` (whole seconds, always UTC); every report, record and
  message uses it, so one moment reads the same everywhere.
- `parse_time(text)` reads what a user gives as a time (`--at`, `--from`): RFC 3339 with a zone, or
  unix seconds. A time outside 1970..9999 (milliseconds by mistake, `inf`, `1e300`) is refused up
  front with a ValueError that says why, before any query is sent.
- `parse_iso(text)` reads a time slo-gate or an API wrote (naive means UTC).
- `parse_span(text)` reads `90d`, `12h`, `30m`, `2w`; `parse_since(text, now)` a span back from now
  or an ISO date/time.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Final

__all__ = ["MAX_UNIX", "check_unix", "iso", "parse_iso", "parse_since", "parse_span", "parse_time"]

# 9999-12-31T23:59:59Z: the last second a datetime (and an RFC 3339 stamp) can hold.
MAX_UNIX: Final = 253_402_300_799.0
_SPAN: Final = re.compile(r"(\d{1,9})([smhdw])")
_SPAN_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def check_unix(at: float, what: str = "time") -> float:
    """`at` if it is a usable unix time in seconds, else ValueError naming `what` and the likely mistake."""
    if not math.isfinite(at):
        raise ValueError(f"{what}: {at!r} is not a finite number of seconds")
    if at < 0:
        raise ValueError(f"{what}: {at:g} is before 1970")
    if at > MAX_UNIX:
        hint = " (it looks like milliseconds: give unix seconds)" if at <= MAX_UNIX * 1000 else ""
        raise ValueError(f"{what}: {at:g} is after the year 9999{hint}")
    return at


def parse_time(text: str, what: str = "time") -> float:
    """RFC 3339 with a zone (`2026-11-25T16:00:00Z`) or unix seconds, range-checked."""
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return check_unix(number, what)
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{what}: {text!r} is neither RFC 3339 nor unix seconds") from None
    if moment.tzinfo is None:
        raise ValueError(f"{what}: {text!r} has no timezone; add Z or an offset")
    return check_unix(moment.timestamp(), what)


def parse_iso(text: str) -> float:
    """A time written by slo-gate or an API (`...Z`, an offset, or naive meaning UTC) as unix seconds."""
    moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def parse_span(text: str) -> float:
    """Seconds in `90d`, `12h`, `30m`, `2w`, `45s` (one unit); ValueError otherwise or when zero."""
    match = _SPAN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a span such as 90d, 24h, 30m or 2w")
    seconds = int(match.group(1)) * _SPAN_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"{text!r}: the span must be positive")
    return float(seconds)


def parse_since(text: str, now: float) -> float:
    """`90d`, `12h`, `30m`, `2w` before `now`, or an ISO date/datetime (UTC when it has no zone)."""
    value = text.strip()
    if _SPAN.fullmatch(value):
        try:
            return now - parse_span(value)
        except ValueError as exc:
            raise ValueError(f"since {exc}") from None
    try:
        if len(value) == 10:  # a bare date: midnight UTC that day
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
        return check_unix(parse_iso(value), "since")
    except ValueError:
        raise ValueError(
            f"since {text!r}: expected a span such as 90d, 12h, 30m or 2w, "
            "or an ISO date or datetime such as 2026-10-01 or 2026-10-01T12:00:00Z"
        ) from None
