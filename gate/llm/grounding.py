"""PURE: does a model's text cite only the facts it was given? Every citation it makes is found and
looked up in an index of the facts; the verdict lists what is not there.

In: the text, and a `FactIndex` built from what the model was shown: the trusted facts (names and
values slo-gate computed) and the untrusted names (label values, PR titles, routes). Out: a
`Grounding` with the unsupported citations in order of appearance. Figures (numbers, times, dates,
pull requests, SHAs) count only when a trusted fact holds them, so a PR titled "budget is 99%" cannot
lend the model a figure; names (paths, identifiers, quoted spans) may come from either. What counts
as a citation, found by one left-to-right pass (no regular expression, no backtracking, so the time
is linear in the text):

- numbers: `17`, `1,234`, `11.6`, `.5`, with a unit or not (`17%`, `14.9x`, `11.6 h`, `45m`,
  `3 days`, `2nd`); the sign is ignored ("-12%" and "overspent by 12%" cite the same figure). A number
  matches a fact number that rounds to it at the precision shown (`17%` for 16.6%, `11.7` for 11.66;
  not `11.62` for 11.6) whose unit agrees (a unit may be left off on either side, but `3 h` is not
  `3 d` and `17x` is not `17%`);
- times `14:32` / `14:32:05` (a minute cites a fact time that truncates or rounds to it), dates
  `2026-11-03` (exactly; an ISO timestamp `2026-11-03T14:32:00Z` is a date and a time);
- pull requests `#1234`, commit SHAs (7 to 40 hex characters with a digit and a letter; a prefix of a
  fact SHA is fine, a longer one is not), paths `/api/checkout` (after a space or bracket), and any
  span in backticks or double quotes: each must be a fact string (a quoted span exactly one, unless
  it is a single citation of another kind, checked as that: `a1b2c3d`, `14.9x`);
- identifiers that mix letters and digits (`eu-west-1`, `p99`, `x17`): a word of the facts, or one of a
  few common ones (`5xx`, `p99`, `ipv6`...), so a digit glued to letters cannot slip a figure past.

Numbers written in words ("three deploys") and unquoted plain words are not checked: callers ask the
model to put every name in backticks. Text is NFKC-normalised and digits of every script read as
ASCII first, so full-width or Arabic-Indic digits are figures like any other.
"""

from __future__ import annotations

import bisect
import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Citation", "FactIndex", "Grounding", "check_grounding", "citations"]

Kind = Literal["number", "time", "date", "ref", "sha", "path", "quoted", "identifier"]

QUOTE_MAX = 200  # a quoted span longer than this (or crossing a line) is not a citation
TEXT_MAX = 50_000  # a longer text is not checked at all: it is not grounded (answers are a few KiB)
_QUOTES = {"`": "`", '"': '"', "\u201c": "\u201d", "\u00ab": "\u00bb"}
_PATH_LEFT = frozenset(" \t\n\r([{,;:=")
_PATH_STOP = frozenset("\"'`<>()[]{},;|")
_PATH_TRAIL = ".:!?"
_UNITS = {
    **dict.fromkeys(("%", "percent"), "%"),
    **dict.fromkeys(("x", "×", "times"), "x"),
    **dict.fromkeys(("ms",), "ms"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "min"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "w"),
    **dict.fromkeys(("st", "nd", "rd", "th"), ""),  # ordinals: the number itself
}
# Identifiers that mix letters and digits and are vocabulary, not figures.
COMMON_IDENTIFIERS = frozenset(
    {"1xx", "2xx", "3xx", "4xx", "5xx", "p50", "p75", "p90", "p95", "p99", "p999", "p99.9"}
    | {"http2", "http3", "ipv4", "ipv6", "utf-8", "utf8", "base64", "sha256", "oauth2", "k8s"}
)


@dataclass(frozen=True)
class Citation:
    """One thing the text cites. `value`: a number's magnitude, or a time in seconds of the day;
    `precision`: the step the number was written to (0.1 for `11.6`), or 60 / 1 for a time."""

    kind: Kind
    text: str
    value: float = 0.0
    precision: float = 1.0
    unit: str = ""

    def shown(self) -> str:
        """The citation as a report may quote it: its own characters when they are plain, else its kind."""
        text = self.text
        plain = all((c.isascii() and c.isalnum()) or c in "#%./:_-× " for c in text)
        if plain and len(text) <= 60:
            return f"`{text}`" if self.kind in ("path", "quoted", "identifier") else text
        return {"path": "a path", "quoted": "a quoted name", "identifier": "an identifier"}.get(
            self.kind, "a figure"
        )


# -- scanning ------------------------------------------------------------------------------------
def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"  # other scripts' digits are made ASCII before the scan


def _normalise(text: str) -> str:
    """NFKC (full-width digits and signs), then every decimal digit of any script as ASCII."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


class _Scanner:
    """One pass over `text`; `found` collects citations. Every step moves `i` forward."""

    def __init__(self, text: str) -> None:
        self.text = _normalise(text)
        self.n = len(self.text)
        self.found: list[Citation] = []
        # Per closing quote: the text before this offset is known to hold no usable closer, so a
        # later opener resumes the search there (each character is searched at most once per kind).
        self._no_close: dict[str, int] = {}

    def run(self) -> list[Citation]:
        text, n = self.text, self.n
        i = 0
        while i < n:
            c = text[i]
            before = text[i - 1] if i else " "
            if c in _QUOTES:
                i = self._quoted(i)
            elif c == "#" and i + 1 < n and _is_digit(text[i + 1]) and not _is_word(before):
                i = self._ref(i)
            elif c == "/" and before in _PATH_LEFT and i + 1 < n and self._path_char(text[i + 1]):
                i = self._path(i)
            elif _is_digit(c) or (c == "." and i + 1 < n and _is_digit(text[i + 1]) and not _is_word(before)):
                i = self._number(i)
            elif _is_word(c):
                i = self._word(i)
            else:
                i += 1
        return self.found

    @staticmethod
    def _path_char(c: str) -> bool:
        return not c.isspace() and c not in _PATH_STOP

    def _quoted(self, i: int) -> int:
        text = self.text
        close = _QUOTES[text[i]]
        end = min(self.n, i + 1 + QUOTE_MAX + 1)
        j = max(i + 1, self._no_close.get(close, 0))
        while j < end and text[j] != close and text[j] != "\n":
            j += 1
        if j < end and text[j] == close:
            span = " ".join(text[i + 1 : j].split())
            if span:
                self.found.append(Citation("quoted", span))
                return j + 1
            return i + 1  # `` or "": no span, and the second mark may open one
        # No closer within reach: a stray mark, not a citation. Nothing before j closes a later
        # opener either (a newline ends every span; past the limit, the search resumes at j).
        self._no_close[close] = j
        return i + 1

    def _ref(self, i: int) -> int:
        j = self._digits(i + 1)
        if j < self.n and _is_word(self.text[j]):
            return self._word(i + 1)  # `#12abc`: an identifier, not a pull request
        self.found.append(Citation("ref", "#" + (self.text[i + 1 : j].lstrip("0") or "0")))
        return j

    def _path(self, i: int) -> int:
        j = i + 1
        while j < self.n and self._path_char(self.text[j]):
            j += 1
        path = self.text[i:j].rstrip(_PATH_TRAIL)
        if len(path) > 1:
            self.found.append(Citation("path", path))
        return j

    def _digits(self, j: int) -> int:
        while j < self.n and _is_digit(self.text[j]):
            j += 1
        return j

    def _word_end(self, j: int) -> int:
        """The end of an identifier from `j`: word characters, and `-` or `.` between two of them."""
        text, n = self.text, self.n
        while j < n and (_is_word(text[j]) or (text[j] in "-." and j + 1 < n and _is_word(text[j + 1]))):
            j += 1  # a `-` or `.` is only ever reached right after a word character
        return j

    def _word(self, i: int) -> int:
        j = self._word_end(i)
        word = self.text[i:j]
        if any(_is_digit(c) for c in word):
            self.found.append(_classify_word(word))
        return j

    def _number(self, i: int) -> int:
        text, n = self.text, self.n
        j = self._digits(i)
        whole = text[i:j]
        date_end = self._date(i, j)
        if date_end is not None:
            return date_end
        time_end = self._time(i, j)
        if time_end is not None:
            return time_end
        if 1 <= len(whole) <= 3:  # thousands separators: `1,234,567` (a comma, then exactly three digits)
            while j < n and text[j] == "," and self._three(j + 1):
                j += 4
        decimals = 0
        if j + 1 < n and text[j] == "." and _is_digit(text[j + 1]):
            k = self._digits(j + 1)
            decimals = k - j - 1
            j = k
            if j + 1 < n and text[j] == "." and _is_digit(text[j + 1]):
                return self._word(i)  # 1.2.3: a version, an identifier
        digits = text[i:j].replace(",", "")
        value = abs(float(digits if not digits.startswith(".") else "0" + digits))
        return self._unit(i, j, value, 10.0**-decimals)

    def _three(self, j: int) -> bool:
        text = self.text
        return (
            j + 3 <= self.n
            and all(_is_digit(c) for c in text[j : j + 3])
            and (j + 3 == self.n or not _is_digit(text[j + 3]))
        )

    def _date(self, i: int, j: int) -> int | None:
        text = self.text
        if j - i != 4 or text[j : j + 1] != "-":
            return None
        month_end = self._digits(j + 1)
        if month_end - j - 1 != 2 or text[month_end : month_end + 1] != "-":
            return None
        day_end = self._digits(month_end + 1)
        if day_end - month_end - 1 != 2:
            return None
        date = text[i:day_end]
        self.found.append(Citation("date", date))
        # An ISO timestamp goes on with T and the time: skip the T so the time is read as one.
        if day_end + 1 < self.n and text[day_end] in "Tt" and _is_digit(text[day_end + 1]):
            return day_end + 1
        return day_end

    def _time(self, i: int, j: int) -> int | None:
        text = self.text
        if not 1 <= j - i <= 2 or text[j : j + 1] != ":":
            return None
        minute_end = self._digits(j + 1)
        if minute_end - j - 1 != 2:
            return None
        hours, minutes, seconds, precision = int(text[i:j]), int(text[j + 1 : minute_end]), 0, 60.0
        end = minute_end
        if text[end : end + 1] == ":":
            second_end = self._digits(end + 1)
            if second_end - end - 1 == 2:
                seconds, precision, end = int(text[end + 1 : second_end]), 1.0, second_end
        if hours > 23 or minutes > 59 or seconds > 59:
            return None
        value = float(hours * 3600 + minutes * 60 + seconds)
        self.found.append(Citation("time", text[i:end], value=value, precision=precision))
        return end

    def _unit(self, i: int, j: int, value: float, precision: float) -> int:
        text, n = self.text, self.n
        if j < n and text[j] in "%×":
            return self._emit_number(i, j + 1, value, precision, _UNITS[text[j]])
        if j < n and text[j].isalpha():  # glued letters: a unit (45m, 14.9x, 2nd) or an identifier (5xx)
            k = j
            while k < n and text[k].isalpha():
                k += 1
            suffix = text[j:k].lower()
            if suffix in _UNITS and (k == n or not _is_word(text[k])):
                return self._emit_number(i, k, value, precision, _UNITS[suffix])
            if k < n and _is_digit(text[k]) and suffix in _UNITS:  # 1h30m: one figure per part
                return self._emit_number(i, k, value, precision, _UNITS[suffix])
            return self._word(i)
        if j + 1 < n and text[j] == " ":  # one space, then a unit word: `11.6 h`, `3 days`, `17 percent`
            k = j + 1
            if text[k] in "%×":
                return self._emit_number(i, k + 1, value, precision, _UNITS[text[k]])
            while k < n and text[k].isalpha():
                k += 1
            suffix = text[j + 1 : k].lower()
            if k > j + 1 and suffix in _UNITS and _UNITS[suffix] and (k == n or not _is_word(text[k])):
                return self._emit_number(i, k, value, precision, _UNITS[suffix])
        if j < n and _is_word(text[j]):
            return self._word(i)  # `12_000`-like joins: an identifier
        return self._emit_number(i, j, value, precision, "")

    def _emit_number(self, i: int, end: int, value: float, precision: float, unit: str) -> int:
        self.found.append(Citation("number", self.text[i:end], value=value, precision=precision, unit=unit))
        return end


def _classify_word(word: str) -> Citation:
    lowered = word.lower()
    hexish = all(c in "0123456789abcdef" for c in lowered)
    if hexish and 7 <= len(word) <= 40 and any(c.isalpha() for c in lowered):
        return Citation("sha", lowered)
    return Citation("identifier", word)


def citations(text: str) -> list[Citation]:
    """Everything `text` cites, in order (see the module docstring for what counts)."""
    return _Scanner(text).run()


def _fact_citations(fact: str) -> list[Citation]:
    """A fact's citations, plus what its identifiers hold: the parts of `burn_rate_1h` (1 h, so a text
    may say "the 1 h burn rate") and of `/api/v2/orders` (`v2`, `api/v2`)."""
    found = citations(fact)
    pieces: list[str] = []
    for citation in found:
        if citation.kind in ("identifier", "path"):
            pieces.append(citation.text)
            if citation.kind == "path":
                pieces.extend(citation.text.split("/"))
    inner = " ".join(pieces).translate(_SPLIT)
    return (
        found
        + [c for c in citations(inner) if c.kind in ("number", "identifier")]
        + [Citation("identifier", piece) for piece in pieces if piece]
    )


_SPLIT = str.maketrans("_-./", "    ")


# -- the facts -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FactIndex:
    """What the facts allow a text to cite; build with `FactIndex.build`."""

    numbers: tuple[float, ...] = ()  # sorted magnitudes
    units: tuple[str, ...] = ()  # the unit of numbers[i]
    seconds: frozenset[float] = field(default_factory=frozenset)  # fact times, seconds of the day
    minutes: frozenset[float] = field(default_factory=frozenset)  # ... truncated or rounded to a minute
    strings: frozenset[str] = field(default_factory=frozenset)  # dates, refs, paths, names, values
    sha_prefixes: frozenset[str] = field(default_factory=frozenset)
    identifiers: frozenset[str] = field(default_factory=frozenset)  # casefolded

    @classmethod
    def build(cls, facts: Iterable[str], names: Iterable[str] = ()) -> FactIndex:
        """The index of the trusted `facts` (fact names and values) and the untrusted `names`."""
        numbers: list[tuple[float, str]] = []
        seconds: set[float] = set()
        strings: set[str] = set()
        shas: set[str] = set()
        identifiers: set[str] = set()
        for name in names:  # names only: a figure inside an untrusted value is not a fact
            normal = " ".join(_normalise(name).split())
            if normal:
                strings.add(normal)
                identifiers.add(normal.casefold())
            for found in _fact_citations(name):
                if found.kind == "identifier":
                    identifiers.add(found.text.casefold())
                elif found.kind in ("path", "quoted"):
                    strings.add(found.text)
        for fact in facts:
            normal = " ".join(_normalise(fact).split())
            if normal:
                strings.add(normal)
                identifiers.add(normal.casefold())
            for found in _fact_citations(fact):
                if found.kind == "number":
                    if math.isfinite(found.value):
                        numbers.append((found.value, found.unit))
                elif found.kind == "time":
                    seconds.add(found.value)
                elif found.kind == "sha":
                    shas.update(found.text[:end] for end in range(7, len(found.text) + 1))
                elif found.kind == "identifier":
                    identifiers.add(found.text.casefold())
                else:
                    strings.add(found.text)
        numbers.sort()
        return cls(
            numbers=tuple(v for v, _ in numbers),
            units=tuple(u for _, u in numbers),
            seconds=frozenset(seconds),
            minutes=frozenset(
                m for t in seconds for m in (t // 60 * 60, (math.floor(t / 60 + 0.5) * 60) % 86400)
            ),
            strings=frozenset(strings),
            sha_prefixes=frozenset(shas),
            identifiers=frozenset(identifiers),
        )

    def supports(self, citation: Citation) -> bool:
        kind = citation.kind
        if kind == "number":
            return self._number(citation)
        if kind == "time":  # a minute cites a fact time truncated or rounded to it; seconds are exact
            return citation.value in (self.seconds if citation.precision == 1.0 else self.minutes)
        if kind == "sha":
            return citation.text in self.sha_prefixes
        if kind == "identifier":
            folded = citation.text.casefold()
            return folded in self.identifiers or folded in COMMON_IDENTIFIERS
        if citation.text in self.strings:  # date, ref, path, quoted
            return True
        if kind == "quoted":  # `a1b2c3d`, `14.9x`: one citation in quotes is checked as that citation
            inner = citations(citation.text)
            return len(inner) == 1 and inner[0].text == citation.text and self.supports(inner[0])
        return False

    def _number(self, citation: Citation) -> bool:
        # Rounding to the precision shown: half a step either way (and a hair for float error).
        value = citation.value
        if not math.isfinite(value):
            return False  # hundreds of digits: not a figure any fact holds
        tolerance = citation.precision / 2 + 1e-9 * max(1.0, value)
        low = bisect.bisect_left(self.numbers, value - tolerance)
        high = bisect.bisect_right(self.numbers, value + tolerance)
        return any(
            not citation.unit or not self.units[k] or self.units[k] == citation.unit for k in range(low, high)
        )


@dataclass(frozen=True)
class Grounding:
    """The verdict: `unsupported` lists what the text cites that is not in the facts (once each);
    `too_long`: the text was longer than TEXT_MAX and not checked (so not grounded)."""

    unsupported: tuple[Citation, ...]
    checked: int
    too_long: bool = False

    @property
    def ok(self) -> bool:
        return not self.unsupported and not self.too_long

    def describe(self, limit: int = 5) -> str:
        """`17%`, `#999` and 2 more: the unsupported citations as a report may show them."""
        if self.too_long:
            return f"more than {TEXT_MAX} characters, too long to check"
        shown = list(dict.fromkeys(c.shown() for c in self.unsupported))
        if len(shown) > limit:
            more = len(shown) - limit
            shown = [*shown[:limit], f"{more} more"]
        if len(shown) <= 1:
            return "".join(shown)
        return ", ".join(shown[:-1]) + " and " + shown[-1]


def check_grounding(text: str, facts: FactIndex) -> Grounding:
    """Which of `text`'s citations the facts do not support."""
    if len(text) > TEXT_MAX:
        return Grounding((), 0, too_long=True)
    found = citations(text)
    unsupported: dict[tuple[str, str], Citation] = {}
    for citation in found:
        if not facts.supports(citation):
            unsupported.setdefault((citation.kind, citation.text), citation)
    return Grounding(tuple(unsupported.values()), len(found))
