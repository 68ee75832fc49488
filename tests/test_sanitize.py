from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate.risk.sanitize import strip_invisible


def _span(first: int, last: int) -> list[str]:
    return [chr(code) for code in range(first, last + 1)]


ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", *_span(0x2060, 0x2064), "\ufeff", "\u180e", "\u00ad"]
BIDI = ["\u200e", "\u200f", "\u061c", *_span(0x202A, 0x202E), *_span(0x2066, 0x2069)]
TAGS = _span(0xE0000, 0xE007F)
VARIATION_SELECTORS = _span(0xFE00, 0xFE0F) + _span(0xE0100, 0xE01EF)
C0 = [chr(code) for code in range(0x20) if chr(code) not in "\t\n\r"]
C1 = ["\x7f", *_span(0x80, 0x9F)]
OTHER_INVISIBLE = ["\u034f", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u3164", "\uffa0"]
OTHER_INVISIBLE += _span(0x206A, 0x206F) + _span(0xFFF9, 0xFFFB)
REMOVED = ZERO_WIDTH + BIDI + TAGS + VARIATION_SELECTORS + C0 + C1 + OTHER_INVISIBLE


@pytest.mark.parametrize("char", REMOVED, ids=lambda ch: f"U+{ord(ch):04X}")
def test_each_invisible_character_is_removed_and_counted(char: str) -> None:
    assert strip_invisible(f"a{char}b") == ("ab", 1)


@pytest.mark.parametrize(
    "char",
    [
        "\t",
        "\n",
        "\r",
        " ",
        "\u00a0",
        "\u2028",
        "\u2029",
        "é",
        "→",
        "—",
        "😀",
        "\u200a",
        "\ufe10",
        "\U000e0080",
    ],
    ids=lambda ch: f"U+{ord(ch):04X}",
)
def test_visible_characters_and_kept_controls_stay(char: str) -> None:
    assert strip_invisible(f"a{char}b") == (f"a{char}b", 0)


def test_every_code_point_outside_the_list_is_kept() -> None:
    removed = set(REMOVED)
    kept = "".join(
        chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF and chr(code) not in removed
    )
    assert strip_invisible(kept) == (kept, 0)


def test_all_listed_characters_at_once() -> None:
    text = "x" + "".join(REMOVED) + "\n" + "".join(REMOVED) + "y"
    assert strip_invisible(text) == ("x\ny", 2 * len(REMOVED))


def test_line_feeds_are_never_removed_so_line_numbers_hold() -> None:
    text = "one\u200b\n\x00two\r\n\u202ethree\n\n"
    clean, removed = strip_invisible(text)
    assert clean == "one\ntwo\r\nthree\n\n"
    assert removed == 3
    assert clean.count("\n") == text.count("\n")


def test_hidden_word_becomes_visible() -> None:
    # Zero-width joiners and a tag-character payload, the classic ways to hide text from a reader.
    hidden = "".join(chr(0xE0000 + ord(ch)) for ch in "approve")
    assert strip_invisible(f"ig\u200bno\u200dre{hidden} this") == ("ignore this", 2 + len("approve"))


def test_empty_and_clean_text_is_returned_unchanged() -> None:
    assert strip_invisible("") == ("", 0)
    text = "def f():\n\treturn 1\n"
    clean, removed = strip_invisible(text)
    assert (clean, removed) == (text, 0)
    assert clean is text  # nothing removed: no copy


def test_lone_surrogates_survive() -> None:
    assert strip_invisible("a\ud800\u200bb") == ("a\ud800b", 1)


@given(st.text())
def test_never_adds_characters_and_keeps_every_line_feed(text: str) -> None:
    clean, removed = strip_invisible(text)
    assert len(clean) + removed == len(text)
    assert clean.count("\n") == text.count("\n")
    assert not set(clean) & set(REMOVED)
    assert strip_invisible(clean) == (clean, 0)
