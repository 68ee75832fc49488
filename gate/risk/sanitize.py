"""Remove characters a reader cannot see from untrusted text. PURE (no I/O).

Removed (each counts once):

- zero-width and invisible formatting: U+200B–U+200D, U+2060–U+2064, U+FEFF, U+180E, U+00AD (soft
  hyphen), U+034F, U+115F, U+1160, U+17B4, U+17B5, U+3164, U+FFA0 (fillers that render as nothing),
  U+206A–U+206F (deprecated format controls), U+FFF9–U+FFFB (interlinear annotation);
- bidirectional controls: U+200E, U+200F, U+061C, U+202A–U+202E, U+2066–U+2069;
- tag characters U+E0000–U+E007F and variation selectors U+FE00–U+FE0F, U+E0100–U+E01EF;
- C0 controls other than tab, line feed and carriage return; DEL; C1 controls U+0080–U+009F.

Line feeds are never removed, so line numbers computed on the clean text hold for the input.
Other line separators (U+2028, U+2029) are visible breaks and are kept.

Speed: the work is done on the UTF-8 bytes. C0 controls and DEL are single bytes that never occur
inside a multi-byte sequence, so `bytes.translate` deletes them in one C pass; every other removed
character starts with one of six lead bytes, and each small pattern runs only when its lead byte
is present (a `bytes in` check is a memchr). Lone surrogates survive (`surrogatepass`).
"""

from __future__ import annotations

import re

__all__ = ["strip_invisible"]

# Single-byte controls: C0 except \t (9), \n (10), \r (13), and DEL.
_C0_AND_DEL = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def _char_class(chars: str) -> str:
    """A byte class for the last UTF-8 byte of each char (all chars share the other bytes)."""
    return "[" + "".join(f"\\x{ch.encode('utf-8')[-1]:02x}" for ch in chars) + "]"


def _span(first: int, last: int) -> str:
    return "".join(chr(code) for code in range(first, last + 1))


# By UTF-8 lead byte: (lead, pattern for the whole sequence). Each pattern starts with its lead
# byte, so `re` searches for that literal byte before trying anything else.
_MULTIBYTE: tuple[tuple[bytes, re.Pattern[bytes]], ...] = tuple(
    (lead, re.compile(pattern.encode("latin-1")))
    for lead, pattern in (
        # U+0080-U+009F (C1), U+00AD: C2 80..9F, C2 AD
        (b"\xc2", r"\xc2[\x80-\x9f\xad]"),
        # U+034F: CD 8F
        (b"\xcd", r"\xcd\x8f"),
        # U+061C: D8 9C
        (b"\xd8", r"\xd8\x9c"),
        # U+115F, U+1160 (E1 85 9F, E1 85 A0), U+17B4, U+17B5 (E1 9E B4/B5), U+180E (E1 A0 8E)
        (b"\xe1", r"\xe1(?:\x85[\x9f\xa0]|\x9e[\xb4\xb5]|\xa0\x8e)"),
        # U+200B-U+200F, U+202A-U+202E (E2 80 ..), U+2060-U+2064, U+2066-U+206F (E2 81 ..)
        (
            b"\xe2",
            r"\xe2(?:\x80"
            + _char_class(_span(0x200B, 0x200F) + _span(0x202A, 0x202E))
            + r"|\x81"
            + _char_class(_span(0x2060, 0x2064) + _span(0x2066, 0x206F))
            + ")",
        ),
        # U+3164: E3 85 A4
        (b"\xe3", r"\xe3\x85\xa4"),
        # U+FE00-U+FE0F (EF B8 80..8F), U+FEFF (EF BB BF), U+FFA0 (EF BE A0), U+FFF9-U+FFFB
        (b"\xef", r"\xef(?:\xb8[\x80-\x8f]|\xbb\xbf|\xbe\xa0|\xbf[\xb9-\xbb])"),
        # U+E0000-U+E007F (F3 A0 80..81 xx), U+E0100-U+E01EF (F3 A0 84..87 xx, last xx <= AF)
        (b"\xf3", r"\xf3\xa0(?:[\x80\x81\x84-\x86][\x80-\xbf]|\x87[\x80-\xaf])"),
    )
)


def strip_invisible(text: str) -> tuple[str, int]:
    """Remove zero-width, bidi-control and Unicode tag characters (and C0/C1 control chars other
    than \\t \\n \\r); return (clean text, number removed)."""
    raw = text.encode("utf-8", "surrogatepass")
    data = raw.translate(None, _C0_AND_DEL)
    for lead, pattern in _MULTIBYTE:
        if lead in data:
            data = pattern.sub(b"", data)
    if len(data) == len(raw):
        return text, 0  # nothing removed: skip the decode
    clean = data.decode("utf-8", "surrogatepass")
    return clean, len(text) - len(clean)
