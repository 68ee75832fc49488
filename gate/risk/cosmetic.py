"""Whether a file's change only touches comments, whitespace and layout: verified from the diff. PURE.

For a language known by its file extension (`SYNTAXES`), each hunk's old side (context and removed
lines) and new side (context and added lines) are read by a small lexer that knows the language's
line and block comments and string quotes. Comments are dropped, blank and comment-only lines
vanish, runs of whitespace outside strings vanish (a single space is kept between two word
characters, so `int x` never equals `intx`), and strings are kept exactly. The change is cosmetic
when the two sides read the same in every hunk. Line breaks stay significant (a statement that moves
to another line is not verified as layout), and so does leading indentation in languages where it is
syntax (Python, YAML, Makefiles, Haskell, …).

It never guesses in the change's favour: an unknown extension, a string or block comment still open
at the end of a hunk side, a single-line string left open at the end of a line, or more than
`MAX_CHARS` of hunk text means "not verified". A comment marker counts only where the language
would see one in practice (a `#` after whitespace or at the start of a line, `//` after
whitespace or `;{}),`), so `${#x}` in a shell script or `/[/*]/` in a regex is code, not a comment.
The lexer is one pass over each character: linear in the hunk text.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_CHARS", "SYNTAXES", "Syntax", "cosmetic_language", "normalise"]

MAX_CHARS = 256 * 1024  # larger changes are never verified (they are medium by size long before)


@dataclass(frozen=True)
class Syntax:
    name: str
    line: tuple[str, ...] = ()
    block: tuple[tuple[str, str], ...] = ()
    quotes: tuple[str, ...] = ()  # longest first
    multiline: frozenset[str] = frozenset()  # quotes whose strings may span lines
    indent: bool = False  # leading indentation is syntax


_C_QUOTES = ('"', "'")
_C = (("/*", "*/"),)
_PY = Syntax("Python", ("#",), (), ('"""', "'''", '"', "'"), frozenset({'"""', "'''"}), indent=True)
_JS = Syntax("JavaScript/TypeScript", ("//",), _C, ("`", '"', "'"), frozenset({"`"}))
_GO = Syntax("Go", ("//",), _C, ("`", '"', "'"), frozenset({"`"}))
_CLIKE = Syntax("C-family", ("//",), _C, _C_QUOTES)
_RUBY = Syntax("Ruby", ("#",), (), _C_QUOTES)
_SHELL = Syntax("shell", ("#",), (), _C_QUOTES)
_YAML = Syntax("YAML", ("#",), (), _C_QUOTES, indent=True)
_TOML = Syntax("TOML", ("#",), (), ('"""', "'''", '"', "'"), frozenset({'"""', "'''"}))
_INI = Syntax("INI", ("#", ";"), (), ())
_PROPERTIES = Syntax("properties", ("#", "!"), (), ())
_SQL = Syntax("SQL", ("--",), _C, _C_QUOTES)
_LUA = Syntax("Lua", ("--",), (("--[[", "]]"),), _C_QUOTES)
_HASKELL = Syntax("Haskell", ("--",), (("{-", "-}"),), ('"',), indent=True)
_MARKUP = Syntax("HTML/XML", (), (("<!--", "-->"),), ())
_CSS = Syntax("CSS", (), _C, _C_QUOTES)
_SCSS = Syntax("SCSS/Less", ("//",), _C, _C_QUOTES)
_PHP = Syntax("PHP", ("//", "#"), _C, _C_QUOTES)
_ELIXIR = Syntax("Elixir", ("#",), (), ('"""', '"', "'"), frozenset({'"""'}))
_ERLANG = Syntax("Erlang", ("%",), (), _C_QUOTES)
_LISP = Syntax("Lisp", (";",), (), ('"',))
_JSON = Syntax("JSON", (), (), ('"',))
_MAKE = Syntax("Makefile", ("#",), (), (), indent=True)

_CLIKE_EXTS = (
    ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".java", ".cs", ".kt", ".kts", ".scala", ".swift",
    ".rs", ".dart", ".groovy", ".gradle", ".proto", ".m", ".mm", ".sol",
)  # fmt: skip
SYNTAXES: dict[str, Syntax] = {
    **{ext: _PY for ext in (".py", ".pyi")},
    **{ext: _JS for ext in (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")},
    ".go": _GO,
    **{ext: _CLIKE for ext in _CLIKE_EXTS},
    **{ext: _RUBY for ext in (".rb", ".rake", ".gemspec")},
    **{ext: _SHELL for ext in (".sh", ".bash", ".zsh", ".ksh", ".pl", ".pm", ".r", ".tf", ".hcl")},
    **{ext: _YAML for ext in (".yaml", ".yml")},
    ".toml": _TOML,
    **{ext: _INI for ext in (".ini", ".cfg", ".conf")},
    ".properties": _PROPERTIES,
    ".sql": _SQL,
    ".lua": _LUA,
    ".hs": _HASKELL,
    **{ext: _MARKUP for ext in (".html", ".htm", ".xml", ".svg", ".xhtml")},
    ".css": _CSS,
    **{ext: _SCSS for ext in (".scss", ".less")},
    ".php": _PHP,
    **{ext: _ELIXIR for ext in (".ex", ".exs")},
    **{ext: _ERLANG for ext in (".erl", ".hrl")},
    **{ext: _LISP for ext in (".clj", ".cljs", ".el", ".lisp", ".scm")},
    ".json": _JSON,
    ".mk": _MAKE,
}
_NAMES = {"makefile": _MAKE, "gnumakefile": _MAKE}
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
_SPACE = frozenset(" \t\r\f\v")


def syntax_for(name: str) -> Syntax | None:
    lower = name.lower()
    if lower in _NAMES:
        return _NAMES[lower]
    dot = lower.rfind(".")
    return SYNTAXES.get(lower[dot:]) if dot > 0 else None


def _comment_at(line: str, i: int, marker: str) -> bool:
    """Whether `marker` at `i` starts a comment (see the module docstring for where it may)."""
    if not line.startswith(marker, i):
        return False
    if i == 0 or marker == "<!--":
        return True
    before = line[i - 1]
    if before in _SPACE:
        return True
    return marker in ("//", "/*") and before in ";{}),"


def normalise(lines: list[str], syntax: Syntax) -> list[str] | None:
    """One hunk side as the lexer reads it: a list of logical lines (None: cannot be verified)."""
    out: list[str] = []
    closer: str | None = None  # the string quote or block-comment end we are inside
    in_string = False
    for line in lines:
        started_inside = in_string
        buf: list[str] = []
        pending = False
        i, size = 0, len(line)
        while i < size:
            if closer is not None and not in_string:  # inside a block comment
                end = line.find(closer, i)
                if end < 0:
                    i = size
                    break
                i, closer = end + len(closer), None
                pending = True
                continue
            char = line[i]
            if in_string:
                assert closer is not None
                if char == "\\" and i + 1 < size:
                    buf.append(line[i : i + 2])
                    i += 2
                elif line.startswith(closer, i):
                    buf.append(closer)
                    i += len(closer)
                    in_string, closer = False, None
                else:
                    buf.append(char)
                    i += 1
                continue
            if char in _SPACE:
                pending = True
                i += 1
                continue
            if any(_comment_at(line, i, marker) for marker in syntax.line):
                break
            block = next((pair for pair in syntax.block if _comment_at(line, i, pair[0])), None)
            if block is not None:
                closer = block[1]
                i += len(block[0])
                continue
            if pending and buf and buf[-1][-1:] in _WORD and char in _WORD:
                buf.append(" ")
            pending = False
            quote = next((q for q in syntax.quotes if line.startswith(q, i)), None)
            if quote is not None:
                buf.append(quote)
                i += len(quote)
                in_string, closer = True, quote
                continue
            buf.append(char)
            i += 1
        if in_string and closer not in syntax.multiline:
            return None  # a one-line string left open: the lexer no longer knows where it is
        text = "".join(buf)
        if started_inside:
            out.append(text)
        elif text:
            lead = line[: len(line) - len(line.lstrip(" \t"))] if syntax.indent else ""
            out.append("\n" + lead + text)
        if in_string:
            out.append("\n")
    if closer is not None:
        return None  # a string or block comment still open at the end of the hunk
    return out


def cosmetic_language(name: str, hunks: tuple[tuple[str, ...], ...]) -> str | None:
    """The language whose comments and layout are all the change touches (None: not verified)."""
    syntax = syntax_for(name)
    if syntax is None or not hunks or sum(len(line) for hunk in hunks for line in hunk) > MAX_CHARS:
        return None
    for hunk in hunks:
        old = [line[1:] for line in hunk if line[:1] != "+"]
        new = [line[1:] for line in hunk if line[:1] != "-"]
        normal_old = normalise(old, syntax)
        if normal_old is None or normal_old != normalise(new, syntax):
            return None
    return syntax.name
