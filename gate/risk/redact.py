"""Replace secret-like strings in untrusted text by `[REDACTED:<slug>]` markers. PURE (no I/O).

What is found, by kind (slug in brackets):

- `AWS access key` [aws-access-key]: AKIA/ASIA/ABIA/ACCA + 16 upper-case letters or digits;
- `AWS secret access key` [aws-secret-access-key]: 40 base64 characters assigned to a key that
  names both `aws` and `secret` (`aws_secret_access_key = ...`, `AWS_SECRET_ACCESS_KEY=...`);
- `GitHub token` [github-token]: `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36 or more letters or digits,
  `github_pat_` + 22 or more letters, digits or `_`;
- `Anthropic API key` [anthropic-api-key]: `sk-ant-...`; `OpenAI API key` [openai-api-key]: any
  other `sk-` (also `sk-proj-`, `sk-svcacct-`, `sk-admin-`) + 20 or more of `[A-Za-z0-9_-]`;
- `Slack token` [slack-token]: `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, `xapp-` + 10 or more;
  `Slack webhook URL` [slack-webhook-url]: `https://hooks.slack.com/services/...` (and `workflows/`,
  `triggers/`);
- `private key block` [private-key-block]: from `-----BEGIN ... PRIVATE KEY-----` to the matching
  `-----END ... PRIVATE KEY-----`; every line of the block keeps its diff prefix (`+`, `-`, space)
  and gets the marker instead of its content (text before BEGIN and after END on their lines is
  kept). An unterminated block runs to the end of its file's section (the next `diff --git ` line)
  or of the text; hunk headers (`@@ `) and `\\ No newline` lines inside it are kept as they are;
- `JWT` [jwt]: `eyJ` + three base64url segments of at least 8 characters;
- `password in URL` [password-in-url]: the password of `scheme://user:password@host`;
- `password assignment`, `secret assignment`, `token assignment`, `API key assignment` (slugs
  `password-assignment`, ...): a key that ENDS with password|passwd|pwd (password), secret,
  client_secret, secret_key, private_key (secret), token (token), api_key|apikey|api-key,
  access_key (API key) -- case-insensitive, so `dbPassword`, `authToken`, `DB_PASSWORD` count --
  then `=`, `:`, `:=` or `=>`, then a literal: a quoted string of at least one character or an
  unquoted run of at least 4 non-space characters. Only the value is replaced; the key, the
  operator and the quotes stay.

Values that are not literals are left alone (a false positive raises a deploy's risk for nothing):

- references and expressions: values starting with `$`, `{` (templates, f-strings, format fields),
  `%(`, `%{`, `<`, `os.`, `env.`, `env[`, `process.env`, `getenv`, `secrets.`, `vault:`; unquoted
  values also when they start with `%`, `[`, `!` (YAML tags), `:` or `@name` (bind parameters, Ruby
  instance variables), `*`, `&`, `/`, `./`, `~/` (paths), contain `(` (a call) or are attribute or
  subscript expressions (`self.token`, `cfg["password"]`, `a->b`, `A::B`);
- `None`/`null`/`nil`/`true`/`false`/`undefined`, empty strings, masks (`****`, `xxxx`), values that
  are already a marker;
- in code: type annotations (`token: str`, `password: Optional[str] = None`: the default is what is
  checked), unquoted identifiers that name a secret and hold no digit (`password = user_password`,
  `token: authToken`), unquoted identifiers followed by `,` `;` `)` `]` `}` (arguments, object
  fields), digit-free unquoted identifiers after a spaced ` = ` (a variable: `token = bearer`;
  `.env`/YAML style `TOKEN=bearer`, `token: bearer` stay literals), and `key: value more words`
  (prose, e.g. docstrings: `token: The token to use`);
- in URLs: a `${...}`/`{...}` reference or a placeholder password (`user:password@`, `user:pass@`).

The price: a few literal secrets of those shapes are not redacted (`password = hunter` in an INI
file, an unquoted YAML passphrase of several words, a password starting with `/`, `!`, `:` or `{`).

Keys such as `max_tokens`, `token_type`, `password_policy`, `secret_name` do not end with the
sensitive word and never match. Token patterns run before assignments, so `GITHUB_TOKEN = "ghp_..."`
is reported as a GitHub token, once. Callers strip invisible characters first
(gate.risk.sanitize): `gh\\u200bp_...` is not a token until the zero-width space is gone.

Speed: every scan is linear in the text, whatever an author puts on one line. The whole-text
patterns run on an ASCII byte copy of the text (one byte per character, so offsets are shared;
secrets are ASCII) and each starts with a literal, so `re` searches for it at C speed; values are
then read from the key onwards. None can backtrack catastrophically (possessive quantifiers, bounded
repetition, a left-boundary lookbehind placed after the literal so a match never restarts inside a
run). Nothing is rescanned to the end of a line once per key: each line's end is found once per key
word, keys inside a value already taken are skipped, and an unquoted value (a run without
whitespace, which may hold thousands of keys, as in minified code) is measured once per run: what
the literal test asks of it (its end, its trailing punctuation, the last `(`, the last marker, a
mask tail, what follows it) is computed once and answered for every key inside it in constant time.
A quoted value ends at the next quote of its kind, so quoted values overlap at most three deep.
Key blocks find each line's end and the next file's section once, not once per block. Redactions
never contain the secret, only its kind and 1-based line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["KINDS", "Redacted", "Redaction", "marker", "redact", "slug"]

# Kind labels (ruff S105 mistakes them for hardcoded secrets because of their names).
AWS_ACCESS_KEY = "AWS access key"
AWS_SECRET_KEY = "AWS secret access key"  # noqa: S105
GITHUB_TOKEN = "GitHub token"  # noqa: S105
ANTHROPIC_KEY = "Anthropic API key"
OPENAI_KEY = "OpenAI API key"
SLACK_TOKEN = "Slack token"  # noqa: S105
SLACK_WEBHOOK = "Slack webhook URL"
PRIVATE_KEY = "private key block"
JWT = "JWT"
URL_PASSWORD = "password in URL"  # noqa: S105
PASSWORD = "password assignment"  # noqa: S105
SECRET = "secret assignment"  # noqa: S105
TOKEN = "token assignment"  # noqa: S105
API_KEY = "API key assignment"

KINDS = (
    AWS_ACCESS_KEY,
    AWS_SECRET_KEY,
    GITHUB_TOKEN,
    ANTHROPIC_KEY,
    OPENAI_KEY,
    SLACK_TOKEN,
    SLACK_WEBHOOK,
    PRIVATE_KEY,
    JWT,
    URL_PASSWORD,
    PASSWORD,
    SECRET,
    TOKEN,
    API_KEY,
)


def slug(kind: str) -> str:
    """`GitHub token` -> `github-token`."""
    return "-".join(kind.lower().split())


def marker(kind: str) -> str:
    return f"[REDACTED:{slug(kind)}]"


_MARKERS = {kind: marker(kind) for kind in KINDS}


@dataclass(frozen=True)
class Redaction:
    """One secret that was replaced: what kind, on which 1-based line (never the secret itself)."""

    kind: str
    line: int


@dataclass(frozen=True)
class Redacted:
    """The text with every secret replaced (same lines, same diff prefixes) and what was replaced."""

    text: str
    redactions: tuple[Redaction, ...]


class _Span(NamedTuple):
    start: int
    end: int
    priority: int  # lower wins when spans overlap: blocks, tokens, URL passwords, assignments
    kind: str
    record: bool  # False for the continuation lines of a private key block


_BLOCK, _TOKEN, _URL, _ASSIGNMENT = 0, 1, 2, 3  # the most specific finding names the marker

# Tokens. The left-boundary lookbehind sits AFTER the literal prefix so `re` can still search for
# the prefix; a match can then never start inside a longer run (which would make repeated prefixes
# such as `eyJeyJeyJ...` quadratic).
_GITHUB = re.compile(rb"gh[pousr]_(?<![A-Za-z0-9_]gh[pousr]_)[A-Za-z0-9]{36,}+")
_GITHUB_PAT = re.compile(rb"github_pat_(?<![A-Za-z0-9_]github_pat_)[A-Za-z0-9_]{22,}+")
_AWS_ACCESS = re.compile(rb"A(?:KIA|SIA|BIA|CCA)(?<![A-Za-z0-9]....)[A-Z0-9]{16}(?![A-Za-z0-9])")
_SK = re.compile(rb"sk-(?<![A-Za-z0-9_-]sk-)[A-Za-z0-9_-]{20,}+")
_SK_PREFIXES = (b"ant-", b"proj-", b"svcacct-", b"admin-")
_KEBAB_WORDS = re.compile(rb"[a-z]++(?:-[a-z]++)++")  # `sk-folding-cube-animation` is CSS, not a key
_SLACK_XOX = re.compile(rb"xox[abprs]-(?<![A-Za-z0-9]xox.-)[A-Za-z0-9-]{10,}+")
_SLACK_XAPP = re.compile(rb"xapp-(?<![A-Za-z0-9]xapp-)[A-Za-z0-9-]{10,}+")
_SLACK_HOOK = re.compile(rb"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]++")
_JWT = re.compile(rb"eyJ(?<![A-Za-z0-9_-]eyJ)[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{8,}+")
_URL_PASSWORD = re.compile(rb"://[^\s:/@?#\[\]\"'<>]{1,256}+:(?P<pw>[^\s/@?#\"'<>]{1,256}+)@")

_PK_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]++ ){0,8}PRIVATE KEY(?: BLOCK)?-----")
_PK_END = re.compile(r"-----END (?:[A-Z0-9]++ ){0,8}PRIVATE KEY(?: BLOCK)?-----")

# Assignments, searched in the lower-cased text (same offsets). One regex per key word keeps a
# literal prefix; `key` is accepted only after api/access/secret/private (checked in code).
_OPERATOR = rb"(?P<kq>[\"'`]?)[ \t]*+(?P<op>:=|=>|=(?![=~>])|:(?![:=]))[ \t]*+"
_ASSIGN_WORDS: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"passw(?:or)?d" + _OPERATOR), PASSWORD),
    (re.compile(rb"pwd" + _OPERATOR), PASSWORD),
    (re.compile(rb"secret" + _OPERATOR), SECRET),
    (re.compile(rb"token" + _OPERATOR), TOKEN),
    (re.compile(rb"key" + _OPERATOR), API_KEY),
)
_KEY_QUALIFIERS = {b"api": API_KEY, b"access": API_KEY, b"secret": SECRET, b"private": SECRET}
_SENSITIVE = re.compile(r"passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key")
_KEY_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_.-")
_AWS_SECRET_VALUE = re.compile(r"[A-Za-z0-9/+=]{40}")

_QUOTE_OPEN = re.compile(r"(?P<prefix>[rRbBuUfF]{0,2})(?P<q>[\"'`])")
_QUOTED_BODY = {
    '"': re.compile(r'(?:[^"\\\n]|\\.)*+'),
    "'": re.compile(r"(?:[^'\\\n]|\\.)*+"),
    "`": re.compile(r"(?:[^`\\\n]|\\.)*+"),
}
_UNQUOTED = re.compile(r"[^\s]++")
_REFERENCE_PREFIXES = (
    "$",
    "{",  # {{ template }}, {% tag %}, f"{value}", "{token}".format(...)
    "%(",
    "%{",
    "<",
    "os.",
    "env.",
    "env[",
    "process.env",
    "getenv",
    "secrets.",
    "vault:",
)
# Unquoted only: shell/template/SQL parameters, YAML tags, pointers and paths.
_UNQUOTED_REFERENCE_PREFIXES = ("%", "[", "!", ":", "*", "&", "/", "./", "~/")
_NOT_A_VALUE = frozenset({"", "none", "null", "nil", "true", "false", "undefined", "nullptr", '""', "''"})
_LONGEST_NOT_A_VALUE = max(map(len, _NOT_A_VALUE))
_LONGEST_REFERENCE = max(map(len, _REFERENCE_PREFIXES))
_MASK_CHARS = "*•·"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*+")
_EXPRESSION = re.compile(r"@?[A-Za-z_$][\w$]*+(?:\.[A-Za-z_$]|\[|->|::)")
_SIGIL_REFERENCE = re.compile(r"@[A-Za-z_]")  # Ruby `@token`, SQL `@password`
_TYPE_NAMES = frozenset(
    {
        "str",
        "string",
        "bytes",
        "bytearray",
        "int",
        "integer",
        "bool",
        "boolean",
        "number",
        "float",
        "double",
        "any",
        "object",
        "char",
        "text",
        "secretstr",
        "secretbytes",
        "unknown",
        "void",
        "uuid",
    }
)
_LONGEST_TYPE_NAME = max(map(len, _TYPE_NAMES))
_GENERIC_TYPE = re.compile(r"[A-Za-z_][\w.]*+(?:\[|<)")  # Optional[str], Secret<String>
_DEFAULT = re.compile(r"[^=\n]{0,200}?(?<![=!<>])(?P<eq>=)(?![=>~])[ \t]*+")
_PROSE_AFTER = re.compile(r"[ \t]++[A-Za-z]")
_UNION_OR_DEFAULT = re.compile(r"[ \t]*+(?:\||=(?!=))")


def redact(text: str) -> Redacted:
    """Replace every secret-like string by its marker; same number of lines, same diff prefixes."""
    # Patterns run on an ASCII byte copy: one byte per character, so offsets are the text's, and
    # byte searches beat searches in a wide `str`. Secrets are ASCII; anything else becomes `?`.
    data = text.encode("ascii", "replace")
    lower = data.lower()
    spans: list[_Span] = []
    spans.extend(_private_key_blocks(text))
    spans.extend(_tokens(text, data, lower))
    spans.extend(_assignments(text, lower))
    if not spans:
        return Redacted(text, ())
    spans.sort(key=lambda span: (span.start, span.priority))
    pieces: list[str] = []
    redactions: list[Redaction] = []
    kept = 0  # text before this offset is already in `pieces`
    line, counted = 1, 0  # line number at offset `counted`; groups come in order, so count forward
    for group in _overlapping(spans):
        # Overlapping finds are one secret (`token = "ghp_..."`) or must all go (a key block that
        # starts inside an earlier match): replace their union, named by the most specific kind.
        if len(group) == 1:  # the usual case, kept cheap (a long key block is one span a line)
            first = group[0]
            start, end, kind = first.start, first.end, first.kind
            recorded: tuple[str, ...] = (kind,) if first.record else ()
        else:
            best = min(span.priority for span in group)
            chosen = [span for span in group if span.priority == best]
            start, end, kind = group[0].start, max(span.end for span in group), chosen[0].kind
            recorded = tuple(dict.fromkeys(span.kind for span in chosen if span.record))
        pieces.append(text[kept:start])
        pieces.append(_MARKERS[kind])
        kept = end
        for found in recorded:
            line += text.count("\n", counted, start)
            counted = start
            redactions.append(Redaction(found, line))
    pieces.append(text[kept:])
    return Redacted("".join(pieces), tuple(redactions))


def _overlapping(spans: list[_Span]) -> Iterator[list[_Span]]:
    """Group spans sorted by start into runs that overlap (spans never cross a line end)."""
    group = [spans[0]]
    end = spans[0].end
    for span in spans[1:]:
        if span.start < end:
            group.append(span)
            end = max(end, span.end)
        else:
            yield group
            group, end = [span], span.end
    yield group


def _line_end(text: str, position: int) -> int:
    """Offset of the end of the line holding `position`, before any `\\r\\n` or `\\n`."""
    end = text.find("\n", position)
    if end == -1:
        end = len(text)
    if end > position and text[end - 1] == "\r":
        end -= 1
    return end


def _private_key_blocks(text: str) -> Iterator[_Span]:
    if "PRIVATE KEY" not in text:
        return
    covered = 0  # everything before this offset is in a block already handled
    first_end = -1  # end of the line of the last BEGIN: found once per line, not per BEGIN
    section: re.Match[str] | None = None  # the next file section after the last block's first line
    section_known = False
    for begin in _PK_BEGIN.finditer(text):
        if begin.start() < covered:
            continue
        if begin.end() > first_end:
            first_end = _line_end(text, begin.end())
        end = _PK_END.search(text, begin.end(), first_end)
        if end is not None:  # a one-line block (a key with escaped newlines)
            yield _Span(begin.start(), end.end(), _BLOCK, PRIVATE_KEY, True)
            covered = end.end()
            continue
        yield _Span(begin.start(), first_end, _BLOCK, PRIVATE_KEY, True)
        if not section_known or (section is not None and section.start() < first_end):
            section, section_known = _SECTION.search(text, first_end), True  # blocks come in order
        stop = section.start() + 1 if section is not None else len(text)
        end = _PK_END.search(text, first_end, stop)
        last = text.rfind("\n", 0, end.start()) + 1 if end is not None else stop
        yield from _block_lines(text, text.find("\n", first_end) + 1 or len(text), last)
        if end is not None:  # the END line keeps its prefix and what follows the marker
            content = last + 1 if text.startswith(("+", "-", " "), last) else last
            yield _Span(min(content, end.start()), end.end(), _BLOCK, PRIVATE_KEY, False)
            covered = end.end()
        else:  # unterminated: to the end of this file's section (or of the text)
            covered = stop


# The next file's section of a diff: `diff --git`, or a plain `--- old` / `+++ new` header.
_SECTION = re.compile(r"\ndiff --git |\n--- [^\n]*+\n\+\+\+ ")


def _block_lines(text: str, position: int, stop: int) -> Iterator[_Span]:
    """The content of every line in [position, stop) of a key block. Diff prefixes, hunk headers
    (`@@ -1,5 +1,5 @@`) and `\\ No newline` lines are kept so the diff still parses; the context
    git prints after a hunk header is a line of the file, so it is replaced too."""
    while position < stop:
        newline = text.find("\n", position, stop)
        line_stop = stop if newline == -1 else newline
        hunk = _HUNK_HEADER.match(text, position, line_stop) if text.startswith("@@", position) else None
        if hunk is not None:
            content = hunk.end()
        elif text.startswith("\\ ", position):  # `\\ No newline at end of file`
            content = line_stop
        else:
            content = position + 1 if text.startswith(("+", "-", " "), position) else position
        content_end = line_stop - 1 if line_stop > content and text[line_stop - 1] == "\r" else line_stop
        if content < content_end:
            yield _Span(content, content_end, _BLOCK, PRIVATE_KEY, False)
        position = line_stop + 1


_HUNK_HEADER = re.compile(r"@@ -\d{1,9}+(?:,\d{1,9}+)? \+\d{1,9}+(?:,\d{1,9}+)? @@ ?")


def _tokens(text: str, data: bytes, lower: bytes) -> Iterator[_Span]:
    for pattern, kind in (
        (_GITHUB, GITHUB_TOKEN),
        (_GITHUB_PAT, GITHUB_TOKEN),
        (_AWS_ACCESS, AWS_ACCESS_KEY),
        (_SLACK_XOX, SLACK_TOKEN),
        (_SLACK_XAPP, SLACK_TOKEN),
        (_JWT, JWT),
    ):
        for match in pattern.finditer(data):
            yield _Span(match.start(), match.end(), _TOKEN, kind, True)
    for match in _SK.finditer(data):
        body = match.group()[3:]
        kind = ANTHROPIC_KEY if body.startswith(b"ant-") else OPENAI_KEY
        for prefix in _SK_PREFIXES:
            if body.startswith(prefix):
                body = body[len(prefix) :]
                break
        if _KEBAB_WORDS.fullmatch(body):
            continue
        yield _Span(match.start(), match.end(), _TOKEN, kind, True)
    if b"hooks.slack.com" in data:
        for match in _SLACK_HOOK.finditer(data):
            yield _Span(match.start(), match.end(), _TOKEN, SLACK_WEBHOOK, True)
    for match in _URL_PASSWORD.finditer(data):
        password = match.group("pw").decode("ascii").lower()
        if password not in _PLACEHOLDER_PASSWORDS and _is_quoted_literal(text, lower, *match.span("pw")):
            yield _Span(match.start("pw"), match.end("pw"), _URL, URL_PASSWORD, True)


_PLACEHOLDER_PASSWORDS = frozenset({"password", "passwd", "pass", "pwd", "pw", "secret", "token"})


def _assignments(text: str, lower: bytes) -> Iterator[_Span]:
    """`lower` is the ASCII-lower-cased byte copy of `text` (same offsets)."""
    runs = _Runs(text, lower)
    for pattern, kind in _ASSIGN_WORDS:
        taken = 0  # end of the last value found: keys inside it are part of that value
        line_end = -1  # end of the line of the last match: found once per line, not per key
        for match in pattern.finditer(lower):
            word_start = match.start()
            if word_start < taken:
                continue
            if match.end() > line_end:
                line_end = _line_end(text, match.end())
            if kind is API_KEY:
                qualified = _key_qualifier(lower, word_start)
                if qualified is None:
                    continue
                kind_here = qualified
            else:
                kind_here = kind
            op = match.group("op").decode("ascii")
            span = _value_span(runs, match.end(), line_end, op, match.start("op"))
            if span is None:
                continue
            start, end = span
            if _is_aws_secret(lower, word_start, text, start, end):
                kind_here = AWS_SECRET_KEY
            taken = end
            yield _Span(start, end, _ASSIGNMENT, kind_here, True)


def _key_qualifier(lower: bytes, key_start: int) -> str | None:
    """The kind of a `...key` assignment: only api/access/secret/private keys (with `_`/`-`)."""
    before = lower[max(0, key_start - 8) : key_start]
    if before.endswith((b"_", b"-")):
        before = before[:-1]
    for word, kind in _KEY_QUALIFIERS.items():
        if before.endswith(word):
            return kind
    return None


def _is_aws_secret(lower: bytes, word_start: int, text: str, start: int, end: int) -> bool:
    if end - start != 40:
        return False
    key_start = word_start
    while key_start > 0 and word_start - key_start < 128 and lower[key_start - 1] in _KEY_CHARS:
        key_start -= 1
    key = lower[key_start:word_start]
    return b"aws" in key and b"secret" in key and _AWS_SECRET_VALUE.fullmatch(text, start, end) is not None


class _Facts:
    """What the literal test asks of a value `text[p:end]`, answered in O(1) for every `p` from
    `start`: computed once for the longest value (a whole unquoted run), not once per key in it."""

    __slots__ = ("last_marker", "last_paren", "mask_from", "x_from")

    def __init__(self, text: str, lower: bytes, start: int, end: int) -> None:
        value = text[start:end]
        self.last_paren = text.rfind("(", start, end)
        # Searched in the ASCII copy: the only non-ASCII characters that lower-case to ASCII are
        # `İ` and the Kelvin sign (to `i` and `k`), and `[redacted:` has neither.
        self.last_marker = lower.rfind(b"[redacted:", start, end)
        self.mask_from = start + len(value.rstrip(_MASK_CHARS))  # all mask from here on
        self.x_from = start + len(value.rstrip("xX"))


class _Run:
    """A run of non-whitespace characters: the longest unquoted value a key inside it can have.

    A key at `p` inside the run has the value `text[p:value_end]`; the run's trailing `,;)]}`
    follow `value_end`. What is asked of the text after the value depends only on the run, so each
    answer is computed once, on first use.
    """

    __slots__ = (
        "default",
        "default_known",
        "end",
        "facts",
        "followers",
        "question_from",
        "start",
        "value_end",
    )

    def __init__(self, text: str, lower: bytes, start: int, end: int) -> None:
        self.start, self.end = start, end
        value = text[start:end].rstrip(",;)]}")
        self.value_end = start + len(value)
        self.question_from = start + len(value.rstrip("?"))  # `Token?`: a nullable annotation
        self.facts = _Facts(text, lower, start, self.value_end)
        self.followers: dict[re.Pattern[str], bool] = {}
        self.default: tuple[int, int] | None = None  # the literal default after an annotation
        self.default_known = False

    def followed_by(self, pattern: re.Pattern[str], text: str, line_end: int) -> bool:
        """Whether `pattern` matches right after the value."""
        if pattern not in self.followers:
            self.followers[pattern] = pattern.match(text, self.value_end, line_end) is not None
        return self.followers[pattern]


class _Runs:
    """The runs met so far. A few are kept: the keys of one run come in order, and a typed key
    (`token: Optional[str] = ...`) reads the run of its default before the next key is read."""

    def __init__(self, text: str, lower: bytes) -> None:
        self.text, self.lower = text, lower
        self._recent: list[_Run] = []

    def at(self, position: int) -> _Run | None:
        """The run that holds `position`, or None at a whitespace character."""
        for run in self._recent:
            if run.start <= position < run.end:
                return run
        match = _UNQUOTED.match(self.text, position)  # never crosses a line end: `\n` is whitespace
        if match is None:
            return None
        run = _Run(self.text, self.lower, position, match.end())
        self._recent = [run, *self._recent[:3]]
        return run


def _value_span(runs: _Runs, position: int, line_end: int, op: str, op_start: int) -> tuple[int, int] | None:
    """The literal value that starts at `position` (its line ends at `line_end`), or None when it
    is not a literal."""
    text = runs.text
    if position >= line_end:
        return None
    quote = _QUOTE_OPEN.match(text, position, line_end)
    if quote is not None:  # it ends at the next quote of its kind, so the work is the value's size
        start = quote.end()
        body = _QUOTED_BODY[quote.group("q")].match(text, start, line_end)
        end = body.end() if body is not None else start
        if "f" in quote.group("prefix").lower() and text.find("{", start, end) >= 0:
            return None  # an f-string: the value is computed
        return (start, end) if _is_quoted_literal(text, runs.lower, start, end) else None
    run = runs.at(position)
    if run is None:
        return None
    end = max(position, run.value_end)
    if op == ":" and _is_type(text, position, end, line_end, run):
        if not run.default_known:  # the annotation ends where the run's value does: one default
            run.default, run.default_known = _default_value(runs, run.value_end, line_end), True
        return run.default
    if end - position < 4 or not _is_literal(text, position, end, run.facts, quoted=False):
        return None
    if _IDENTIFIER.fullmatch(text, position, end):  # so no other key is in the run after this one
        if run.end > end:
            return None  # `f(password=pw_value)`, `{token: tok,}`: a variable in code
        value = text[position:end]
        has_digit = any(ch.isdigit() for ch in value)
        if _SENSITIVE.search(value.lower()) and not has_digit:
            return None  # `password = user_password`, `token: authToken`
        spaced = op_start > 0 and text[op_start - 1] in " \t"
        if op == "=" and spaced and not has_digit:
            return None  # `token = bearer`: a variable; `TOKEN=bearer` (.env) stays a literal
    if op == ":" and run.followed_by(_PROSE_AFTER, text, line_end):
        return None  # `token: The token to use` (a docstring)
    return position, end


def _default_value(runs: _Runs, end: int, line_end: int) -> tuple[int, int] | None:
    """The literal default after an annotation that ends at `end` (`token: str = "..."`)."""
    default = _DEFAULT.match(runs.text, end, line_end)
    if default is None:
        return None
    return _value_span(runs, default.end(), line_end, "=", default.start("eq"))


def _is_type(text: str, start: int, end: int, line_end: int, run: _Run) -> bool:
    """`token: str`, `password: Optional[str]`, `token: Token = ...`: an annotation, not a value."""
    if _GENERIC_TYPE.match(text, start, end):
        return True
    bare_end = max(start, run.question_from)  # without trailing `?`, then without one `[]`
    if bare_end - start >= 2 and text.startswith("[]", bare_end - 2):
        bare_end -= 2
    if bare_end - start <= _LONGEST_TYPE_NAME and text[start:bare_end].lower() in _TYPE_NAMES:
        return True
    # `token: str | None`, `token: Token = Depends()`
    return _IDENTIFIER.fullmatch(text, start, bare_end) is not None and run.followed_by(
        _UNION_OR_DEFAULT, text, line_end
    )


def _is_quoted_literal(text: str, lower: bytes, start: int, end: int) -> bool:
    """The literal test for a quoted value (or a URL password): surrounding whitespace ignored."""
    value = text[start:end]
    stripped = value.strip()
    first = start + len(value) - len(value.lstrip())
    last = first + len(stripped)
    return _is_literal(text, first, last, _Facts(text, lower, first, last), quoted=True)


def _is_literal(text: str, start: int, end: int, facts: _Facts, *, quoted: bool) -> bool:
    """False for references, expressions, placeholders and masks. `text[start:end]` is the value
    without surrounding whitespace; `facts` describe a value that ends at `end`."""
    size = end - start
    if size <= _LONGEST_NOT_A_VALUE and text[start:end].lower() in _NOT_A_VALUE:
        return False  # a placeholder
    if text[start : min(end, start + _LONGEST_REFERENCE)].lower().startswith(_REFERENCE_PREFIXES):
        return False  # a reference
    if facts.last_marker >= start:
        return False  # already redacted
    if facts.mask_from <= start or (size >= 4 and facts.x_from <= start):
        return False  # a mask: `****`, `xxxx`
    if quoted:
        return True
    if facts.last_paren >= start or text.startswith(_UNQUOTED_REFERENCE_PREFIXES, start, end):
        return False
    return not (_EXPRESSION.match(text, start, end) or _SIGIL_REFERENCE.match(text, start, end))
