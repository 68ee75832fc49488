"""`**`-aware glob matching for repo-relative POSIX paths, with GitHub Actions `paths` semantics.

Semantics (the same as a workflow's `on.push.paths` filter):

- Patterns are matched against the *whole* repo-relative path (`src/app/main.py`), case-sensitively.
- `*` matches any run of characters except `/` (so `*.md` matches `README.md` at the root only;
  write `**/*.md` for any depth). Dot-files are not special: `*` matches `.github`.
- `**` as a whole segment matches zero or more directories: `**/x` matches `x` and `a/b/x`,
  `a/**/b` matches `a/b` and `a/x/y/b`, `docs/**` matches everything under `docs/`, `**` matches
  everything. Elsewhere inside a segment (`a**b`) it behaves like `*`.
- `?` matches one character except `/`; `[abc]`, `[a-z]`, `[!abc]`/`[^abc]` are character classes
  (never matching `/`); an unterminated `[` is a literal. `\\` escapes the next character.
- A pattern ending in `/` means everything below that directory (`docs/` == `docs/**`).
- In a list of patterns (`match_any`), a pattern starting with `!` excludes paths matched by the
  patterns before it, and later patterns can include them again; the last match wins, as in GitHub.
  Write `\\!` for a pattern that really starts with `!`.

Leading `./` and `/` are stripped from both paths and patterns (everything is relative to the
repository root); a `..` segment is rejected with `ValueError`, as is an empty pattern. Compiled
patterns are cached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["compile_pattern", "match", "match_any", "matching_pattern", "normalize_path"]


def normalize_path(path: str) -> str:
    """The canonical repo-relative form of `path`: no leading `./` or `/`, no empty or `.` segments.

    Raises ValueError for an empty path or one with a `..` segment (it would leave the repository).
    """
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts:
        raise ValueError(f"{path!r} is not a repo-relative file path")
    if ".." in parts:
        raise ValueError(f"{path!r} leaves the repository ('..' segment)")
    return "/".join(parts)


def _normalize_pattern(pattern: str) -> str:
    text = pattern.strip()
    while text.startswith("./") or text.startswith("/"):
        text = text[2:] if text.startswith("./") else text[1:]
    if text.endswith("/"):
        text += "**"
    if not text:
        raise ValueError(f"{pattern!r} is an empty glob pattern")
    if ".." in text.split("/"):
        raise ValueError(f"{pattern!r}: patterns are repo-relative and cannot contain '..'")
    return text


def _translate_class(segment: str, start: int) -> tuple[str, int] | None:
    """Translate the `[...]` starting at `start`; None when unterminated (then `[` is literal)."""
    i = start + 1
    negate = i < len(segment) and segment[i] in "!^"
    if negate:
        i += 1
    body_start = i
    if i < len(segment) and segment[i] == "]":  # a leading `]` is a member, not the end
        i += 1
    while i < len(segment) and segment[i] != "]":
        i += 2 if segment[i] == "\\" and i + 1 < len(segment) else 1
    if i >= len(segment):
        return None
    members = []
    j = body_start
    while j < i:
        char = segment[j]
        if char == "\\" and j + 1 < i:
            members.append(re.escape(segment[j + 1]))
            j += 2
            continue
        members.append("-" if char == "-" else re.escape(char))
        j += 1
    body = "".join(members)
    regex = f"[^/{body}]" if negate else f"(?!/)[{body}]"
    return regex, i + 1


def _translate_segment(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            while i < len(segment) and segment[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        if char == "?":
            out.append("[^/]")
        elif char == "[":
            translated = _translate_class(segment, i)
            if translated is not None:
                out.append(translated[0])
                i = translated[1]
                continue
            out.append(re.escape(char))
        elif char == "\\" and i + 1 < len(segment):
            out.append(re.escape(segment[i + 1]))
            i += 1
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile one (non-negated) glob pattern to a regex matched against a whole normalised path."""
    segments = [s for s in _normalize_pattern(pattern).split("/") if s]
    # `**/**` is the same as `**`.
    collapsed: list[str] = []
    for segment in segments:
        if segment == "**" and collapsed and collapsed[-1] == "**":
            continue
        collapsed.append(segment)
    parts: list[str] = []
    last = len(collapsed) - 1
    for index, segment in enumerate(collapsed):
        if segment == "**":
            if index == 0 and index == last:
                parts.append(".*")
            elif index == 0:
                parts.append("(?:.*/)?")  # zero or more leading directories, no separator after
            elif index == last:
                parts.append("/.*")
            else:
                parts.append("(?:/.*)?")  # zero or more middle directories; next part adds the `/`
            continue
        after_leading_globstar = index == 1 and collapsed[0] == "**"  # its group ends with `/`
        if index > 0 and not after_leading_globstar:
            parts.append("/")
        parts.append(_translate_segment(segment))
    return re.compile("".join(parts), re.DOTALL)


def match(path: str, pattern: str) -> bool:
    """True when the repo-relative `path` matches the glob `pattern` (see the module docstring).

    A leading `!` is not allowed here: negation only means something in a list (`match_any`).
    """
    if pattern.startswith("!"):
        raise ValueError(f"{pattern!r}: a negated pattern only makes sense in a list (use match_any)")
    if pattern.startswith("\\!"):
        pattern = pattern[1:]
    return compile_pattern(pattern).fullmatch(normalize_path(path)) is not None


def matching_pattern(path: str, patterns: Iterable[str]) -> str | None:
    """The pattern that decides that `path` is included by the ordered list `patterns`, or None.

    Patterns are applied in order; `!pattern` excludes what earlier patterns included, and the last
    pattern that matches wins (GitHub Actions `paths` semantics).
    """
    normalized = normalize_path(path)
    decided: str | None = None
    for pattern in patterns:
        if pattern.startswith("!"):
            if decided is not None and compile_pattern(pattern[1:]).fullmatch(normalized):
                decided = None
            continue
        literal = pattern[1:] if pattern.startswith("\\!") else pattern
        if compile_pattern(literal).fullmatch(normalized):
            decided = pattern
    return decided


def match_any(path: str, patterns: Iterable[str]) -> bool:
    """True when the ordered pattern list (with `!` exclusions) includes `path`."""
    return matching_pattern(path, patterns) is not None
