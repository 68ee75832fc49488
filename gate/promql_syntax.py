"""PURE: an offline PromQL syntax check that says where the first error is.

In: one PromQL expression with no templates left. Out: None when it parses, else a `SyntaxProblem`:
the parser's message and the offset of the error in the text (None only when locating ran out of its
budget). The grammar is promql-parser's (a binding of a Rust port of Prometheus' own parser), imported
on first use so `slo-gate --help` never loads it; a real grammar beats a hand-written checker.

That parser does not say where an error is, so the position is found here: a character PromQL has no
use for or an unterminated string by one linear tokenizing pass; a grammar error by a binary search
for the shortest prefix that no completion repairs (the closing brackets it lacks, plus an operand);
a type or arity error at the call the message names. Like Prometheus, an unclosed bracket is reported
at the end of the text.

Bounds (the parser's time grows with the square of nesting and operator chains, and deep nesting
overflows its stack): a query of more than `MAX_TOKENS` tokens is refused before it is parsed, locating
an error costs O(log tokens) parses, and a `ParseBudget` shared by one file's queries caps the text
those parses may read, so a hostile file cannot multiply the cost. Nothing here raises on any input text.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "MAX_TOKENS",
    "ParseBudget",
    "SyntaxProblem",
    "Token",
    "check",
    "matching",
    "parse_error",
    "tokenize",
]

MAX_TOKENS: Final = 512
# Characters that locating may hand to the parser for one file: ~20 errors in queries of ~100
# characters; on a hostile file (long operator chains) well under a second.
DEFAULT_LOCATE_BUDGET: Final = 40_000
_MAX_CALLS_TRIED: Final = 16

_SPACE = re.compile(r"[ \t\r\n]+|#[^\n]*")
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_NUMBER = re.compile(r"(?:\d|\.\d)(?:[0-9A-Za-z_.]|(?<=[eE])[+-])*")
_OPERATORS: Final = ("==", "!=", ">=", "<=", "=~", "!~")
_SINGLE: Final = frozenset("+-*/%^=<>,:@(){}[]")
_CLOSER: Final = {"(": ")", "{": "}", "[": "]"}
_GROUPING: Final = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_AGGREGATIONS: Final = frozenset(
    {
        "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk",
        "count_values", "quantile", "limitk", "limit_ratio",
    }
)  # fmt: skip
# Checks the parser makes on a node it has fully read (types, arity, names): a prefix completed with a
# placeholder operand may fail one of these, yet a longer text could still be valid.
_SEMANTIC: Final = (
    "expected type",
    "argument(s)",
    "expected at least",
    "expected at most",
    "wrong number of arguments",
    "unknown function",
    "must not be set twice",
    "illegal regex",
    "no grouping allowed",
    "vector selector must contain",
    "ranges only allowed",
    "binary expression must contain",
    "unary expression only allowed",
    "subquery is only allowed",
    "modifier must be preceded",
    "bool modifier can only",
    "comparisons between scalars",
    "vector matching only allowed",
    "may not be set multiple times",
    "modifiers allowed before range",
    "must not occur in on and group",
)
_UNSPECIFIC: Final = "invalid promql query"
_NAMED_CALL = re.compile(
    r"(?:in call to (?:function )?|unknown function with name )'([A-Za-z_:][A-Za-z0-9_:]{0,100})'"
)

Parser = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Token:
    kind: str  # ident, number, string, op, one of ( ) { } [ ], or bad
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class SyntaxProblem:
    """The parser's message, and where in the checked text the error is (None: not located)."""

    message: str
    offset: int | None
    too_long: bool = False


@dataclass
class ParseBudget:
    """Characters of text that locating errors may still parse; one budget serves one file's queries."""

    remaining: int = DEFAULT_LOCATE_BUDGET

    def take(self, characters: int) -> bool:
        if characters > self.remaining:
            self.remaining = 0
            return False
        self.remaining -= characters
        return True


@functools.cache
def _parser() -> Callable[[str], object]:
    import promql_parser as promql

    # Prometheus 2.x's name for double_exponential_smoothing (renamed in 3.0, which the parser follows):
    # a query valid on the server it is written for must not be refused here.
    holt_winters = promql.Function(
        "holt_winters",
        [promql.ValueType.Matrix, promql.ValueType.Scalar, promql.ValueType.Scalar],
        promql.ValueType.Vector,
    )
    with contextlib.suppress(ValueError):  # a later release that knows it again
        promql.register_extra_functions([holt_winters])
    return promql.parse


def parse_error(text: str) -> str | None:
    """promql-parser's message for `text`, or None when it parses. Never raises."""
    parse = _parser()
    try:
        parse(text)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a Rust panic surfaces as pyo3's PanicException (a BaseException)
        return str(exc) or type(exc).__name__
    return None


def tokenize(text: str) -> list[Token]:
    """PromQL tokens, skipping spaces and comments; one linear pass, never raises."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        space = _SPACE.match(text, i)
        if space:
            i = space.end()
            continue
        char = text[i]
        if char in "\"'`":
            end, closed = _string_end(text, i)
            tokens.append(Token("string" if closed else "bad", i, end, text[i:end]))
            i = end
            continue
        for pattern, kind in ((_IDENT, "ident"), (_NUMBER, "number")):
            found = pattern.match(text, i)
            if found:
                tokens.append(Token(kind, i, found.end(), found.group()))
                i = found.end()
                break
        else:
            width = 2 if text.startswith(_OPERATORS, i) else 1
            kind = "op" if width == 2 else char if char in "(){}[]" else "op" if char in _SINGLE else "bad"
            tokens.append(Token(kind, i, i + width, text[i : i + width]))
            i += width
    return tokens


def _string_end(text: str, start: int) -> tuple[int, bool]:
    """End of the string opened at `start` and whether it is closed; a quoted one stops at a newline."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == quote:
            return i + 1, True
        if quote != "`":
            if char == "\n":
                return i, False
            if char == "\\":
                i += 1
        i += 1
    return len(text), False


def check(text: str, budget: ParseBudget | None = None, parse: Parser = parse_error) -> SyntaxProblem | None:
    """None when `text` is valid PromQL, else the problem and where it is."""
    tokens = tokenize(text) if len(text) > MAX_TOKENS else None  # a token is at least one character
    if tokens is not None and len(tokens) > MAX_TOKENS:
        return SyntaxProblem(
            f"has {len(tokens)} PromQL tokens; at most {MAX_TOKENS} are checked (move parts into "
            "recording rules)",
            tokens[MAX_TOKENS].start,
            too_long=True,
        )
    message = parse(text)
    if message is None:
        return None
    tokens = tokens if tokens is not None else tokenize(text)
    offset = _Locator(text, tokens, budget or ParseBudget(), parse).locate(message)
    if message == _UNSPECIFIC and offset is not None:  # the parser's only words for a grammar error
        at = next((t for t in tokens if t.start == offset), None)
        message = f"unexpected {_shown(at.text)}" if at is not None else "unexpected end of input"
    return SyntaxProblem(message, offset)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


class _Locator:
    def __init__(self, text: str, tokens: Sequence[Token], budget: ParseBudget, parse: Parser) -> None:
        self.text = text
        self.tokens = tokens
        self.budget = budget
        self.parse = parse

    def _parse(self, text: str) -> str | bool | None:
        """The message, None when valid, False when the budget is spent."""
        if not self.budget.take(len(text)):
            return False
        return self.parse(text)

    def locate(self, message: str) -> int | None:
        bad = next((t for t in self.tokens if t.kind == "bad"), None)
        if bad is not None:
            return bad.start
        lowest, highest = 1, len(self.tokens)  # the shortest prefix (in tokens) that cannot be repaired
        if not self.tokens:
            return 0
        broken: int | None = None
        while lowest <= highest:
            middle = (lowest + highest) // 2
            viable = self._viable(middle)
            if viable is None:
                return None
            if viable:
                lowest = middle + 1
            else:
                broken, highest = middle, middle - 1
        if broken is not None:
            return self.tokens[broken - 1].start
        if _stack(self.tokens) or not _is_semantic(message):
            return len(self.text.rstrip())  # unclosed or unfinished: at the end, as Prometheus says
        return self._semantic(message)

    def _viable(self, count: int) -> bool | None:
        """Whether some completion of the first `count` tokens parses (or fails only a node check)."""
        tokens = self.tokens[:count]
        stack = _stack(tokens)
        if stack is None:
            return False
        prefix = self.text[: tokens[-1].end]
        for filler, tail in _completions(tokens, stack):
            closers = [_CLOSER[t.kind] for t in reversed(stack)]
            completed = prefix + filler + "".join(closers[:1]) + tail + "".join(closers[1:])
            result = self._parse(completed)
            if result is False:
                return None
            if result is None or _is_semantic(str(result)):
                return True
        return False

    def _semantic(self, message: str) -> int | None:
        """A node check failed: at the call it names, else at the start of the (bracketed) expression
        that the shortest prefix showing the same error ends in."""
        named = _NAMED_CALL.search(message)
        names = {named.group(1)} if named else _AGGREGATIONS if "aggregat" in message else set()
        calls = [
            i
            for i, t in enumerate(self.tokens[:-1])
            if t.kind == "ident" and t.text in names and self.tokens[i + 1].kind == "("
        ]
        for i in calls[:_MAX_CALLS_TRIED]:
            end = matching(self.tokens, i + 1)
            if end is None:
                continue
            alone = self._parse(self.text[self.tokens[i].start : self.tokens[end].end])
            if alone is False:
                return None
            if alone == message:
                return self.tokens[i].start
        if calls:
            return self.tokens[calls[0]].start
        lowest, highest, found = 1, len(self.tokens), len(self.tokens)
        while lowest <= highest:
            middle = (lowest + highest) // 2
            stack = _stack(self.tokens[:middle]) or []
            closed = self.text[: self.tokens[middle - 1].end] + "".join(
                _CLOSER[t.kind] for t in reversed(stack)
            )
            result = self._parse(closed)
            if result is False:
                return None
            if result == message:
                found, highest = middle, middle - 1
            else:
                lowest = middle + 1
        open_at_end = _stack(self.tokens[:found])
        if not open_at_end:
            return self.tokens[0].start
        opener = next(i for i, t in enumerate(self.tokens) if t is open_at_end[-1])
        return self.tokens[min(opener + 1, len(self.tokens) - 1)].start


def _is_semantic(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in _SEMANTIC)


def _stack(tokens: Sequence[Token]) -> list[Token] | None:
    """The brackets still open after `tokens`, or None when a closer does not match."""
    stack: list[Token] = []
    for token in tokens:
        if token.kind in _CLOSER:
            stack.append(token)
        elif token.kind in (")", "}", "]"):
            if not stack or _CLOSER[stack[-1].kind] != token.kind:
                return None
            stack.pop()
    return stack


def matching(tokens: Sequence[Token], opener: int) -> int | None:
    """The index of the bracket closing tokens[opener], or None when it is never closed. PURE."""
    depth = 0
    for index in range(opener, len(tokens)):
        kind = tokens[index].kind
        if kind in _CLOSER:
            depth += 1
        elif kind in (")", "}", "]"):
            depth -= 1
            if depth == 0:
                return index
    return None


def _completions(tokens: Sequence[Token], stack: Sequence[Token]) -> list[tuple[str, str]]:
    """(text before the innermost closer, text after it) pairs that could finish a valid prefix."""
    last = tokens[-1]
    inner = stack[-1] if stack else None
    if inner is not None and inner.kind == "{":
        return [("", ""), ('="x"', ""), ('"x"', "")]
    if inner is not None and inner.kind == "[":
        return [("", ""), ("1m", "")]
    if inner is not None and _is_grouping(tokens, inner):
        return [(filler, tail) for filler in ("", "a") for tail in ("", " (x)", " x")]
    word = last.text.lower() if last.kind == "ident" else ""
    if word == "offset":
        return [(" 1m", "")]
    if word in _GROUPING:
        return [(" (a)", ""), (" (a) (x)", ""), (" (a) x", ""), (" x", "")]
    if word == "bool":
        return [(" x", "")]
    if last.kind == "ident":
        return [("", ""), ("(x)", ""), (" x", ""), ("()", "")]
    if last.kind == ")" and _opened_grouping(tokens):
        return [(" (x)", ""), (" x", ""), ("", "")]
    if last.kind == "op" and last.text == "@":
        return [(" 1", "")]
    if last.kind == "(":
        return [(" x", ""), (" x[1m]", ""), ("", "")]
    if last.kind == "op":
        return [(" x", ""), (" x[1m]", "")]
    return [("", ""), (" x", "")]


def _is_grouping(tokens: Sequence[Token], opener: Token) -> bool:
    index = next(i for i, t in enumerate(tokens) if t is opener)
    return index > 0 and tokens[index - 1].kind == "ident" and tokens[index - 1].text.lower() in _GROUPING


def _opened_grouping(tokens: Sequence[Token]) -> bool:
    """Whether the `)` ending `tokens` closes a grouping list such as `by (a)`."""
    depth = 0
    for index in range(len(tokens) - 1, -1, -1):
        kind = tokens[index].kind
        if kind == ")":
            depth += 1
        elif kind == "(":
            depth -= 1
            if depth == 0:
                return _is_grouping(tokens, tokens[index])
    return False
