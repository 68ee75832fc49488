"""Security-sensitive code: by path, by identifier, and changes that weaken a check. PURE.

A file is sensitive (at least medium) when a word of its name or folders is one of `PATH_WORDS`
(auth, session, token, permission, role, policy, guard, crypto, password, secret, cors, csp, cookie,
…), when it is
a security file type (`*.rego`, `*.pem`, `*.key`, `.htpasswd`, `.env`, …), or when the lines it
adds or removes use a security identifier (`IDENTIFIERS`: authenticate, permission_classes,
verify_password, bcrypt, jwt, CORS and CSP settings, session cookies, key rotation, …).

It is high when the change weakens a check (`weakening`): the lines it adds widen or switch off a
protection (a CORS origin of `*`, `verify=False`, `InsecureSkipVerify: true`, `csrf_exempt`,
`AllowAny`/`permitAll()`, an insecure cookie, `'unsafe-inline'` in a CSP, `algorithms=["none"]`, …)
more often than the lines it removes do, or the lines it removes hold more access checks
(`@login_required`, `permission_classes`, `authorize`, `[Authorize]`, `PermissionDenied`, 403, …) than
the lines it adds; and, in a test file, when it removes a test whose name is about access (a
permission, login or 403 test) without adding it back (`removed_security_tests`).

Every pattern is a literal or a regex without nested quantifiers, searched once over the joined
lines of one side: linear in the text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from gate.models import FileKind
from gate.risk.kinds.facts import Content, PathFacts, Signal, Strength

__all__ = ["PATH_WORDS", "content_signal", "path_signal", "removed_security_tests", "weakening"]

K = FileKind.SENSITIVE
PATH_WORDS = frozenset(
    {
        "auth", "authn", "authz", "authenticate", "authentication", "authenticator", "authorize",
        "authorization", "authorizer", "oauth", "oauth2", "oidc", "saml", "sso", "mfa", "totp", "otp",
        "login", "logout", "signin", "session", "sessions", "token", "tokens", "jwt", "permission",
        "permissions", "perms", "role", "roles", "rbac", "acl", "acls", "iam", "privilege",
        "privileges", "crypto", "cryptography", "encrypt", "encryption", "decrypt", "cipher", "password",
        "passwords", "passwd", "credential", "credentials", "secret", "secrets", "cors", "csp", "csrf",
        "xsrf", "cookie", "cookies", "tls", "ssl", "cert", "certs", "certificate", "certificates",
        "x509", "keystore", "keyring", "kms", "security", "firewall", "sudoers", "apikey", "apikeys",
        "policy", "policies", "guard", "guards", "ability", "abilities",
    }
)  # fmt: skip
_KEY_PAIRS = frozenset({"api", "signing", "private", "public", "secret", "encryption", "master", "rotate"})
_FILE_TYPES = (".rego", ".pem", ".key", ".crt", ".p12", ".pfx", ".jks", ".keystore", ".htpasswd", ".htaccess")
_ENV_SAMPLES = (".example", ".sample", ".template", ".dist")


def _key_words(words: tuple[str, ...]) -> bool:
    """`api_keys.py`, `signing-key.ts`, `key_rotation.go`: a key next to a word that makes it a secret."""
    for i, word in enumerate(words):
        if word in ("key", "keys"):
            near = words[max(0, i - 1) : i] + words[i + 1 : i + 2]
            if any(w in _KEY_PAIRS or w.startswith("rotat") for w in near):
                return True
    return False


def path_signal(f: PathFacts) -> Signal | None:
    if f.ends(*_FILE_TYPES):
        return Signal(K, Strength.NAME, f"security file type (*{f.ext()})")
    if (f.lname == ".env" or f.lname.startswith(".env.")) and not f.ends(*_ENV_SAMPLES):
        return Signal(K, Strength.NAME, f"environment file with secrets ({f.name})")
    for word in f.words:
        if word in PATH_WORDS:
            return Signal(K, Strength.NAME, f"security-sensitive name (`{word}`)")
    if _key_words(f.words):
        return Signal(K, Strength.NAME, "security-sensitive name (keys)")
    for word in sorted(f.folder_words & PATH_WORDS):
        return Signal(K, Strength.FOLDER, f"security-sensitive folder (`{word}`)")
    return None


IDENTIFIERS = re.compile(
    r"\b(?:authenticat\w*|authoriz\w*|is_authenticated|login_required|permission_classes|has_perm\w*|"
    r"check_perm\w*|require_(?:auth|login|role|permission)\w*|PreAuthorize|RolesAllowed|Secured|"
    r"verify_password|check_password|hash_password|password_hash|set_password|bcrypt|scrypt|argon2|"
    r"pbkdf2\w*|hmac|compare_digest|timingSafeEqual|jwt|jsonwebtoken|csrf\w*|xsrf\w*|CORS\w*|cors\w*|"
    r"Access-Control-Allow-\w+|Content-Security-Policy|allow_origins|allowed_origins|AllowOrigins|"
    r"SESSION_COOKIE_\w+|set_cookie|httponly|samesite|SECRET_KEY|secret_key|private_key|signing_key|"
    r"encrypt\w*|decrypt\w*|cipher\w*|rotate_\w*keys?|key_rotation|InsecureSkipVerify|verify_ssl)\b",
    re.IGNORECASE,
)


# Every identifier, weakener and check holds one of these (lower-case): a text without any of them
# needs no regex at all, which is what most changed lines are.
_KEYWORDS = (
    "auth", "login", "perm", "role", "secur", "password", "passwd", "bcrypt", "scrypt", "argon", "pbkdf",
    "hmac", "digest", "safeequal", "jwt", "token", "csrf", "xsrf", "cors", "origin", "access-control",
    "content-security", "session", "cookie", "httponly", "http_only", "samesite", "secret", "private_key",
    "signing_key", "crypt", "cipher", "rotat", "verify", "skipverify", "reject", "node_tls",
    "ssl", "allowany", "permitall", "anonymous", "public_route", "unsafe-", "algorithms", "allowed_hosts",
    "debug", "forbidden", "unauthorized", "abort(40", "status(40", "status_code", "before_action",
)  # fmt: skip


def _may_match(lower: str) -> bool:
    return any(word in lower for word in _KEYWORDS)


def content_signal(f: PathFacts, c: Content) -> Signal | None:
    if not _may_match(c.changed_lower):
        return None
    found = IDENTIFIERS.search(c.changed_text)
    if found is None:
        return None
    return Signal(K, Strength.CONTENT, f"security identifier in the changed lines (`{found.group(0)[:40]}`)")


# Patterns whose presence in added lines widens or switches off a protection, and access checks
# (fewer of them after the change than before weakens a check). One regex of named alternatives, so
# each side of a file's change is scanned once.
_WEAKENERS: tuple[tuple[str, str], ...] = (
    ("CORS allows every origin", r"CORS_(?:ORIGIN_)?ALLOW_ALL(?:_ORIGINS)?[ \t]*=[ \t]*True"),
    ("CORS allows every origin", r"Access-Control-Allow-Origin['\"]?[ \t]*[:,=][ \t]*['\"]?\*"),
    ("CORS allows every origin", r"(?:allow_origins|allowed_origins|AllowedOrigins|origins?)['\"]?[ \t]*[:=][ \t]*(?:(?:\[\]string\{|\[|\()[ \t]*)?['\"]\*['\"]"),
    ("CORS allows every origin", r"\borigins?[ \t]+['\"]\*['\"]"),  # Ruby: origins '*'
    ("CORS allows every origin", r"AllowAllOrigins[ \t]*[:=][ \t]*true|AllowAnyOrigin\(\)|allowedOrigins\([ \t]*['\"]\*['\"]|\borigin[ \t]*:[ \t]*true\b"),
    ("TLS verification off", r"\bverify[ \t]*=[ \t]*False\b|InsecureSkipVerify[ \t]*:[ \t]*true|rejectUnauthorized[ \t]*:[ \t]*false|NODE_TLS_REJECT_UNAUTHORIZED|VERIFY_NONE|SSL_VERIFYPEER[ \t]*,[ \t]*(?:false|0)"),
    ("CSRF protection off", r"csrf_exempt|skip_before_action[ \t]+:verify_authenticity_token|csrf[ \t]*[:=][ \t]*false|\.csrf\(\)\.disable\(\)|csrf\([ \t]*AbstractHttpConfigurer::disable"),
    ("authentication skipped", r"skip_before_action[ \t]+:(?:authenticate|require_login)\w*|\bAllowAny\b|permitAll\(\)|\[AllowAnonymous\]|@PermitAll\b|@public_route|auth[ \t]*[:=][ \t]*(?:false|False|None)\b"),
    ("insecure cookie", r"SESSION_COOKIE_SECURE[ \t]*=[ \t]*False|CSRF_COOKIE_SECURE[ \t]*=[ \t]*False|\bsecure[ \t]*:[ \t]*false\b|http_?only['\"]?[ \t]*[:=][ \t]*(?:false|False)\b|SameSite[ \t]*=[ \t]*None"),
    ("CSP allows inline or eval", r"'unsafe-inline'|'unsafe-eval'"),
    ("token signature not verified", r"algorithms[ \t]*=[ \t]*\[[ \t]*['\"]none['\"]|verify_signature['\"]?[ \t]*:[ \t]*False|verify_exp['\"]?[ \t]*:[ \t]*False"),
    ("every host allowed", r"ALLOWED_HOSTS[ \t]*=[ \t]*\[[ \t]*['\"]\*['\"]"),
    ("debug mode on", r"^[ \t]*DEBUG[ \t]*=[ \t]*True\b"),
)  # fmt: skip
_CHECKS = (
    r"@login_required|@permission_required|@requires_auth\w*|permission_classes|before_action[ \t]+:authenticate\w*|"
    r"before_action[ \t]+:require_\w+|\bauthorize!?\(|\bauthorize[ \t]+@|check_permission\w*\(|has_permission\w*\(|"
    r"require_(?:auth|login|role|permission)\w*|@PreAuthorize|@Secured|@RolesAllowed|\[Authorize\b|"
    r"\.RequireAuthorization\(|PermissionDenied|\bForbidden\b|StatusForbidden|StatusUnauthorized|abort\(40[13]\)|status\(40[13]\)|"
    r"status_code[ \t]*=[ \t]*40[13]\b|HttpResponseForbidden|"
    r"is_authenticated|isAuthenticated|verify_password|check_password|compare_digest|timingSafeEqual"
)
_SCAN = re.compile(
    "|".join(f"(?P<w{i}>{pattern})" for i, (_, pattern) in enumerate(_WEAKENERS)) + f"|(?P<check>{_CHECKS})",
    re.IGNORECASE | re.MULTILINE,
)


def _tally(lines: tuple[str, ...]) -> Counter[str]:
    """How often each weakener and the access checks occur; only lines with a keyword are scanned
    (the regex of many case-insensitive alternatives is the slow part, the keyword test is not)."""
    counts: Counter[str] = Counter()
    for line in lines:
        if _may_match(line.lower()):
            counts.update(match.lastgroup or "" for match in _SCAN.finditer(line))
    return counts


def weakening(c: Content) -> str | None:
    """Why the change weakens a check (None: it does not, as far as the patterns see)."""
    if not _may_match(c.changed_lower):
        return None
    added, removed = _tally(c.added), _tally(c.removed)
    for index, (label, _) in enumerate(_WEAKENERS):
        group = f"w{index}"
        if added[group] > removed[group]:
            return f"weakens a check: {label}"
    before, after = removed["check"], added["check"]
    if before > after:
        return f"weakens a check: removes {before - after} access check{'s' if before - after > 1 else ''}"
    return None


_TEST_DEFS = re.compile(
    r"(?:\bdef[ \t]+|\bfunc[ \t]+|\bfn[ \t]+|\bvoid[ \t]+|\bTask[ \t]+)((?:test|Test)\w{0,200})|"
    r"\b(?:it|test|specify|scenario|should)[ \t]*(?:\([ \t]*)?['\"`]([^'\"`\n]{1,200})",
)
_ANNOTATIONS = ("@Test", "[Fact", "[Theory", "[Test", "[TestMethod")
_METHOD = re.compile(r"\b(?:void|Task|fun)[ \t]+(\w{1,200})")
_ACCESS_WORDS = re.compile(
    r"permission|perm_|forbid|unauthori[sz]|unauthenticat|anonymous|denied|\bden(?:y|ies)\b|_deny|deny_|"
    r"auth|login|logged|admin|role|access|csrf|cors|token|session|password|privilege|40[13]|cannot|"
    r"can_not|not_allowed|disallow|reject|owner",
    re.IGNORECASE,
)


def _test_names(lines: tuple[str, ...]) -> list[str]:
    """Test names defined in `lines`: `def test_…`, `func Test…`, `it("…")`, and a method after a
    test annotation on the line before it (`@Test`, `[Fact]`); one line at a time, so linear."""
    names = [a or b for a, b in _TEST_DEFS.findall("\n".join(lines))]
    annotated = False
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(_ANNOTATIONS):
            annotated = True
        elif annotated and (method := _METHOD.search(line)) is not None:
            names.append(method.group(1))
            annotated = False
        elif stripped and not stripped.startswith(("@", "[")):
            annotated = False
    return names


def removed_security_tests(c: Content) -> list[str]:
    """Access tests the change removes and does not add back (by name)."""
    kept = set(_test_names(c.added))
    removed = _test_names(c.removed)
    return [name for name in dict.fromkeys(removed) if name not in kept and _ACCESS_WORDS.search(name)]


CONTENT_RULES: tuple[Callable[[PathFacts, Content], Signal | None], ...] = (content_signal,)
