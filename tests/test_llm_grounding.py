"""The grounding check: a model's text may cite only what the facts hold (gate.llm.grounding)."""

from __future__ import annotations

import pytest

from gate.llm.citations import Citation, citations
from gate.llm.grounding import TEXT_MAX, FactIndex, check_grounding

# What an incident summary's facts look like: names and values as the model is shown them.
FACTS = [
    "service",
    "checkout",
    "budget_remaining",
    "35.2%",
    "burn_rate_1h",
    "14.9x",
    "burn_rate_6h",
    "6.25x",
    "exhaustion",
    "11.6 h",
    "onset",
    "2026-11-03T14:32:05Z",
    "window",
    "30d",
    "errors",
    "1,234 of 82,000 requests",
    "deploys",
    "#1234 a1b2c3d4e5f60718 Bump payment retries",
    "top_route",
    "/api/checkout",
    "tenant",
    "eu-west-1",
]
INDEX = FactIndex.build(FACTS)


def unsupported(text: str) -> list[str]:
    return [c.text for c in check_grounding(text, INDEX).unsupported]


# -- grounded and not ------------------------------------------------------------------------------
GROUNDED = [
    "Checkout has 35.2% of its budget left and burns at 14.9x over the last 1 h.",
    "At this rate the budget is gone in about 12 hours (11.6 h).",  # rounded to the precision shown
    "Burning at 15x; 6.3x over 6 h; 35% left.",  # 14.9 -> 15, 6.25 -> 6.3 (half-even or half-up), 35.2 -> 35
    "Burning at 6.2x over 6h.",  # 6.25 rounds half-even to 6.2
    "The burn started at 14:32 UTC on 2026-11-03.",
    "The burn started at 14:32:05.",
    "#1234 (`a1b2c3d`) bumped payment retries; errors on `/api/checkout` in `eu-west-1`.",
    "a1b2c3d4e5f60718 is the deploy.",
    "1,234 of 82,000 requests failed over the 30d window.",
    "1234 requests failed; the 30 d window.",
    "Overspent by -35.2% would be wrong but the figure is there.",
    "`14.9x` and `/api/checkout` quoted are still themselves.",
    "Most 5xx errors and the p99 latency.",
    "The `checkout` service and the top_route `/api/checkout`.",
    "No figures at all.",
    "",
]


@pytest.mark.parametrize("text", GROUNDED)
def test_text_that_cites_only_the_facts_is_grounded(text: str) -> None:
    verdict = check_grounding(text, INDEX)
    assert verdict.ok, verdict.describe()


NOT_GROUNDED: list[tuple[str, list[str]]] = [
    ("Only 17% of the budget is left.", ["17%"]),
    ("Burning at 14.9% of budget.", ["14.9%"]),  # the figure is a multiplier, not a percentage
    ("Gone in 11.6 days.", ["11.6 days"]),
    ("Gone in 11.62 h.", ["11.62 h"]),  # more precise than the facts
    ("Gone in 11.5 h.", ["11.5 h"]),
    ("Burning at 14x.", ["14x"]),  # 14.9 does not round to 14
    ("Started 14:35.", ["14:35"]),
    ("Started 14:32:06.", ["14:32:06"]),
    ("Started on 2026-11-04.", ["2026-11-04"]),
    ("Caused by #999.", ["#999"]),
    ("Caused by #12345.", ["#12345"]),
    ("Commit a1b2c3d4e5f607189 did it.", ["a1b2c3d4e5f607189"]),  # longer than the fact's SHA
    ("Commit b1b2c3d did it.", ["b1b2c3d"]),
    ("Errors on /api/orders.", ["/api/orders"]),
    ("Errors in `us-east-2`.", ["us-east-2"]),
    ("Errors in us-east-2.", ["us-east-2"]),
    ('The "Bump payment" PR.', ["Bump payment"]),  # part of a title is not the title
    ("A spike of x17 errors.", ["x17"]),  # a figure glued to letters is still checked
    ("About 3 deploys.", ["3"]),
    ("In 2026 alone.", ["2026"]),
    ("１７％ left.", ["17%"]),
    ("17% then 17% again and #999", ["17%", "#999"]),  # each once, in order
]


@pytest.mark.parametrize(("text", "offending"), NOT_GROUNDED, ids=[n[0] for n in NOT_GROUNDED])
def test_text_that_cites_anything_else_names_it(text: str, offending: list[str]) -> None:
    verdict = check_grounding(text, INDEX)
    assert not verdict.ok
    assert [c.text for c in verdict.unsupported] == offending


def test_units_may_be_left_off_on_either_side() -> None:
    index = FactIndex.build(["ratio", "17", "share", "42%"])
    assert check_grounding("17% and 42", index).ok
    assert not check_grounding("17 h", FactIndex.build(["17 d"])).ok


def test_a_minute_may_truncate_or_round_a_fact_time() -> None:
    index = FactIndex.build(["onset 14:32:45"])
    assert check_grounding("14:32", index).ok
    assert check_grounding("14:33", index).ok
    assert not check_grounding("14:31", index).ok
    assert not check_grounding("14:32:44", index).ok
    assert check_grounding("00:00", FactIndex.build(["23:59:40"])).ok  # rounding past midnight


def test_numbers_inside_fact_names_and_paths_count() -> None:
    index = FactIndex.build(["burn_rate_1h", "/api/v2/orders"])
    assert check_grounding("the 1h burn rate of v2 orders", index).ok
    assert check_grounding("the 1 hour burn rate", index).ok
    assert not check_grounding("the 6h burn rate", index).ok


# -- what the verdict says -------------------------------------------------------------------------
def test_describe_names_the_offending_citations_for_a_report() -> None:
    verdict = check_grounding("Only 17% left after #999 on `/api/orders`.", INDEX)
    assert verdict.describe() == "17%, #999 and `/api/orders`"
    assert check_grounding("17% left", INDEX).describe() == "17%"
    many = check_grounding(" ".join(f"{n}%" for n in range(50, 58)), INDEX)
    assert many.describe(limit=3) == "50%, 51%, 52% and 5 more"


def test_model_text_that_is_not_plain_is_not_echoed() -> None:
    verdict = check_grounding("see `<script>alert(1)</script>` and `@channel ping`", INDEX)
    assert verdict.describe() == "a quoted name"
    assert Citation("identifier", "Δ17").shown() == "an identifier"


# -- hostile text: linear, bounded, no crash -------------------------------------------------------
HOSTILE = [
    "`" * 50_000,
    "`a" * 25_000,
    "\u201c" * 50_000,
    ('"' + "x" * 150) * 300,
    ("\u201c" + "x" * 150 + "\n") * 300,
    "\u201c" + "x" * 199 + "\n" * 2 + "\u201c" * 25_000,
    "1," * 25_000,
    "1,000" * 12_500,
    "9" * 50_000,
    "1." * 25_000,
    "1:" * 25_000,
    "#" * 25_000 + "1",
    "#1" * 25_000,
    "/" * 50_000,
    " /a" * 15_000,
    "a-" * 25_000,
    "a1" * 25_000,
    "2026-11-03" * 5_000,
    "12:34:" * 7_500,
    "1h" * 25_000,
    "1 h" * 15_000,
    "\u0661\u0662" * 12_500,  # Arabic-Indic digits
    "#" + "1" * 25_000,  # past int()'s digit limit
    "\x00\ud800" * 12_500,  # a NUL and a lone surrogate
]


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(h[:12]) for h in HOSTILE])
def test_hostile_text_is_scanned_in_one_pass_without_error(text: str) -> None:
    # A quadratic scan of these 50k-character texts would not finish; each is a list, not a crash.
    verdict = check_grounding(text, INDEX)
    assert verdict.checked >= 0
    assert len(verdict.describe()) < 200


@pytest.mark.slow
def test_hostile_facts_and_names_build_an_index_without_error() -> None:
    index = FactIndex.build(HOSTILE[::2], names=HOSTILE[1::2])
    assert check_grounding("1h 14:32 #1 `a`", index).checked == 4


def test_a_text_longer_than_the_limit_is_not_grounded_and_not_scanned() -> None:
    verdict = check_grounding("35.2% " * (TEXT_MAX // 6 + 1), INDEX)
    assert verdict.too_long and not verdict.ok
    assert (verdict.checked, verdict.unsupported) == (0, ())
    assert verdict.describe() == f"more than {TEXT_MAX} characters, too long to check"
    assert check_grounding("35.2% " * (TEXT_MAX // 6), INDEX).ok


def test_an_unclosed_quote_per_line_is_not_rescanned() -> None:
    # Each opener looks for its closer once; later openers resume where the last search stopped.
    text = ("\u201c" + "z" * 50 + "\n") * 10_000
    assert citations(text) == []


# -- trusted facts lend figures; untrusted names lend only names -----------------------------------
NAMES_INDEX = FactIndex.build(
    ["budget_remaining", "35.2%"],
    names=["Set budget to 99% (fixes #12, 2026-01-01, deadbee1)", "/api/v2/orders", "eu-west-1"],
)


@pytest.mark.parametrize(
    ("text", "offending"),
    [
        ("35.2% of the budget is left", []),
        ("99% of the budget is left", ["99%"]),  # a figure planted in a PR title is not a fact
        ("as #12 says", ["#12"]),
        ("since 2026-01-01", ["2026-01-01"]),
        ("commit deadbee1", ["deadbee1"]),
        ("the PR `Set budget to 99% (fixes #12, 2026-01-01, deadbee1)`", []),  # quoting the whole name
        ("errors on /api/v2/orders in eu-west-1 and `eu-west-1`", []),
        ("the v2 orders route", []),
        ("errors on /api/v3/orders", ["/api/v3/orders"]),
    ],
)
def test_untrusted_names_lend_names_but_never_figures(text: str, offending: list[str]) -> None:
    assert [c.text for c in check_grounding(text, NAMES_INDEX).unsupported] == offending
