"""The rule floor: built-in kinds and floors per file, code medium unless shown low, policy rules, labels.

Table-driven over ChangedFile lists (paths only) and over small diffs (when content decides); the
labelled corpus in tests/riskcorpus covers every ecosystem end to end (tests/test_risk_corpus.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.app import ChangeInput, rule_floor
from gate.models import Category, ChangedFile, ChangeRisk, FileKind, RiskLevel
from gate.policy import RiskConfig, RiskRule
from gate.risk.diff import parse_unified_diff
from gate.risk.material import prepare_change
from gate.risk.rules import assess_rules, path_sensitivity
from tests.riskcorpus.builders import edit, many, new, renamed
from tests.support.cli import run_cli
from tests.support.git import git

LOW, MEDIUM, HIGH = RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH
DEMO = Path(__file__).resolve().parent.parent / "gate" / "data" / "demo"


def f(path: str, added: int = 1, removed: int = 0, **kwargs: Any) -> ChangedFile:
    return ChangedFile(path=path, added=added, removed=removed, **kwargs)


def cfg(*rules: RiskRule) -> RiskConfig:
    return RiskConfig(rules=list(rules))


def assess(
    files: list[ChangedFile], labels: list[str] | None = None, config: RiskConfig | None = None, **kw: Any
) -> ChangeRisk:
    return assess_rules(files, labels or [], config or cfg(), **kw)


def judge(diff: str, config: RiskConfig | None = None, **change: Any) -> ChangeRisk:
    """A diff through the gate's own path: clean, parse, then the rules with each file's lines."""
    material, parsed = prepare_change(diff)
    assert parsed is not None and not parsed.problems, parsed
    change_input = ChangeInput(diff=parsed, material=material, **change)
    return rule_floor(config or cfg(), range(len(parsed.files)), change_input)


def kinds(risk: ChangeRisk) -> dict[str, FileKind]:
    return {item.path: item.kind for item in risk.file_risks}


# ---- built-in floors by path -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "policy_files", "risk", "reason"),
    [
        (
            [f("src/app.py")],
            (),
            LOW,
            "src/app.py: code, small change (1 file, 1 changed line: ≤ 2 files, ≤ 20 lines",
        ),
        (
            [f("policies/checkout.yaml")],
            ("policies/checkout.yaml",),
            HIGH,
            "policies/checkout.yaml: config (gate policy); gate policy → high",
        ),
        (
            [f("policies/checkout.yaml")],
            ("./policies/checkout.yaml",),
            HIGH,
            "policies/checkout.yaml: config (gate policy)",
        ),
        ([f("slo-gate.yaml")], (), HIGH, "slo-gate.yaml: config (gate policy)"),
        ([f("deploy/slo-gate-checkout.yml")], (), HIGH, "deploy/slo-gate-checkout.yml: config (gate policy)"),
        ([f(".slo-gate/policy.yaml")], (), HIGH, ".slo-gate/policy.yaml: config (gate policy)"),
        (
            [f(".github/workflows/ci.yml")],
            (),
            HIGH,
            ".github/workflows/ci.yml: ci (GitHub Actions workflow (.github/workflows/)); ci → high",
        ),
        ([f(".github/workflows/sub/x.yaml")], (), HIGH, ".github/workflows/sub/x.yaml: ci"),
        ([f(".github/actions/setup/action.yml")], (), HIGH, "ci (GitHub action"),
        ([f("CODEOWNERS")], (), HIGH, "CODEOWNERS: config (code ownership (CODEOWNERS)); code ownership"),
        ([f(".github/CODEOWNERS")], (), HIGH, ".github/CODEOWNERS: config (code ownership"),
        ([f("docs/CODEOWNERS")], (), HIGH, "docs/CODEOWNERS: config (code ownership"),
        (
            [f("Dockerfile")],
            (),
            HIGH,
            "Dockerfile: container (container build (Dockerfile)); container → high",
        ),
        ([f("services/api/Dockerfile")], (), HIGH, "services/api/Dockerfile: container"),
        ([f("build/api.dockerfile")], (), HIGH, "build/api.dockerfile: container"),
        ([f("Containerfile")], (), HIGH, "Containerfile: container"),
        ([f("Dockerfile.dev")], (), HIGH, "Dockerfile.dev: container"),
        (
            [f("db/migrate/20240101_add.rb")],
            (),
            HIGH,
            "db/migrate/20240101_add.rb: migration (Rails migration",
        ),
        ([f("infra/main.tf")], (), HIGH, "infra/main.tf: infra (Terraform (*.tf)); infra → high"),
        (
            [f("assets/logo.png", 0, 0, binary=True)],
            (),
            HIGH,
            "assets/logo.png: binary file, its content cannot be reviewed → high",
        ),
        (
            [f("old/ci.yml", old_path=".github/workflows/ci.yml", status="renamed")],
            (),
            HIGH,
            "old/ci.yml: ci (GitHub Actions workflow",
        ),
        ([f("../outside.txt")], (), HIGH, "../outside.txt: not a path inside the repository → high"),
    ],
)
def test_builtin_floors(
    files: list[ChangedFile], policy_files: tuple[str, ...], risk: RiskLevel, reason: str
) -> None:
    result = assess(files, policy_files=policy_files)
    assert result.floor is risk
    assert result.risk is risk
    assert any(r.startswith(reason) or reason in r for r in result.reasons), result.reasons


@pytest.mark.parametrize(
    "path",
    [
        "src/CODEOWNERS.md",
        "docs/Dockerfile.md",
        "src/workflows/ci.yml",
        "github/workflows/ci.yml",
        "my-slo-gate.txt",
        "src/tokenizer/lexer.py",
        "services/inventory/handlers/x.py",
        "src/ops/math.py",
        "web/src/containers/Cart.tsx",
        "src/pipelines/train.py",
    ],
)
def test_near_misses_are_not_structural(path: str) -> None:
    result = assess([f(path)])
    assert result.floor is LOW  # a one-line change outside every sensitive path
    assert result.file_risks[0].kind not in (
        FileKind.MIGRATION,
        FileKind.INFRA,
        FileKind.CI,
        FileKind.CONTAINER,
    )


@pytest.mark.parametrize(
    ("path", "kind", "rule"),
    [
        ("orders/migrations/0007_status.py", FileKind.MIGRATION, "Django migration"),
        ("docs/migrations/0003_slug.py", FileKind.MIGRATION, "Django migration"),  # docs/ holding a migration
        ("alembic/versions/4b2c_add.py", FileKind.MIGRATION, "Alembic revision"),
        ("db/schema.rb", FileKind.MIGRATION, "Rails schema"),
        ("db/structure.sql", FileKind.MIGRATION, "SQL schema"),
        ("prisma/migrations/2024_x/migration.sql", FileKind.MIGRATION, "Prisma migration"),
        ("prisma/schema.prisma", FileKind.MIGRATION, "Prisma schema"),
        ("svc/src/main/resources/db/migration/V2_1__idx.sql", FileKind.MIGRATION, "Flyway migration"),
        ("src/main/resources/db/changelog/db.changelog-master.yaml", FileKind.MIGRATION, "Liquibase"),
        ("src/main/resources/db/changelog/changes/002.xml", FileKind.MIGRATION, "Liquibase"),
        ("db/migrations/000012_add.up.sql", FileKind.MIGRATION, "golang-migrate"),
        ("internal/migration/20240301120000_add.sql", FileKind.MIGRATION, "timestamped migration"),
        ("migrations/atlas.sum", FileKind.MIGRATION, "Atlas"),
        ("src/migration/1709290000000-AddStatus.ts", FileKind.MIGRATION, "timestamped migration"),
        ("Data/Migrations/20240301120000_Add.cs", FileKind.MIGRATION, "EF Core"),
        ("Data/Migrations/ShopContextModelSnapshot.cs", FileKind.MIGRATION, "EF Core"),
        ("database/migrations/2024_03_01_000000_add.php", FileKind.MIGRATION, "Laravel"),
        ("priv/repo/migrations/20240301_add.exs", FileKind.MIGRATION, "Ecto"),
        ("db/migrate/README.md", FileKind.DOCS, "documentation"),  # a migration folder that holds docs
        ("docs/migration/upgrading.md", FileKind.DOCS, "documentation"),
        ("modules/vpc/main.tofu", FileKind.INFRA, "OpenTofu"),
        ("envs/prod/terraform.tfvars", FileKind.INFRA, "Terraform variables"),
        ("live/prod/terragrunt.hcl", FileKind.INFRA, "Terragrunt"),
        ("Pulumi.prod.yaml", FileKind.INFRA, "Pulumi stack"),
        ("cdk.json", FileKind.INFRA, "CDK app"),
        ("cfn/network.yaml", FileKind.INFRA, "infrastructure folder"),
        ("ansible/roles/web/tasks/main.yml", FileKind.INFRA, "Ansible role"),
        ("group_vars/all.yml", FileKind.INFRA, "infrastructure folder"),
        ("deploy/helm-chart/templates/svc.yaml", FileKind.INFRA, "Helm chart folder"),
        ("charts/api/values-prod.yaml", FileKind.INFRA, "Helm values"),
        ("k8s/overlays/prod/kustomization.yaml", FileKind.INFRA, "kustomize"),
        ("config/deploy/production.yaml", FileKind.INFRA, "config/deploy/"),
        (".gitlab-ci.yml", FileKind.CI, "GitLab CI"),
        (".gitlab/ci/deploy.gitlab-ci.yml", FileKind.CI, "GitLab CI"),
        (".circleci/config.yml", FileKind.CI, "CircleCI"),
        ("Jenkinsfile", FileKind.CI, "Jenkins"),
        ("ci/Jenkinsfile.release", FileKind.CI, "Jenkins"),
        ("azure-pipelines.yml", FileKind.CI, "Azure Pipelines"),
        (".buildkite/pipeline.yml", FileKind.CI, "Buildkite"),
        (".drone.yml", FileKind.CI, "Drone"),
        (".woodpecker/build.yml", FileKind.CI, "Woodpecker"),
        (".woodpecker.yaml", FileKind.CI, "Woodpecker"),
        (".travis.yml", FileKind.CI, "Travis"),
        ("argocd/apps/orders.yaml", FileKind.CI, "GitOps"),
        ("clusters/prod/flux-system/gotk-sync.yaml", FileKind.CI, "GitOps"),
        ("scripts/deploy.sh", FileKind.CI, "deploy script"),
        ("docker/orders.Dockerfile", FileKind.CONTAINER, "container build"),
        ("docker-compose.override.yml", FileKind.CONTAINER, "Compose"),
        ("compose.yaml", FileKind.CONTAINER, "Compose"),
        (".dockerignore", FileKind.CONTAINER, "Docker build context"),
        (
            "docs/examples/Dockerfile",
            FileKind.CONTAINER,
            "container build",
        ),  # a Dockerfile under docs/examples
        ("tests/fixtures/Dockerfile", FileKind.TESTS, "test data"),
        ("tests/fixtures/k8s/deployment.yaml", FileKind.TESTS, "test data"),  # a fixture that is a manifest
        ("docs/examples/k8s/deployment.yaml", FileKind.DOCS, "documentation folder"),
        ("app/auth/session.py", FileKind.SENSITIVE, "security-sensitive name (`session`)"),
        ("src/middleware/cors.ts", FileKind.SENSITIVE, "`cors`"),
        ("pkg/crypto/hash.go", FileKind.SENSITIVE, "security-sensitive folder (`crypto`)"),
        ("src/api_keys.py", FileKind.SENSITIVE, "keys"),
        ("policy/authz.rego", FileKind.SENSITIVE, "security file type"),
        (".env", FileKind.SENSITIVE, "environment file"),
        (".env.example", FileKind.CONFIG, "configuration"),
        ("docs/index.md", FileKind.DOCS, "documentation (*.md)"),
        ("website/docs/intro.mdx", FileKind.DOCS, "documentation"),
        ("services/orders/doc/setup.txt", FileKind.DOCS, "documentation folder"),
        ("pkg/api/handler_test.go", FileKind.TESTS, "test file"),
        ("web/src/cart.spec.ts", FileKind.TESTS, "test file"),
        ("web/src/Button.test.tsx", FileKind.TESTS, "test file"),
        ("src/test/resources/app.yml", FileKind.TESTS, "test source tree"),
        ("e2e/support/commands.ts", FileKind.TESTS, "test folder"),
        ("web/__snapshots__/Button.test.tsx.snap", FileKind.TESTS, "test"),
        ("internal/render/testdata/golden.yaml", FileKind.TESTS, "test data"),
        ("src/test/java/com/acme/OrderServiceTest.java", FileKind.TESTS, "test"),
        ("api/spec/openapi.yaml", FileKind.CONFIG, "configuration"),  # an API contract, not an RSpec test
        ("spec/models/order_spec.rb", FileKind.TESTS, "test file"),
        ("package-lock.json", FileKind.DEPENDENCIES, "lock file"),
        ("requirements/base.txt", FileKind.DEPENDENCIES, "dependency manifest"),
        ("src/app.py", FileKind.CODE, "no structural, docs or tests rule matches"),
    ],
)
def test_each_file_gets_a_kind_and_the_rule_that_set_it(path: str, kind: FileKind, rule: str) -> None:
    (item,) = assess([f(path)]).file_risks
    assert (item.path, item.kind) == (path, kind)
    assert rule in item.rule, item.rule


def test_structural_kinds_are_high_sensitive_medium_exempt_low() -> None:
    files = [f("infra/main.tf"), f("app/auth/login.py"), f("docs/a.md"), f("tests/test_a.py")]
    floors = {item.path: item.risk for item in assess(files).file_risks}
    assert floors == {
        "infra/main.tf": HIGH,
        "app/auth/login.py": MEDIUM,
        "docs/a.md": LOW,
        "tests/test_a.py": LOW,
    }


# ---- code is medium unless the rules show it is low ----------------------------------------------------


@pytest.mark.parametrize(
    ("files", "risk"),
    [
        ([f("src/a.py", 20)], LOW),
        ([f("src/a.py", 10, 10)], LOW),
        ([f("src/a.py", 21)], MEDIUM),
        ([f("src/a.py", 5), f("src/b.py", 5)], LOW),
        ([f("src/a.py", 1), f("src/b.py", 1), f("src/c.py", 1)], MEDIUM),
        (
            [f("src/a.py", 5), f("docs/b.md", 300), f("tests/test_b.py", 190)],
            LOW,
        ),  # docs and tests do not count
        ([f("src/a.py", 5), f("app/auth/token.py", 1)], MEDIUM),  # the sensitive file is medium
        ([f("config/flags.yaml", 2)], LOW),
        ([f("poetry.lock", 2)], MEDIUM),  # dependencies: low only as a verified patch bump
        ([f("proto/orders.proto", 1)], MEDIUM),  # an API contract is never a small change
        ([f("src/a.py", 0, 0, status="renamed", old_path="src/b.py")], LOW),
    ],
)
def test_the_default_for_code_is_medium_unless_small(files: list[ChangedFile], risk: RiskLevel) -> None:
    result = assess(files)
    assert result.floor is risk, result.reasons
    if any(item.kind is FileKind.CODE and item.risk is MEDIUM for item in result.file_risks):
        assert any("code is medium unless the rules show it is low" in r for r in result.reasons)


@pytest.mark.parametrize(
    ("diff", "because"),
    [
        (
            edit("poetry.lock", '- version = "1.2.3"\n+ version = "1.3.0"'),
            "a dependency change is low only as a patch-level",
        ),
        (
            edit("api/schema.graphql", "-   total: Int!\n+   total: Float!"),
            "an API contract is low only when",
        ),
        (
            edit("src/main/resources/application-prod.yml", "-   pool: 20\n+   pool: 5"),
            "production configuration",
        ),
        (edit("config/production/cache.yaml", "- ttl: 60\n+ ttl: 6"), "production configuration"),
        (
            edit("scripts/backfill.py", "+ cur.execute(\"UPDATE orders SET status = 'new'\")"),
            "changes SQL that writes data",
        ),
        (
            edit("scripts/cleanup.rb", '+ conn.exec("DELETE FROM sessions_log")'),
            "changes SQL that writes data",
        ),
    ],
)
def test_some_changes_are_never_low_as_a_small_change(diff: str, because: str) -> None:
    result = judge(diff)
    assert result.floor is MEDIUM, result.reasons
    assert result.file_risks[0].because.startswith(because)


def test_a_medium_default_says_why_and_names_the_files() -> None:
    result = assess([f(f"src/m{i}.py", 10) for i in range(8)])
    assert result.floor is MEDIUM
    (reason,) = [r for r in result.reasons if "code is medium" in r]
    assert reason.startswith(
        "8 code/config files (src/m0.py, src/m1.py, src/m2.py, src/m3.py, src/m4.py and 3 more), 80 changed lines"
    )
    assert [item.because for item in result.file_risks] == [
        "code is medium unless the rules show it is low → medium"
    ] * 8


def test_a_low_change_says_what_showed_it() -> None:
    reasons = assess([f("src/a.py", 3, 1), f("docs/x.md", 9)]).reasons
    assert (
        reasons[0] == "low: 2 changed files, 13 changed lines; 1 docs or tests; the others shown to be low:"
    )
    assert reasons[1].startswith("src/a.py: code, small change (1 file, 4 changed lines")
    assert (
        assess([f("docs/x.md"), f("tests/test_x.py")]).reasons[0] == "low: 2 changed files, all docs or tests"
    )


PY_COMMENT = """
| def total(order):
-     # sum
+     # Sum the lines; discounts apply per line.
|     return sum(order.lines)  # cents
"""


@pytest.mark.parametrize(
    ("diff", "risk", "because"),
    [
        (edit("svc/a.py", PY_COMMENT + "\n" + many("+", "# note {i}", 30)), LOW, "comments and layout only (verified for Python)"),
        (edit("svc/a.go", many("-", "// Old{i} docs.", 15) + "\n" + many("+", "// New{i} docs, longer.", 15)), LOW, "verified for Go"),
        (edit("web/a.js", many("-", "    const v{i} = x[{i}] ;", 15) + "\n" + many("+", "  const v{i} = x[{i}];", 15)), LOW, "verified for JavaScript/TypeScript"),
        (edit("svc/a.py", "| if paid:\n|     send(order)\n- archive(order)\n+     archive(order)\n" + many("+", "# n{i}", 20)), MEDIUM, "code is medium"),
        (edit("web/a.js", many("-", "const A{i} = 'https://a.example/x'", 12) + "\n" + many("+", "const A{i} = 'https://b.example/x'", 12)), MEDIUM, "code is medium"),
        (edit("sh/run.sh", many("-", "echo ${{#items}} # n{i}", 11) + "\n" + many("+", "echo ${{#other}} # n{i}", 11)), MEDIUM, "code is medium"),
        (edit("web/re.js", many("-", "const r{i} = /[/*]/; run(a)", 11) + "\n" + many("+", "const r{i} = /[/*]/; run(b)", 11)), MEDIUM, "code is medium"),
        (edit("svc/a.xyz", many("-", "# a{i}", 11) + "\n" + many("+", "# b{i}", 11)), MEDIUM, "code is medium"),  # unknown language
    ],
    ids=["python-comments", "go-comments", "js-reindent", "python-indent-moves-a-statement", "url-in-a-string",
         "shell-length-is-not-a-comment", "regex-is-not-a-comment", "unknown-language"],
)  # fmt: skip
def test_comments_and_layout_only_is_verified_from_the_diff(diff: str, risk: RiskLevel, because: str) -> None:
    result = judge(diff)
    assert result.floor is risk, result.reasons
    assert because in result.file_risks[0].because


LODASH = edit(
    "package-lock.json",
    """
    |     "node_modules/lodash": {
    -       "version": "4.17.20",
    -       "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz",
    -       "integrity": "sha512-PlhdFcillOINfeV7Ni6oF1TAEayyZBoZ8bcshTHqOYJYlrqzRK5hagpagky5o4HfCzzd1TRkXPMFq6cKk9rGmA=="
    +       "version": "4.17.21",
    +       "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz",
    +       "integrity": "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg=="
    """,
)


@pytest.mark.parametrize(
    ("diff", "risk"),
    [
        (LODASH, LOW),
        (LODASH.replace('4.17.21"', '4.18.0"').replace("4.17.21.tgz", "4.18.0.tgz"), MEDIUM),  # a minor bump
        (LODASH.replace('4.17.21"', '4.17.21-rc.1"'), MEDIUM),  # a pre-release
        (
            edit(
                "go.sum",
                "- golang.org/x/net v0.21.0 h1:As8UbMcoBAH8f8Gtb5FKNHhN4KL3ORIcm2ZjFYY7pr4=\n+ golang.org/x/net v0.21.1 h1:Q8SxqWN7fq2hSyXDDq0bNvYgxMpDjeHgrs1hUrhKMl0=",
            ),
            LOW,
        ),
        (edit("Gemfile.lock", "-     rack (2.2.7)\n+     rack (2.2.8)"), LOW),
        (
            edit(
                "Cargo.lock",
                '| name = "serde"\n- version = "1.0.196"\n+ version = "1.0.197"\n- checksum = "870026e60fa08c69f064aa766c10f10b1d62db9ccd4d0abb206472bee0ce3b32"\n+ checksum = "3fb1c873e1b9b056a4dc4c0c198b24c3ffa059243875552b2bd0933b1aee4ce2"',
            ),
            LOW,
        ),
        (
            edit(
                "package-lock.json",
                '-       "integrity": "sha512-AAAAAAAAAAAAAAAAAAAA"\n+       "integrity": "sha512-BBBBBBBBBBBBBBBBBBBB"',
            ),
            MEDIUM,
        ),  # a checksum alone
        (edit("yarn.lock", '+ left-pad@^1.3.0:\n+   version "1.3.0"'), MEDIUM),  # a new package
        (edit("Gemfile.lock", "-     rack (2.2.7)\n+     rack (2.2.8)\n+     evil (0.0.1)"), MEDIUM),
    ],
)
def test_a_lock_file_patch_bump_is_low_only_when_verified(diff: str, risk: RiskLevel) -> None:
    result = judge(diff)
    assert result.floor is risk, result.reasons
    if risk is LOW:
        assert result.file_risks[0].because == "patch-level version bumps only (verified from the diff) → low"


# ---- security-sensitive code ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("diff", "risk", "kind", "why"),
    [
        (edit("src/cors.ts", "-   origin: ['https://a.example'],\n+   origin: '*',"), HIGH, FileKind.SENSITIVE, "CORS allows every origin"),
        (edit("app/settings.py", "+ CORS_ALLOW_ALL_ORIGINS = True"), HIGH, FileKind.SENSITIVE, "CORS allows every origin"),
        (edit("app/views.py", "- @login_required\n| def export(request):"), HIGH, FileKind.SENSITIVE, "removes 1 access check"),
        (edit("app/views.py", "- @login_required\n+ @login_required  # kept\n| def export(request):"), MEDIUM, FileKind.SENSITIVE, "security identifier"),
        (edit("pkg/client.go", "+ 		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},"), HIGH, FileKind.SENSITIVE, "TLS verification off"),
        (edit("app/api.py", "- requests.get(url, verify=False)\n+ requests.get(url)"), LOW, FileKind.CODE, ""),
        (edit("app/utils.py", "- def verify_password(u, raw):\n+ def verify_password(u, raw, *, upgrade=True):"), MEDIUM, FileKind.SENSITIVE, "security identifier"),
        (edit("web/csp.js", "+   \"script-src 'self' 'unsafe-inline'\","), HIGH, FileKind.SENSITIVE, "CSP allows inline or eval"),
        (edit("tests/test_perms.py", "- def test_guest_cannot_delete(client):\n-     assert client.delete('/x').status_code == 403"), HIGH, FileKind.SENSITIVE, "removes access tests (test_guest_cannot_delete)"),
        (edit("tests/test_perms.py", "- def test_guest_cannot_delete(client):\n+ def test_guest_cannot_delete(client, db):"), LOW, FileKind.TESTS, ""),
        (edit("web/auth.spec.ts", "-   it('returns 403 for anonymous users', async () => {"), HIGH, FileKind.SENSITIVE, "returns 403 for anonymous users"),
        (edit("src/test/java/AuthTest.java", "-     @Test\n-     void rejectsExpiredTokens() {"), HIGH, FileKind.SENSITIVE, "rejectsExpiredTokens"),
        (edit("tests/test_perms.py", "- def test_totals_add_up():\n-     assert 1 + 1 == 2"), LOW, FileKind.TESTS, ""),
        (edit("docs/security.md", "+ Set `CORS_ALLOW_ALL_ORIGINS = True` only in development."), LOW, FileKind.DOCS, ""),
    ],
)  # fmt: skip
def test_security_sensitive_code_and_weakened_checks(
    diff: str, risk: RiskLevel, kind: FileKind, why: str
) -> None:
    result = judge(diff)
    (item,) = result.file_risks
    assert (result.floor, item.kind) == (risk, kind), result.reasons
    assert why in item.rule + item.because


# ---- content signals and traps --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("diff", "kind"),
    [
        (edit("internal/store/boot.go", "+ 	`ALTER TABLE orders ADD COLUMN status text`,"), FileKind.MIGRATION),
        (edit("scripts/fix.py", '+ cur.execute("create unique index ix on t (a)")'), FileKind.MIGRATION),
        (edit("lib/tasks/x.rake", '+ execute("ALTER TABLE orders RENAME COLUMN a TO b")'), FileKind.MIGRATION),
        (edit("sql/q.sql", "| CREATE TABLE orders (\n-   total int\n+   total bigint"), FileKind.MIGRATION),
        (edit("sql/q.sql", "- SELECT a FROM t\n+ SELECT a, b FROM t"), FileKind.CODE),
        (new("apps/orders/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: orders"), FileKind.INFRA),
        (new("deploy/templates/w.yaml.erb", "apiVersion: apps/v1\nkind: Deployment"), FileKind.INFRA),
        (new("x/job.yaml.tpl", "apiVersion: batch/v1\nkind: CronJob"), FileKind.INFRA),
        (edit("svc/values/orders.yaml", "| spec:\n-   replicas: 2\n+   replicas: 3\n|   selector:\n|     matchLabels:"), FileKind.INFRA),
        (edit("build/o/templates/cm.yaml", "-   A: {{ .Values.a }}\n+   A: {{ .Values.b }}"), FileKind.INFRA),
        (new("templates/q.yaml", 'AWSTemplateFormatVersion: "2010-09-09"\nResources: {}'), FileKind.INFRA),
        (new("play.yml", "- hosts: web\n  tasks:\n    - ping:"), FileKind.INFRA),
        (new("stack/index.ts", 'import * as aws from "@pulumi/aws";'), FileKind.INFRA),
        (new("clusters/app.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Application"), FileKind.CI),
        (new("tests/fixtures/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment"), FileKind.TESTS),
        (new("docs/guide.md", "ALTER TABLE orders ADD COLUMN x int;"), FileKind.DOCS),
        (new("build/app.docker", "FROM alpine:3.19\nRUN apk add curl"), FileKind.CONTAINER),
        (edit("api/openapi.yaml", "|   get:\n-     summary: Get\n+     summary: Get one order"), FileKind.DOCS),
        (edit("api/openapi.yaml", "|       required:\n+         - status"), FileKind.CONFIG),
    ],
)  # fmt: skip
def test_content_signals(diff: str, kind: FileKind) -> None:
    (item,) = judge(diff).file_risks
    assert item.kind is kind, item


def test_a_marker_file_marks_its_folder_wherever_it_is() -> None:
    template = edit("ops/orders/templates/pdb.yaml", "-   minAvailable: 2\n+   minAvailable: 0")
    assert kinds(judge(template)) == {"ops/orders/templates/pdb.yaml": FileKind.CONFIG}
    with_chart = template + edit("ops/orders/Chart.yaml", "- version: 1.0.0\n+ version: 1.0.1")
    assert set(kinds(judge(with_chart)).values()) == {FileKind.INFRA}
    known = judge(template, markers=("ops/orders/Chart.yaml",))
    (item,) = known.file_risks
    assert (item.kind, item.risk, item.rule) == (
        FileKind.INFRA,
        HIGH,
        "in a Helm chart (marked by ops/orders/Chart.yaml)",
    )
    # A Pulumi or CDK marker claims its folder's configuration, not the application code beside it.
    code = edit("app/handler.py", "- x = 1\n+ x = 2")
    assert kinds(judge(code, markers=("app/cdk.json",))) == {"app/handler.py": FileKind.CODE}
    assert (
        kinds(judge(edit("app/cdk.context.json", "- a\n+ b"), markers=("app/cdk.json",)))[
            "app/cdk.context.json"
        ]
        is FileKind.INFRA
    )


def test_a_renamed_file_is_judged_by_the_stricter_of_its_names() -> None:
    out_of_docs = judge(renamed("docs/example.py", "src/example.py"))
    assert out_of_docs.file_risks[0].kind is FileKind.CODE
    out_of_ci = assess([f("old/ci.yml", old_path=".github/workflows/ci.yml", status="renamed")])
    assert (out_of_ci.file_risks[0].kind, out_of_ci.floor) == (FileKind.CI, HIGH)
    within_docs = assess([f("docs/new.md", old_path="docs/old.md", status="renamed")])
    assert within_docs.category is Category.DOCS


# ---- size, parse problems, no diff, declared risk, labels ---------------------------------------------


@pytest.mark.parametrize(
    ("added", "removed", "risk"),
    [
        (500, 0, LOW),
        (250, 250, LOW),
        (501, 0, MEDIUM),
        (1, 500, MEDIUM),
        (2000, 0, MEDIUM),
        (1000, 1000, MEDIUM),
        (2001, 0, HIGH),
        (0, 2001, HIGH),
    ],
)
def test_size_thresholds(added: int, removed: int, risk: RiskLevel) -> None:
    result = assess([f("docs/a.md", added, 0), f("docs/b.md", 0, removed)])  # docs: only the size counts
    assert result.floor is risk
    assert (result.lines_added, result.lines_removed) == (added, removed)
    if risk is not LOW:
        assert any(f"{added + removed} changed lines (+{added}/-{removed})" in r for r in result.reasons)


def test_problems_are_high_and_named() -> None:
    result = assess([f("src/a.py")], problems=["src/a.py: hunk header at line 5 does not match its body"])
    assert result.floor is HIGH
    assert (
        "the diff could not be fully parsed: src/a.py: hunk header at line 5 does not match its body → high"
        in (result.reasons)
    )


def test_corrupt_diff_end_to_end_is_high() -> None:
    text = "diff --git a/src/a.py b/src/a.py\n--- a/src/a.py\n+++ b/src/a.py\n@@ -1,2 +1,9 @@\n x\n-y\n+z\n"
    parsed = parse_unified_diff(text)
    assert parsed.problems
    result = assess(parsed.files, problems=parsed.problems)
    assert result.floor is HIGH
    assert result.files == parsed.files


@pytest.mark.parametrize(
    ("declared", "risk", "reason"),
    [
        (None, MEDIUM, "no diff: the size of the change is unknown → medium"),
        (LOW, LOW, "risk declared explicitly as low → low"),
        (HIGH, HIGH, "risk declared explicitly as high → high"),
    ],
)
def test_no_diff(declared: RiskLevel | None, risk: RiskLevel, reason: str) -> None:
    result = assess([], declared=declared)
    assert result.floor is risk
    assert reason in result.reasons
    assert result.category is Category.CODE
    assert (result.file_risks, result.kinds) == ([], {})
    if declared is not None:
        assert not any("no diff" in r for r in result.reasons)


@pytest.mark.parametrize(("declared", "risk"), [(LOW, LOW), (MEDIUM, MEDIUM), (HIGH, HIGH)])
def test_declared_is_a_floor(declared: RiskLevel, risk: RiskLevel) -> None:
    assert assess([f("src/a.py")], declared=declared).floor is risk
    assert assess([f("Dockerfile")], declared=declared).floor is HIGH  # never lowers


@pytest.mark.parametrize(
    ("files", "labels", "risk", "label_risk", "label_reason"),
    [
        ([f("src/a.py")], ["risk:high"], HIGH, HIGH, "label risk:high → high"),
        ([f("src/a.py")], ["risk:medium"], MEDIUM, MEDIUM, "label risk:medium → medium"),
        ([f("src/a.py")], ["RISK: High"], HIGH, HIGH, "label RISK: High → high"),
        ([f("src/a.py")], ["risk:low"], LOW, LOW, "label risk:low: labels can only raise risk, ignored"),
        (
            [f("src/a.py", 600)],
            ["risk:low"],
            MEDIUM,
            LOW,
            "label risk:low: labels can only raise risk, ignored",
        ),
        ([f("Dockerfile")], ["risk:medium"], HIGH, MEDIUM, "label risk:medium → medium"),
        ([f("src/a.py")], ["risk:extreme"], LOW, LOW, "label risk:extreme: not a risk level"),
        ([f("src/a.py")], ["risk:low", "risk:high"], HIGH, HIGH, "label risk:high → high"),
    ],
)
def test_risk_labels_only_raise(
    files: list[ChangedFile], labels: list[str], risk: RiskLevel, label_risk: RiskLevel, label_reason: str
) -> None:
    result = assess(files, labels)
    assert result.floor is risk
    (labels_assessment,) = [a for a in result.assessments if a.source == "labels"]
    assert labels_assessment.risk is label_risk
    assert any(label_reason in r for r in labels_assessment.reasons), labels_assessment.reasons


def test_no_labels_assessment_without_risk_labels() -> None:
    result = assess([f("src/a.py")], ["enhancement", "riskless"])
    assert [a.source for a in result.assessments] == ["rules"]


# ---- policy rules --------------------------------------------------------------------------------

RULES = cfg(
    RiskRule(paths=["services/*/migrations/**", "**/*.tf"], risk=HIGH),
    RiskRule(paths=["services/checkout/**", "!services/checkout/docs/**"], risk=MEDIUM),
    RiskRule(labels=["database", "Needs-Review"], risk=HIGH),
    RiskRule(paths=["handbook/**"], category=Category.DOCS),
    RiskRule(paths=["proto/**"], category=Category.CONFIG),
    RiskRule(labels=["documentation"], category=Category.DOCS),
    RiskRule(labels=["hotfix"], category=Category.FIX),
    RiskRule(paths=["docs/runbooks/**"], risk=HIGH),
    RiskRule(paths=["tools/**"], risk=LOW),
    RiskRule(paths=["schema/**"], category=Category.MIGRATION),
)


@pytest.mark.parametrize(
    ("files", "labels", "risk", "reason"),
    [
        (
            [f("services/checkout/migrations/0001_init.sql")],
            [],
            HIGH,
            "services/checkout/migrations/0001_init.sql (services/*/migrations/**): matches policy risk rule #1 → high",
        ),
        (
            [f("infra/modules/db/main.tf")],
            [],
            HIGH,
            "infra/modules/db/main.tf (**/*.tf): matches policy risk rule #1",
        ),
        ([f("main.tf")], [], HIGH, "main.tf (**/*.tf): matches policy risk rule #1"),
        (
            [f("services/checkout/app.py")],
            [],
            MEDIUM,
            "services/checkout/app.py (services/checkout/**): matches policy risk rule #2 → medium",
        ),
        ([f("services/checkout/docs/x.py")], [], LOW, "low:"),  # excluded by `!`, and docs
        ([f("services/other/migrations/x.sql"), f("src/a.py")], [], HIGH, "services/other/migrations/x.sql"),
        ([f("src/a.py")], ["database"], HIGH, "label database: matches policy risk rule #3 → high"),
        ([f("src/a.py")], ["needs-review"], HIGH, "label Needs-Review: matches policy risk rule #3 → high"),
        ([f("src/a.py")], ["databases"], LOW, "low:"),
        (
            [f("new/place.sql", old_path="services/x/migrations/1.sql", status="renamed")],
            [],
            HIGH,
            "services/x/migrations/1.sql (services/*/migrations/**)",
        ),
        (
            [f("src/a.py")],
            ["hotfix"],
            LOW,
            "policy risk rule #7: category fix needs a verified label, ignored",
        ),
        ([f("tools/gen.py", 300)], [], LOW, "low:"),  # a `risk: low` rule opts the default into low
        ([f("tools/Dockerfile")], [], HIGH, "tools/Dockerfile: container"),  # never a structural floor
        ([f("tools/auth.py", 300)], [], MEDIUM, "tools/auth.py: sensitive"),  # nor a sensitive one
        (
            [f("schema/orders.json")],
            [],
            HIGH,
            "schema/orders.json: migration (policy risk rule #10 (category migration))",
        ),
    ],
)
def test_policy_rules(files: list[ChangedFile], labels: list[str], risk: RiskLevel, reason: str) -> None:
    result = assess(files, labels, RULES)
    assert result.floor is risk, result.reasons
    assert any(r.startswith(reason) for r in result.reasons), result.reasons
    assert result.category is not Category.FIX


def test_a_low_opt_in_names_its_rule() -> None:
    (item,) = assess([f("tools/gen.py", 300)], config=RULES).file_risks
    assert (item.kind, item.risk, item.because) == (
        FileKind.CODE,
        LOW,
        "policy risk rule #9 opts it into low → low",
    )


def test_many_matching_files_are_summarised() -> None:
    files = [f(f".github/workflows/w{n}.yml") for n in range(12)]
    reasons = assess(files).reasons
    assert sum(r.startswith(".github/workflows/") for r in reasons) == 5
    assert "7 more ci files → high" in reasons


@pytest.mark.slow
def test_a_40k_file_change_gives_a_short_list_of_reasons() -> None:
    files = [f(f"src/pkg{n % 97}/m{n}.py") for n in range(20_000)]
    files += [f(f"docs/d{n}.md") for n in range(10_000)]
    files += [f(f"db/migrations/{n:06d}_x.up.sql") for n in range(5_000)]
    files += [f(f"charts/c{n}/values.yaml") for n in range(5_000)]
    result = assess(files)
    assert result.floor is HIGH
    assert len(result.file_risks) == 40_000
    assert result.kinds == {
        FileKind.CODE: 20_000,
        FileKind.DOCS: 10_000,
        FileKind.MIGRATION: 5_000,
        FileKind.INFRA: 5_000,
    }
    assert len(result.reasons) < 30


@pytest.mark.parametrize(
    ("paths", "labels", "category"),
    [
        (["docs/index.md"], [], Category.DOCS),
        (["README.md", "docs/img/arch.svg", "api/CHANGELOG.md", "guide.rst"], [], Category.DOCS),
        (["handbook/oncall.txt"], [], Category.DOCS),  # a policy rule with category docs
        (
            ["tests/test_app.py", "src/app_test.go", "web/button.test.ts", "pkg/tests/data.json"],
            [],
            Category.TESTS,
        ),
        (["tests/test_app.py", "docs/testing.md"], [], Category.TESTS),  # docs + tests -> tests
        (["docs/index.md", "src/app.py"], [], Category.CODE),
        (["tests/test_app.py", "src/app.py"], [], Category.CODE),
        (["src/app.py"], ["documentation"], Category.CODE),  # a label never makes a change docs
        (["db/migrations/0001.sql", "src/app.py"], [], Category.MIGRATION),
        (["infra/network.yaml"], [], Category.INFRA),
        (["deploy/k8s/deployment.yaml", "src/app.py"], [], Category.INFRA),
        (["deploy/helm/values.yaml"], [], Category.INFRA),
        (["Dockerfile"], [], Category.INFRA),  # a container build counts as infra for the change
        ([".github/dependabot.yml"], [], Category.CONFIG),
        ([".github/workflows/ci.yml", "src/app.py"], [], Category.CI),
        (["poetry.lock", "requirements-dev.txt"], [], Category.DEPENDENCIES),
        (["web/package-lock.json", "go.sum"], [], Category.DEPENDENCIES),
        (["poetry.lock", "src/app.py"], [], Category.CODE),  # code outranks lock files
        (["config/app.yaml", "settings.toml"], [], Category.CONFIG),
        (["config/app.yaml", "src/app.py"], [], Category.CODE),
        (["poetry.lock", "config/app.yaml"], [], Category.DEPENDENCIES),
        (["proto/api.proto", "src/app.py"], [], Category.CONFIG),  # the first matching policy rule
        (["docs/CODEOWNERS"], [], Category.CONFIG),  # a high built-in path is never docs
        (["docs/runbooks/db.md"], [], Category.CODE),  # a policy rule raises it: not exempt
        (["tests/fixtures/Dockerfile"], [], Category.TESTS),  # test data
        (["app/auth/login.py"], [], Category.CODE),  # sensitive code is code
        (["src/app.py"], ["hotfix"], Category.CODE),  # fix is never produced by rules
    ],
)
def test_categories(paths: list[str], labels: list[str], category: Category) -> None:
    result = assess([f(p) for p in paths], labels, RULES)
    assert result.category is category
    (rules,) = [a for a in result.assessments if a.source == "rules"]
    assert rules.category is category


def test_category_reasons() -> None:
    assert "category docs: all 2 changed files are documentation" in assess([f("a.md"), f("docs/b")]).reasons
    mixed = assess([f("docs/a.md"), f("src/app.py")]).reasons
    assert "category code: src/app.py is code, so the docs/tests exemption does not apply" in mixed
    assert (
        "category migration: db/migrations/1.sql is migration" in assess([f("db/migrations/1.sql")]).reasons
    )
    assert "category infra: Dockerfile is container" in assess([f("Dockerfile")]).reasons


def test_category_never_lowers_the_floor() -> None:
    result = assess([f("docs/huge.md", added=2500)], ["risk:medium"])
    assert result.category is Category.DOCS
    assert result.floor is HIGH
    assert result.risk is HIGH
    images = assess([f("docs/diagram.png", 0, 0, binary=True)])
    assert (images.category, images.floor) == (Category.DOCS, HIGH)


def test_result_shape() -> None:
    files = [f("src/a.py", 3, 2), f("Dockerfile", 1, 1)]
    result = assess(files, ["risk:medium"])
    assert result.files == files
    assert (result.lines_added, result.lines_removed) == (4, 3)
    assert result.risk == result.floor == HIGH
    assert [a.source for a in result.assessments] == ["rules", "labels"]
    assert result.assessments[0].risk is HIGH
    assert result.llm_used is False
    assert [(i.path, i.kind, i.risk) for i in result.file_risks] == [
        ("src/a.py", FileKind.CODE, LOW),
        ("Dockerfile", FileKind.CONTAINER, HIGH),
    ]
    assert result.kinds == {FileKind.CODE: 1, FileKind.CONTAINER: 1}


def test_is_pure_and_deterministic() -> None:
    files = [f("src/a.py"), f("docs/x.md"), f(".github/workflows/a.yml")]
    labels = ["risk:medium", "database"]
    first = assess(files, labels, RULES)
    assert assess(list(files), list(labels), RULES) == first
    assert files == [f("src/a.py"), f("docs/x.md"), f(".github/workflows/a.yml")]


def test_path_sensitivity_ranks_structural_and_sensitive_paths_first() -> None:
    assert path_sensitivity(f("db/migrate/1_add.rb"), RiskConfig()) is HIGH
    assert path_sensitivity(f("app/auth/login.py"), RiskConfig()) is MEDIUM
    assert path_sensitivity(f("src/app.py"), RiskConfig()) is LOW
    assert path_sensitivity(f("docs/a.md"), RiskConfig()) is LOW
    assert path_sensitivity(f("services/checkout/app.py"), RULES) is MEDIUM
    assert path_sensitivity(f("../x"), RiskConfig()) is HIGH


_PATHS = [
    "src/app.py",
    "src/other.py",
    "docs/index.md",
    "tests/test_x.py",
    "Dockerfile",
    ".github/workflows/ci.yml",
    "CODEOWNERS",
    "slo-gate.yaml",
    "services/checkout/migrations/1.sql",
    "services/checkout/app.py",
    "handbook/x.txt",
    "poetry.lock",
    "config/app.yaml",
    "tools/gen.py",
    "app/auth/login.py",
    "charts/x/Chart.yaml",
    "charts/x/templates/a.yaml",
]
_LABELS = ["risk:low", "risk:medium", "risk:high", "database", "documentation", "hotfix", "bug", "risk:nope"]

changed_files = st.builds(
    ChangedFile,
    path=st.sampled_from(_PATHS),
    added=st.integers(0, 1200),
    removed=st.integers(0, 1200),
    binary=st.booleans(),
)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    files=st.lists(changed_files, min_size=1, max_size=6),
    extra=changed_files,
    labels=st.lists(st.sampled_from(_LABELS), max_size=3),
    extra_label=st.sampled_from(_LABELS),
    declared=st.none() | st.sampled_from(list(RiskLevel)),
)
def test_adding_a_file_or_label_never_lowers_the_floor(
    files: list[ChangedFile],
    extra: ChangedFile,
    labels: list[str],
    extra_label: str,
    declared: RiskLevel | None,
) -> None:
    base = assess(files, labels, RULES, declared=declared).floor
    assert assess([*files, extra], labels, RULES, declared=declared).floor.rank >= base.rank
    assert assess(files, [*labels, extra_label], RULES, declared=declared).floor.rank >= base.rank
    assert assess(files, labels, RULES, declared=declared, problems=["x"]).floor is HIGH


def test_a_file_that_is_not_a_diff_gives_one_reason_high() -> None:
    parsed = parse_unified_diff("Meeting notes\n- ship it on friday\n")
    result = assess(parsed.files, problems=parsed.problems)
    assert result.floor is HIGH
    assert result.reasons == [
        "the diff could not be fully parsed: no file headers found: this does not look like a unified diff → high"
    ]


def test_check_with_a_notes_file_as_diff_names_only_the_parse_failure(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Meeting notes\n- ship it on friday\n", "utf-8")
    result = run_cli(
        "check", "--policy", str(DEMO / "policies"), "--metrics-snapshot", str(DEMO / "snapshot.json"),
        "--diff", str(notes), "--format", "json", "--no-llm",
    )  # fmt: skip
    services = json.loads(result.output)["services"]
    assert services
    for service in services:
        assert service["change"]["risk"] == "high"
        reasons = [reason for a in service["change"]["assessments"] for reason in a["reasons"]]
        assert [r for r in reasons if "diff" in r] == [
            "the diff could not be fully parsed: no file headers found: this does not look like a unified "
            "diff → high"
        ]


def test_a_problem_on_every_line_gives_a_bounded_list_of_reasons() -> None:
    parsed = parse_unified_diff("@@ -1 +1 @@\n" * 5000)  # a hunk header outside any file, 5000 times
    more = len(parsed.problems) - 5
    assert more > 5000
    result = assess(parsed.files, problems=parsed.problems)
    assert result.floor is HIGH
    parse_reasons = [r for r in result.reasons if r.startswith("the diff could not be fully parsed")]
    assert parse_reasons[:5] == [
        f"the diff could not be fully parsed: {p} → high" for p in parsed.problems[:5]
    ]
    assert parse_reasons[5:] == [f"the diff could not be fully parsed: {more} more problems → high"]


def test_check_reads_marker_files_from_the_head_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chart in a folder with no chart-like name: only its Chart.yaml, unchanged, says so (real git)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    chart = repo / "platform" / "orders"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: orders\nversion: 1.0.0\n")
    (chart / "templates" / "pdb.yaml").write_text("spec:\n  minAvailable: 2\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "chart")
    base = git(repo, "rev-parse", "HEAD").strip()
    (chart / "templates" / "pdb.yaml").write_text("spec:\n  minAvailable: 0\n")
    git(repo, "commit", "-q", "-am", "let the pods go")
    monkeypatch.chdir(repo)
    result = run_cli(
        "check", "--policy", str(DEMO / "policies"), "--metrics-snapshot", str(DEMO / "snapshot.json"),
        "--base", base, "--head", "HEAD", "--format", "json", "--no-llm",
    )  # fmt: skip
    change = json.loads(result.output)["change"]
    assert change["kinds"] == {"infra": 1}
    assert change["file_risks"] == [
        {
            "path": "platform/orders/templates/pdb.yaml",
            "kind": "infra",
            "rule": "in a Helm chart (marked by platform/orders/Chart.yaml)",
            "risk": "high",
            "because": "infra → high",
        }
    ]
    assert change["floor"] == "high"
