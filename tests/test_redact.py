"""Secrets are built from pieces at run time so that this file holds nothing that looks like one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate.risk.diff import parse_unified_diff
from gate.risk.redact import KINDS, Redacted, Redaction, marker, redact, slug
from gate.risk.sanitize import strip_invisible

GITHUB = "gh" + "p_" + "A1b2C3d4" * 5  # 40 letters and digits after the prefix
GITHUB_PAT = "github" + "_pat_" + "11ABCDEFG0" + "abcdefghij_" * 6
AWS_ID = "AK" + "IA" + "Q2W3E4R5T6Y7U8I9"
AWS_SECRET = "wJalrXUtnFEMI" + "/K7MDENG/" + "bPxRfiCY" + "EXAMPLEKEY"  # 40 characters
ANTHROPIC = "sk-" + "ant-" + "api03-" + "Zx9" * 20
OPENAI = "sk-" + "proj-" + "Ab3De6Gh9" * 4
OPENAI_LEGACY = "sk-" + "T3Bl" + "bkFJ" + "q1w2e3r4t5" * 4
SLACK_BOT = "xo" + "xb-" + "1234567890-" + "0987654321-" + "AbCdEfGhIjKlMnOp"
SLACK_APP = "xa" + "pp-" + "1-A0123456-" + "7890123456-" + "abcdef0123"
SLACK_HOOK = "https://" + "hooks.slack.com/services/" + "T0000000/" + "B0000000/" + "X" * 24
JWT = (
    "ey" + "J" + "hbGciOiJIUzI1NiJ9" + "." + "ey" + "JzdWIiOiIxMjM0NTY3ODkwIn0" + "." + "SflKxwRJSMeKKF2QT4fw"
)
PRIVATE_KEY_BODY = ["MIIEow" + "IBAAKCAQEA" * 6, "q1w2e3r4" * 8, "Zm9vYmFy" * 8]


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def check(result: Redacted, original: str, *secrets: str, diff: bool = True) -> None:
    """The properties every redaction keeps: same lines, no secret left, records without secrets."""
    assert result.text.count("\n") == original.count("\n")
    for secret in secrets:
        assert secret not in result.text
        for found in result.redactions:
            assert secret not in repr(found)
    for before, after in zip(lines_of(original), lines_of(result.text), strict=True):
        if diff and before[:1] in ("+", "-", " "):
            assert after[:1] == before[:1]  # the diff prefix survives


@pytest.mark.parametrize(
    ("line", "secret", "kind"),
    [
        (f'+GITHUB_TOKEN = "{GITHUB}"', GITHUB, "GitHub token"),
        (f"+git clone https://x-access-token:{GITHUB}@github.com/o/r", GITHUB, "GitHub token"),
        (f"+auth = {GITHUB_PAT}", GITHUB_PAT, "GitHub token"),
        (f"+aws_access_key_id = {AWS_ID}", AWS_ID, "AWS access key"),
        (f"+aws_secret_access_key = {AWS_SECRET}", AWS_SECRET, "AWS secret access key"),
        (f'+AWS_SECRET_ACCESS_KEY="{AWS_SECRET}"', AWS_SECRET, "AWS secret access key"),
        (f"+client = Anthropic(api_key='{ANTHROPIC}')", ANTHROPIC, "Anthropic API key"),
        (f'+OPENAI_API_KEY: "{OPENAI}"', OPENAI, "OpenAI API key"),
        (f"+key {OPENAI_LEGACY} end", OPENAI_LEGACY, "OpenAI API key"),
        (f"+slack_bot = {SLACK_BOT}", SLACK_BOT, "Slack token"),
        (f"+app: {SLACK_APP}", SLACK_APP, "Slack token"),
        (f"+webhook: {SLACK_HOOK}", SLACK_HOOK, "Slack webhook URL"),
        (f"+Authorization: Bearer {JWT}", JWT, "JWT"),
        ("+DATABASE_URL=postgres://app:" + "s3cr3t-Pw" + "@db:5432/app", "s3cr3t-Pw", "password in URL"),
        ('+    password = "' + "hunter2" + '"', "hunter2", "password assignment"),
        ("+    password = 'change" + "me'", "changeme", "password assignment"),
        ("+DB_PASSWORD=" + "Tr0ub4dor", "Tr0ub4dor", "password assignment"),
        ('+  dbPassword: "' + "letmein!" + '"', "letmein!", "password assignment"),
        ("+passwd => '" + "qwerty12" + "'", "qwerty12", "password assignment"),
        ("+pwd := '" + "9z8y7x" + "'", "9z8y7x", "password assignment"),
        ("+client_secret: " + "c7a1b2c3d4", "c7a1b2c3d4", "secret assignment"),
        ('+SECRET_KEY = "' + "django-insecure-abc" + '"', "django-insecure-abc", "secret assignment"),
        ('+privateKey: "' + "priv-value-9" + '"', "priv-value-9", "secret assignment"),
        ("+authToken := " + '"tok-4242"', "tok-4242", "token assignment"),
        ('+{"access_token": "' + "at-0001" + '"}', "at-0001", "token assignment"),
        ("+'api_key' => '" + "k-123456" + "'", "k-123456", "API key assignment"),
        ("+X_API_KEY=" + "abcd1234", "abcd1234", "API key assignment"),
        ("+apiKey: '" + "ak-77" + "'", "ak-77", "API key assignment"),
        ("+accessKey = '" + "acc-key-1" + "'", "acc-key-1", "API key assignment"),
    ],
)
def test_each_kind_is_replaced_by_its_marker(line: str, secret: str, kind: str) -> None:
    text = f"+before\n{line}\n after\n"
    result = redact(text)
    check(result, text, secret)
    assert result.redactions == (Redaction(kind, 2),)
    assert marker(kind) in lines_of(result.text)[1]
    assert lines_of(result.text)[0] == "+before"
    assert lines_of(result.text)[2] == " after"


def test_the_key_operator_and_quotes_stay() -> None:
    secret = "hunter" + "22"
    assert redact(f'password = "{secret}"').text == 'password = "[REDACTED:password-assignment]"'
    assert redact(f"DB_PASSWORD={secret}").text == "DB_PASSWORD=[REDACTED:password-assignment]"
    assert redact(f"token: {secret} # prod").text == "token: [REDACTED:token-assignment] # prod"
    assert redact(f'auth(password="{secret}")').text == 'auth(password="[REDACTED:password-assignment]")'
    assert redact(f"def f(password: str = '{secret}'):").text == (
        "def f(password: str = '[REDACTED:password-assignment]'):"
    )


def test_a_token_in_an_assignment_is_reported_once_with_the_specific_kind() -> None:
    result = redact(f'GITHUB_TOKEN = "{GITHUB}"')
    assert result.text == 'GITHUB_TOKEN = "[REDACTED:github-token]"'
    assert result.redactions == (Redaction("GitHub token", 1),)


def test_anthropic_is_recognised_before_openai() -> None:
    assert redact(ANTHROPIC).redactions == (Redaction("Anthropic API key", 1),)
    assert redact(OPENAI).redactions == (Redaction("OpenAI API key", 1),)


def test_slugs_and_markers() -> None:
    assert [slug(kind) for kind in KINDS] == [
        "aws-access-key",
        "aws-secret-access-key",
        "github-token",
        "anthropic-api-key",
        "openai-api-key",
        "slack-token",
        "slack-webhook-url",
        "private-key-block",
        "jwt",
        "password-in-url",
        "password-assignment",
        "secret-assignment",
        "token-assignment",
        "api-key-assignment",
    ]
    assert marker("GitHub token") == "[REDACTED:github-token]"


def test_private_key_block_across_five_diff_lines() -> None:
    diff = "\n".join(
        [
            "diff --git a/deploy/key.pem b/deploy/key.pem",
            "new file mode 100644",
            "--- /dev/null",
            "+++ b/deploy/key.pem",
            "@@ -0,0 +1,5 @@",
            "+-----BEGIN RSA " + "PRIVATE KEY-----",
            *(f"+{body}" for body in PRIVATE_KEY_BODY),
            "+-----END RSA " + "PRIVATE KEY-----",
            "diff --git a/app.py b/app.py",
            "--- a/app.py",
            "+++ b/app.py",
            "@@ -1 +1 @@",
            "-x = 1",
            "+x = 2",
            "",
        ]
    )
    result = redact(diff)
    check(result, diff, *PRIVATE_KEY_BODY)
    lines = lines_of(result.text)
    assert lines[5:10] == ["+[REDACTED:private-key-block]"] * 5
    assert lines[:5] == lines_of(diff)[:5]
    assert lines[10:] == lines_of(diff)[10:]
    assert result.redactions == (Redaction("private key block", 6),)
    # The redacted diff still parses to the same files and counts.
    assert parse_unified_diff(result.text) == parse_unified_diff(diff)


def test_private_key_block_in_plain_text_and_on_removed_lines() -> None:
    body = "\n".join(["Here is the key:", "-----BEGIN OPENSSH PRIVATE KEY-----", *PRIVATE_KEY_BODY])
    text = body + "\n-----END OPENSSH PRIVATE KEY-----\nThanks\n"
    result = redact(text)
    check(result, text, *PRIVATE_KEY_BODY, diff=False)
    assert lines_of(result.text) == ["Here is the key:", *["[REDACTED:private-key-block]"] * 5, "Thanks", ""]

    removed = (
        "@@ -1,3 +0,0 @@\n------BEGIN EC PRIVATE KEY-----\n-"
        + PRIVATE_KEY_BODY[0]
        + "\n------END EC PRIVATE KEY-----\n"
    )
    result = redact(removed)
    check(result, removed, PRIVATE_KEY_BODY[0])
    assert lines_of(result.text)[1:4] == ["-[REDACTED:private-key-block]"] * 3


def test_one_line_private_key_keeps_the_surrounding_code() -> None:
    text = (
        "+KEY = '-----BEGIN PRIVATE KEY-----\\n"
        + PRIVATE_KEY_BODY[0]
        + "\\n-----END PRIVATE KEY-----'  # test"
    )
    result = redact(text)
    check(result, text, PRIVATE_KEY_BODY[0])
    assert result.text == "+KEY = '[REDACTED:private-key-block]'  # test"


def test_unterminated_private_key_stops_at_the_next_file_of_the_diff() -> None:
    diff = "\n".join(
        [
            "diff --git a/k b/k",
            "@@ -0,0 +1,3 @@",
            "+-----BEGIN PRIVATE KEY-----",
            f"+{PRIVATE_KEY_BODY[0]}",
            "@@ -10,2 +11,2 @@",
            f" {PRIVATE_KEY_BODY[1]}",
            "\\ No newline at end of file",
            "diff --git a/app.py b/app.py",
            "@@ -1 +1 @@",
            "+print('ok')",
        ]
    )
    result = redact(diff)
    check(result, diff, PRIVATE_KEY_BODY[0], PRIVATE_KEY_BODY[1])
    assert lines_of(result.text) == [
        "diff --git a/k b/k",
        "@@ -0,0 +1,3 @@",
        "+[REDACTED:private-key-block]",
        "+[REDACTED:private-key-block]",
        "@@ -10,2 +11,2 @@",  # hunk structure is kept
        " [REDACTED:private-key-block]",
        "\\ No newline at end of file",
        "diff --git a/app.py b/app.py",  # the next file is untouched
        "@@ -1 +1 @@",
        "+print('ok')",
    ]


def test_hunk_context_inside_a_key_block_is_replaced_but_the_header_kept() -> None:
    # git prints a line of the file after a hunk header; in a key file that is key material.
    diff = "@@ -1,2 +1,2 @@\n+-----BEGIN PRIVATE KEY-----\n+AAAA\n@@ -9,2 +9,2 @@ " + PRIVATE_KEY_BODY[0]
    diff += "\n+-----END PRIVATE KEY-----\n"
    result = redact(diff)
    check(result, diff, PRIVATE_KEY_BODY[0])
    assert lines_of(result.text)[3] == "@@ -9,2 +9,2 @@ [REDACTED:private-key-block]"


def test_a_key_block_that_starts_inside_another_match_is_still_redacted() -> None:
    # `sk-...-----BEGIN` reads as one OpenAI-like run up to the BEGIN dashes; the union goes.
    text = "+k = sk-" + "Abc123" * 4 + "-----BEGIN RSA PRIVATE KEY-----\n+" + PRIVATE_KEY_BODY[0]
    text += "\n+-----END RSA PRIVATE KEY-----\n"
    result = redact(text)
    check(result, text, PRIVATE_KEY_BODY[0])
    assert lines_of(result.text) == [
        "+k = [REDACTED:private-key-block]",
        "+[REDACTED:private-key-block]",
        "+[REDACTED:private-key-block]",
        "",
    ]
    assert result.redactions == (Redaction("private key block", 1),)


def test_unterminated_private_key_in_plain_text_runs_to_the_end() -> None:
    text = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(PRIVATE_KEY_BODY)
    result = redact(text)
    check(result, text, *PRIVATE_KEY_BODY, diff=False)
    assert lines_of(result.text) == ["[REDACTED:private-key-block]"] * 4


@pytest.mark.parametrize(
    "line",
    [
        "max_tokens = 1000",
        "tokens: 12345678",
        "token_type = 'bearer'",
        "password_policy = 'strict'",
        "secret_name: my-app-secret",
        "token_url = 'https://auth.example.com/token'",
        "password = None",
        "password: null",
        "token = nil",
        "secret: true",
        "password = ''",
        'password: ""',
        "password = os.environ['DB_PASSWORD']",
        "password = os.getenv('DB_PASSWORD')",
        "api_key = getenv('API_KEY')",
        "token = process.env.GITHUB_TOKEN",
        "password = env.DB_PASSWORD",
        "token: ${{ secrets.GITHUB_TOKEN }}",
        "password: ${DB_PASSWORD}",
        "PASSWORD=$DB_PASSWORD",
        "password: '{{ vault_db_password }}'",
        "password: %(db_password)s",
        "password: <your-password>",
        "password: vault:secret/data/db#password",
        "secret: secrets.DB_SECRET",
        "password = get_password()",
        "token = load_token(path)",
        "password = [REDACTED:password-assignment]",
        'password = "[REDACTED:password-assignment]"',
        "token: str",
        "password: string;",
        "api_key: Optional[str] = None",
        "token: str | None = None",
        "def login(user: str, password: str) -> bool:",
        "    token: The token used to authenticate.",
        "connect(host, password=db_password)",
        "password = user_password",
        "token = self.token",
        "token = settings.API_TOKEN",
        "password = request.form['password']",
        'password = f"{prefix}-suffix"',
        "if password == 'hunter2':",
        "password: ********",
        "API_KEY=XXXXXXXX",
        "password = 'xxxx'",
        "token: String?",
        "tokens: str[]?",
        "password: [REDACTED:password-assignment],",
        "monkey = 'banana'",
        "publickey = 'ssh-ed25519 AAAA'",
        "sk-folding-cube-animation-delay",
        "https://user:${PASSWORD}@example.com",
        "https://user:password@example.com",
        "# the password must be rotated",
    ],
)
def test_false_positives_are_left_untouched(line: str) -> None:
    text = f"+{line}\n"
    assert redact(text) == Redacted(text, ())


def test_ordinary_lines_are_untouched() -> None:
    diff = "\n".join(
        [
            "diff --git a/app.py b/app.py",
            "--- a/app.py",
            "+++ b/app.py",
            "@@ -1,4 +1,4 @@",
            " def handler(request):",
            "-    return render(request, 'index.html')",
            "+    return render(request, 'home.html', {'user': request.user})",
            "     # ignore errors from the cache",
        ]
    )
    assert redact(diff) == Redacted(diff, ())


def test_line_numbers_count_from_one_across_many_findings() -> None:
    text = "\n".join(["x"] * 9 + [f"a = '{GITHUB}'", "y", f"b: {AWS_ID}", f"c: {AWS_ID} {JWT}", "z"])
    result = redact(text)
    check(result, text, GITHUB, AWS_ID, JWT)
    assert result.redactions == (
        Redaction("GitHub token", 10),
        Redaction("AWS access key", 12),
        Redaction("AWS access key", 13),
        Redaction("JWT", 13),
    )


def test_crlf_lines_keep_their_carriage_return() -> None:
    text = f"+token: {GITHUB}\r\n+next\r\n"
    assert redact(text).text == "+token: [REDACTED:github-token]\r\n+next\r\n"


def test_redacting_twice_changes_nothing_more() -> None:
    text = f"+a = '{GITHUB}'\n+password = 'hunter2'\n+-----BEGIN PRIVATE KEY-----\n+{PRIVATE_KEY_BODY[0]}\n"
    once = redact(text)
    assert redact(once.text) == Redacted(once.text, ())


def test_zero_width_characters_hide_a_secret_until_they_are_stripped() -> None:
    # Callers must run strip_invisible first: redact matches the text as given, and a zero-width
    # space inside a token breaks the token's pattern.
    hidden = GITHUB[:2] + "\u200b" + GITHUB[2:]
    text = f"+export GH={hidden}\n"
    assert redact(text) == Redacted(text, ())
    clean, removed = strip_invisible(text)
    assert removed == 1
    result = redact(clean)
    check(result, clean, GITHUB)
    assert result.redactions == (Redaction("GitHub token", 1),)


@given(
    st.lists(
        st.sampled_from(["+x = 1", f"+t = '{GITHUB}'", "+password: abcd1234", " ctx", "", "-"]), max_size=30
    )
)
def test_line_structure_is_kept_for_any_mix_of_lines(lines: list[str]) -> None:
    text = "\n".join(lines)
    result = redact(text)
    check(result, text, GITHUB, "abcd1234")
    assert len(result.redactions) == sum(
        1 for line in lines if line in (f"+t = '{GITHUB}'", "+password: abcd1234")
    )


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_text_keeps_its_lines(text: str) -> None:
    result = redact(text)
    assert result.text.count("\n") == text.count("\n")
    assert all(found.line >= 1 and found.kind in KINDS for found in result.redactions)


# -- hostile lines are read in linear time -----------------------------------------------------
# Each of these never finished before the scans were made linear (a 160 KB line of the first one
# took 11 s, 640 KB ran for hours); no timing is asserted, the result is. bench/risk_scan.py has
# the figures.

LONG = 640_000  # characters in one hostile line


@pytest.mark.parametrize(
    "unit",
    [
        "h.token=c.token;",  # minified code: thousands of keys in one run without whitespace
        "password=x(",  # every value is a call
        "token:a.",  # every value is an attribute expression
        "token=****",  # every value is a mask
    ],
)
def test_a_long_line_full_of_keys_keeps_the_keys_and_still_redacts_a_secret(unit: str) -> None:
    minified = "+" + unit * (LONG // len(unit))
    line = f"{minified} DB_PASSWORD=Tr0ub4dor"
    result = redact(line)
    assert result.text == f"{minified} DB_PASSWORD={marker('password assignment')}"
    assert result.redactions == (Redaction("password assignment", 1),)


def test_a_long_line_of_annotations_without_a_default_is_left_alone() -> None:
    line = "+" + "token:Optional[" * (LONG // 15)
    assert redact(line) == Redacted(line, ())


@pytest.mark.slow
def test_many_key_blocks_before_a_long_file_are_each_redacted() -> None:
    # Each block used to look for the next file's section from its own end: 10,000 blocks before a
    # million more lines of the same file took two minutes.
    count, rest = 10_000, 1_000_000
    block = ["+-----BEGIN RSA PRIVATE KEY-----", "+" + PRIVATE_KEY_BODY[0], "+-----END RSA PRIVATE KEY-----"]
    header = ["diff --git a/keys b/keys", "--- a/keys", "+++ b/keys", f"@@ -0,0 +1,{3 * count + rest} @@"]
    text = "\n".join(header + block * count + ["+x"] * rest) + "\n"
    result = redact(text)
    redacted_block = ["+" + marker("private key block")] * (3 * count)
    assert result.text == "\n".join(header + redacted_block + ["+x"] * rest) + "\n"
    assert result.redactions == tuple(Redaction("private key block", 5 + 3 * i) for i in range(count))


def test_many_one_line_key_blocks_on_one_line_are_each_redacted() -> None:
    count = 40_000  # 2.5 MB on one line; its end is found once, not once per block
    block = "-----BEGIN RSA PRIVATE KEY-----" + PRIVATE_KEY_BODY[1] + "-----END RSA PRIVATE KEY-----"
    result = redact("+" + block * count)
    assert result.text == "+" + marker("private key block") * count
    assert result.redactions == (Redaction("private key block", 1),) * count
