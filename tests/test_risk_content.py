"""The content rules on their own: the comment/layout lexer, the patch-bump check, and hostile lines.

Long hostile lines (a unit that baits one pattern repeated to tens of kilobytes, with the real thing
planted at a random place or not at all) must give the right answer; nothing here is timed
(bench/risk_rules.py shows that the same scans stay linear up to megabytes).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.models import FileKind
from gate.risk.cosmetic import cosmetic_language, normalise, syntax_for
from gate.risk.kinds import Content, PathFacts, classify_file
from gate.risk.kinds.dependencies import patch_bump
from gate.risk.kinds.facts import words_of
from gate.risk.kinds.security import removed_security_tests, weakening

LONG = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def hunk(*lines: str) -> tuple[tuple[str, ...], ...]:
    return (tuple(lines),)


@pytest.mark.parametrize(
    ("name", "lines", "language"),
    [
        ("a.py", (" x = 1", "-# old", "+# new"), "Python"),
        ("a.py", ("-x = 1  # a", "+x = 1  # b"), "Python"),
        ("a.py", ("-x=1", "+x = 1"), "Python"),
        ("a.py", ("-    x = 1", "+x = 1"), None),  # indentation is syntax in Python
        ("a.py", ('-s = "# not a comment a"', '+s = "# not a comment b"'), None),
        ("a.py", ('-"""doc a"""', '+"""doc b"""'), None),  # a docstring is a string
        ("a.py", ('-x = """', "-# inside", '-"""', '+x = """', "+# changed", '+"""'), None),
        ("a.go", ("-// a", "+// b", " func f() {}"), "Go"),
        ("a.go", ("-/* a", "-   b */", "+/* c */"), "Go"),
        ("a.go", ("-x := 1 /* a */", "+x := 1 /* b */"), "Go"),
        ("a.go", ("-/* open", "+/* open"), None),  # a comment still open at the end of the hunk
        ("a.js", ("-  const a = 1 ;", "+const a = 1;"), "JavaScript/TypeScript"),
        ("a.js", ("-const a=b", "+const ab"), None),  # `a=b` -> `ab` is not layout
        ("a.js", ("-int x", "+intx"), None),  # words stay apart
        ("a.js", ("-u = 'http://a' // c", "+u = 'http://b' // c"), None),
        ("a.js", ("-r = /[/*]/; f(a)", "+r = /[/*]/; f(b)"), None),
        ("a.js", ("-t = `a", "- b`", "+t = `a", "+ c`"), None),
        ("a.sh", ("-echo ${#a}", "+echo ${#b}"), None),
        ("a.sh", ("-run # a", "+run # b"), "shell"),
        ("a.sql", ("-SELECT 1 -- a", "+SELECT 1 -- b"), "SQL"),
        ("a.yaml", ("-a: 1 # x", "+a: 1 # y"), "YAML"),
        ("a.yaml", ("-  a: 1", "+a: 1"), None),
        ("a.html", ("-<p>x</p> <!-- a -->", "+<p>x</p> <!-- b -->"), "HTML/XML"),
        ("Makefile", ("-# a", "+# b"), "Makefile"),
        ("a.txt", ("-# a", "+# b"), None),  # unknown language
        ("a.rb", ("-x = 'it''s' # a", "+x = 'it''s' # b"), "Ruby"),
        ("a.py", ("-x = 'open", "+x = 'open"), None),  # a one-line string left open
    ],
)
def test_the_lexer_sees_only_comments_and_layout(
    name: str, lines: tuple[str, ...], language: str | None
) -> None:
    assert cosmetic_language(name, hunk(*lines)) == language


def test_blank_and_comment_lines_vanish_and_code_keeps_its_lines() -> None:
    syntax = syntax_for("x.py")
    assert syntax is not None
    assert normalise(["", "# c", "a = 1", "    b(2)  # d", ""], syntax) == ["\na=1", "\n    b(2)"]


@pytest.mark.parametrize(
    ("lines", "bump"),
    [
        (('-  version = "1.2.3"', '+  version = "1.2.4"'), True),
        (('-  version = "1.2.3"', '+  version = "1.3.0"'), False),
        (('-  version = "1.2.3"', '+  version = "2.0.0"'), False),
        (('-  version = "1.2.3.4"', '+  version = "1.2.3.5"'), False),
        (('-  version = "1.2"', '+  version = "1.3"'), False),
        (('-  version = "1.2.3"', '+  version = "1.2.3"'), False),  # nothing moved
        (("-x v1.2.3 h1:" + "A" * 43 + "=", "+x v1.2.9 h1:" + "B" * 43 + "="), True),
        (("-x v0.0.0-20230101120000-abcdef123456", "+x v0.0.0-20230301120000-123456abcdef"), False),
        (("-a 1.2.3", "-b 1.2.3", "+a 1.2.4"), False),  # a package removed
        (("+a 1.2.4",), False),
    ],
)
def test_a_patch_bump(lines: tuple[str, ...], bump: bool) -> None:
    content = Content((), (), (), hunks=hunk(*lines))
    assert patch_bump(content) is bump


@pytest.mark.parametrize(
    ("stem", "words"),
    [
        ("SessionStore", ("session", "store")),
        ("api_keys", ("api", "keys")),
        ("HTTPServer", ("http", "server")),
        ("auth.guard", ("auth", "guard")),
        ("tokenizer", ("tokenizer",)),
        ("oauth2-client", ("oauth", "2", "client")),
    ],
)
def test_words_of_a_name(stem: str, words: tuple[str, ...]) -> None:
    assert words_of(stem) == words


BAIT = (
    "origin=",
    "ALTER ",
    "DROP ",
    "verify",
    "@Test",
    "it('",
    "{{ ",
    "apiVersion:",
    "kind: ",
    "#",
    "/*",
    "'",
    "`",
    " " * 7,
)


@pytest.mark.slow
@LONG
@given(unit=st.sampled_from(BAIT), repeat=st.integers(2000, 6000))
def test_hostile_lines_classify_as_plain_code(unit: str, repeat: int) -> None:
    line = unit * repeat
    content = Content((line,), (line,), ())
    found = classify_file(PathFacts.of("src/blob.js"), content)
    # DDL needs `ALTER TABLE` / `DROP TABLE`; a bait never completes a pattern
    assert found.kind in (FileKind.CODE, FileKind.SENSITIVE)
    assert weakening(content) is None
    assert removed_security_tests(content) == []
    assert cosmetic_language("blob.js", hunk("-" + line, "+" + line)) in (None, "JavaScript/TypeScript")


@LONG
@given(unit=st.sampled_from(BAIT), before=st.integers(0, 3000), after=st.integers(0, 3000))
def test_the_real_thing_in_a_hostile_line_is_found(unit: str, before: int, after: int) -> None:
    line = unit * before + " ALTER TABLE orders ADD COLUMN x int; " + unit * after
    found = classify_file(PathFacts.of("src/blob.go"), Content((line,), (), ()))
    assert (found.kind, found.rule) == (FileKind.MIGRATION, "content: SQL DDL (`ALTER TABLE`)")
    widened = unit * before + " origin: '*', " + unit * after
    assert weakening(Content((widened,), (), ())) == "weakens a check: CORS allows every origin"


# One sample per alternative of the security regexes: each must pass the keyword test that runs
# before them (a keyword list that misses one would silently turn a pattern off).
SECURITY_SAMPLES = (
    "authenticate(user)", "authorize!(x)", "is_authenticated", "@login_required", "permission_classes",
    "has_perm('x')", "check_permission(x)", "require_role(x)", "@PreAuthorize", "@RolesAllowed", "@Secured",
    "verify_password", "check_password", "hash_password", "password_hash", "set_password", "bcrypt",
    "scrypt", "argon2", "pbkdf2_hmac", "hmac", "compare_digest", "timingSafeEqual", "jwt", "jsonwebtoken",
    "csrf_token", "xsrf", "CORS_ORIGIN", "corsOptions", "Access-Control-Allow-Origin: *",
    "Content-Security-Policy", "allow_origins", "allowed_origins", "AllowOrigins", "SESSION_COOKIE_AGE",
    "set_cookie", "httponly", "samesite", "SECRET_KEY", "secret_key", "private_key", "signing_key",
    "encrypt", "decrypt", "cipher", "rotate_api_keys", "key_rotation", "InsecureSkipVerify", "verify_ssl",
    "CORS_ALLOW_ALL_ORIGINS = True", "origins = ['*']", "origins '*'", "AllowAllOrigins: true", "AllowAnyOrigin()",
    "allowedOrigins('*')", "origin: true", "verify=False", "rejectUnauthorized: false",
    "NODE_TLS_REJECT_UNAUTHORIZED", "VERIFY_NONE", "SSL_VERIFYPEER, false", "@csrf_exempt",
    "skip_before_action :verify_authenticity_token", "csrf: false", ".csrf().disable()",
    "skip_before_action :authenticate_user!", "skip_before_action :require_login", "AllowAny", "permitAll()",
    "[AllowAnonymous]", "@PermitAll", "@public_route", "auth: false", "SESSION_COOKIE_SECURE = False",
    "CSRF_COOKIE_SECURE = False", "secure: false", "http_only: false", "SameSite=None", "'unsafe-inline'",
    "'unsafe-eval'", 'algorithms=["none"]', "verify_signature: False", "verify_exp: False",
    "ALLOWED_HOSTS = ['*']", "DEBUG = True", "@permission_required", "@requires_auth",
    "before_action :authenticate_user!", "before_action :require_admin", "authorize @post",
    "has_permission(x)", "[Authorize]", ".RequireAuthorization()", "PermissionDenied", "Forbidden",
    "StatusForbidden", "StatusUnauthorized", "abort(403)", "status(401)", "status_code = 403",
    "HttpResponseForbidden", "isAuthenticated",
)  # fmt: skip


@pytest.mark.parametrize("sample", SECURITY_SAMPLES)
def test_every_security_pattern_passes_the_keyword_test(sample: str) -> None:
    from gate.risk.kinds import security

    assert security.IDENTIFIERS.search(sample) or security._SCAN.search(sample), sample
    assert security._may_match(sample.lower()), sample


def test_file_body_splits_a_files_lines_by_marker() -> None:
    from gate.risk.diff import file_body, parse_unified_diff

    text = (
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n x\n-y\n+z\n"
        "\\ No newline at end of file\n@@ -10,2 +10,3 @@\n p\n+q\n \n"
        "diff --git a/b.py b/b.py\n--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-1\n+2\n"
    )
    parsed = parse_unified_diff(text)
    assert not parsed.problems
    lines = text.split("\n")
    first, second = (file_body(lines, span) for span in parsed.spans)
    assert first.hunks == ((" x", "-y", "+z"), (" p", "+q", " "))
    assert (first.added, first.removed, first.context) == (("z", "q"), ("y",), ("x", "p", ""))
    assert (second.added, second.removed, second.context) == (("2",), ("1",), ())
