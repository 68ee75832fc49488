"""Policy loading: the example policies, the safe YAML layer and every class of malformed file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from gate.errors import PolicyError, PolicyErrors
from gate.models import Category, RiskLevel
from gate.policy import API_VERSION, SLI, CalendarWindow, parse_duration
from gate.policy_load import (
    MAX_POLICY_BYTES,
    discover_policy_files,
    load_policies,
    load_policy_bytes,
    load_policy_file,
)
from gate.policy_yaml import line_for, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "policies"
DATA = Path(__file__).resolve().parent / "data" / "policies"
BROKEN = DATA / "broken"

ALLOWED_TOP = (
    "apiVersion, service, description, paths, prometheus, slos, adjustments, gate, audit, postmortem"
)
ALLOWED_SLO = "name, description, objective, window, sli, min_events, breakdown"

VALID = """\
apiVersion: slo-gate/v1
service: demo
slos:
  - name: availability
    objective: 99.9
    sli:
      error_query: sum(rate(http_requests_total{job="demo",code=~"5.."}[{{.window}}]))
      total_query: sum(rate(http_requests_total{job="demo"}[{{.window}}]))
"""


def errors_of(path: Path) -> list[str]:
    display = str(path.relative_to(ROOT))
    with pytest.raises(PolicyErrors) as info:
        load_policy_bytes(path.read_bytes(), display)
    return [str(e) for e in info.value.errors]


def bytes_errors(text: str | bytes, path: str = "p.yaml") -> list[PolicyError]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(PolicyErrors) as info:
        load_policy_bytes(data, path)
    return info.value.errors


def b(name: str) -> str:
    return f"tests/data/policies/broken/{name}"


# --- the example policies ----------------------------------------------------------------------------

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.y*ml"))


def test_examples_exist() -> None:
    assert {p.name for p in EXAMPLE_FILES} >= {"checkout.yaml", "payments.yaml", "search.yaml"}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_loads(path: Path) -> None:
    loaded = load_policy_file(path)
    data = path.read_bytes()
    assert loaded.path == str(path)
    assert loaded.sha256 == hashlib.sha256(data).hexdigest()
    policy = loaded.policy
    assert policy.api_version == API_VERSION
    assert policy.service == path.stem
    assert policy.paths == [f"services/{policy.service}/**"]
    assert policy.slos
    for slo in policy.slos:
        # The demo's metric contract: every query reads this service's job.
        queries = [slo.sli.error_query, slo.sli.good_query, slo.sli.total_query]
        assert all(f'job="{policy.service}"' in q for q in queries if q is not None)
        assert all("{{.window}}" in q for q in queries if q is not None)
    rule = {"paths": ["services/*/handlers/**"], "risk": RiskLevel.MEDIUM}
    assert any(r.paths == rule["paths"] and r.risk == rule["risk"] for r in policy.gate.risk.rules)


def test_checkout_example_fields() -> None:
    policy = load_policy_file(EXAMPLES / "checkout.yaml").policy
    availability, latency = policy.slos
    assert (availability.name, availability.objective, availability.window) == ("availability", 99.9, "30d")
    assert availability.sli.error_query == (
        'sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))'
    )
    assert availability.sli.total_query == 'sum(rate(http_requests_total{job="checkout"}[{{.window}}]))'
    assert availability.min_events == 1000
    assert availability.breakdown == ["route"]
    assert (latency.name, latency.objective, latency.window) == ("latency", 99, "30d")
    assert latency.sli.error_query is None
    assert latency.sli.good_query == (
        'sum(rate(http_request_duration_seconds_bucket{job="checkout",le="0.3"}[{{.window}}]))'
    )
    assert (
        latency.sli.total_query
        == 'sum(rate(http_request_duration_seconds_count{job="checkout"}[{{.window}}]))'
    )
    gate = policy.gate
    assert [t.above for t in gate.tiers] == [50, 25, None]
    assert gate.tiers[0].allow == [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]
    assert gate.tiers[2].allow == []
    assert gate.exempt == ["docs", "tests", "fix"]
    assert (gate.freeze_on, gate.on_inconclusive, gate.mode) == ("page", "fail", "enforce")
    rules = gate.risk.rules
    assert any(r.paths == ["**/migrations/**"] and r.risk == RiskLevel.HIGH for r in rules)
    assert any(r.category == Category.DOCS for r in rules)
    assert any(r.labels == ["risk:high"] and r.risk == RiskLevel.HIGH for r in rules)
    assert gate.risk.llm.enabled
    assert gate.override.label == "slo-gate/override"
    assert policy.audit.branch == "slo-gate-audit"


def test_payments_example_has_calendar_and_rolling() -> None:
    policy = load_policy_file(EXAMPLES / "payments.yaml").policy
    windows = {s.name: s.window for s in policy.slos}
    assert windows == {"availability": CalendarWindow(calendar="quarter"), "availability-30d": "30d"}
    assert policy.slos[0].window_label == "calendar quarter"


def test_search_example() -> None:
    policy = load_policy_file(EXAMPLES / "search.yaml").policy
    assert [s.name for s in policy.slos] == ["availability"]
    assert policy.gate.freeze_on == "page"


def test_examples_folder_loads_together() -> None:
    loaded = load_policies([EXAMPLES])
    assert [p.policy.service for p in loaded] == sorted(p.policy.service for p in loaded)
    assert {p.policy.service for p in loaded} >= {"checkout", "payments", "search"}


# --- the safe YAML layer -----------------------------------------------------------------------------


def test_line_map() -> None:
    parsed = parse_yaml(VALID.encode(), "p.yaml")
    assert parsed.lines[("apiVersion",)] == 1
    assert parsed.lines[("slos",)] == 3
    assert parsed.lines[("slos", 0)] == 4
    assert parsed.lines[("slos", 0, "objective")] == 5
    assert parsed.lines[("slos", 0, "sli", "error_query")] == 7
    assert line_for(parsed.lines, ("slos", 0, "sli", "good_query")) == 6  # missing -> its parent
    assert parsed.data["slos"][0]["objective"] == 99.9


def test_yaml_syntax_error_has_line() -> None:
    [error] = errors_of(BROKEN / "syntax-error.yaml")
    # The wording is libyaml's ("did not find expected ',' or '}'") or PyYAML's ("expected ',' or '}'").
    assert error.startswith(f"{b('syntax-error.yaml')}:7: YAML syntax error: ")
    assert "expected ',' or '}'" in error
    assert error.endswith("while parsing a flow mapping")


def test_python_tag_rejected_and_nothing_executed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def record(cmd: str) -> int:
        calls.append(cmd)
        return 0

    monkeypatch.setattr(os, "system", record)
    assert errors_of(BROKEN / "python-tag.yaml") == [
        f"{b('python-tag.yaml')}:2: service: tags (!!python/object/apply:os.system) are not allowed; "
        "write plain YAML values"
    ]
    assert calls == []


def test_any_explicit_tag_rejected() -> None:
    assert errors_of(BROKEN / "custom-tag.yaml") == [
        f"{b('custom-tag.yaml')}:2: service: tags (!!str) are not allowed; write plain YAML values",
        f"{b('custom-tag.yaml')}:3: slos: tags (!custom) are not allowed; write plain YAML values",
    ]


def test_anchor_and_alias_rejected() -> None:
    assert errors_of(BROKEN / "anchor-alias.yaml") == [
        f"{b('anchor-alias.yaml')}:4: slos[0]: anchors (&slo) are not allowed; repeat the value",
        f"{b('anchor-alias.yaml')}:10: slos[1]: aliases (*slo) are not allowed; repeat the value",
    ]


def test_merge_key_rejected() -> None:
    assert errors_of(BROKEN / "merge-key.yaml") == [
        f"{b('merge-key.yaml')}:9: slos[1]: merge keys (<<) are not allowed; repeat the keys"
    ]


def test_merge_key_with_alias_reports_both() -> None:
    text = "base: &b {x: 1}\nother:\n  <<: *b\n"
    assert [str(e) for e in bytes_errors(text)] == [
        "p.yaml:1: base: anchors (&b) are not allowed; repeat the value",
        "p.yaml:3: other.<<: aliases (*b) are not allowed; repeat the value",
        "p.yaml:3: other: merge keys (<<) are not allowed; repeat the keys",
    ]


def test_duplicate_key_names_both_lines() -> None:
    assert errors_of(BROKEN / "duplicate-key.yaml") == [
        f"{b('duplicate-key.yaml')}:9: slos[0].objective: duplicate key 'objective' "
        "(first on line 5, again on line 9)"
    ]


def test_non_string_key_rejected() -> None:
    text = VALID + "gate:\n  on: fail\n  1: x\n"
    assert [str(e) for e in bytes_errors(text)] == [
        "p.yaml:10: gate: key 'on' is not a string (YAML reads it as true); quote it",
        "p.yaml:11: gate: key '1' is not a string (YAML reads it as 1); quote it",
    ]


def test_file_over_64_kib_rejected_before_parsing(tmp_path: Path) -> None:
    padding = "#" * 79 + "\n"
    data = VALID.encode()
    data += (padding * ((MAX_POLICY_BYTES - len(data)) // len(padding))).encode()
    data += b"#" * (MAX_POLICY_BYTES - len(data))
    assert len(data) == MAX_POLICY_BYTES
    assert load_policy_bytes(data, "p.yaml").policy.service == "demo"  # exactly 64 KiB is fine
    too_big = data + b"\n"
    assert [str(e) for e in bytes_errors(too_big)] == [
        "p.yaml: file is 65537 bytes; policy files are limited to 65536 bytes (64 KiB)"
    ]
    big = tmp_path / "big.yaml"
    big.write_bytes(b"[" * (MAX_POLICY_BYTES + 10))  # would also be too deep/unbalanced: never parsed
    with pytest.raises(PolicyErrors) as info:
        load_policy_file(big)
    assert [str(e) for e in info.value.errors] == [
        f"{big}: file is 65546 bytes; policy files are limited to 65536 bytes (64 KiB)"
    ]


def test_non_utf8_rejected() -> None:
    assert errors_of(BROKEN / "not-utf8.yaml") == [
        f"{b('not-utf8.yaml')}:2: not valid UTF-8 (byte 0xe9 at offset 36); save it as UTF-8"
    ]


def test_utf8_bom_accepted() -> None:
    assert load_policy_bytes(b"\xef\xbb\xbf" + VALID.encode(), "p.yaml").policy.service == "demo"


def test_multiple_documents_rejected() -> None:
    assert errors_of(BROKEN / "multiple-documents.yaml") == [
        f"{b('multiple-documents.yaml')}:9: more than one YAML document ('---'); "
        "a policy file holds exactly one"
    ]


def test_top_level_list_rejected() -> None:
    assert errors_of(BROKEN / "top-level-list.yaml") == [
        f"{b('top-level-list.yaml')}:1: the top level must be a mapping (apiVersion, service, slos, ...), "
        "not a list"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "p.yaml:1: the file is empty; expected a policy mapping"),
        ("# only a comment\n", "p.yaml:1: the file is empty; expected a policy mapping"),
        (
            "just text\n",
            "p.yaml:1: the top level must be a mapping (apiVersion, service, slos, ...), not a single value",
        ),
        ("a: 1\nb: \x07\n", "p.yaml:2: control character U+0007 is not allowed in YAML"),
        ("a: " + "[" * 100 + "]" * 100 + "\n", "p.yaml:1: nested more than 64 levels deep"),
    ],
    ids=["empty", "comment-only", "scalar", "control-char", "too-deep"],
)
def test_other_structural_errors(text: str, expected: str) -> None:
    assert [str(e) for e in bytes_errors(text)] == [expected]


# --- schema errors -----------------------------------------------------------------------------------


def test_unknown_keys_top_level_and_nested_list_allowed_keys() -> None:
    assert errors_of(BROKEN / "unknown-keys.yaml") == [
        f"{b('unknown-keys.yaml')}:3: team: unknown key (allowed: {ALLOWED_TOP})",
        f"{b('unknown-keys.yaml')}:7: slos[0].budget: unknown key (allowed: {ALLOWED_SLO})",
    ]


def test_python_spelling_of_api_version_rejected() -> None:
    # populate_by_name lets Python code use api_version; a YAML file must spell it apiVersion.
    text = VALID.replace("apiVersion:", "api_version:")
    assert [str(e) for e in bytes_errors(text)] == ["p.yaml:1: api_version: unknown key (use apiVersion)"]


def test_missing_api_version() -> None:
    text = VALID.replace("apiVersion: slo-gate/v1\n", "")
    assert [str(e) for e in bytes_errors(text)] == ["p.yaml:1: apiVersion: required (expected slo-gate/v1)"]


def test_missing_required_fields() -> None:
    assert errors_of(BROKEN / "missing-required.yaml") == [
        f"{b('missing-required.yaml')}:1: service: required",
        f"{b('missing-required.yaml')}:3: slos[0].objective: required",
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("objective-100.yaml", "must be less than 100 (got 100); percent of good events, 0 < x < 100"),
        ("objective-0.yaml", "must be greater than 0 (got 0); percent of good events, 0 < x < 100"),
        ("objective-text.yaml", "must be a number (got 'high'); percent of good events, 0 < x < 100"),
    ],
)
def test_objective_out_of_range(name: str, message: str) -> None:
    assert errors_of(BROKEN / name) == [f"{b(name)}:5: slos[0].objective: {message}"]


def test_bad_window() -> None:
    assert errors_of(BROKEN / "window-bad.yaml") == [
        f"{b('window-bad.yaml')}:6: slos[0].window: '30x' is not a Prometheus duration (e.g. 30d, 28d, 1h30m)"
    ]


def test_window_shorter_than_an_hour() -> None:
    assert errors_of(BROKEN / "window-short.yaml") == [
        f"{b('window-short.yaml')}:6: slos[0].window: "
        "an SLO window shorter than 1h cannot hold a meaningful budget"
    ]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("{calendar: year}", "p.yaml:6: slos[0].window.calendar: must be 'month' or 'quarter' (got 'year')"),
        ("{calendar: month, tz: UTC}", "p.yaml:6: slos[0].window.tz: unknown key (allowed: calendar)"),
        ("{}", "p.yaml:6: slos[0].window: a calendar window needs `calendar: month` or `calendar: quarter`"),
        (
            "30",
            "p.yaml:6: slos[0].window: must be a Prometheus duration such as 30d, "
            "or {calendar: month|quarter} (got 30)",
        ),
    ],
)
def test_calendar_window_errors(window: str, expected: str) -> None:
    text = VALID.replace("    sli:\n", f"    window: {window}\n    sli:\n")
    assert [str(e) for e in bytes_errors(text)] == [expected]


def test_both_error_and_good_query() -> None:
    assert errors_of(BROKEN / "both-queries.yaml") == [
        f"{b('both-queries.yaml')}:9: slos[0].sli.good_query: set error_query or good_query, not both "
        "(bad = error, or total - good)"
    ]


def test_neither_error_nor_good_query() -> None:
    assert errors_of(BROKEN / "neither-query.yaml") == [
        f"{b('neither-query.yaml')}:6: slos[0].sli: needs error_query or good_query (plus total_query)"
    ]


def test_bad_template_names_the_field() -> None:
    # total_query's `{{ .window }}` (spaces inside the braces, as Sloth allows) is fine.
    assert errors_of(BROKEN / "bad-template.yaml") == [
        f"{b('bad-template.yaml')}:7: slos[0].sli.error_query: unknown template {{{{.range}}}}: "
        "the only template variable is {{.window}}"
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("'   '", "must not be empty"),
        ('"sum(x[{{.window}}])\\0"', "contains control character U+0000"),
        (
            "sum(x[1h])",
            "must use {{.window}} as its range, e.g. rate(x[{{.window}}]), so each window measures its span",
        ),
        ("sum(x[{{.window}}]) + {{", "unbalanced '{{' / '}}': the only template is {{.window}}"),
        (
            "sum(x[{{.window}}]) + {{.a}} + {{ .b }}",
            "unknown template {{.a}}, {{ .b }}: the only template variable is {{.window}}",
        ),
    ],
    ids=["blank", "nul", "no-window", "unbalanced", "two-unknown"],
)
def test_query_text_checks(query: str, message: str) -> None:
    text = VALID.replace('sum(rate(http_requests_total{job="demo"}[{{.window}}]))', query)
    assert [str(e) for e in bytes_errors(text)] == [f"p.yaml:8: slos[0].sli.total_query: {message}"]


def test_sli_checks_apply_to_code_too() -> None:
    with pytest.raises(ValueError, match="only template variable"):
        SLI(error_query="x[{{.range}}]", total_query="y[{{.window}}]")
    sli = SLI(good_query="x[{{ .window }}]", total_query="y[{{.window}}]")
    assert sli.error_query is None


def test_tiers_must_descend() -> None:
    assert errors_of(BROKEN / "tiers-ascending.yaml") == [
        f"{b('tiers-ascending.yaml')}:12: gate.tiers[1].above: tier `above` values must strictly decrease "
        "(50 follows 25)"
    ]


def test_last_tier_must_not_have_above() -> None:
    assert errors_of(BROKEN / "tiers-last-above.yaml") == [
        f"{b('tiers-last-above.yaml')}:12: gate.tiers[1].above: the last tier must have no `above` "
        "(it catches everything below)"
    ]


def test_only_last_tier_may_omit_above() -> None:
    text = VALID + "gate:\n  tiers:\n    - {allow: [low]}\n    - {allow: []}\n"
    assert [str(e) for e in bytes_errors(text)] == [
        "p.yaml:11: gate.tiers[0]: only the last tier may omit `above`"
    ]


def test_duplicate_slo_names() -> None:
    assert errors_of(BROKEN / "duplicate-slo-names.yaml") == [
        f"{b('duplicate-slo-names.yaml')}:9: slos[1].name: duplicate SLO name 'availability' "
        "(already used by slos[0])"
    ]


def test_wrong_api_version_is_the_only_error() -> None:
    # `slos: {}` would also be wrong, but under another spec version the rest is noise.
    assert errors_of(BROKEN / "wrong-api-version.yaml") == [
        f"{b('wrong-api-version.yaml')}:1: apiVersion: expected slo-gate/v1 (got 'slo-gate/v2')"
    ]


def test_literal_errors_list_the_choices() -> None:
    text = (
        VALID + "gate:\n  mode: strict\n  exempt: [docs, code]\n  risk:\n    rules:\n      - {paths: [a]}\n"
    )
    assert [str(e) for e in bytes_errors(text)] == [
        "p.yaml:10: gate.mode: must be 'enforce' or 'advisory' (got 'strict')",
        "p.yaml:11: gate.exempt[1]: must be 'docs', 'tests' or 'fix' (got 'code')",
        "p.yaml:14: gate.risk.rules[0]: a risk rule needs a risk or a category",
    ]


def test_type_errors_are_human() -> None:
    text = VALID.replace("service: demo", "service: [a]") + "paths: services/**\n"
    assert [str(e) for e in bytes_errors(text)] == [
        "p.yaml:2: service: must be a string (got a list)",
        "p.yaml:9: paths: must be a list (got 'services/**')",
    ]


def test_three_independent_errors_each_at_its_line() -> None:
    assert errors_of(BROKEN / "three-errors.yaml") == [
        f"{b('three-errors.yaml')}:3: bogus: unknown key (allowed: {ALLOWED_TOP})",
        f"{b('three-errors.yaml')}:6: slos[0].objective: must be less than 100 (got 100); "
        "percent of good events, 0 < x < 100",
        f"{b('three-errors.yaml')}:13: slos[1].sli.good_query: unknown template {{{{.range}}}}: "
        "the only template variable is {{.window}}",
    ]


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.name)
def test_every_broken_fixture_fails_with_a_located_error(path: Path) -> None:
    with pytest.raises(PolicyErrors) as info:
        load_policy_file(path)
    assert info.value.errors
    assert all(e.file == str(path) for e in info.value.errors)
    assert all(e.line is not None and e.line >= 1 for e in info.value.errors)


# --- discovery and many files ------------------------------------------------------------------------


def test_two_files_with_the_same_service() -> None:
    folder = DATA / "duplicate-service"
    with pytest.raises(PolicyErrors) as info:
        load_policies([folder])
    assert [str(e) for e in info.value.errors] == [
        f"{folder}/b.yaml:2: service: service 'shared' is also defined in {folder}/a.yaml:2; "
        "each service needs exactly one policy"
    ]


def test_empty_folder_and_missing_path(tmp_path: Path) -> None:
    empty = DATA / "empty"
    missing = tmp_path / "nope"
    with pytest.raises(PolicyErrors) as info:
        discover_policy_files([empty, missing])
    assert [str(e) for e in info.value.errors] == [
        f"{empty}: no policy files (*.yaml, *.yml) in this folder",
        f"{missing}: no such file or folder",
    ]
    with pytest.raises(PolicyErrors, match="policy paths: none given"):
        discover_policy_files([])


def test_missing_file() -> None:
    with pytest.raises(PolicyErrors) as info:
        load_policy_file("does/not/exist.yaml")
    assert [str(e) for e in info.value.errors] == ["does/not/exist.yaml: no such file"]


def test_discovery_is_recursive_sorted_skips_hidden_and_dedupes(tmp_path: Path) -> None:
    (tmp_path / "teams" / "b").mkdir(parents=True)
    (tmp_path / "teams" / "a").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for rel in ["z.yml", "teams/b/one.yaml", "teams/a/two.yaml", ".hidden/x.yaml", ".dot.yaml", "notes.md"]:
        (tmp_path / rel).write_text(VALID)
    found = discover_policy_files([tmp_path, tmp_path / "z.yml"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "teams/a/two.yaml",
        "teams/b/one.yaml",
        "z.yml",
    ]
    # A file named explicitly is taken as is, whatever its name.
    named = tmp_path / "notes.md"
    assert discover_policy_files([named]) == [named]


def test_load_policies_collects_errors_across_files(tmp_path: Path) -> None:
    shutil.copy(BROKEN / "objective-100.yaml", tmp_path / "a.yaml")
    shutil.copy(BROKEN / "window-bad.yaml", tmp_path / "b.yaml")
    (tmp_path / "c.yaml").write_text(VALID)
    missing = tmp_path / "missing.yaml"
    with pytest.raises(PolicyErrors) as info:
        load_policies([tmp_path, missing])
    assert [(e.file, e.line, e.field) for e in info.value.errors] == [
        (str(missing), None, ""),
        (str(tmp_path / "a.yaml"), 5, "slos[0].objective"),
        (str(tmp_path / "b.yaml"), 6, "slos[0].window"),
    ]


def test_loaded_policy_keeps_display_path_and_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "p.yaml").write_text(VALID)
    monkeypatch.chdir(tmp_path)
    loaded = load_policies(["p.yaml"])
    assert [p.path for p in loaded] == ["p.yaml"]
    assert loaded[0].sha256 == hashlib.sha256(VALID.encode()).hexdigest()


def test_unusable_globs_are_policy_errors(tmp_path: Path) -> None:
    path = tmp_path / "globs.yaml"
    path.write_text(
        "apiVersion: slo-gate/v1\nservice: x\npaths: ['../x/**']\nslos:\n  - name: a\n    objective: 99\n"
        "    sli: {error_query: 'a[{{.window}}]', total_query: 'b[{{.window}}]'}\n"
        "gate:\n  risk:\n    rules:\n      - {paths: [''], risk: high}\n"
    )
    with pytest.raises(PolicyErrors) as caught:
        load_policy_file(path)
    lines = [str(e) for e in caught.value.errors]
    assert lines == [
        f"{path}:3: paths: '../x/**': patterns are repo-relative and cannot contain '..'",
        f"{path}:11: gate.risk.rules[0].paths: '' is an empty glob pattern",
    ]


@pytest.mark.parametrize("branch", ["--upload-pack=x", "a..b", "a b", "x.lock", "x/", ".hidden/x", "a//b"])
def test_a_bad_audit_branch_is_a_policy_error(branch: str) -> None:
    text = VALID + f"audit:\n  branch: {json.dumps(branch)}\n"
    [error] = bytes_errors(text)
    assert error.field == "audit.branch"
    assert "not a usable git branch name" in error.message


def test_usual_audit_branches_are_fine() -> None:
    for branch in ("slo-gate-audit", "audit/slo-gate", "refs-v1.2", ""):
        loaded = load_policy_bytes((VALID + f"audit:\n  branch: {json.dumps(branch)}\n").encode(), "p.yaml")
        assert loaded.policy.audit.branch == branch


# --- every error of a file at once -------------------------------------------------------------------

FOUR_ERRORS = """\
apiVersion: slo-gate/v1
service: demo
slos:
  - name: availability
    objective: 100
    sli:
      error_query: sum(rate(errors_total[{{.window}}]))
      total_query: sum(rate(requests_total[{{.window}}]))
  - name: availability
    objective: 99
    sli:
      error_query: sum(rate(errors_total[{{.window}}]))
      total_query: sum(rate(requests_total[{{.window}}]))
gate:
  tiers:
    - {above: 25, allow: [low], colour: red}
    - {above: 50, allow: [low, medium]}
    - {allow: []}
"""


def test_cross_field_rules_are_reported_with_every_other_error() -> None:
    # Before: the duplicate name and the tier order were checked only once every SLO and every tier
    # was valid, so this file needed three rounds of fixes to show all four problems.
    assert [str(e) for e in bytes_errors(FOUR_ERRORS)] == [
        "p.yaml:5: slos[0].objective: must be less than 100 (got 100); percent of good events, 0 < x < 100",
        "p.yaml:9: slos[1].name: duplicate SLO name 'availability' (already used by slos[0])",
        "p.yaml:16: gate.tiers[0].colour: unknown key (allowed: above, allow)",
        "p.yaml:17: gate.tiers[1].above: tier `above` values must strictly decrease (50 follows 25)",
    ]


def test_sli_and_risk_rule_rules_are_reported_with_field_errors() -> None:
    text = VALID.replace(
        "      total_query:", "      good_query: sum(rate(ok_total[{{.window}}]))\n      total_query:"
    ).replace('{job="demo"}[{{.window}}]', '{job="demo"}[{{.range}}]')
    text += "gate:\n  risk:\n    rules:\n      - {paths: [''], labels: []}\n"
    assert [str(e) for e in bytes_errors(text)] == [
        "p.yaml:8: slos[0].sli.good_query: set error_query or good_query, not both "
        "(bad = error, or total - good)",
        "p.yaml:9: slos[0].sli.total_query: unknown template {{.range}}: the only template variable is "
        "{{.window}}",
        "p.yaml:13: gate.risk.rules[0].paths: '' is an empty glob pattern",
        "p.yaml:13: gate.risk.rules[0]: a risk rule needs a risk or a category",
    ]


def test_tier_rules_read_numbers_as_pydantic_does() -> None:
    text = VALID + "gate:\n  tiers:\n    - {above: '40', allow: [low]}\n    - {above: 60, allow: []}\n"
    assert [str(e) for e in bytes_errors(text)] == [
        "p.yaml:12: gate.tiers[1].above: the last tier must have no `above` (it catches everything below)"
    ]
    text = (
        VALID
        + "gate:\n  tiers:\n    - {above: 40, allow: [low]}\n    - {above: '50', allow: []}\n    - {allow: []}\n"
    )
    assert [str(e) for e in bytes_errors(text)] == [
        "p.yaml:12: gate.tiers[1].above: tier `above` values must strictly decrease (50 follows 40)"
    ]


def test_cross_field_rules_apply_to_models_built_in_code() -> None:
    with pytest.raises(ValidationError) as caught:
        SLI(error_query="sum(rate(a[{{.window}}]))", good_query="x[{{.range}}]", total_query="b")
    assert {(e["loc"], e["type"]) for e in caught.value.errors()} == {
        (("good_query",), "value_error"),
        (("total_query",), "value_error"),
        (("good_query",), "policy"),
    }


# --- identifiers match in full -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "good", "bad", "field"),
    [
        ("service: demo\n", "service: demo\n", "service: |\n  demo\n", "service"),
        ("  - name: availability\n", "  - name: a\n", "  - name: |\n      a\n", "slos[0].name"),
        (
            "    sli:\n",
            "    window: 30d\n    sli:\n",
            "    window: |\n      30d\n    sli:\n",
            "slos[0].window",
        ),
        (
            "    sli:\n",
            "    breakdown: [route]\n    sli:\n",
            '    breakdown: ["route\\n"]\n    sli:\n',
            "slos[0].breakdown",
        ),
        (
            "slos:\n",
            "prometheus: {tenant: pay}\nslos:\n",
            "prometheus:\n  tenant: |\n    pay\nslos:\n",
            "prometheus.tenant",
        ),
        ("slos:\n", "audit: {branch: log}\nslos:\n", "audit:\n  branch: |\n    log\nslos:\n", "audit.branch"),
    ],
    ids=["service", "slo-name", "window", "breakdown", "tenant", "audit-branch"],
)
def test_a_trailing_newline_is_not_part_of_a_valid_identifier(
    old: str, good: str, bad: str, field: str
) -> None:
    # `$` matches before a final newline: `service: |` made "demo\n" a valid service name.
    load_policy_bytes(VALID.replace(old, good).encode(), "p.yaml")
    [error] = bytes_errors(VALID.replace(old, bad))
    assert error.field == field


def test_a_block_scalar_service_cannot_pass_as_a_second_policy(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "b.yaml").write_text(VALID.replace("service: demo\n", "service: |\n  demo\n"))
    with pytest.raises(PolicyErrors) as caught:
        load_policies([tmp_path])
    assert [(e.file, e.field) for e in caught.value.errors] == [(str(tmp_path / "b.yaml"), "service")]


def test_parse_duration_matches_in_full() -> None:
    assert parse_duration("1h30m") == 5400
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        parse_duration("30d\n")


# --- PromQL syntax, checked offline ------------------------------------------------------------------

ERROR_QUERY = 'sum(rate(http_requests_total{job="demo",code=~"5.."}[{{.window}}]))'


def query_errors(query: str) -> list[str]:
    assert ERROR_QUERY in VALID
    return [str(e) for e in bytes_errors(VALID.replace(ERROR_QUERY, query))]


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ("sum(rate(x[{{.window}}])", "end", "unclosed left parenthesis"),
        ("sum(rate(x[{{ .window }}])) bye (route)", "bye", "unexpected 'bye'"),
        ("sum(rate(x[{{.window}}])) / / sum(rate(y[{{.window}}]))", "/ sum", "unexpected '/'"),
        ('sum(rate(x{job="a" code="5"}[{{.window}}]))', "code", "unexpected 'code'"),
        ('sum(rate(x{job="a}[{{.window}}]))', '"a}', 'unterminated quoted string "'),
        ("sum(rat(x[{{.window}}]))", "rat", "unknown function with name 'rat'"),
        ("sum(rate(x[{{.window}}])) $ 2", "$", "unexpected character: '$'"),
        ("sum(rate(x[{{.window}}x]))", "{{", "bad number or duration syntax: 5mx"),
    ],
    ids=[
        "unclosed",
        "after-template",
        "operator",
        "matcher",
        "string",
        "function",
        "character",
        "in-template",
    ],
)
def test_broken_promql_is_a_policy_error_at_the_authors_column(query: str, column: str, message: str) -> None:
    # The column counts in the query as written ({{.window}} and all), not in the rendered text.
    expected = len(query) + 1 if column == "end" else query.index(column) + 1
    assert query_errors(query) == [
        f"p.yaml:7: slos[0].sli.error_query: parse error at column {expected}: {message}"
    ]


def test_a_multi_line_query_names_line_and_column() -> None:
    text = VALID.replace(
        f"      error_query: {ERROR_QUERY}\n",
        "      error_query: |\n        sum(rate(x[{{.window}}]))\n          / / sum(rate(y[{{.window}}]))\n",
    )
    assert [str(e) for e in bytes_errors(text)] == [
        "p.yaml:7: slos[0].sli.error_query: parse error at line 2, column 5: unexpected '/'"
    ]


def test_every_query_error_of_a_file_at_once() -> None:
    text = VALID.replace(ERROR_QUERY, "sum(rate(x[{{.window}}])").replace(
        'sum(rate(http_requests_total{job="demo"}[{{.window}}]))', "sum(irate(y[{{.window}}])"
    )
    assert query_errors_in(text) == [
        ("slos[0].sli.error_query", "parse error at column 25: unclosed left parenthesis"),
        ("slos[0].sli.total_query", "parse error at column 26: unclosed left parenthesis"),
    ]


def query_errors_in(text: str) -> list[tuple[str, str]]:
    return [(e.field, e.message) for e in bytes_errors(text)]


def test_an_overlong_query_is_refused_before_parsing() -> None:
    query = "sum(rate(x[{{.window}}]))" + " + 1" * 300  # sum ( rate ( x [ 5m ] ) ), then + 1 each
    [error] = query_errors(query)
    assert error == (
        f"p.yaml:7: slos[0].sli.error_query: has {10 + 2 * 300} PromQL tokens; at most 512 are checked "
        "(move parts into recording rules)"
    )


def test_template_checks_are_linear() -> None:
    # A lazy `{{.*?}}` regex took ~16 s of CPU for 16000 unclosed `{{`; 64 KiB of them took minutes.
    code = (
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (20, 20))\n"
        "from gate.policy import check_query\n"
        "for text in ('x[{{.window}}] ' + '{{' * 30000, '}}' * 30000 + 'x[{{.window}}]',\n"
        "             'x[{{.window}}]' + '{{ ' * 20000):\n"
        "    try:\n"
        "        check_query(text)\n"
        "    except ValueError as exc:\n"
        "        assert 'unbalanced' in str(exc), exc\n"
        "print('done')\n"
    )
    # `-c` puts the working directory first on sys.path: this checkout's gate is the one measured.
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, "done\n"), done.stderr[-2000:]
