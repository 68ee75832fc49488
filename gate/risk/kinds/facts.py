"""What the kind rules read about one changed file: its path, cut up once, and its diff text. PURE.

`PathFacts` splits a normalised repo-relative path into folders and a file name (as written and
lower-cased) and the words of its name without the last extension (`SessionStore.go` -> session, store), so each rule is a
few set look-ups: classifying 40,000 files never runs a glob per rule. `Content` holds a file's added,
removed and context lines (from gate.risk.diff.file_body) with each side joined once, lower-cased
on demand; every rule over it is a linear scan (plain substring tests and regexes without nested
quantifiers), so an author's megabyte-long line costs time in proportion to its length only.

`Signal` is what a rule says about a file: a kind, how strong the evidence is (the file's own name,
the folder it sits in, or what its lines say) and the rule's name for the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache

from gate.models import FileKind, RiskLevel

__all__ = ["Content", "PathFacts", "Signal", "Strength", "words_of"]

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


class Strength(IntEnum):
    """How specific the evidence for a kind is; the strongest signal names the file."""

    CONTENT = 1  # what the file's lines say (DDL, `apiVersion` + `kind`, a framework's base class)
    FOLDER = 2  # a folder it sits in, by its name alone (`migrations/`, `docs/`, `tests/`, `k8s/`)
    LAYOUT = 3  # a framework's own folder (`db/migrate/`, `.github/workflows/`, `.circleci/`)
    NAME = 4  # its own name (`Dockerfile`, `*.tf`, `V1__init.sql`, `*.md`, `*_test.go`, test data)


@dataclass(frozen=True, slots=True)
class Signal:
    """One rule's verdict on one file. `floor` overrides the kind's usual floor (a gate policy is config,
    high). `tree`: the evidence is a tree of files that never ship (test data, a docs or tests folder),
    which wins a tie in strength against a structural signal."""

    kind: FileKind
    strength: Strength
    rule: str
    floor: RiskLevel | None = None
    tree: bool = False


def words_of(stem: str) -> tuple[str, ...]:
    """The lower-cased words of a name: split at non-alphanumerics and camelCase humps."""
    out: list[str] = []
    for chunk in _WORD_SPLIT.split(stem):
        if chunk:
            out.extend(word.lower() for word in _CAMEL.findall(chunk))
    return tuple(out)


_folder_words = lru_cache(maxsize=65536)(words_of)  # folder names repeat across a change's files


class PathFacts:
    """A normalised path cut up for the rules (`dirs`/`ldirs`: folders from the root down).

    `words` and `folder_words` are worked out on first use: most files never need them.
    """

    __slots__ = ("_folder_words", "_words", "dirpath", "dirs", "dirset", "ldirs", "lname", "name", "path")

    def __init__(self, path: str) -> None:
        parts = path.split("/")
        self.path = path
        self.dirs: tuple[str, ...] = tuple(parts[:-1])
        self.ldirs: tuple[str, ...] = tuple(d.lower() for d in self.dirs)
        self.dirset: frozenset[str] = frozenset(self.ldirs)
        self.dirpath = "/" + "/".join(self.ldirs) + "/"  # `/a/b/`: folder-name suffixes by substring
        self.name = parts[-1]
        self.lname = self.name.lower()
        self._words: tuple[str, ...] | None = None
        self._folder_words: frozenset[str] | None = None

    @classmethod
    def of(cls, path: str) -> PathFacts:
        return cls(path)

    @property
    def words(self) -> tuple[str, ...]:
        """The words of the file name without its last extension (`SessionStore.go` -> session, store)."""
        if self._words is None:
            bare = self.name.lstrip(".")
            self._words = words_of(bare.rsplit(".", 1)[0] if "." in bare else bare)
        return self._words

    @property
    def folder_words(self) -> frozenset[str]:
        if self._folder_words is None:
            self._folder_words = frozenset(w for d in self.dirs for w in _folder_words(d))
        return self._folder_words

    def in_folder(self, names: frozenset[str]) -> bool:
        """Some folder on the path has one of `names` (lower-case)."""
        return not self.dirset.isdisjoint(names)

    def folder_index(self, names: frozenset[str]) -> int:
        """The depth of the deepest folder named one of `names` (-1: none)."""
        if self.dirset.isdisjoint(names):
            return -1
        for index in range(len(self.ldirs) - 1, -1, -1):
            if self.ldirs[index] in names:
                return index
        return -1

    def under(self, *chain: str) -> bool:
        """The folders `chain` (lower-case) appear consecutively somewhere on the path."""
        if chain[0] not in self.dirset:
            return False
        size = len(chain)
        ldirs = self.ldirs
        return any(ldirs[i : i + size] == chain for i in range(len(ldirs) - size + 1))

    def at_root(self, *chain: str) -> bool:
        return self.ldirs[: len(chain)] == chain

    def ends(self, *suffixes: str) -> bool:
        return self.lname.endswith(suffixes)

    def ext(self) -> str:
        """The last extension, lower-case, with its dot (`''` when there is none)."""
        dot = self.lname.rfind(".")
        return self.lname[dot:] if dot > 0 else ""


@dataclass(slots=True)
class Content:
    """A file's lines in the diff (markers dropped). Joined text is built once, when first asked."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    context: tuple[str, ...]
    complete: bool = False  # the whole file is in the diff (a new or deleted file)
    hunks: tuple[tuple[str, ...], ...] = ()  # each hunk's lines with their marker
    _cache: dict[str, str] = field(default_factory=dict)

    def _joined(self, key: str, lines: tuple[str, ...], lower: bool) -> str:
        cached = self._cache.get(key)
        if cached is None:
            cached = "\n".join(lines)
            if lower:
                cached = cached.lower()
            self._cache[key] = cached
        return cached

    def hunk_sides(self) -> list[tuple[list[str], list[str], set[int], set[int]]]:
        """Each hunk as (old side, new side, indexes of removed lines in old, of added lines in new)."""
        out = []
        for hunk in self.hunks:
            old: list[str] = []
            new: list[str] = []
            old_changed: set[int] = set()
            new_changed: set[int] = set()
            for line in hunk:
                marker, text = line[:1], line[1:]
                if marker != "+":
                    if marker == "-":
                        old_changed.add(len(old))
                    old.append(text)
                if marker != "-":
                    if marker == "+":
                        new_changed.add(len(new))
                    new.append(text)
            out.append((old, new, old_changed, new_changed))
        return out

    @property
    def added_text(self) -> str:
        return self._joined("a", self.added, False)

    @property
    def removed_text(self) -> str:
        return self._joined("r", self.removed, False)

    @property
    def changed_text(self) -> str:
        """Added then removed lines: what the change itself wrote or took away."""
        return self._joined("c", self.added + self.removed, False)

    @property
    def shown_text(self) -> str:
        """Every line the diff shows of the file (context too): what identifies its format."""
        return self._joined("s", self.context + self.added + self.removed, False)

    @property
    def changed_lower(self) -> str:
        """The changed lines, lower-cased: for the cheap keyword tests that run before a regex."""
        return self._joined("cl", self.added + self.removed, True)

    @property
    def shown_lower(self) -> str:
        return self._joined("sl", self.context + self.added + self.removed, True)
