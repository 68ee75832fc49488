"""PURE: what a text cites — numbers, times, dates, pull requests, SHAs, paths, identifiers and quoted
names — found in one left-to-right pass (no regular expression, no backtracking: linear in the text).

In: any text (model output, or a fact). Out: `Citation`s in order of appearance, each with its kind,
its characters as written (after normalising) and, for figures, its value, precision and unit:

- numbers: `17`, `1,234`, `11.6`, `.5`, with a unit or not (`17%`, `14.9x`, `11.6 h`, `45m`,
  `3 days`, `2nd`, `1h30m` is two); the sign is dropped ("-12%" cites 12%);
- times `14:32` / `14:32:05`, dates `2026-11-03` (an ISO timestamp is a date and a time);
- pull requests `#1234`; commit SHAs (7 to 40 hex characters with a digit and a letter); paths
  `/api/checkout` (after a space or bracket); spans in backticks or double quotes (one line, at most
  QUOTE_MAX characters);
- identifiers that mix letters and digits (`eu-west-1`, `p99`, `x17`, `1.2.3`), so a digit glued to
  letters is never skipped.

Numbers written in words and plain words are not citations. Text is NFKC-normalised and digits of
every script read as ASCII first, so full-width or Arabic-Indic digits are figures like any other.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = ["QUOTE_MAX", "Citation", "Kind", "citations", "normalise"]

Kind = Literal["number", "time", "date", "ref", "sha", "path", "quoted", "identifier"]

QUOTE_MAX = 200  # a quoted span longer than this (or crossing a line) is not a citation
_QUOTES = {"`": "`", '"': '"', "\u201c": "\u201d", "\u00ab": "\u00bb"}
_PATH_LEFT = frozenset(" \t\n\r([{,;:=")
_PATH_STOP = frozenset("\"'`<>()[]{},;|")
_PATH_TRAIL = ".:!?"
_UNITS = {
    **dict.fromkeys(("%", "percent"), "%"),
    **dict.fromkeys(("x", "×", "times"), "x"),
    **dict.fromkeys(("ms",), "ms"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "min"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "w"),
    **dict.fromkeys(("st", "nd", "rd", "th"), ""),  # ordinals: the number itself
}


@dataclass(frozen=True)
class Citation:
    """One thing the text cites. `value`: a number's magnitude, or a time in seconds of the day;
    `precision`: the step the number was written to (0.1 for `11.6`), or 60 / 1 for a time."""

    kind: Kind
    text: str
    value: float = 0.0
    precision: float = 1.0
    unit: str = ""

    def shown(self) -> str:
        """The citation as a report may quote it: its own characters when they are plain, else its kind."""
        text = self.text
        plain = all((c.isascii() and c.isalnum()) or c in "#%./:_-× " for c in text)
        if plain and len(text) <= 60:
            return f"`{text}`" if self.kind in ("path", "quoted", "identifier") else text
        return {"path": "a path", "quoted": "a quoted name", "identifier": "an identifier"}.get(
            self.kind, "a figure"
        )


# -- scanning ------------------------------------------------------------------------------------
def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"  # other scripts' digits are made ASCII before the scan


def normalise(text: str) -> str:
    """NFKC (full-width digits and signs), then every decimal digit of any script as ASCII."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


class _Scanner:
    """One pass over `text`; `found` collects citations. Every step moves `i` forward."""

    def __init__(self, text: str) -> None:
        self.text = normalise(text)
        self.n = len(self.text)
        self.found: list[Citation] = []
        # Per closing quote: the text before this offset is known to hold no usable closer, so a
        # later opener resumes the search there (each character is searched at most once per kind).
        self._no_close: dict[str, int] = {}

    def run(self) -> list[Citation]:
        text, n = self.text, self.n
        i = 0
        while i < n:
            c = text[i]
            before = text[i - 1] if i else " "
            if c in _QUOTES:
                i = self._quoted(i)
            elif c == "#" and i + 1 < n and _is_digit(text[i + 1]) and not _is_word(before):
                i = self._ref(i)
            elif c == "/" and before in _PATH_LEFT and i + 1 < n and self._path_char(text[i + 1]):
                i = self._path(i)
            elif _is_digit(c) or (c == "." and i + 1 < n and _is_digit(text[i + 1]) and not _is_word(before)):
                i = self._number(i)
            elif _is_word(c):
                i = self._word(i)
            else:
                i += 1
        return self.found

    @staticmethod
    def _path_char(c: str) -> bool:
        return not c.isspace() and c not in _PATH_STOP

    def _quoted(self, i: int) -> int:
        text = self.text
        close = _QUOTES[text[i]]
        end = min(self.n, i + 1 + QUOTE_MAX + 1)
        j = max(i + 1, self._no_close.get(close, 0))
        while j < end and text[j] != close and text[j] != "\n":
            j += 1
        if j < end and text[j] == close:
            span = " ".join(text[i + 1 : j].split())
            if span:
                self.found.append(Citation("quoted", span))
                return j + 1
            return i + 1  # `` or "": no span, and the second mark may open one
        # No closer within reach: a stray mark, not a citation. Nothing before j closes a later
        # opener either (a newline ends every span; past the limit, the search resumes at j).
        self._no_close[close] = j
        return i + 1

    def _ref(self, i: int) -> int:
        j = self._digits(i + 1)
        if j < self.n and _is_word(self.text[j]):
            return self._word(i + 1)  # `#12abc`: an identifier, not a pull request
        self.found.append(Citation("ref", "#" + (self.text[i + 1 : j].lstrip("0") or "0")))
        return j

    def _path(self, i: int) -> int:
        j = i + 1
        while j < self.n and self._path_char(self.text[j]):
            j += 1
        path = self.text[i:j].rstrip(_PATH_TRAIL)
        if len(path) > 1:
            self.found.append(Citation("path", path))
        return j

    def _digits(self, j: int) -> int:
        while j < self.n and _is_digit(self.text[j]):
            j += 1
        return j

    def _word_end(self, j: int) -> int:
        """The end of an identifier from `j`: word characters, and `-` or `.` between two of them."""
        text, n = self.text, self.n
        while j < n and (_is_word(text[j]) or (text[j] in "-." and j + 1 < n and _is_word(text[j + 1]))):
            j += 1  # a `-` or `.` is only ever reached right after a word character
        return j

    def _word(self, i: int) -> int:
        j = self._word_end(i)
        word = self.text[i:j]
        if any(_is_digit(c) for c in word):
            self.found.append(_classify_word(word))
        return j

    def _number(self, i: int) -> int:
        text, n = self.text, self.n
        j = self._digits(i)
        whole = text[i:j]
        date_end = self._date(i, j)
        if date_end is not None:
            return date_end
        time_end = self._time(i, j)
        if time_end is not None:
            return time_end
        if 1 <= len(whole) <= 3:  # thousands separators: `1,234,567` (a comma, then exactly three digits)
            while j < n and text[j] == "," and self._three(j + 1):
                j += 4
        decimals = 0
        if j + 1 < n and text[j] == "." and _is_digit(text[j + 1]):
            k = self._digits(j + 1)
            decimals = k - j - 1
            j = k
            if j + 1 < n and text[j] == "." and _is_digit(text[j + 1]):
                return self._word(i)  # 1.2.3: a version, an identifier
        digits = text[i:j].replace(",", "")
        value = abs(float(digits if not digits.startswith(".") else "0" + digits))
        return self._unit(i, j, value, 10.0**-decimals)

    def _three(self, j: int) -> bool:
        text = self.text
        return (
            j + 3 <= self.n
            and all(_is_digit(c) for c in text[j : j + 3])
            and (j + 3 == self.n or not _is_digit(text[j + 3]))
        )

    def _date(self, i: int, j: int) -> int | None:
        text = self.text
        if j - i != 4 or text[j : j + 1] != "-":
            return None
        month_end = self._digits(j + 1)
        if month_end - j - 1 != 2 or text[month_end : month_end + 1] != "-":
            return None
        day_end = self._digits(month_end + 1)
        if day_end - month_end - 1 != 2:
            return None
        date = text[i:day_end]
        self.found.append(Citation("date", date))
        # An ISO timestamp goes on with T and the time: skip the T so the time is read as one.
        if day_end + 1 < self.n and text[day_end] in "Tt" and _is_digit(text[day_end + 1]):
            return day_end + 1
        return day_end

    def _time(self, i: int, j: int) -> int | None:
        text = self.text
        if not 1 <= j - i <= 2 or text[j : j + 1] != ":":
            return None
        minute_end = self._digits(j + 1)
        if minute_end - j - 1 != 2:
            return None
        hours, minutes, seconds, precision = int(text[i:j]), int(text[j + 1 : minute_end]), 0, 60.0
        end = minute_end
        if text[end : end + 1] == ":":
            second_end = self._digits(end + 1)
            if second_end - end - 1 == 2:
                seconds, precision, end = int(text[end + 1 : second_end]), 1.0, second_end
        if hours > 23 or minutes > 59 or seconds > 59:
            return None
        value = float(hours * 3600 + minutes * 60 + seconds)
        self.found.append(Citation("time", text[i:end], value=value, precision=precision))
        return end

    def _unit(self, i: int, j: int, value: float, precision: float) -> int:
        text, n = self.text, self.n
        if j < n and text[j] in "%×":
            return self._emit_number(i, j + 1, value, precision, _UNITS[text[j]])
        if j < n and text[j].isalpha():  # glued letters: a unit (45m, 14.9x, 2nd) or an identifier (5xx)
            k = j
            while k < n and text[k].isalpha():
                k += 1
            suffix = text[j:k].lower()
            if suffix in _UNITS and (k == n or not _is_word(text[k])):
                return self._emit_number(i, k, value, precision, _UNITS[suffix])
            if k < n and _is_digit(text[k]) and suffix in _UNITS:  # 1h30m: one figure per part
                return self._emit_number(i, k, value, precision, _UNITS[suffix])
            return self._word(i)
        if j + 1 < n and text[j] == " ":  # one space, then a unit word: `11.6 h`, `3 days`, `17 percent`
            k = j + 1
            if text[k] in "%×":
                return self._emit_number(i, k + 1, value, precision, _UNITS[text[k]])
            while k < n and text[k].isalpha():
                k += 1
            suffix = text[j + 1 : k].lower()
            if k > j + 1 and suffix in _UNITS and _UNITS[suffix] and (k == n or not _is_word(text[k])):
                return self._emit_number(i, k, value, precision, _UNITS[suffix])
        if j < n and _is_word(text[j]):
            return self._word(i)  # `12_000`-like joins: an identifier
        return self._emit_number(i, j, value, precision, "")

    def _emit_number(self, i: int, end: int, value: float, precision: float, unit: str) -> int:
        self.found.append(Citation("number", self.text[i:end], value=value, precision=precision, unit=unit))
        return end


def _classify_word(word: str) -> Citation:
    lowered = word.lower()
    hexish = all(c in "0123456789abcdef" for c in lowered)
    if hexish and 7 <= len(word) <= 40 and any(c.isalpha() for c in lowered):
        return Citation("sha", lowered)
    return Citation("identifier", word)


def citations(text: str) -> list[Citation]:
    """Everything `text` cites, in order (see the module docstring for what counts)."""
    return _Scanner(text).run()
