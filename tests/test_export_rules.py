"""`slo-gate rules`: the generator's text (golden files), promtool's verdict on it (`check rules`), its
behaviour under promtool's unit tests (`test rules`: the page alert fires at the minute the counters
say and not one before), and the command's options and output paths.

Golden files: tests/golden/rules-*.yml; after an intended generator change, regenerate with
`SLO_GATE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_export_rules.py` and review the diff.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pytest
import yaml

from gate.budget import ALERT_RULES
from gate.export.command import RulesSettings, render
from gate.export.render import operator_name
from gate.export.rules import RuleOptions, _num, all_groups, slo_group
from gate.models import BURN_WINDOWS
from gate.policy import LoadedPolicy, Policy, parse_duration
from gate.policy_load import load_policies
from tests.conftest import require
from tests.promfixture.scenarios import DAY, SCENARIOS
from tests.promfixture.server import FixturePrometheus, find_binaries
from tests.support.cli import run_cli
from tests.test_golden import check_golden

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"


def promtool() -> str:
    require("promtool", find_binaries)
    return find_binaries().promtool


def loaded() -> list[LoadedPolicy]:
    return load_policies([POLICIES])


def slo_policy(window: object = "30d", objective: float = 99.9, **sli: str) -> Policy:
    return Policy.model_validate(
        {
            "apiVersion": "slo-gate/v1",
            "service": "t",
            "slos": [
                {
                    "name": "avail",
                    "objective": objective,
                    "window": window,
                    "sli": sli
                    or {
                        "error_query": 'sum(rate(http_requests_total{job="t",code="500"}[{{.window}}]))',
                        "total_query": 'sum(rate(http_requests_total{job="t"}[{{.window}}]))',
                    },
                }
            ],
        }
    )


# ---- the text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("rules-policies.yml", RulesSettings((POLICIES,), ())),
        ("rules-policies-sloth.yml", RulesSettings((POLICIES,), (), options=RuleOptions(compat_sloth=True))),
        ("rules-policies-operator.yaml", RulesSettings((POLICIES,), (), output_format="prometheus-operator")),
    ],
    ids=["prometheus", "sloth", "operator"],
)
def test_golden_rule_files(name: str, settings: RulesSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the header names the policies as given: policies/checkout.yaml
    check_golden(name, render(load_policies([Path("policies")]), settings))


def _check(promtool: str, text: str, tmp_path: Path) -> str:
    path = tmp_path / "rules.yml"
    path.write_text(text)
    done = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("compat", [False, True])
def test_promtool_accepts_every_rule_file(tmp_path: Path, compat: bool) -> None:
    tool = promtool()
    options = RuleOptions(compat_sloth=compat, interval="30s", runbook_url="https://runbooks.example/slo")
    out = _check(tool, render(loaded(), RulesSettings((POLICIES,), (), options=options)), tmp_path)
    rules = sum(len(g.rules) for g in all_groups([p.policy for p in loaded()], options))
    assert f"SUCCESS: {rules} rules found" in out


def test_promtool_accepts_the_groups_of_each_prometheus_rule(tmp_path: Path) -> None:
    tool = promtool()
    text = render(loaded(), RulesSettings((POLICIES,), (), output_format="prometheus-operator"))
    documents = list(yaml.safe_load_all(text))
    assert [d["kind"] for d in documents] == ["PrometheusRule"] * 3
    assert [d["metadata"]["name"] for d in documents] == [
        "slo-gate-checkout",
        "slo-gate-payments",
        "slo-gate-search",
    ]
    for document in documents:
        _check(tool, yaml.safe_dump({"groups": document["spec"]["groups"]}), tmp_path)


def test_every_series_carries_the_contract_labels() -> None:
    data = yaml.safe_load(render(loaded(), RulesSettings((POLICIES,), ())))
    for group in data["groups"]:
        for rule in group["rules"]:
            labels = rule["labels"]
            assert {"slo_gate_service", "slo_gate_slo"} <= set(labels), rule
            if str(rule.get("record", "")).startswith("slo:sli_"):
                assert "slo_gate_window" in labels
            if "alert" in rule:
                assert labels["severity"] in ("page", "ticket")
                assert {"summary", "description", "budget_left", "runbook_url"} <= set(rule["annotations"])
    names = {r["record"] for g in data["groups"] for r in g["rules"] if "record" in r}
    assert {f"slo:sli_error:ratio_rate{w}" for w in BURN_WINDOWS} <= names


def test_a_calendar_window_has_burn_alerts_and_no_remaining_budget_rule() -> None:
    group = slo_group("t", slo_policy({"calendar": "month"}).slos[0], RuleOptions())
    records = [r.record for r in group.rules if r.record]
    assert "slo:period_error_budget_remaining:ratio" not in records
    assert not any(r and r.startswith("slo:sli_coverage") for r in records)
    assert "a rule's range is fixed" in group.comment
    assert [r.labels["severity"] for r in group.rules if r.alert] == ["page", "ticket"]


@pytest.mark.parametrize("window", ["30d", "28d", "7d", "1h", "90d"])
def test_thresholds_are_printed_as_the_gate_computes_them(window: str) -> None:
    """The text reads back as the very double the gate compares with."""
    group = slo_group("t", slo_policy(window, objective=99.95).slos[0], RuleOptions())
    alerts = "\n".join(r.expr for r in group.rules if r.alert)
    for rule in ALERT_RULES:
        threshold = rule.threshold(parse_duration(window))
        assert float(_num(threshold)) == threshold
        assert f"> {_num(threshold)})" in alerts
    assert float(_num(1 - 99.95 / 100)) == 1 - 99.95 / 100


@pytest.mark.parametrize("value", [0.1, 14.4, 1 - 0.999, 1e-7, 123456789.125, 3.0, 1 / 3])
def test_numbers_read_back_exactly(value: float) -> None:
    assert float(_num(value)) == value


def test_an_increase_sli_is_recorded_per_second() -> None:
    policy = slo_policy(
        error_query='sum(increase(x_total{code="500"}[{{.window}}]))',
        total_query="sum(increase(x_total[{{.window}}]))",
    )
    group = slo_group("t", policy.slos[0], RuleOptions())
    short = {
        r.record: r.expr for r in group.rules if r.record in ("slo:sli_error:rate5m", "slo:sli_total:rate5m")
    }
    assert all(expr.endswith(" / 300") for expr in short.values())


def test_operator_names_are_kubernetes_names() -> None:
    assert operator_name("Checkout_API.v2") == "slo-gate-checkout-api-v2"
    assert len(operator_name("x" * 63)) <= 63


# ---- promtool test rules: the page fires at the minute the counters say ---------------------------

TOTAL_PER_MINUTE = 1000
ERRORS_PER_MINUTE = 100  # from minute 60: 10% of requests, 100x a 99.9% budget
MINUTES = 200


def _counters(minute: int) -> tuple[float, float]:
    """(errors, requests) counted up to `minute`: what the input series below hold."""
    errors = ERRORS_PER_MINUTE * max(0, minute - 59)
    return float(errors), float(TOTAL_PER_MINUTE * minute + errors)


def _expected(minute: int) -> set[str]:
    """DESIGN §3 for a 30d 99.9% SLO from the counters: a window's ratio is its increase in errors over
    its increase in requests (the series start at 0 at minute 0, inside the longer windows)."""
    budget = 1 - 99.9 / 100

    def burn(window: str) -> float:
        start = max(0, minute - int(parse_duration(window) // 60))
        errors = _counters(minute)[0] - _counters(start)[0]
        total = _counters(minute)[1] - _counters(start)[1]
        return errors / total / budget if total else math.nan

    fired: set[str] = set()
    for rule in ALERT_RULES:
        threshold = rule.threshold(30 * 86400)
        if burn(rule.long_window) > threshold and burn(rule.short_window) > threshold:
            fired.add(rule.severity)
    return fired


def test_promtool_unit_test_page_fires_at_minute_n_and_not_before(tmp_path: Path) -> None:
    tool = promtool()
    group = slo_group("t", slo_policy().slos[0], RuleOptions())
    rules = [{k: v for k, v in r.as_dict().items() if k != "annotations"} for r in group.rules]
    (tmp_path / "rules.yml").write_text(
        yaml.safe_dump({"groups": [{"name": group.name, "interval": "1m", "rules": rules}]})
    )
    first_page = next(m for m in range(MINUTES) if "page" in _expected(m))
    first_ticket = next(m for m in range(MINUTES) if "ticket" in _expected(m))
    assert 60 <= first_ticket < first_page < 70
    checks = sorted({first_ticket - 1, first_ticket, first_page - 1, first_page, first_page + 30})
    labels = {"slo_gate_service": "t", "slo_gate_slo": "avail"}
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {
                        "series": 'http_requests_total{job="t",code="200"}',
                        "values": f"0+{TOTAL_PER_MINUTE}x{MINUTES}",
                    },
                    {
                        "series": 'http_requests_total{job="t",code="500"}',
                        "values": f"0+0x59 {ERRORS_PER_MINUTE}+{ERRORS_PER_MINUTE}x{MINUTES - 60}",
                    },
                ],
                "alert_rule_test": [
                    {
                        "eval_time": f"{m}m",
                        "alertname": "SloGateErrorBudgetBurn",
                        "exp_alerts": [
                            {"exp_labels": {**labels, "severity": s}} for s in sorted(_expected(m))
                        ],
                    }
                    for m in checks
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test))
    done = subprocess.run(
        [tool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_promtool_unit_test_calendar_periods_have_their_own_length(tmp_path: Path) -> None:
    """`slo:time_period:days` at promtool's epoch dates: months of 1970 and the quarters of 1970 and
    leap 1972 (eval times count from 1970-01-01)."""
    tool = promtool()
    rules = []
    for calendar in ("month", "quarter"):
        group = slo_group("t", slo_policy({"calendar": calendar}).slos[0], RuleOptions())
        rules += [
            r.as_dict() | {"labels": {**r.labels, "calendar": calendar}}
            for r in group.rules
            if r.record == "slo:time_period:days"
        ]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "days", "rules": rules}]}))
    cases = {  # day of the epoch: (days in that month, days in that quarter)
        0: (31, 90),  # 1970-01-01
        31: (28, 90),  # 1970-02-01
        95: (30, 91),  # 1970-04-06
        190: (31, 92),  # 1970-07-10
        300: (31, 92),  # 1970-10-28
        730 + 40: (29, 91),  # 1972-02-10, a leap year
    }
    expected = [
        {
            "eval_time": f"{day}d",
            "expr": "slo:time_period:days",
            "exp_samples": [
                {
                    "labels": f'slo:time_period:days{{calendar="{c}",slo_gate_service="t",slo_gate_slo="avail"}}',
                    "value": v,
                }
                for c, v in (("month", month), ("quarter", quarter))
            ],
        }
        for day, (month, quarter) in cases.items()
    ]
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1d",
        "tests": [
            {
                "interval": "1d",
                "input_series": [{"series": "up", "values": "1+0x800"}],
                "promql_expr_test": expected,
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test))
    done = subprocess.run(
        [tool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


# ---- the command ----------------------------------------------------------------------------------


def test_rules_prints_to_stdout_by_default() -> None:
    result = run_cli("rules", "--policy", str(POLICIES / "search.yaml"))
    assert result.exit_code == 0
    assert result.output.startswith("# Generated by slo-gate")
    assert yaml.safe_load(result.output)["groups"][0]["name"] == "slo-gate:search:availability"


def test_rules_writes_one_file_per_service_into_a_folder(tmp_path: Path) -> None:
    out = tmp_path / "rules"
    out.mkdir()
    result = run_cli(
        "rules", "--policy", str(POLICIES), "--out", f"{out}/", "--format", "prometheus-operator"
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "checkout.prometheusrule.yaml",
        "payments.prometheusrule.yaml",
        "search.prometheusrule.yaml",
    ]
    assert "3 policies, 5 SLOs" in result.output


def test_rules_writes_one_file(tmp_path: Path) -> None:
    out = tmp_path / "all.rules.yml"
    result = run_cli("rules", "--policy", str(POLICIES), "--out", str(out), "--compat", "sloth")
    assert result.exit_code == 0, result.output
    assert "sloth_service: checkout" in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "/no/such/folder/"], "the folder does not exist"),
        (["--out", "/no/such/folder/x.yml"], "does not exist"),
        (["--interval", "2h"], "--interval: between 1s and 1h"),
        (["--interval", "soon"], "--interval:"),
        (["--runbook-url", "javascript:alert(1)"], "--runbook-url: an http(s) URL"),
        (["--format", "json"], "Invalid value for '--format'"),
    ],
)
def test_bad_options_are_refused_before_any_work(args: list[str], message: str) -> None:
    result = run_cli("rules", "--policy", str(POLICIES), *args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_broken_policy_is_a_policy_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: slo-gate/v1\nservice: x\nslos: []\n")
    result = run_cli("rules", "--policy", str(bad))
    assert result.exit_code == 2
    assert "bad.yaml:3: slos: needs at least 1 item" in result.output


def test_service_narrows_the_rules() -> None:
    result = run_cli("rules", "--policy", str(POLICIES), "--service", "payments")
    names = [g["name"] for g in yaml.safe_load(result.output)["groups"]]
    assert names == ["slo-gate:payments:availability", "slo-gate:payments:availability-30d"]


# ---- the SLO window: a ratio of sums, not Sloth's average of ratios --------------------------------


@pytest.mark.slow
def test_the_window_is_a_ratio_of_sums_not_an_average_of_ratios(prometheus: FixturePrometheus) -> None:
    """On the uneven-traffic scenario (days 100 req/s at 0.01 %, nights 1 req/s at 5 %): the exported SLO
    window sums the 5m error and event rates (here as a subquery at 5m steps, over the gate's own data)
    and lands on the gate's ratio of sums; averaging the 5m ratios, Sloth's default, is ~42x off."""
    policy = slo_policy(
        error_query='sum(rate(http_requests_total{job="uneven",code=~"5.."}[{{.window}}]))',
        total_query='sum(rate(http_requests_total{job="uneven"}[{{.window}}]))',
    )
    group = slo_group("uneven", policy.slos[0], RuleOptions())
    exprs = {r.record: r.expr for r in group.rules if r.record}
    errors, events = exprs["slo:sli_error:rate5m"], exprs["slo:sli_total:rate5m"]
    ours = prometheus.query_value(f"sum_over_time(({errors})[30d:5m]) / sum_over_time(({events})[30d:5m])")
    averaged = prometheus.query_value(f"avg_over_time(({errors} / {events})[30d:5m])")
    truth = SCENARIOS["uneven"].error_ratio(30 * DAY)
    assert ours == pytest.approx(truth, rel=1e-3)
    assert averaged == pytest.approx(SCENARIOS["uneven"].documented["average_of_hourly_ratios_30d"], rel=1e-2)
    assert averaged / truth > 40
