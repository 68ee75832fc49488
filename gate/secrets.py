"""PURE: the one masking pass for secrets, in every form they come back in.

In: the secret values a client holds (tokens, passwords, sensitive header values), a basic-auth
pair, URLs that are themselves credentials (a Slack webhook). Out: `Secrets.mask(text)`, which
replaces each known form with "***" and then anything shaped like a credential whoever owns it
(URL userinfo, Authorization values, Bearer tokens); `Secrets.excerpt(text)` masks, flattens to one
printable line and caps, cutting only after masking so no prefix of a secret survives a cut.
Known forms: the raw value, its URL encodings (quote, quote_plus, lower-case hex), its JSON-string
escape, its base64 (standard and URL-safe, padded or not), `user:password` in the same forms (what
`Authorization: Basic` carries), and for a credential URL its path and long path segments. Every
pass is linear in the text; nothing here does I/O.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote, quote_plus, urlsplit

__all__ = ["EXCERPT_CHARS", "MASK", "Secrets", "is_sensitive_header"]

MASK: Final = "***"
EXCERPT_CHARS: Final = 200
_SENSITIVE_EXACT: Final = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_SENSITIVE_PARTS: Final = ("token", "key", "secret", "password", "passwd", "auth", "session")
_TOKEN_SEGMENT: Final = 16  # a credential URL's path segments this long are tokens in their own right
# `scheme://user:pass@`: the scan starts only at a literal "://" and stops at the next "/", so
# candidate regions never overlap and the pass stays linear.
_USERINFO: Final = re.compile(r"://[^/\s@]+@")
# Any Authorization value, ours or not: a header line, JSON, a form field, a Python repr.
_AUTH_VALUE: Final = re.compile(
    r"""(?i)\b((?:proxy-)?authorization["']?[ \t]{0,8}[:=][ \t]{0,8}["']?[ \t]{0,8}"""
    r"""(?:(?:basic|bearer|token|digest|negotiate)[ \t]{1,8})?)[^\s"',;&]+"""
)
_BEARER: Final = re.compile(r"\b(Bearer[ \t]{1,8})[A-Za-z0-9._~+/-]+=*")
_PCT: Final = re.compile(r"%[0-9A-F]{2}")


def is_sensitive_header(name: str) -> bool:
    """A header whose value is a credential (Authorization, X-Api-Key, Cookie, ...)."""
    lowered = name.lower()
    return lowered in _SENSITIVE_EXACT or any(part in lowered for part in _SENSITIVE_PARTS)


def _encodings(value: str) -> set[str]:
    """The forms a value takes in URLs, JSON and base64."""
    forms = {value, quote(value, safe=""), quote(value), quote_plus(value), json.dumps(value)[1:-1]}
    forms |= {_PCT.sub(lambda m: m.group().lower(), form) for form in forms}
    raw = value.encode()
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode()
        forms |= {text, text.rstrip("=")}
    return forms


def _url_forms(url: str) -> set[str]:
    """A URL that is itself a credential: the URL, its path (and query) and its long segments."""
    forms = {url, url.rstrip("/")}
    parts = urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    if len(tail) > 1:
        forms |= {tail, parts.path}
    forms |= {segment for segment in parts.path.split("/") if len(segment) >= _TOKEN_SEGMENT}
    return {variant for form in forms if form for variant in _encodings(form)}


class Secrets:
    """Every value that must never be shown, in every form it may come back in."""

    def __init__(
        self,
        values: Iterable[str] = (),
        *,
        basic: tuple[str, str] | None = None,
        urls: Iterable[str] = (),
    ) -> None:
        forms: set[str] = set()
        for value in values:
            if value:
                forms |= _encodings(value)
        if basic is not None and basic[1]:
            user, password = basic
            forms |= _encodings(password) | _encodings(f"{user}:{password}")
        for url in urls:
            if url:
                forms |= _url_forms(url)
        forms.discard("")
        # Longest first: a form that contains another is masked whole.
        self._forms = tuple(sorted(forms, key=lambda form: (-len(form), form)))

    def __len__(self) -> int:
        return len(self._forms)

    @property
    def forms(self) -> tuple[str, ...]:
        """Every form masked, longest first (e.g. for Actions' `::add-mask::`)."""
        return self._forms

    def __repr__(self) -> str:
        return f"Secrets({len(self._forms)} forms)"

    def mask(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        text = _USERINFO.sub(f"://{MASK}@", text)
        text = _AUTH_VALUE.sub(lambda m: m.group(1) + MASK, text)
        return _BEARER.sub(lambda m: m.group(1) + MASK, text)

    def excerpt(self, text: str, limit: int = EXCERPT_CHARS) -> str:
        """`text` masked, on one printable line, at most `limit` characters."""
        masked = self.mask(text)
        flat = " ".join("".join(ch if ch.isprintable() else " " for ch in masked).split())
        return flat if len(flat) <= limit else flat[:limit] + "…"
