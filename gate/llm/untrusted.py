"""PURE: untrusted text placed for a model as data, between `<untrusted-data-NONCE>` markers.

The nonce is random per request and never occurs in the data, so text from outside (a PR title, a
label value, a diff) cannot close the block and speak as the instructions; any spelling of the marker
word inside the data is defused (`untrusted-data` -> `untrusted_data`, any case). Values are capped
and the cut is marked. Redaction of secrets and removal of invisible characters are the caller's
(text arrives scrubbed, or with the caller's `scrub` function); this module only caps, defuses and
places. Every operation is a single linear pass.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "MARKER",
    "RenderedValues",
    "cap",
    "choose_nonce",
    "close_marker",
    "data_block",
    "defuse",
    "open_marker",
    "render_values",
]

MARKER = "untrusted-data"
_SPOOF = re.compile(re.escape(MARKER), re.IGNORECASE)  # a literal: matched in one pass
_NONCE_BYTES = 12


def defuse(text: str) -> str:
    """`text` with every spelling of the marker word made harmless."""
    return _SPOOF.sub("untrusted_data", text)


def cap(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, the cut marked with how much is missing."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[cut: {len(text) - limit} more characters]"


def choose_nonce(data: str, nonce: str | None = None) -> str:
    """`nonce` if given and absent from `data`, else a fresh random one that is absent from it."""
    while nonce is None or nonce in data:
        nonce = secrets.token_hex(_NONCE_BYTES)
    return nonce


def open_marker(nonce: str) -> str:
    return f"<{MARKER}-{nonce}>"


def close_marker(nonce: str) -> str:
    return f"</{MARKER}-{nonce}>"


def data_block(data: str, nonce: str) -> str:
    """`data` (already defused, without `nonce`) between the opening and closing markers."""
    if nonce in data or _SPOOF.search(data):
        raise ValueError("data_block: the data is not defused or contains the nonce")  # a caller's bug
    return f"{open_marker(nonce)}\n{data}\n{close_marker(nonce)}"


@dataclass(frozen=True)
class RenderedValues:
    """Untrusted values laid out for a data block: `text` (its lines) and `shown` (each value exactly
    as the model reads it, unquoted: what an answer may cite)."""

    text: str
    shown: tuple[str, ...]


def render_values(
    values: Mapping[str, str | Sequence[str]],
    *,
    scrub: Callable[[str], str],
    value_max: int,
    items_max: int,
) -> RenderedValues:
    """One `name: "value"` line per value (a list: one line per item, cut after `items_max`), each value
    scrubbed by the caller's `scrub` (redaction), capped, defused and JSON-quoted so a newline or a
    quote in it cannot forge another line."""
    lines: list[str] = []
    shown: list[str] = []
    for name, value in values.items():
        items = [value] if isinstance(value, str) else list(value[: items_max + 1])
        label = defuse(name)
        for item in items[:items_max]:
            text = defuse(cap(scrub(item), value_max))
            shown.append(text)
            lines.append(f"{label}: {json.dumps(text, ensure_ascii=False)}")
        if len(items) > items_max:
            lines.append(f"{label}: [cut: {len(value) - items_max} more values]")
    return RenderedValues("\n".join(lines), tuple(shown))
