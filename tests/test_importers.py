"""Sloth, OpenSLO and Pyrra specs in (tests/data/specs: written for these tests from the published
schemas): what each converts to, every refusal at its file, line and field, the `--gate-defaults`
overlay, `validate`/`check`/`rules` reading the specs directly, and `slo-gate import`'s output.
The round trip (import -> rules -> the same alerts as the native policy, on backfilled data) is at the end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.errors import PolicyErrors
from gate.export.rules import RuleOptions, policy_groups
from gate.policy_load import GitTree, gate_defaults_file, load_policies, load_policy_bytes
from gate.prometheus import PrometheusClient, PrometheusSettings
from tests.promfixture.rules_data import POLICIES
from tests.promfixture.scenarios import END_TIME, HOUR
from tests.promfixture.server import FixturePrometheus
from tests.support.cli import run_cli
from tests.support.git import git
from tests.support.recorded_rules import last_evaluation, recorded_prometheus

__all__ = ["recorded_prometheus"]

SPECS = Path(__file__).resolve().parent / "data" / "specs"


def load(name: str) -> dict[str, Any]:
    """service -> {SLO name: (objective, window, sli)} of a spec file as the loader reads it."""
    out: dict[str, Any] = {}
    for loaded in load_policies([SPECS / name]):
        out[loaded.policy.service] = {
            slo.name: (
                slo.objective,
                slo.window if isinstance(slo.window, str) else slo.window.calendar,
                slo.sli.model_dump(exclude_none=True, exclude_defaults=True),
            )
            for slo in loaded.policy.slos
        }
    return out


def errors(name: str) -> list[str]:
    with pytest.raises(PolicyErrors) as info:
        load_policies([SPECS / name])
    return [str(e).removeprefix(str(SPECS) + "/") for e in info.value.errors]


# ---- what each format converts to -------------------------------------------------------------------


def test_a_sloth_spec_copies_its_queries_unchanged_with_sloths_default_window() -> None:
    text = (SPECS / "sloth-checkout.yml").read_text()
    [latency_error] = [
        q for q in yaml.safe_load(text)["slos"][1:] for q in [q["sli"]["events"]["error_query"]]
    ]
    assert load("sloth-checkout.yml") == {
        "checkout": {
            "requests-availability": (
                99.9,
                "30d",
                {
                    "error_query": 'sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))',
                    "total_query": 'sum(rate(http_requests_total{job="checkout"}[{{.window}}]))',
                },
            ),
            "requests-latency": (
                99.0,
                "30d",
                {
                    "error_query": latency_error,
                    "total_query": 'sum(rate(http_request_duration_seconds_count{job="checkout"}[{{ .window }}]))',
                },
            ),
        }
    }


def test_sloth_crds_in_one_file_are_one_policy_per_service() -> None:
    assert {s: list(slos) for s, slos in load("sloth-crds.yaml").items()} == {
        "search": ["availability"],
        "ledger": ["availability"],
    }
    assert load("sloth-crds.yaml")["ledger"]["availability"][0] == 99.95


def test_openslo_v1_resolves_its_sli_and_data_source_and_wraps_counters() -> None:
    assert load("openslo-v1.yaml") == {
        "payments": {
            "payments-availability": (
                99.9,
                "28d",
                {
                    "good_query": 'sum(rate(http_requests_total{job="payments",code!~"5.."}[{{.window}}]))',
                    "total_query": 'sum(rate(http_requests_total{job="payments"}[{{.window}}]))',
                },
            ),
            "payments-monthly-strict": (
                99.95,
                "month",
                {
                    "error_query": 'sum(rate(http_requests_total{job="payments",code=~"5.."}[{{.window}}]))',
                    "total_query": 'sum(rate(http_requests_total{job="payments"}[{{.window}}]))',
                },
            ),
            "payments-monthly-loose": (
                99.0,
                "month",
                {
                    "error_query": 'sum(rate(http_requests_total{job="payments",code=~"5.."}[{{.window}}]))',
                    "total_query": 'sum(rate(http_requests_total{job="payments"}[{{.window}}]))',
                },
            ),
        }
    }
    [loaded] = load_policies([SPECS / "openslo-v1.yaml"])
    assert loaded.policy.description == "Card payments API"


def test_openslo_v1alpha_as_a_list_of_objects() -> None:
    assert load("openslo-v1alpha.yaml") == {
        "billing": {
            "billing-availability": (
                99.0,
                "30d",
                {
                    "good_query": 'sum(rate(http_requests_total{job="billing",code="200"}[{{.window}}]))',
                    "total_query": 'sum(rate(http_requests_total{job="billing"}[{{.window}}]))',
                },
            )
        }
    }


def test_pyrra_ratio_latency_and_bool_gauge() -> None:
    assert load("pyrra.yaml") == {
        "api": {
            "api-errors": (
                99.5,
                "2w",
                {
                    "error_query": 'sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))',
                    "total_query": 'sum(rate(http_requests_total{job="api"}[{{.window}}]))',
                },
            ),
            "api-latency": (
                99.0,
                "4w",
                {
                    "good_query": 'sum(rate(http_request_duration_seconds_bucket{job="api",le="0.5"}[{{.window}}]))',
                    "total_query": 'sum(rate(http_request_duration_seconds_count{job="api"}[{{.window}}]))',
                },
            ),
            "homepage-probe": (
                99.9,
                "28d",
                {
                    "good_query": 'sum(sum_over_time(probe_success{job="blackbox",instance="https://example.com"}[{{.window}}]))',
                    "total_query": 'sum(count_over_time(probe_success{job="blackbox",instance="https://example.com"}[{{.window}}]))',
                },
            ),
        }
    }


def test_a_bool_gauge_counts_its_samples_as_events() -> None:
    """count_over_time counts events: min_events compares with it as it is, not times the window."""
    from gate.promql import uses_increase

    [loaded] = load_policies([SPECS / "pyrra.yaml"])
    assert uses_increase(loaded.policy.slos[2].sli.total_query)
    assert not uses_increase(loaded.policy.slos[0].sli.total_query)


# ---- refusals: FILE:LINE: field: why; what to do ----------------------------------------------------


def test_sloth_refusals() -> None:
    assert errors("sloth-refused.yml") == [
        "sloth-refused.yml:8: slos[0].sli.raw.error_ratio_query: a raw error ratio has no events behind it: a "
        "window's ratio cannot be summed from it exactly; give sli.events with an error query and a total query "
        "that count events",
        "sloth-refused.yml:17: slos[1].sli.plugin: a Sloth SLI plugin is code slo-gate does not run, so its queries "
        "are unknown here; write the plugin's error and total queries as sli.events (Sloth prints them with "
        "`sloth generate`)",
        "sloth-refused.yml:24: slos[2].objective: must be less than 100 (got 100); percent of good events, 0 < x < 100",
        "sloth-refused.yml:28: slos[2].sli.events.total_query: must use {{.window}} as its range, e.g. "
        "rate(x[{{.window}}]), so each window measures its span",
    ]


def test_openslo_refusals() -> None:
    found = errors("openslo-refused.yaml")
    assert [line.split(": ", 2)[:2] for line in found] == [
        ["openslo-refused.yaml:15", "spec.indicator.spec.ratioMetric.good.metricSource.type"],
        ["openslo-refused.yaml:37", "spec.budgetingMethod"],
        ["openslo-refused.yaml:70", "spec.timeWindow[0]"],
        ["openslo-refused.yaml:96", "spec.timeWindow[0].calendar.timeZone"],
    ]
    assert "a Datadog metric source" in found[0]
    assert "Timeslices budgets count good time slices" in found[1]
    assert "a rolling month, quarter or year has no fixed length; use a rolling duration" in found[2]
    assert "slo-gate's calendar periods run in UTC, not America/New_York" in found[3]


def test_pyrra_refusals() -> None:
    found = errors("pyrra-refused.yaml")
    assert [line.split(": ", 2)[:2] for line in found] == [
        ["pyrra-refused.yaml:15", "spec.indicator.ratio.grouping"],
        ["pyrra-refused.yaml:26", "spec.indicator.latencyNative"],
        ["pyrra-refused.yaml:42", "spec.indicator.ratio.errors.metric"],
    ]
    assert "not a selector: rate() of an expression is not the increase of a counter" in found[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: s\n  indicatorRef: nope\n"
            "  timeWindow: [{duration: 7d, isRolling: true}]\n  objectives: [{target: 0.99}]\n",
            "f.yaml:6: spec.indicatorRef: no SLI named 'nope' in this file; put the SLI in the same file",
        ),
        (
            "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: s\n  indicator:\n"
            "    spec:\n      ratioMetric:\n        counter: false\n        good: {metricSource: {type: Prometheus, spec: {query: a}}}\n"
            "        total: {metricSource: {type: Prometheus, spec: {query: b}}}\n"
            "  timeWindow: [{duration: 7d, isRolling: true}]\n  objectives: [{target: 0.99}]\n",
            "f.yaml:9: spec.indicator.spec.ratioMetric.counter: only counters (counter: true) are events",
        ),
        (
            "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: s\n  indicator:\n"
            "    spec:\n      ratioMetric:\n        counter: true\n        good: {metricSource: {type: Prometheus, spec: {query: a}}}\n"
            "        total: {metricSource: {type: Prometheus, spec: {query: b}}}\n"
            "  timeWindow: [{duration: 7d, isRolling: true}]\n  objectives: [{target: 1.0}]\n",
            "f.yaml:13: spec.objectives[0].target: must be less than 100 (got 100.0)",
        ),
        (
            "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: s\n  indicator:\n"
            "    spec:\n      ratioMetric:\n        counter: true\n        good: {metricSource: {type: Prometheus, spec: {query: a}}}\n"
            "        total: {metricSource: {type: Prometheus, spec: {query: b}}}\n"
            "  timeWindow: [{duration: 1M, isRolling: false, calendar: {startTime: '2026-01-15 00:00:00', timeZone: UTC}}]\n"
            "  objectives: [{target: 0.99}]\n",
            "f.yaml:12: spec.timeWindow[0].calendar.startTime: periods starting 2026-01-15 00:00:00 do not start",
        ),
        (
            "version: prometheus/v1\nservice: s\nslos:\n  - name: a\n    objective: 99\n    slo_plugins: {}\n"
            "    sli: {events: {error_query: 'x[{{.window}}]', total_query: 'y[{{.window}}]'}}\n",
            "f.yaml:6: slos[0].slo_plugins: Sloth prometheus/v1 key slo-gate does not know",
        ),
        (
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n---\nversion: prometheus/v1\nservice: s\n"
            "slos: [{name: a, objective: 99, sli: {events: {error_query: 'x[{{.window}}]', total_query: 'y[{{.window}}]'}}}]\n",
            "f.yaml:1: apiVersion: 'monitoring.coreos.com/v1' (kind 'PrometheusRule') is not a spec slo-gate imports",
        ),
    ],
    ids=["missing-ref", "gauges", "target-1", "mid-month", "unknown-key", "other-object"],
)
def test_each_refusal_names_line_field_why_and_what_to_do(tmp_path: Path, text: str, expected: str) -> None:
    spec = tmp_path / "f.yaml"
    spec.write_text(text)
    with pytest.raises(PolicyErrors) as info:
        load_policies([spec])
    shown = [str(e).removeprefix(str(tmp_path) + "/") for e in info.value.errors]
    assert any(line.startswith(expected) for line in shown), shown


@pytest.mark.parametrize(
    ("data", "foreign"),
    [
        (b"-" + b" " * 60000 + b"x", False),  # a line the version pattern could backtrack on: linear
        (b"#\n" * 30000, False),
        (b"---\n- apiVersion: 'openslo/v1'  # objects\n", True),
        (b"description: |\n  version: prometheus/v2\n", False),
    ],
)
def test_which_files_are_specs(data: bytes, foreign: bool) -> None:
    from gate.importers.convert import is_foreign

    assert is_foreign(data) is foreign


def test_hostile_specs_are_read_like_policies(tmp_path: Path) -> None:
    """The same strict YAML: aliases, tags and duplicate keys are refused, in every document."""
    spec = tmp_path / "f.yaml"
    spec.write_text(
        "version: prometheus/v1\nservice: &s x\nslos: []\n---\nversion: prometheus/v1\nservice: !!str y\nservice: z\n"
    )
    with pytest.raises(PolicyErrors) as info:
        load_policies([spec])
    messages = " ".join(e.message for e in info.value.errors)
    assert (
        "anchors (&s) are not allowed" in messages
        and "tags (!!str)" in messages
        and "duplicate key" in messages
    )


# ---- the overlay, and the specs given to validate / check / rules -----------------------------------

DEFAULTS = """\
kind: GateDefaults
gate:
  mode: advisory
  on_inconclusive: warn
audit:
  branch: ""
prometheus:
  tenant: payments
slo_defaults:
  window: 28d
  min_events: 500
  recorded: true
"""


def test_the_overlay_sets_what_the_spec_leaves_open(tmp_path: Path) -> None:
    defaults = tmp_path / "defaults.yaml"
    defaults.write_text(DEFAULTS)
    with gate_defaults_file(defaults):
        [loaded] = load_policies([SPECS / "sloth-checkout.yml"])
    policy = loaded.policy
    assert (policy.gate.mode, policy.gate.on_inconclusive, policy.audit.branch) == ("advisory", "warn", "")
    assert policy.prometheus.tenant == "payments"
    assert [(s.window, s.min_events, s.sli.recorded) for s in policy.slos] == [("28d", 500, True)] * 2
    assert loaded.defaults == str(defaults)
    assert loaded.source.startswith("# Imported by `slo-gate import` from ")
    assert f"Gate settings from {defaults}" in loaded.source


def test_a_spec_window_wins_over_the_overlay(tmp_path: Path) -> None:
    defaults = tmp_path / "defaults.yaml"
    defaults.write_text(DEFAULTS)
    with gate_defaults_file(defaults):
        [loaded] = load_policies([SPECS / "pyrra.yaml"])
    assert [s.window for s in loaded.policy.slos] == ["2w", "4w", "28d"]


def test_an_overlay_error_points_at_the_overlay(tmp_path: Path) -> None:
    defaults = tmp_path / "defaults.yaml"
    defaults.write_text("gate:\n  mode: maybe\nslos: []\n")
    with gate_defaults_file(defaults), pytest.raises(PolicyErrors) as info:
        load_policies([SPECS / "sloth-checkout.yml"])
    assert [str(e) for e in info.value.errors] == [
        f"{defaults}:2: gate.mode: must be 'enforce' or 'advisory' (got 'maybe')",
        f"{defaults}:3: slos: unknown key (allowed: apiVersion, kind, paths, prometheus, adjustments, gate, audit, slo_defaults)",
    ]


def test_the_recorded_source_replays_to_the_same_policy() -> None:
    for name in ("sloth-checkout.yml", "openslo-v1.yaml", "pyrra.yaml", "sloth-crds.yaml"):
        for loaded in load_policies([SPECS / name]):
            again = load_policy_bytes(loaded.source.encode("utf-8"), loaded.path)
            assert again.policy == loaded.policy
            assert again.sha256 == loaded.sha256


def test_validate_reads_specs_and_their_folder(tmp_path: Path) -> None:
    folder = tmp_path / "slos"
    folder.mkdir()
    for name in ("sloth-checkout.yml", "pyrra.yaml", "openslo-v1alpha.yaml"):
        shutil.copy(SPECS / name, folder / name)
    (folder / "defaults.yaml").write_text(DEFAULTS)
    result = run_cli("validate", str(folder), "--gate-defaults", str(folder / "defaults.yaml"))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "3 policies valid"
    bad = run_cli("validate", str(SPECS / "sloth-refused.yml"))
    assert bad.exit_code == 2
    assert "sloth-refused.yml:17: slos[1].sli.plugin:" in bad.output


def test_check_and_rules_take_a_spec_with_gate_defaults(
    prometheus: FixturePrometheus, tmp_path: Path
) -> None:
    defaults = tmp_path / "defaults.yaml"
    defaults.write_text("gate: {mode: advisory}\naudit: {branch: ''}\nslo_defaults: {window: 28d}\n")
    args = ["--policy", str(SPECS / "sloth-checkout.yml"), "--gate-defaults", str(defaults)]
    report = run_cli(
        "check", *args, "--prometheus-url", prometheus.url, "--at", str(prometheus.end_time),
        "--risk", "low", "--no-llm", "--format", "json",
    )  # fmt: skip
    assert report.exit_code == 0, report.output
    [service] = json.loads(report.output)["services"]
    assert service["policy"] == str(SPECS / "sloth-checkout.yml")
    assert [(s["name"], s["window"], s["status"]) for s in service["slos"]] == [
        ("requests-availability", "28d", "ok"),
        ("requests-latency", "28d", "ok"),
    ]
    rules = run_cli("rules", *args, env={"SLO_GATE_GATE_DEFAULTS": None})
    assert rules.exit_code == 0 and "slo:sli_error:ratio_rate28d" in rules.output


def test_a_pull_request_reads_the_overlay_from_its_base(tmp_path: Path) -> None:
    """The base's defaults judge the PR: a PR cannot loosen the gate by editing them."""
    from gate.action import base_policies

    work = tmp_path / "repo"
    (work / "slos").mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    shutil.copy(SPECS / "sloth-checkout.yml", work / "slos" / "checkout.yml")
    (work / "slos" / "defaults.yaml").write_text("gate: {mode: enforce}\n")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "base")
    base = git(work, "rev-parse", "HEAD").strip()
    (work / "slos" / "defaults.yaml").write_text("gate: {mode: advisory}\n")  # the PR's own edit
    with gate_defaults_file("slos/defaults.yaml"):
        loaded = base_policies(base, ["slos"], cwd=str(work))
    assert loaded is not None and [p.policy.gate.mode for p in loaded] == ["enforce"]
    assert loaded[0].defaults == "slos/defaults.yaml"
    tree = GitTree(base, str(work))
    assert tree.kind("slos/not-yet.yaml") == "missing"
    with gate_defaults_file("slos/not-yet.yaml"):  # absent at the base: the built-in defaults
        loaded = base_policies(base, ["slos/checkout.yml"], cwd=str(work))
    assert loaded is not None and loaded[0].defaults is None and loaded[0].policy.gate.mode == "enforce"


def test_the_overlay_is_a_policy_file_for_the_risk_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gate.compose import policy_file_paths

    monkeypatch.chdir(tmp_path)
    shutil.copy(SPECS / "pyrra.yaml", tmp_path / "pyrra.yaml")
    Path("defaults.yaml").write_text("gate: {mode: enforce}\n")
    with gate_defaults_file("defaults.yaml"):
        loaded = load_policies(["pyrra.yaml"])
    assert policy_file_paths(loaded) == ("pyrra.yaml", "defaults.yaml")


# ---- slo-gate import -------------------------------------------------------------------------------


def test_import_prints_one_policy() -> None:
    result = run_cli("import", str(SPECS / "sloth-checkout.yml"))
    assert result.exit_code == 0
    assert result.output.startswith("# Imported by `slo-gate import` from ")
    assert "Not carried over: Sloth's labels on generated rules; Sloth's alert names" in result.output
    policy = yaml.safe_load(result.output)
    assert policy["apiVersion"] == "slo-gate/v1" and policy["gate"]["tiers"][0] == {
        "above": 50.0,
        "allow": ["low", "medium", "high"],
    }


def test_import_writes_one_file_per_service(tmp_path: Path) -> None:
    result = run_cli(
        "import",
        str(SPECS / "sloth-crds.yaml"),
        str(SPECS / "openslo-v1.yaml"),
        str(SPECS / "pyrra.yaml"),
        "--out",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "api.yaml",
        "ledger.yaml",
        "payments.yaml",
        "search.yaml",
    ]
    again = run_cli("validate", str(tmp_path))
    assert again.exit_code == 0 and again.output.splitlines()[-1] == "4 policies valid"
    assert "wrote" in result.output and "(service payments, 3 SLOs)" in result.output


def test_import_merges_a_service_spread_over_files(tmp_path: Path) -> None:
    other = tmp_path / "more.yml"
    other.write_text(
        "version: prometheus/v1\nservice: checkout\nslos:\n  - name: cart\n    objective: 99\n    sli:\n"
        "      events:\n        error_query: sum(rate(cart_errors_total[{{.window}}]))\n"
        "        total_query: sum(rate(cart_total[{{.window}}]))\n"
    )
    result = run_cli("import", str(SPECS / "sloth-checkout.yml"), str(other))
    assert result.exit_code == 0, result.output
    assert [s["name"] for s in yaml.safe_load(result.output)["slos"]] == [
        "requests-availability",
        "requests-latency",
        "cart",
    ]
    assert result.output.count("# Imported by `slo-gate import` from") == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sloth-crds.yaml"], "2 policies (services ledger, search): give --out DIR"),
        (["sloth-refused.yml", "pyrra-refused.yaml"], "pyrra-refused.yaml:15: spec.indicator.ratio.grouping"),
        (["../../../policies/checkout.yaml"], "a slo-gate policy needs no import"),
        (["nope.yml"], "nope.yml: no such file"),
    ],
)
def test_import_refuses_with_exit_2(args: list[str], message: str) -> None:
    result = run_cli("import", *(str(SPECS / a) for a in args))
    assert result.exit_code == 2
    assert message in result.output


def test_import_never_overwrites_a_hand_written_policy(tmp_path: Path) -> None:
    (tmp_path / "checkout.yaml").write_text("apiVersion: slo-gate/v1\n# mine\n")
    result = run_cli("import", str(SPECS / "sloth-checkout.yml"), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "checkout.yaml exists and was not written by `slo-gate import`" in result.output
    (tmp_path / "checkout.yaml").unlink()
    assert run_cli("import", str(SPECS / "sloth-checkout.yml"), "--out", str(tmp_path)).exit_code == 0
    assert (
        run_cli("import", str(SPECS / "sloth-checkout.yml"), "--out", str(tmp_path)).exit_code == 0
    )  # its own


# ---- the round trip: import -> rules -> the same alerts ---------------------------------------------

FAST_SLOTH = """\
version: "prometheus/v1"
service: "fast"
slos:
  - name: "availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="r-fast",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="r-fast"}[{{.window}}]))
    alerting:
      name: FastBurn
"""


def test_import_then_rules_gives_the_native_policys_rules(tmp_path: Path) -> None:
    spec = tmp_path / "fast.yml"
    spec.write_text(FAST_SLOTH)
    imported = run_cli("import", str(spec))
    assert imported.exit_code == 0
    (tmp_path / "fast.yaml").write_text(imported.output)
    native = next(p for p in POLICIES if p.policy.service == "fast").policy
    expected = policy_groups(native.model_copy(update={"slos": native.slos[:1]}), RuleOptions())
    for source in (tmp_path / "fast.yaml", spec):  # the imported file, and the spec read directly
        [loaded] = load_policies([source])
        assert policy_groups(loaded.policy, RuleOptions()) == expected


@pytest.mark.slow
def test_the_imported_alerts_fire_when_the_gate_says(
    recorded_prometheus: FixturePrometheus, tmp_path: Path
) -> None:
    """On the backfilled rules data: the alerts of the imported Sloth spec, at the fast burn and after it."""
    from gate.measure import measure_slo

    spec = tmp_path / "fast.yml"
    spec.write_text(FAST_SLOTH)
    [loaded] = load_policies([spec])
    [group] = policy_groups(loaded.policy, RuleOptions())
    alerts = {r.labels["severity"]: r.expr for r in group.rules if r.alert}
    with PrometheusClient(PrometheusSettings(url=recorded_prometheus.url, deadline=300)) as client:
        fired_any = set()
        for hours in (19, 17, 13, 2):
            at = last_evaluation(recorded_prometheus, END_TIME - hours * HOUR)
            slo = measure_slo(loaded.policy.slos[0], client, at, None)
            for severity, expr in alerts.items():
                fired = bool(client.instant(expr, at))
                gate = (
                    slo.alert == "page"
                    if severity == "page"
                    else any(r.startswith("ticket:") for r in slo.alert_reasons)
                )
                assert fired == gate, (hours, severity)
                if fired:
                    fired_any.add(severity)
        assert fired_any == {"page", "ticket"}
