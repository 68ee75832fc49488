"""What a text cites, found in one pass (gate.llm.citations); whether the facts hold it is
tests/test_llm_grounding.py."""

from __future__ import annotations

import pytest

from gate.llm.citations import citations

# -- what counts as a citation ---------------------------------------------------------------------
SCANS: list[tuple[str, list[tuple[str, str]]]] = [
    ("budget at 35.2% left", [("number", "35.2%")]),
    ("a 14.9x burn", [("number", "14.9x")]),
    ("a 14.9× burn", [("number", "14.9×")]),
    ("gone in 11.6 h", [("number", "11.6 h")]),
    ("gone in 3 days", [("number", "3 days")]),
    ("for 45m", [("number", "45m")]),
    ("for 1h30m", [("number", "1h"), ("number", "30m")]),
    ("1,234,567 requests", [("number", "1,234,567")]),
    ("3,4 and 1,2345", [("number", "3"), ("number", "4"), ("number", "1"), ("number", "2345")]),
    ("the 2nd deploy", [("number", "2nd")]),
    ("at .5", [("number", ".5")]),
    ("overspent: -12%", [("number", "12%")]),
    ("17 percent", [("number", "17 percent")]),
    ("17 %", [("number", "17 %")]),
    ("3 hosts", [("number", "3")]),
    ("since 14:32 UTC", [("time", "14:32")]),
    ("since 14:32:05", [("time", "14:32:05")]),
    ("ratio 25:61", [("number", "25"), ("number", "61")]),
    ("on 2026-11-03", [("date", "2026-11-03")]),
    ("at 2026-11-03T14:32:05Z", [("date", "2026-11-03"), ("time", "14:32:05")]),
    ("see #1234.", [("ref", "#1234")]),
    ("issue#12: not a reference", [("number", "12")]),
    ("commit a1b2c3d", [("sha", "a1b2c3d")]),
    ("commit deadbeef (no digit: a word)", []),
    ("the route /api/checkout.", [("path", "/api/checkout")]),
    ("(/api/orders)", [("path", "/api/orders")]),
    ("and/or, requests/s, 1/2", [("number", "1"), ("number", "2")]),
    ("tenant `eu-west-1`", [("quoted", "eu-west-1")]),
    ('a "fast burn"', [("quoted", "fast burn")]),
    ("a \u201cfast burn\u201d", [("quoted", "fast burn")]),
    ("it's the user's route", []),
    ("eu-west-1 and p99 and 5xx and x17", [("identifier", t) for t in ("eu-west-1", "p99", "5xx", "x17")]),
    ("version 1.2.3", [("identifier", "1.2.3")]),
    ("Δ17% and v2", [("identifier", "Δ17"), ("identifier", "v2")]),
    ("full-width １７％", [("number", "17%")]),
    ("Arabic-Indic \u0661\u0667%", [("number", "17%")]),
]


@pytest.mark.parametrize(("text", "expected"), SCANS, ids=[s[0] for s in SCANS])
def test_citations_are_found_with_their_kind(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(c.kind, c.text) for c in citations(text)] == expected


def test_a_number_keeps_its_value_precision_and_unit() -> None:
    (number,) = citations("about 11.66 hours")
    assert (number.value, number.unit) == (11.66, "h")
    assert number.precision == pytest.approx(0.01)
    (time,) = citations("14:32")
    assert (time.value, time.precision) == (14 * 3600 + 32 * 60, 60.0)
