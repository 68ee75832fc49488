"""`slo-gate report` and `slo-gate postmortem` end to end: the real CLI, a real Prometheus backfilled
with a 47-minute incident inside a calendar quarter of known traffic (tests/promfixture/incident.py),
a real git audit branch with deploys before it, and a loopback Messages API and Slack webhook.

Every expected figure is computed here from the generator's exact counts (`increase`), never read
back from slo-gate.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from gate.audit.record import AuditRecord
from gate.audit.sink import GitSink
from gate.times import iso
from tests.promfixture.incident import (
    END_TIME,
    INCIDENT_END,
    INCIDENT_START,
    QUARTER_END,
    QUARTER_START,
    increase,
)
from tests.promfixture.server import FixturePrometheus
from tests.support.audit_records import decision, settlement
from tests.support.cli import run_cli
from tests.support.fake_anthropic import FakeAnthropic, answer
from tests.support.git import git
from tests.support.httpstub import HTTPStub, Reply

pytestmark = pytest.mark.slow  # each test measures a real Prometheus for seconds

POLICIES = Path(__file__).resolve().parent / "data" / "reports"
EB = 0.001
DAY = 86400.0
KEY = "sk-ant-api03-" + "r" * 40
HOSTILE_ACTOR = "<!channel> @here <script>x</script>"


def _t(text: str) -> float:
    from tests.promfixture.incident import _t as parse

    return float(parse(text))


DEPLOY_AT = INCIDENT_START - 8 * 60  # the deploy right before the onset


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clone of a bare remote whose slo-gate-audit branch holds the gate's decisions around the incident."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(remote), str(work))
    (work / "README").write_text("x\n")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "init")
    git(work, "push", "-q", "origin", "main")
    monkeypatch.chdir(work)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    sink = GitSink("slo-gate-audit", cwd=str(work))
    old = decision("d-old", _t("2026-11-03T10:00:00"), risk="medium", event="push")
    records: list[AuditRecord] = [
        old,
        settlement("s-old", old, 0.012, _t("2026-11-04T11:00:00")),
        decision(
            "d-fail", _t("2026-11-10T01:30:00"), outcome="fail", risk="high", event="pull_request", pr=41
        ),
        decision(
            "d-override",
            _t("2026-11-10T02:10:00"),
            risk="high",
            event="push",
            pr=41,
            override={
                "kind": "override",
                "label": "slo-gate/override",
                "honoured": True,
                "actor": HOSTILE_ACTOR,
                "reason": "verified: applied after the last push",
            },
        ),
        decision("d-deploy", DEPLOY_AT, risk="medium", event="push", pr=42),
        decision("d-after", _t("2026-11-10T09:00:00"), risk="low", event="push", pr=43),
    ]
    for record in records:
        sink.append(record)
    return work


def cli(prom: FixturePrometheus, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = run_cli(
        *args,
        "--policy",
        str(POLICIES),
        "--prometheus-url",
        prom.url,
        "--at",
        str(prom.end_time),
        "--audit",
        "git:slo-gate-audit",
        env=env,
    )
    return result.exit_code, result.output


def postmortem(prom: FixturePrometheus, *args: str, **kw: Any) -> dict[str, Any]:
    code, out = cli(prom, "postmortem", "--service", "checkout", "--format", "json", *args, **kw)
    assert code == 0, out
    document: dict[str, Any] = json.loads(out)
    return document


def report(prom: FixturePrometheus, *args: str, **kw: Any) -> dict[str, Any]:
    code, out = cli(prom, "report", "--format", "json", *args, **kw)
    assert code == 0, out
    document: dict[str, Any] = json.loads(out)
    return document


# ---- the independent truth -------------------------------------------------------------------


def bad(start: float, end: float) -> float:
    return increase("checkout", "errors", start, end)


def total(start: float, end: float) -> float:
    return increase("checkout", "total", start, end)


def window_pct(start: float, end: float) -> float:
    return bad(start, end) / (EB * total(end - 30 * DAY, end)) * 100


def quarter_pct(start: float, end: float) -> float:
    projected = total(QUARTER_START, end) * (QUARTER_END - QUARTER_START) / (end - QUARTER_START)
    return bad(start, end) / (EB * projected) * 100


def remaining(job: str, at: float) -> float:
    errors = increase(job, "errors", at - 30 * DAY, at)
    return 1 - errors / increase(job, "total", at - 30 * DAY, at) / EB


# ---- postmortem --------------------------------------------------------------------------------


def test_around_finds_the_47_minute_incident_and_its_cost_in_budget(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    pm = postmortem(incident_prometheus, "--around", iso(INCIDENT_START + 20 * 60), "--no-llm")
    incident = pm["incident"]
    assert abs(incident["start_unix"] - INCIDENT_START) <= 60
    assert abs(incident["end_unix"] - INCIDENT_END) <= 60
    assert 45 <= incident["duration_minutes"] <= 49
    assert incident["peak_burn"] == pytest.approx(0.2 / EB, rel=1e-3)  # 20 % of requests failing
    budget = pm["budget"]
    start, end = incident["start_unix"], incident["end_unix"]
    assert budget["window_pct"] == pytest.approx(window_pct(start, end), abs=0.1)
    assert budget["window_pct"] == pytest.approx(window_pct(INCIDENT_START, INCIDENT_END), abs=0.1)
    assert budget["quarter_pct"] == pytest.approx(quarter_pct(INCIDENT_START, INCIDENT_END), abs=0.1)
    assert budget["remaining_after"] == pytest.approx(remaining("checkout", end) * 100, abs=0.1)
    assert budget["outage_minutes"] == pytest.approx(0.2 * 47, abs=0.5)
    assert pm["postmortem"] == {"required_above": 20.0, "required": True}
    # where: /pay failed 35 % of 4/s and /cart 10 % of 6/s
    shares = {c["value"]: c["share"] for c in pm["where"]["route"]}
    assert shares == pytest.approx({"/pay": 1.4 / 2.0, "/cart": 0.6 / 2.0}, abs=1e-3)


def test_the_correlated_deploy_and_the_override_are_on_the_timeline(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    pm = postmortem(incident_prometheus, "--around", iso(INCIDENT_START + 20 * 60), "--no-llm")
    nearest = [d for d in pm["deploys"] if d["nearest"]]
    assert [d["id"] for d in nearest] == ["d-deploy"]
    assert nearest[0]["minutes_before_onset"] == pytest.approx(8, abs=1)
    assert {d["id"] for d in pm["deploys"]} == {"d-fail", "d-override", "d-deploy"}  # 24 h before to the end
    kinds = [e["kind"] for e in pm["timeline"]]
    assert kinds.index("deploy") < kinds.index("onset") < kinds.index("page") < kinds.index("recovery")
    assert "override" in kinds
    onset = next(e for e in pm["timeline"] if e["kind"] == "onset")
    assert abs(onset["at_unix"] - INCIDENT_START) <= 60


def test_release_capacity_follows_the_policy_tiers_and_expected_costs(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    pm = postmortem(incident_prometheus, "--around", iso(INCIDENT_START + 20 * 60), "--no-llm")
    capacity = pm["release_capacity"]
    end = pm["incident"]["end_unix"]
    lowest = (
        min(remaining("checkout", end), 1 - bad(QUARTER_START, end) / total(QUARTER_START, end) / EB) * 100
    )
    assert capacity["remaining_pct"] == pytest.approx(lowest, abs=0.05)
    assert capacity["tier_above"] == 50  # the default tiers: above 50 % every risk is allowed
    fits = {row["risk"]: row["fits"] for row in capacity["per_risk"]}
    # The policy's expected costs (fewer than 5 settled deploys): 0.5 / 2 / 5 % per deploy.
    expected = {
        risk: math.ceil((lowest - 50) / cost) - 1
        for risk, cost in (("low", 0.5), ("medium", 2.0), ("high", 5.0))
    }
    assert fits == expected


def test_a_given_span_is_measured_as_given(incident_prometheus: FixturePrometheus, workspace: Path) -> None:
    start, end = INCIDENT_START - 600, INCIDENT_END + 600
    pm = postmortem(
        incident_prometheus, "--from", iso(start), "--to", iso(end), "--no-llm", "--slo", "availability"
    )
    assert (pm["incident"]["start_unix"], pm["incident"]["end_unix"]) == (start, end)
    assert pm["budget"]["window_pct"] == pytest.approx(window_pct(start, end), abs=0.1)


def test_the_markdown_draft_has_budget_first_and_empty_sections_for_people(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    code, text = cli(
        incident_prometheus,
        "postmortem",
        "--service",
        "checkout",
        "--around",
        iso(INCIDENT_START + 1200),
        "--no-llm",
    )
    assert code == 0, text
    expected = f"{window_pct(INCIDENT_START, INCIDENT_END):.1f} % of the 30d error budget"
    assert expected in text
    for heading in (
        "## Impact in budget",
        "## Timeline (UTC)",
        "## Where",
        "## What the data shows (facts-only text)",
        "### Root cause",
        "### Action items",
    ):
        assert heading in text
    assert "<!channel>" not in text and "<script>" not in text  # the hostile override actor is inert
    people = text.split("## For people", 1)[1]
    assert "|" not in people  # the sections for people are prompts only


def test_no_incident_near_the_moment_is_a_clear_error(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    code, out = cli(
        incident_prometheus, "postmortem", "--service", "search", "--around", iso(END_TIME - 3600), "--no-llm"
    )
    assert code == 2
    assert "no page or ticket condition held on search" in out


# ---- report ------------------------------------------------------------------------------------


def _service(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in document["services"] if s["service"] == name)


def test_the_report_gives_each_service_its_verdict_and_the_gates_numbers(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    doc = report(incident_prometheus, "--no-llm")
    assert {s["service"]: s["verdict"] for s in doc["services"]} == {
        "search": "healthy",
        "checkout": "watch",
        "billing": "at risk",
        "legacy": "frozen",
    }
    slo = next(s for s in _service(doc, "checkout")["slos"] if s["name"] == "availability")
    assert slo["budget_remaining"] == pytest.approx(remaining("checkout", END_TIME), rel=1e-6)
    assert slo["budget_remaining_24h_ago"] == pytest.approx(remaining("checkout", END_TIME - DAY), rel=1e-6)
    assert slo["budget_remaining_7d_ago"] == pytest.approx(
        remaining("checkout", END_TIME - 7 * DAY), rel=1e-6
    )
    assert set(slo["burn_rates"]) >= {"5m", "1h", "6h", "1d", "3d"} and slo["alert"] == "none"
    assert len(slo["series"]) <= 200 and slo["series"][-1]["budget_remaining"] == pytest.approx(
        slo["budget_remaining"]
    )
    assert doc["period"]["start"] == iso(END_TIME - DAY) and doc["period"]["end"] == iso(END_TIME)


def test_the_reports_incident_costs_what_the_postmortem_says(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    doc = report(incident_prometheus, "--no-llm")
    incidents = [i for i in _service(doc, "checkout")["incidents"] if i["slo"] == "availability"]
    assert len(incidents) == 1
    incident = incidents[0]
    assert (
        abs(incident["start_unix"] - INCIDENT_START) <= 60 and abs(incident["end_unix"] - INCIDENT_END) <= 60
    )
    assert incident["window_pct"] == pytest.approx(window_pct(INCIDENT_START, INCIDENT_END), abs=0.1)
    assert incident["quarter_pct"] == pytest.approx(quarter_pct(INCIDENT_START, INCIDENT_END), abs=0.1)
    assert incident["postmortem_required"] is True
    pm = postmortem(incident_prometheus, "--around", iso(INCIDENT_START + 1200), "--no-llm")
    assert incident["window_pct"] == pytest.approx(pm["budget"]["window_pct"], abs=1e-6)


def test_the_reports_deploys_come_from_the_audit_branch(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    service = _service(report(incident_prometheus, "--no-llm"), "checkout")
    assert [d["id"] for d in service["deploys"]] == ["d-fail", "d-override", "d-deploy", "d-after"]
    assert (service["passed"], service["failed"], service["overridden"]) == (2, 1, 1)
    override = next(d for d in service["deploys"] if d["id"] == "d-override")
    assert override["override_actor"] == HOSTILE_ACTOR  # kept as data; every renderer escapes it
    # The worst SLO's spend over the 24 h: the 30d window's (the quarter so far holds more events).
    spent = window_pct(END_TIME - DAY, END_TIME)
    quarterly = bad(END_TIME - DAY, END_TIME) / (EB * total(QUARTER_START, END_TIME)) * 100
    assert spent > quarterly
    assert service["spent_pct"] == pytest.approx(spent, abs=0.1)
    assert service["deploys_cost_pct"] == 0.0  # none of the period's deploys is settled yet
    assert service["unattributed_pct"] == pytest.approx(spent, abs=0.1)


def test_a_grounded_model_narrative_is_used_and_costed(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    expected = window_pct(INCIDENT_START, INCIDENT_END)
    text = (
        f"legacy is frozen and billing is at risk. The worst incident, on checkout availability, consumed "
        f"{expected:.1f}% of its window's budget in 47 minutes. The gate made 4 decisions. search is healthy. "
        "checkout needs watching."
    )
    with FakeAnthropic(answer({"text": text}, usage=(900, 120))) as fake:
        doc = report(incident_prometheus, env={"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": fake.url})
        request = fake.messages_requests[0]
    narrative = doc["narrative"]
    assert narrative["source"] == "model" and narrative["text"] == text
    assert (narrative["input_tokens"], narrative["output_tokens"]) == (900, 120)
    assert narrative["cost_usd"] == pytest.approx(900 / 1e6 + 120 * 5 / 1e6)
    assert request.body["tool_choice"]["name"] == "write_narrative"
    assert HOSTILE_ACTOR not in request.body["system"]  # untrusted values only inside the data block


def test_a_narrative_that_invents_a_number_gives_way_to_the_facts(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    with FakeAnthropic(answer({"text": "checkout consumed 37.9% of its budget; 12 deploys failed."})) as fake:
        doc = report(incident_prometheus, env={"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": fake.url})
    narrative = doc["narrative"]
    assert narrative["source"] == "facts"
    assert "37.9%" in narrative["note"] and "facts-only" in narrative["note"]
    assert narrative["text"].startswith("Over the 24h")
    code, text = cli(incident_prometheus, "report", "--format", "markdown", "--no-llm")
    assert code == 0 and "narrative: facts-only" in text


def test_the_slack_digest_is_one_message_within_block_kit_limits(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    with HTTPStub(default=Reply.text("ok")) as slack:
        webhook = f"{slack.url}/services/T000/B000/secretpart"
        code, out = cli(
            incident_prometheus,
            "report",
            "--format",
            "slack",
            "--no-llm",
            env={"SLO_GATE_SLACK_WEBHOOK_URL": webhook},
        )
        posted = slack.requests
    assert code == 0, out
    assert "secretpart" not in out
    assert len(posted) == 1 and posted[0].path == "/services/T000/B000/secretpart"
    body = posted[0].json()
    assert len(body["blocks"]) <= 50 and body["blocks"][0]["type"] == "header"
    assert len(body["blocks"][0]["text"]["text"]) <= 150
    assert all(len(b["text"]["text"]) <= 3000 for b in body["blocks"] if b["type"] == "section")
    dumped = json.dumps(body)
    assert "<!channel>" not in dumped and "<!here>" not in dumped
    assert "legacy" in dumped and "frozen" in dumped


def test_slack_without_a_webhook_is_a_usage_error_before_measuring(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    code, out = cli(incident_prometheus, "report", "--format", "slack", "--no-llm")
    assert code == 2 and "SLO_GATE_SLACK_WEBHOOK_URL" in out


@pytest.fixture
def weekly(incident_prometheus: FixturePrometheus, workspace: Path) -> dict[str, Any]:
    return report(incident_prometheus, "--period", "7d", "--no-llm")


def test_a_weekly_report_covers_seven_days_in_at_most_200_points(weekly: dict[str, Any]) -> None:
    assert weekly["period"]["label"] == "7d"
    for service in weekly["services"]:
        for slo in service["slos"]:
            assert len(slo["series"]) <= 200
    assert any(i["slo"] == "availability" for i in _service(weekly, "checkout")["incidents"])


def test_a_service_without_data_is_at_risk_never_healthy(
    incident_prometheus: FixturePrometheus, workspace: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "search.yaml").write_text((POLICIES / "search.yaml").read_text(), encoding="utf-8")
    (folder / "ghost.yaml").write_text(
        (POLICIES / "search.yaml").read_text().replace("search", "ghost"), encoding="utf-8"
    )
    # Valid PromQL offline (Prometheus 3 names it so), unknown to the fixture's Prometheus 2: every query fails.
    broken = (POLICIES / "search.yaml").read_text().replace("service: search", "service: broken")
    broken = broken.replace(
        'sum(rate(http_requests_total{job="search",code=~"5.."}[{{.window}}]))',
        'sum(double_exponential_smoothing(http_requests_total{job="search"}[{{.window}}], 0.5, 0.5))',
    )
    (folder / "broken.yaml").write_text(broken, encoding="utf-8")
    result = run_cli(
        "report", "--policy", str(folder), "--prometheus-url", incident_prometheus.url,
        "--at", str(incident_prometheus.end_time), "--format", "json", "--no-llm",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ghost = _service(json.loads(result.output), "ghost")
    assert ghost["verdict"] == "at risk"
    assert "inconclusive" in ghost["verdict_reasons"][0]
    assert ghost["slos"][0]["budget_remaining"] is None and ghost["incidents"] == []
    assert all(p["budget_remaining"] is None for p in ghost["slos"][0]["series"])
    failing = _service(json.loads(result.output), "broken")
    assert failing["verdict"] == "at risk" and failing["slos"][0]["status"] == "inconclusive"
    assert failing["slos"][0]["series"] == [] and any("could not be read" in n for n in failing["notes"])


def test_the_postmortem_paragraph_may_come_from_the_model_when_grounded(
    incident_prometheus: FixturePrometheus, workspace: Path
) -> None:
    expected = window_pct(INCIDENT_START, INCIDENT_END)
    text = (
        f"Between 03:13 UTC and 04:00 UTC the availability SLO of checkout burned at up to 200.0x and "
        f"consumed {expected:.1f}% of the 30d budget."
    )
    with FakeAnthropic(answer({"text": text})) as fake:
        code, draft = cli(
            incident_prometheus, "postmortem", "--service", "checkout", "--around", iso(INCIDENT_START + 1200),
            env={"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": fake.url},
        )  # fmt: skip
        request = fake.messages_requests[0]
    assert code == 0, draft
    assert "## What the data shows (drafted by claude-haiku-4-5)" in draft
    assert request.body["tool_choice"]["name"] == "write_narrative"
    assert "/pay" not in request.body["system"]  # label values only inside the data block
    people = draft.split("## For people", 1)[1]
    assert text[:40] not in people  # the model drafts nothing for people
