"""PURE: Slack Block Kit pieces within Slack's limits, and `mrkdwn`, the one escaping for Slack text.

Limits enforced here (Slack rejects a message that breaks one, so nothing is posted at all): at most
MAX_BLOCKS blocks per message (the cut is said in a last context block), a section's text at most
SECTION_MAX characters, a header's at most HEADER_MAX (plain text), a context at most CONTEXT_ITEMS
elements, the fallback `text` at most TEXT_MAX. Cuts are marked with an ellipsis.

`mrkdwn(text)` makes untrusted text inert in Slack's mrkdwn: control characters shown as escapes (one
line), `&`, `<` and `>` escaped as Slack requires (so `<!channel>`, `<!here>`, `<@U123>` and
`<http://x|y>` are text, never a mention or a link), and the formatting marks `*`, `_`, `~` and a
backtick preceded by a zero-width space so they cannot restyle the message around them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gate.report import clean

__all__ = [
    "CONTEXT_ITEMS",
    "HEADER_MAX",
    "MAX_BLOCKS",
    "SECTION_MAX",
    "TEXT_MAX",
    "SlackMessage",
    "context",
    "divider",
    "header",
    "message",
    "mrkdwn",
    "section",
]

MAX_BLOCKS = 50
SECTION_MAX = 3000
HEADER_MAX = 150
CONTEXT_ITEMS = 10
TEXT_MAX = 3000
_FORMATTING = str.maketrans({c: "\u200b" + c for c in "*_~`"})


def mrkdwn(text: str, limit: int = 500) -> str:
    """Untrusted text as inert Slack mrkdwn (see the module docstring)."""
    text = clean(text, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.translate(_FORMATTING)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class SlackMessage:
    """One message: the notification's fallback `text` and its blocks (already within the limits)."""

    text: str
    blocks: tuple[dict[str, Any], ...]

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": list(self.blocks)}


def header(text: str) -> dict[str, Any]:
    """A header block; `text` is plain text (no mrkdwn), cut to HEADER_MAX characters."""
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": _cut(clean(text, 1000), HEADER_MAX), "emoji": True},
    }


def section(text: str) -> dict[str, Any]:
    """A section of mrkdwn the caller built (untrusted parts through `mrkdwn`), cut to SECTION_MAX."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SECTION_MAX)}}


def context(texts: Sequence[str]) -> dict[str, Any]:
    items = [{"type": "mrkdwn", "text": _cut(t, SECTION_MAX)} for t in texts[:CONTEXT_ITEMS]]
    return {"type": "context", "elements": items}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def message(text: str, blocks: Sequence[dict[str, Any]]) -> SlackMessage:
    """A message of at most MAX_BLOCKS blocks; more are cut and the last block says how many."""
    kept = list(blocks)
    if len(kept) > MAX_BLOCKS:
        dropped = len(kept) - (MAX_BLOCKS - 1)
        kept = [*kept[: MAX_BLOCKS - 1], context([f"… {dropped} more blocks did not fit in one message"])]
    return SlackMessage(text=_cut(text, TEXT_MAX), blocks=tuple(kept))
