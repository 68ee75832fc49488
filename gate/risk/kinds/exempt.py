"""Documentation and tests in every common convention, by path; OpenAPI description-only edits. PURE.

Docs: a folder named `docs`, `doc` or `documentation` at any depth, `*.md`, `*.mdx`, `*.markdown`,
`*.rst`, `*.adoc`, `*.asciidoc`, `*.rdoc`, `README*`, `CHANGELOG*`, `CHANGES*`, `HISTORY*`, `AUTHORS*`,
`CONTRIBUTORS*`, `CONTRIBUTING*`, `LICENSE*`, `LICENCE*`, `NOTICE*`, `COPYING*`, `CODE_OF_CONDUCT*`,
docs-site configuration (`mkdocs.yml`, `docusaurus.config.*`, `.readthedocs.y*ml`) and GitHub's issue
and pull-request templates. An OpenAPI or Swagger file whose changed lines only touch `description`,
`summary`, `title` or `example(s)` (or the text of such a block) is documentation as well.

Tests: folders `tests`, `test`, `__tests__`, `spec`, `specs` (not for YAML or JSON: `api/spec/` holds
API contracts), `e2e`, `cypress`, `playwright`,
`src/test/` (and any `*/src/test/`), test-project folders (`MyApp.Tests/`); file names `test_*.py`,
`*_test.py`, `conftest.py`, `*_test.go`, `*.test.{js,jsx,ts,tsx,mjs,cjs}`, `*.spec.{ts,js,…}`, `*_spec.rb`,
`*Test.java`/`*Tests.java`/`*IT.java` (also Kotlin, Scala, C#, Swift, PHP), `*.feature`,
`*.tftest.hcl`, `mock_*.go`/`*_mock.go`, test runner configuration (`jest.config.*`, `pytest.ini`,
`phpunit.xml`, `karma.conf.js`, `vitest.config.*`, `playwright.config.*`, `cypress.config.*`); and
test data: `testdata/`, `test-data/`, `__fixtures__/`, `__snapshots__/`, `__mocks__/`, `*.snap`,
and `fixtures/` inside a test folder. Test data is as strong as a file name, and a tree of files that
never ship (test data, a docs or tests folder) wins a tie against a structural signal: a Kubernetes
manifest kept as a fixture is a test, an example manifest in `docs/examples/k8s/` documentation.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gate.models import FileKind
from gate.risk.kinds.facts import Content, PathFacts, Signal, Strength

__all__ = ["CONTENT_RULES", "PATH_RULES", "api_contract", "description_only"]

D, T = FileKind.DOCS, FileKind.TESTS
_DOC_EXTS = (".md", ".mdx", ".markdown", ".rst", ".adoc", ".asciidoc", ".rdoc")
_DOC_STEMS = frozenset(
    {
        "readme",
        "changelog",
        "changes",
        "history",
        "authors",
        "contributors",
        "contributing",
        "license",
        "licence",
        "notice",
        "copying",
        "code_of_conduct",
    }
)
_DOC_SITE = ("mkdocs.yml", "mkdocs.yaml", ".readthedocs.yml", ".readthedocs.yaml", "antora.yml")
_DOC_FOLDERS = frozenset({"docs", "doc", "documentation", "issue_template", "discussion_template"})
_TEST_FOLDERS = frozenset(
    {"tests", "test", "__tests__", "spec", "specs", "e2e", "cypress", "playwright", "integration-tests"}
)
_TEST_DATA = frozenset({"testdata", "test-data", "test_data", "__fixtures__", "__snapshots__", "__mocks__"})
_TEST_EXTS = (".test.js", ".test.jsx", ".test.ts", ".test.tsx", ".test.mjs", ".test.cjs", ".snap", ".feature")
_TEST_SUFFIXES = ("test", "tests", "it", "spec")  # FooTest.java, FooTests.cs, FooIT.java, FooSpec.scala
_TEST_SUFFIX_EXTS = (".java", ".kt", ".scala", ".groovy", ".cs", ".swift", ".php", ".fs", ".vb")
_CODE_EXTS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".rb", ".py", ".vue", ".svelte")
_TEST_CONFIGS = ("jest.config.", "vitest.config.", "playwright.config.", "cypress.config.", "karma.conf.")
_TEST_CONFIG_NAMES = frozenset(
    {"pytest.ini", "conftest.py", "phpunit.xml", "phpunit.xml.dist", ".mocharc.yml"}
)


def _docs(f: PathFacts) -> Signal | None:
    if f.ends(*_DOC_EXTS):
        return Signal(D, Strength.NAME, f"documentation (*{f.ext()})")
    stem = f.lname.split(".", 1)[0]
    if stem in _DOC_STEMS and (f.lname == stem or f.ends(".txt", ".md", ".rst")):
        return Signal(D, Strength.NAME, f"documentation ({f.name})")
    if f.lname in _DOC_SITE or f.lname.startswith("docusaurus.config."):
        return Signal(D, Strength.NAME, f"documentation site ({f.name})")
    if f.ldirs[:1] == (".github",) and (
        f.lname.startswith("pull_request_template") or f.in_folder(_DOC_FOLDERS)
    ):
        return Signal(D, Strength.NAME, "GitHub issue or pull request template")
    index = f.folder_index(_DOC_FOLDERS)
    if index >= 0:
        return Signal(D, Strength.FOLDER, f"in a documentation folder ({f.dirs[index]}/)", tree=True)
    return None


def _test_name(f: PathFacts) -> str | None:
    name = f.lname
    if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
        return "Python test"
    if name.endswith(("_test.go", "_test.rs", "_test.exs", "_test.dart", "_test.cc", "_test.cpp")):
        return "test file (*_test.*)"
    if name.endswith(_TEST_EXTS) or name.endswith("_spec.rb") or (".spec." in name and f.ends(*_CODE_EXTS)):
        return "test file (*.test.* / *.spec.*)"
    if name.endswith(".tftest.hcl"):
        return "Terraform test (*.tftest.hcl)"
    if name.endswith(".go") and (name.startswith("mock_") or name.endswith("_mock.go")):
        return "test double (mock_*.go)"
    if name in _TEST_CONFIG_NAMES or name.startswith(_TEST_CONFIGS):
        return f"test configuration ({f.name})"
    if f.ends(*_TEST_SUFFIX_EXTS) and f.words and f.words[-1] in _TEST_SUFFIXES and len(f.words) > 1:
        return "test class (*Test, *Tests, *IT, *Spec)"
    return None


def _tests(f: PathFacts) -> Signal | None:
    label = _test_name(f)
    if label is not None:
        return Signal(T, Strength.NAME, label)
    data = f.folder_index(_TEST_DATA)
    if data >= 0:
        return Signal(T, Strength.NAME, f"test data ({f.dirs[data]}/)", tree=True)
    folder = f.folder_index(_TEST_FOLDERS)
    if folder >= 0 and f.ldirs[folder] in ("spec", "specs") and f.ends(".yaml", ".yml", ".json"):
        folder = -1  # `api/spec/openapi.yaml` is an API contract, not an RSpec or Jasmine test
    fixtures = f.folder_index(frozenset({"fixtures", "fixture", "snapshots", "mocks"}))
    if folder >= 0 and fixtures > folder:
        return Signal(T, Strength.NAME, f"test data ({f.dirs[folder]}/…/{f.dirs[fixtures]}/)", tree=True)
    if "/src/test/" in f.dirpath or ".tests/" in f.dirpath or ".test/" in f.dirpath or ".specs/" in f.dirpath:
        return Signal(T, Strength.FOLDER, "in a test source tree (src/test/, *.Tests/)", tree=True)
    if folder >= 0:
        return Signal(T, Strength.FOLDER, f"in a test folder ({f.dirs[folder]}/)", tree=True)
    return None


PATH_RULES: tuple[Callable[[PathFacts], Signal | None], ...] = (_tests, _docs)

_OPENAPI_NAMES = ("openapi", "swagger")
_DESCRIPTIVE = re.compile(r'[ \t]*-?[ \t]*"?(?:description|summary|title|example|examples)"?[ \t]*:')
_BLOCK = re.compile(r'[ \t]*-?[ \t]*"?(?:description|summary|title)"?[ \t]*:[ \t]*[|>]')


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _descriptive_side(lines: list[str], changed: set[int]) -> bool:
    """Every changed line of one hunk side is a description-like key or the text of such a block."""
    block_indent = -1  # the indentation of the `description: |` key we are inside, or -1
    for index, line in enumerate(lines):
        stripped = line.strip()
        if block_indent >= 0 and (not stripped or _indent(line) > block_indent):
            continue  # text of the block (blank lines included)
        block_indent = _indent(line) if _BLOCK.match(line) else -1
        if index in changed and stripped and not _DESCRIPTIVE.match(line):
            return False
    return True


def description_only(c: Content, hunks: list[tuple[list[str], list[str], set[int], set[int]]]) -> bool:
    """Whether every hunk changes only descriptive text (see the module docstring)."""
    return bool(hunks) and all(
        _descriptive_side(old, old_changed) and _descriptive_side(new, new_changed)
        for old, new, old_changed, new_changed in hunks
    )


_CONTRACT_EXTS = (".proto", ".graphql", ".graphqls", ".gql", ".avsc", ".thrift")


def _openapi_file(f: PathFacts, c: Content | None) -> bool:
    if any(word in f.lname for word in _OPENAPI_NAMES) or f.in_folder(frozenset(_OPENAPI_NAMES)):
        return True
    text = c.shown_text if c is not None else ""
    return "openapi:" in text or '"openapi":' in text or "swagger:" in text


def api_contract(f: PathFacts, c: Content | None) -> bool:
    """An API contract (OpenAPI/Swagger, protobuf, GraphQL, Avro, Thrift): a change to it is low only
    when it is description-only, never as a "small change"."""
    return f.ends(*_CONTRACT_EXTS) or (f.ends(".yaml", ".yml", ".json") and _openapi_file(f, c))


def _openapi(f: PathFacts, c: Content) -> Signal | None:
    if not f.ends(".yaml", ".yml", ".json") or not _openapi_file(f, c):
        return None
    if not description_only(c, c.hunk_sides()):
        return None
    return Signal(D, Strength.NAME, "OpenAPI description-only edit")


CONTENT_RULES: tuple[Callable[[PathFacts, Content], Signal | None], ...] = (_openapi,)
