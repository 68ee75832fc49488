"""Block Kit within Slack's limits, and `mrkdwn`, the one way untrusted text enters a Slack message."""

from __future__ import annotations

import pytest

from gate.notify.blocks import (
    HEADER_MAX,
    MAX_BLOCKS,
    SECTION_MAX,
    TEXT_MAX,
    context,
    header,
    link,
    message,
    mrkdwn,
    section,
)
from tests.support.fake_slack import block_problems

HOSTILE = (
    "<!channel> <!here|here> <@U0123> @channel @Here @everyone *bold* _it_ ~s~ `x` "
    "<http://evil.example|click> http://evil.example &amp; \n::error::pwned\r\u2028x"
)


@pytest.mark.parametrize(
    ("raw", "must_not_contain"),
    [
        ("<!channel>", "<!channel>"),
        ("<@U0123>", "<@"),
        ("<http://evil|x>", "<http"),
        ("@channel and @here", "@channel"),
        ("@everyone", "@everyone"),
        ("*bold*", "*bold*"),
        ("_it_", "_it_"),
        ("~s~", "~s~"),
        ("`code`", "`code`"),
        ("see http://evil.example", "http://"),
        ("a\nb", "\n"),
    ],
)
def test_mrkdwn_neutralises_each_hostile_form(raw: str, must_not_contain: str) -> None:
    assert must_not_contain not in mrkdwn(raw)


def test_mrkdwn_escapes_entities_once_and_keeps_the_words() -> None:
    assert mrkdwn("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert mrkdwn("&lt;") == "&amp;lt;"  # an entity in the data stays text, it does not become '<'
    assert "channel" in mrkdwn("@channel") and "\u200b" in mrkdwn("@channel")


def test_code_spans_show_a_value_exactly_and_cannot_be_closed_from_inside() -> None:
    shown = mrkdwn("/api/user_orders", code=True)
    assert shown == "`/api/user_orders`"
    broken = mrkdwn("a`b<!here>", code=True)
    assert broken.count("`") == 2 and "<!here>" not in broken
    assert mrkdwn("", code=True) == "` `"


def test_mrkdwn_caps_long_values_and_flattens_lines() -> None:
    out = mrkdwn("A" * 10_000 + "\n::error::x", limit=300)
    assert len(out) <= 300 and "\n" not in out and out.endswith("…")


def test_header_is_plain_text_within_150() -> None:
    block = header("🚨 " + "x" * 500)
    assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) == HEADER_MAX


def test_a_long_section_is_cut_at_a_safe_point_with_a_link() -> None:
    text = "x" * (SECTION_MAX - 3) + "&amp;" + "y" * 100
    block = section(text, more="https://github.com/o/r/actions/runs/1")
    out = block["text"]["text"]
    assert len(out) <= SECTION_MAX
    assert "&am" not in out.replace("&amp;", "")  # no half entity
    assert out.endswith("|full text>") and "…" in out
    cut_link = section("y" * (SECTION_MAX - 5) + "<https://example.com|label> tail")["text"]["text"]
    assert cut_link.count("<") == cut_link.count(">")


def test_too_many_blocks_are_dropped_and_counted_never_refused() -> None:
    built = message("fallback", [section(f"line {i}") for i in range(80)])
    assert len(built.blocks) == MAX_BLOCKS
    assert "31 more blocks left out" in built.blocks[-1]["elements"][0]["text"]
    assert block_problems(list(built.blocks)) == []


def test_total_text_stays_under_what_the_api_takes() -> None:
    built = message("f", [section("z" * 2900) for _ in range(10)])
    assert block_problems(list(built.blocks)) == []
    assert sum(len(b.get("text", {}).get("text", "")) for b in built.blocks) < 12_000


def test_the_fallback_text_is_escaped_and_capped() -> None:
    built = message(HOSTILE * 100, [context("a")])
    assert "<!channel>" not in built.text and len(built.text) <= TEXT_MAX


def test_context_keeps_ten_elements() -> None:
    block = context(*[f"e{i}" for i in range(15)])
    assert len(block["elements"]) == 10


def test_links_only_for_plain_http_urls() -> None:
    assert link("https://example.com/run/1", "run <1>") == "<https://example.com/run/1|run &lt;1&gt;>"
    assert link("javascript:alert(1)", "x") == "x"
    assert link("https://a|b.example", "x") == "x"
