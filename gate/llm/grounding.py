"""PURE: does a model's text cite only the facts it was given? Every citation in it (gate.llm.citations)
is looked up in an index of the facts; the verdict lists what is not there.

In: the text, and a `FactIndex` built from what the model was shown: the trusted facts (names and
values slo-gate computed) and the untrusted names (label values, PR titles, routes). Out: a
`Grounding` with the unsupported citations in order of appearance, each once. Figures (numbers,
times, dates, pull requests, SHAs) count only when a trusted fact holds them, so a PR titled "budget
is 99%" cannot lend the model a figure; names (paths, identifiers, quoted spans) may come from either.

- A number matches a fact number that rounds to it at the precision shown (`17%` for 16.6%, `11.7`
  for 11.66; not `11.62` for 11.6) whose unit agrees (a unit may be left off on either side, but
  `3 h` is not `3 d` and `17x` is not `17%`).
- A minute (`14:32`) matches a fact time that truncates or rounds to it; seconds and dates exactly.
- A SHA may be a prefix of a fact SHA, never longer; pull requests and paths must be facts.
- A quoted span must be exactly a fact string, unless it is a single citation of another kind,
  checked as that (`a1b2c3d`, `14.9x`).
- An identifier must be a word of the facts (also a part of a fact name: `burn_rate_1h` lends `1h`)
  or one of a few common ones (`5xx`, `p99`, `ipv6`...).

A text longer than TEXT_MAX is not checked and not grounded. Time is linear in text and facts
(plus a sort of the fact numbers).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from gate.llm.citations import Citation, citations, normalise

__all__ = ["COMMON_IDENTIFIERS", "TEXT_MAX", "FactIndex", "Grounding", "check_grounding"]

TEXT_MAX = 50_000  # a longer text is not checked at all: it is not grounded (answers are a few KiB)
# Identifiers that mix letters and digits and are vocabulary, not figures.
COMMON_IDENTIFIERS = frozenset(
    {"1xx", "2xx", "3xx", "4xx", "5xx", "p50", "p75", "p90", "p95", "p99", "p999", "p99.9"}
    | {"http2", "http3", "ipv4", "ipv6", "utf-8", "utf8", "base64", "sha256", "oauth2", "k8s"}
)


def _fact_citations(fact: str) -> list[Citation]:
    """A fact's citations, plus what its identifiers hold: the parts of `burn_rate_1h` (1 h, so a text
    may say "the 1 h burn rate") and of `/api/v2/orders` (`v2`)."""
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
            normal = " ".join(normalise(name).split())
            if normal:
                strings.add(normal)
                identifiers.add(normal.casefold())
            for found in _fact_citations(name):
                if found.kind == "identifier":
                    identifiers.add(found.text.casefold())
                elif found.kind in ("path", "quoted"):
                    strings.add(found.text)
        for fact in facts:
            normal = " ".join(normalise(fact).split())
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
