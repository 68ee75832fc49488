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

Speed: file names come from the change, so an author picks them; matching is linear in the path
for a given pattern, whatever the pattern. A pattern is cut at its `**` segments into groups of
segment patterns, and each segment pattern at its `*`s into fixed-length pieces; the first group
(piece) must match at the start, the last at the end, and each one in between is found at its
leftmost place after the previous one. Taking the leftmost place never loses a match, so nothing is
retried: no backtracking regex over the whole path (`a/**/b/**/c` or `*a*a*b` would be polynomial).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["Glob", "compile_pattern", "match", "match_any", "matching_pattern", "normalize_path"]


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


def _pieces(segment: str) -> list[tuple[list[str], bool]]:
    """The segment's pattern cut at each run of `*`: pieces of one-character atoms (so a piece
    always matches exactly `len(atoms)` characters), each with whether it is literal text (the
    atoms are then the characters themselves, not regexes)."""
    pieces: list[tuple[list[str], list[str]]] = [([], [])]  # (regex atoms, literal characters)
    i = 0
    while i < len(segment):
        char = segment[i]
        regex, chars = pieces[-1]
        if char == "*":
            while i < len(segment) and segment[i] == "*":
                i += 1
            pieces.append(([], []))
            continue
        if char == "?":
            regex.append("[^/]")
        elif char == "[" and (translated := _translate_class(segment, i)) is not None:
            regex.append(translated[0])
            i = translated[1]
            continue
        else:
            if char == "\\" and i + 1 < len(segment):
                i += 1
                char = segment[i]
            regex.append(re.escape(char))
            chars.append(char)
        i += 1
    return [(chars, True) if len(chars) == len(regex) else (regex, False) for regex, chars in pieces]


_Piece = str | re.Pattern[str]  # a literal, or a regex of fixed length (`?` and classes in it)


def _compile_piece(atoms: list[str], literal: bool) -> _Piece:
    return "".join(atoms) if literal else re.compile("".join(atoms), re.DOTALL)


def _piece_at(piece: _Piece, name: str, start: int, end: int) -> bool:
    """Whether `piece` matches exactly `name[start:end]` (whose size is the piece's)."""
    if isinstance(piece, str):
        return name.startswith(piece, start, end)
    return piece.fullmatch(name, start, end) is not None


def _piece_after(piece: _Piece, name: str, start: int, end: int) -> int:
    """Where the leftmost match of `piece` in `name[start:end]` ends, or -1."""
    if isinstance(piece, str):
        found = name.find(piece, start, end)
        return found + len(piece) if found >= 0 else -1
    match = piece.search(name, start, end)
    return match.end() if match is not None else -1


class _Segment:
    """One segment of a pattern (no `**`): fixed-length pieces separated by `*`."""

    __slots__ = ("pieces", "sizes")

    def __init__(self, segment: str) -> None:
        pieces, sizes = [], []
        for atoms, literal in _pieces(segment):
            pieces.append(_compile_piece(atoms, literal))
            sizes.append(len(atoms))
        self.pieces: tuple[_Piece, ...] = tuple(pieces)
        self.sizes = tuple(sizes)

    def matches(self, name: str) -> bool:
        """Whether one path segment (no `/`) matches: linear in `name` for a given pattern."""
        pieces, sizes = self.pieces, self.sizes
        if len(pieces) == 1:  # no `*`: the piece is the whole name
            whole = pieces[0]
            return name == whole if isinstance(whole, str) else _piece_at(whole, name, 0, len(name))
        low, high = sizes[0], len(name) - sizes[-1]
        if (
            low > high
            or not _piece_at(pieces[0], name, 0, low)
            or not _piece_at(pieces[-1], name, high, len(name))
        ):
            return False
        for piece in pieces[1:-1]:
            low = _piece_after(piece, name, low, high)  # the leftmost place leaves the most room
            if low < 0:
                return False
        return True


def _group_at(group: tuple[_Segment, ...], names: list[str], start: int) -> bool:
    for segment in group:
        if not segment.matches(names[start]):
            return False
        start += 1
    return True


class Glob:
    """A compiled glob pattern (not negated): `matches` takes a normalised path's segments."""

    __slots__ = ("first", "last", "middle", "starred")

    def __init__(self, pattern: str) -> None:
        segments = [s for s in _normalize_pattern(pattern).split("/") if s]
        if segments[-1] == "**":  # a trailing `**` is one or more segments: any one, then zero or more
            segments[-1:] = ["*", "**"]
        groups: list[list[_Segment]] = [[]]
        for segment in segments:
            if segment == "**":
                if groups[-1] or len(groups) == 1:  # `**/**` is the same as `**`
                    groups.append([])
            else:
                groups[-1].append(_Segment(segment))
        self.starred = len(groups) > 1  # has a `**`
        self.first = tuple(groups[0])
        self.last = tuple(groups[-1]) if self.starred else ()
        self.middle = tuple(tuple(group) for group in groups[1:-1])

    def matches(self, names: list[str]) -> bool:
        """Whether the path with these segments matches: the first group at the start, the last at
        the end, the ones between (each after a `**`) at their leftmost places in between."""
        if not self.starred:
            return len(names) == len(self.first) and _group_at(self.first, names, 0)
        low, high = len(self.first), len(names) - len(self.last)
        if low > high or not _group_at(self.first, names, 0) or not _group_at(self.last, names, high):
            return False
        for group in self.middle:
            while low + len(group) <= high and not _group_at(group, names, low):
                low += 1
            if low + len(group) > high:
                return False
            low += len(group)
        return True


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> Glob:
    """Compile one (non-negated) glob pattern; raises ValueError for a pattern that is not valid."""
    return Glob(pattern)


def match(path: str, pattern: str) -> bool:
    """True when the repo-relative `path` matches the glob `pattern` (see the module docstring).

    A leading `!` is not allowed here: negation only means something in a list (`match_any`).
    """
    if pattern.startswith("!"):
        raise ValueError(f"{pattern!r}: a negated pattern only makes sense in a list (use match_any)")
    if pattern.startswith("\\!"):
        pattern = pattern[1:]
    return compile_pattern(pattern).matches(normalize_path(path).split("/"))


def matching_pattern(path: str, patterns: Iterable[str]) -> str | None:
    """The pattern that decides that `path` is included by the ordered list `patterns`, or None.

    Patterns are applied in order; `!pattern` excludes what earlier patterns included, and the last
    pattern that matches wins (GitHub Actions `paths` semantics).
    """
    names = normalize_path(path).split("/")
    decided: str | None = None
    for pattern in patterns:
        if pattern.startswith("!"):
            if decided is not None and compile_pattern(pattern[1:]).matches(names):
                decided = None
            continue
        literal = pattern[1:] if pattern.startswith("\\!") else pattern
        if compile_pattern(literal).matches(names):
            decided = pattern
    return decided


def match_any(path: str, patterns: Iterable[str]) -> bool:
    """True when the ordered pattern list (with `!` exclusions) includes `path`."""
    return matching_pattern(path, patterns) is not None
