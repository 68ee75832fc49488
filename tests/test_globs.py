from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate import globs


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        # `*` never crosses `/`: a pattern without `/` matches at the root only (GitHub semantics)
        ("*.md", "README.md", True),
        ("*.md", "docs/README.md", False),
        ("*", "Makefile", True),
        ("*", "src/main.py", False),
        ("*", ".github", True),  # dot-files are not special
        # `**` as a segment: zero or more directories
        ("**/*.md", "README.md", True),
        ("**/*.md", "a/b/c/README.md", True),
        ("**/*.md", "a/b/README.mdx", False),
        ("docs/**", "docs/index.md", True),
        ("docs/**", "docs/a/b/c.png", True),
        ("docs/**", "docs", False),
        ("docs/**", "documentation/x.md", False),
        ("docs/", "docs/x/y.md", True),  # trailing slash == everything below
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/b", True),
        ("a/**/b", "a/x/y/z/b", True),
        ("a/**/b", "ab/b", False),
        ("a/**/b", "a/x/bb", False),
        ("**", "anything/at/all.txt", True),
        ("**/**/x", "x", True),
        ("**/migrations/**", "db/migrations/001.sql", True),
        ("**/migrations/**", "migrations/001.sql", True),
        ("**/migrations/**", "db/migrations", False),
        ("**/Dockerfile", "Dockerfile", True),
        ("**/Dockerfile", "svc/api/Dockerfile", True),
        ("**/Dockerfile", "svc/api/Dockerfile.dev", False),
        (".github/workflows/**", ".github/workflows/ci.yml", True),
        (".github/workflows/**", ".github/dependabot.yml", False),
        # `**` inside a segment is just `*`
        ("a**b", "axxb", True),
        ("a**b", "ax/xb", False),
        # `?` and classes never match `/`
        ("?.py", "a.py", True),
        ("?.py", "ab.py", False),
        ("a?b", "a/b", False),
        ("[abc].txt", "b.txt", True),
        ("[abc].txt", "d.txt", False),
        ("[a-c]x", "bx", True),
        ("[!a-c]x", "dx", True),
        ("[!a-c]x", "ax", False),
        ("[^a-c]x", "ax", False),
        ("a[!x]b", "a/b", False),
        ("a[/]b", "a/b", False),
        ("[]]x", "]x", True),
        ("[x", "[x", True),  # unterminated class is a literal
        # escapes and regex metacharacters are literal
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("a+b(c).txt", "a+b(c).txt", True),
        ("a.b", "axb", False),
        ("{a,b}.txt", "{a,b}.txt", True),  # no brace expansion
        # leading ./ and / are normalised away, on both sides
        ("./src/*.py", "src/a.py", True),
        ("/src/*.py", "./src/a.py", True),
        ("src/*.py", "/src/a.py", True),
        # case-sensitive, like git
        ("*.MD", "README.md", False),
        ("docs/**", "Docs/x", False),
        # spaces and unicode in paths
        ("docs/**", "docs/sp ace/ü.md", True),
        ("**/sp ace.txt", "x/sp ace.txt", True),
    ],
)
def test_match(pattern: str, path: str, expected: bool) -> None:
    assert globs.match(path, pattern) is expected


@pytest.mark.parametrize(
    ("patterns", "path", "expected"),
    [
        (["docs/**", "**/*.md"], "x/README.md", "**/*.md"),
        (["docs/**", "**/*.md"], "src/main.py", None),
        (["docs/**", "!docs/api/**"], "docs/guide.md", "docs/**"),
        (["docs/**", "!docs/api/**"], "docs/api/openapi.yaml", None),
        (["docs/**", "!docs/api/**", "docs/api/*.md"], "docs/api/x.md", "docs/api/*.md"),
        (["!docs/**"], "docs/x.md", None),  # exclusion alone includes nothing
        (["\\!weird"], "!weird", "\\!weird"),
        ([], "a", None),
    ],
)
def test_matching_pattern_is_ordered_with_exclusions(
    patterns: list[str], path: str, expected: str | None
) -> None:
    assert globs.matching_pattern(path, patterns) == expected
    assert globs.match_any(path, patterns) is (expected is not None)


@pytest.mark.parametrize("pattern", ["", "   ", "/", "./", "../x", "a/../b"])
def test_bad_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises(ValueError, match="pattern"):
        globs.match("a", pattern)


def test_negated_pattern_needs_a_list() -> None:
    with pytest.raises(ValueError, match="match_any"):
        globs.match("a", "!a")


@pytest.mark.parametrize(
    ("path", "normalized"),
    [("./a/b", "a/b"), ("/a/b", "a/b"), ("a//b/", "a/b"), ("a/./b", "a/b"), ("././x", "x")],
)
def test_normalize_path(path: str, normalized: str) -> None:
    assert globs.normalize_path(path) == normalized


@pytest.mark.parametrize("path", ["", "/", "./", "../etc/passwd", "a/../../b"])
def test_paths_outside_the_repository_are_rejected(path: str) -> None:
    with pytest.raises(ValueError, match="repo"):
        globs.normalize_path(path)


def test_patterns_are_compiled_once() -> None:
    globs.compile_pattern.cache_clear()
    for _ in range(3):
        globs.match("src/a.py", "src/**/*.py")
    info = globs.compile_pattern.cache_info()
    assert info.misses == 1
    assert info.hits == 2


# -- file names are hostile: matching is linear in the path for any pattern ---------------------
# A backtracking regex took polynomial time here (`*a*a*a*b` on a long name never finished).


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*a*a*a*b", "a" * 100_000, False),
        ("*a*a*a*b", "a" * 100_000 + "b", True),
        ("**/*a*a*b*.py", "x/" + "ab" * 50_000, False),
        ("**/a/**/*.sql", "a/" * 50_000 + "x.txt", False),
        ("**/a/**/*.sql", "a/" * 50_000 + "x.sql", True),
        ("a/**/b/**/c", "a/" + "b/" * 50_000 + "d", False),
        ("a/**/b/**/c", "a/" + "b/" * 50_000 + "c", True),
        ("**/x/**/y/**/z/**", "x/y/" * 30_000 + "z", False),
    ],
)
def test_hostile_paths_are_matched_in_linear_time(pattern: str, path: str, expected: bool) -> None:
    assert globs.match(path, pattern) is expected


_SEGMENT = st.text(alphabet="ab.x[]", min_size=1, max_size=6).filter(lambda name: name not in (".", ".."))


@st.composite
def path_and_matching_pattern(draw: st.DrawFn) -> tuple[str, str]:
    """A path, and a pattern made from it by wildcards that must still match it."""
    names = draw(st.lists(_SEGMENT, min_size=1, max_size=8))
    parts: list[str] = []
    i = 0
    while i < len(names):
        name = names[i]
        choice = draw(st.sampled_from(["keep", "star", "question", "inner-star", "globstar", "skip"]))
        if choice == "skip" and i < len(names) - 1:  # `**` standing for one or more segments
            taken = draw(st.integers(1, len(names) - 1 - i))
            parts.append("**")
            i += taken
            continue
        if choice == "star":
            parts.append("*")
        elif choice == "question":
            at = draw(st.integers(0, len(name) - 1))
            parts.append(_escape(name[:at]) + "?" + _escape(name[at + 1 :]))
        elif choice == "inner-star":
            at = draw(st.integers(0, len(name)))
            parts.append(_escape(name[:at]) + "*" + _escape(name[at:]))
        else:
            if choice == "globstar":  # `**` standing for no segment at all
                parts.append("**")
            parts.append(_escape(name))
        i += 1
    if draw(st.booleans()) and parts[-1] != "**":
        parts[-1] = "**"  # a trailing `**`: the last segment (one or more)
    return "/".join(names), "/".join(parts)


def _escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


@given(path_and_matching_pattern())
def test_a_pattern_made_from_a_path_matches_it(case: tuple[str, str]) -> None:
    path, pattern = case
    assert globs.match(path, pattern)
    assert not globs.match(path, pattern + "/zz")  # a last segment the path does not have
