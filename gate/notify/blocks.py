"""PURE: Slack messages in Block Kit, always within Slack's limits, and `mrkdwn`, the one way an
untrusted value (a label value, a PR title, model output) enters one.

In: text the caller built (its own words, numbers, and untrusted values already passed through
`mrkdwn`). Out: a `SlackMessage` (fallback `text` for notifications plus `blocks`) that Slack
accepts. Limits, each enforced here and nowhere else:

- at most MAX_BLOCKS (50) blocks; a longer list keeps the first 49 and says how many were left out;
- a section's text at most 3000 characters, a header's 150 (plain text), a context block at most 10
  elements of at most 3000 characters each;
- all block text together at most TOTAL_TEXT (12 000) characters: the API refuses messages well
  below 50 full sections (`msg_blocks_too_long`, observed near 13 000), so trailing blocks are
  dropped and counted instead;
- the fallback text at most 3000 characters.

Anything longer is cut, never refused: at a safe point (not inside an escape such as `&amp;` or a
link `<...>`), ending with "…" and, when the caller gives one, a link to the whole text. Nothing
here raises for long or hostile input.

`mrkdwn(text)` turns untrusted text into inert mrkdwn: one line (control characters and line breaks
become spaces), capped, `&`, `<` and `>` escaped (so `<!channel>`, `<@U123>` and links are text),
`@channel`/`@here`/`@everyone` and bare URLs broken with a zero-width space, and the formatting
characters `* _ ~ `` ` made inert the same way. `mrkdwn(text, code=True)` instead shows the value
exactly, in a code span (inside which Slack applies no formatting; a backtick, which would close the
span, becomes `ˋ`). Every scan is one linear pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "HEADER_MAX",
    "MAX_BLOCKS",
    "SECTION_MAX",
    "TEXT_MAX",
    "TOTAL_TEXT",
    "SlackMessage",
    "context",
    "divider",
    "header",
    "link",
    "message",
    "mrkdwn",
    "section",
]

MAX_BLOCKS: Final = 50
SECTION_MAX: Final = 3000
HEADER_MAX: Final = 150
CONTEXT_ELEMENTS: Final = 10
TEXT_MAX: Final = 3000  # the fallback text, and any one text object
TOTAL_TEXT: Final = 12_000
ELLIPSIS: Final = "…"
_ZWSP: Final = "\u200b"
_LINE_BREAKS: Final = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
_BROADCAST: Final = re.compile(r"(?i)@(channel|here|everyone)\b")
_SCHEME: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,20})://")
_FORMATTING: Final = re.compile(r"([*_~`])")
_ENTITIES: Final = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))


@dataclass(frozen=True)
class SlackMessage:
    """A message as Slack's APIs take it: `text` is what notifications and screen readers show."""

    text: str
    blocks: tuple[dict[str, Any], ...]

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": [dict(block) for block in self.blocks]}


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(_LINE_BREAKS.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: max(0, limit - 1)] + ELLIPSIS


def _escape(text: str) -> str:
    for raw, entity in _ENTITIES:
        text = text.replace(raw, entity)
    return text


def mrkdwn(text: str, *, code: bool = False, limit: int = 300) -> str:
    """Untrusted `text` as inert mrkdwn (see the module docstring): plain words, or exact in a code span."""
    flat = _one_line(text, limit)
    if code:
        return "`" + _escape(flat.replace("`", "ˋ")) + "`" if flat else "` `"
    flat = _FORMATTING.sub(lambda m: m.group(1) + _ZWSP, flat)
    flat = _BROADCAST.sub(lambda m: "@" + _ZWSP + m.group(1), flat)
    flat = _SCHEME.sub(lambda m: m.group(1) + ":" + _ZWSP + "//", flat)
    return _escape(flat)


def link(url: str, label: str) -> str:
    """A link to `url` (ours: a run, a dashboard) labelled with `label` (escaped); just the label when
    the URL is not plain http(s)."""
    shown = mrkdwn(label, limit=100)
    if not re.fullmatch(r"https?://[^\s<>|]{1,2000}", url):
        return shown
    return f"<{url}|{shown}>"


def _cut(text: str, limit: int, more: str | None = None) -> str:
    """`text` (mrkdwn) within `limit` characters: cut at a safe point, "…" and the link to the rest."""
    if len(text) <= limit:
        return text
    tail = ELLIPSIS + (" " + link(more, "full text") if more else "")
    if len(tail) >= limit:
        tail = ELLIPSIS
    head = text[: limit - len(tail)]
    # Never end inside an entity (`&am`) or a link/mention (`<http://...`): back off to before it.
    amp, semi = head.rfind("&"), head.rfind(";")
    if amp > semi:
        head = head[:amp]
    opened, closed = head.rfind("<"), head.rfind(">")
    if opened > closed:
        head = head[:opened]
    return head + tail


def header(text: str) -> dict[str, Any]:
    """A header block: plain text (no mrkdwn), one line, at most 150 characters."""
    return {"type": "header", "text": {"type": "plain_text", "text": _one_line(text, HEADER_MAX) or " "}}


def section(text: str, *, more: str | None = None) -> dict[str, Any]:
    """A mrkdwn section; `text` is the caller's mrkdwn (untrusted parts already through `mrkdwn`)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SECTION_MAX, more) or " "}}


def context(*texts: str) -> dict[str, Any]:
    """A context block (small grey text) of at most 10 mrkdwn elements."""
    kept = [t for t in texts if t][:CONTEXT_ELEMENTS] or [" "]
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(t, TEXT_MAX)} for t in kept]}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def _text_size(block: dict[str, Any]) -> int:
    size = 0
    text = block.get("text")
    if isinstance(text, dict):
        size += len(str(text.get("text", "")))
    for element in block.get("elements", ()):
        if isinstance(element, dict):
            size += len(str(element.get("text", "")))
    return size


def message(text: str, blocks: Sequence[dict[str, Any]], *, more: str | None = None) -> SlackMessage:
    """The message: fallback `text` (plain words, escaped here) and `blocks`, both within the limits."""
    kept: list[dict[str, Any]] = []
    used = 0
    for index, block in enumerate(blocks):
        size = _text_size(block)
        room = len(kept) < MAX_BLOCKS - 1 or (index == len(blocks) - 1 and len(kept) < MAX_BLOCKS)
        if not room or used + size > TOTAL_TEXT - 200:  # keep room for the note below
            left = len(blocks) - index
            note = f"{ELLIPSIS} {left} more block{'s' if left != 1 else ''} left out (Slack's message limits)"
            if more:
                note += " " + link(more, "full text")
            kept.append(context(note))
            break
        kept.append(dict(block))
        used += size
    fallback = _cut(mrkdwn(text, limit=TEXT_MAX), TEXT_MAX)
    return SlackMessage(fallback or " ", tuple(kept))
