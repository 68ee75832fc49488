"""Reading the audit log: --since, `audit log` rows and formats, and `audit report` numbers on hand-built
records with known costs."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from gate.audit.chain import seal
from gate.audit.history import LogFilter, LogRow, csv_cell, log_rows, render_log
from gate.audit.record import parse_record
from gate.audit.spending import AuditReport, build_report, render_report, span_text
from gate.times import iso, parse_since
from tests.support.audit_records import chain, decision, settlement

DAY = 86400.0
HOUR = 3600.0
T0 = datetime(2026, 9, 1, tzinfo=UTC).timestamp()
NOW = T0 + 10 * DAY


def ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


# ---- parse_since ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", NOW - 90 * DAY),
        ("12h", NOW - 12 * HOUR),
        ("30m", NOW - 30 * 60),
        ("2w", NOW - 14 * DAY),
        (" 1d ", NOW - DAY),
        ("2026-08-01", ts("2026-08-01T00:00:00+00:00")),
        ("2026-08-01T12:30:00Z", ts("2026-08-01T12:30:00+00:00")),
        ("2026-08-01T12:30", ts("2026-08-01T12:30:00+00:00")),  # no zone: UTC
        ("2026-08-01T14:30:00+02:00", ts("2026-08-01T12:30:00+00:00")),
    ],
)
def test_parse_since(text: str, expected: float) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize(
    "text", ["", "90", "d", "1y", "-5d", "0d", "1.5h", "yesterday", "2026-13-01", "90 d"]
)
def test_parse_since_rejects_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match=r"since .*(90d|positive)"):
        parse_since(text, NOW)


# ---- hand-built log -------------------------------------------------------------------------------


OVERRIDE = {
    "kind": "override",
    "label": "slo-gate/override",
    "honoured": True,
    "actor": "alice",
    "reason": "ok",
}
REFUSED = {
    "kind": "override",
    "label": "slo-gate/override",
    "honoured": False,
    "actor": None,
    "reason": "author",
}
FIX = {"kind": "fix", "label": "slo-gate/fix", "honoured": True, "actor": "bob", "reason": "verified"}

OLD = decision("old", T0 - DAY)
D1 = decision("d1", T0)
D2 = decision("d2", T0 + HOUR)  # within 24 h of d1: their settlement windows overlap
F1 = decision("f1", T0 + 2 * DAY, outcome="fail", event="pull_request", pr=41, risk="high")
D3 = decision("d3", T0 + 3 * DAY, outcome="warn", risk="medium")
P1 = decision("p1", T0 + 4 * DAY, event="pull_request", pr=42, risk="high", override=OVERRIDE)
R1 = decision("r1", T0 + 4 * DAY + HOUR, outcome="fail", event="pull_request", pr=42, override=REFUSED)
D5 = decision("d5", T0 + 6 * DAY, risk="high")  # not settled
D6 = decision("d6", T0 + 7 * DAY)  # settled without a measurable cost
I1 = decision("i1", T0 + 8 * DAY, outcome="inconclusive", event="schedule")
LATER = decision("later", NOW + HOUR)
Q1 = decision("q1", T0 + 2 * DAY, service="payments", risk="medium", fix=FIX, event="workflow_dispatch")

CHECKOUT = chain(
    [
        OLD,
        settlement("s-old", OLD, 0.5, T0),
        D1,
        D2,
        settlement("s1", D1, 0.01, T0 + DAY + HOUR),
        settlement("s2", D2, 0.03, T0 + DAY + 2 * HOUR),
        F1,
        D3,
        P1,
        R1,
        settlement("s3", D3, 0.02, T0 + 4 * DAY + 2 * HOUR),
        settlement("s3-again", D3, 0.9, T0 + 4 * DAY + 3 * HOUR),  # a raced second settle run
        D5,
        D6,
        settlement("s6", D6, None, T0 + 8 * DAY),
        I1,
        LATER,
    ]
)
PAYMENTS = chain([Q1, settlement("sq1", Q1, 0.05, T0 + 3 * DAY)])
RECORDS = CHECKOUT + PAYMENTS


def ids(rows: Sequence[LogRow]) -> list[str]:
    return [r.id for r in rows]


def test_log_rows_interleave_services_by_time() -> None:
    rows = log_rows(RECORDS, LogFilter())
    assert len(rows) == len(RECORDS)
    assert ids(rows)[:6] == ["old", "s-old", "d1", "d2", "s1", "s2"]
    assert ids(rows).index("q1") == ids(rows).index("f1") + 1  # same second: checkout, then payments
    d1 = rows[2]
    assert (d1.seq, d1.hash, d1.kind, d1.service, d1.time) == (
        3,
        CHECKOUT[2].hash,
        "decision",
        "checkout",
        iso(T0),
    )
    assert (d1.risk, d1.category, d1.decision, d1.cost) == ("low", "code", "pass", None)
    assert d1.reasons == D1.decision.reasons[0].message


def test_settlement_rows_show_their_deploy() -> None:
    [s3] = [r for r in log_rows(RECORDS) if r.id == "s3"]
    assert (s3.kind, s3.cost, s3.risk, s3.event, s3.head_sha, s3.decision) == (
        "settlement",
        0.02,
        "medium",
        "push",
        D3.run.head_sha,
        None,
    )
    [s6] = [r for r in log_rows(RECORDS) if r.id == "s6"]
    assert (s6.cost, s6.reasons) == (None, "availability: no traffic in the 24 h after the deploy")


def test_overrides_in_rows_only_when_honoured() -> None:
    rows = {r.id: r for r in log_rows(RECORDS)}
    assert rows["p1"].override == "slo-gate/override by alice"
    assert rows["q1"].override == "slo-gate/fix by bob"
    assert rows["r1"].override == ""


def test_log_filters() -> None:
    assert ids(log_rows(RECORDS, LogFilter(service="payments"))) == ["q1", "sq1"]
    since = ids(log_rows(RECORDS, LogFilter(since=T0 + 7 * DAY)))
    assert since == ["d6", "s6", "i1", "later"]
    assert ids(log_rows(RECORDS, LogFilter(decision="fail"))) == ["f1", "r1"]
    assert ids(log_rows(RECORDS, LogFilter(pr=42))) == ["p1", "r1"]
    both = LogFilter(service="checkout", decision="pass", since=T0 + 3 * DAY)
    assert ids(log_rows(RECORDS, both)) == ["p1", "d5", "d6", "later"]
    assert log_rows(RECORDS, LogFilter(service="nobody")) == []
    with pytest.raises(ValueError, match="'passed' is not one of pass, warn, fail, inconclusive"):
        LogFilter(decision="passed")


def test_text_log_is_an_aligned_table() -> None:
    rows = log_rows(RECORDS, LogFilter(service="checkout", pr=42))
    lines = render_log(rows, "text").splitlines()
    assert lines[0].split() == [
        "seq",
        "hash",
        "time",
        "service",
        "kind",
        "event",
        "pr",
        "sha",
        "risk",
        "category",
        "decision",
        "cost",
        "override",
        "reason",
    ]
    assert len(lines) == 3
    first = lines[1]
    assert first.split()[:8] == [
        "9",
        str(CHECKOUT[8].hash)[:12],
        iso(T0 + 4 * DAY),
        "checkout",
        "decision",
        "pull_request",
        "#42",
        "0123456",
    ]
    column = lines[0].index("decision")
    assert lines[1][column:].startswith("pass") and lines[2][column:].startswith("fail")
    assert render_log([], "text") == "no audit records match\n"
    with pytest.raises(ValueError, match="'yaml' is not one of text, json, csv"):
        render_log(rows, "yaml")


def test_json_log_round_trips_with_full_hashes() -> None:
    rows = log_rows(RECORDS)
    data = json.loads(render_log(rows, "json"))
    assert [LogRow.model_validate(item) for item in data] == rows
    assert data[0]["hash"] == CHECKOUT[0].hash and len(data[0]["hash"]) == 64


HOSTILE = decision(
    "evil",
    T0,
    reason='=HYPERLINK("http://x","ok")\nforged: line\x1b[31m',
    override={
        "kind": "override",
        "label": "+cmd|' /C calc'!A0",
        "honoured": True,
        "actor": "@mallory",
        "reason": "",
    },
)


def test_csv_has_a_header_guards_formulas_and_drops_control_characters() -> None:
    rows = log_rows([*CHECKOUT[:3], parse_record(seal(HOSTILE.body(), 4, str(CHECKOUT[2].hash)))])
    text = render_log(rows, "csv")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == list(LogRow.model_fields)
    assert len(parsed) == 1 + len(rows)
    evil = dict(zip(parsed[0], parsed[-1], strict=True))
    assert evil["reasons"].startswith("'=HYPERLINK(")
    assert "\n" not in evil["reasons"] and "\x1b" not in evil["reasons"]
    assert evil["reasons"].endswith("\\nforged: line\\x1b[31m")
    assert evil["override"] == "'+cmd|' /C calc'!A0 by @mallory"
    assert evil["hash"] == rows[-1].hash  # full hash
    assert dict(zip(parsed[0], parsed[1], strict=True))["cost"] == ""
    assert [csv_cell(v) for v in ("-1+1", "@SUM(A1)", "\t=1", "plain", 0.02, None)] == [
        "'-1+1",
        "'@SUM(A1)",
        "\\t=1",
        "plain",
        "0.02",
        "",
    ]
    # No raw control character anywhere in the file but the row separators.
    assert not any(ch < " " for ch in text.replace("\n", ""))


# ---- report ---------------------------------------------------------------------------------------


def report(**spend: float) -> AuditReport:
    return build_report(RECORDS, T0, NOW, measured_spend=spend or None)


def test_report_counts_costs_and_medians() -> None:
    checkout, payments = report().services
    assert checkout.service == "checkout"
    # In range: d1 d2 f1 d3 p1 r1 d5 d6 i1 (old is before, later after).
    assert checkout.decisions == {"pass": 5, "warn": 1, "fail": 2, "inconclusive": 1}
    assert checkout.deploys == 5  # d1 d2 d3 d5 d6: PR checks, fails and inconclusive are not deploys
    assert (checkout.settled, checkout.unmeasured) == (3, 1)
    assert checkout.total_cost == pytest.approx(0.06)  # s3's raced duplicate (0.9) does not count
    by_risk = {s.risk: s for s in checkout.by_risk}
    assert list(by_risk) == ["low", "medium", "high"]
    low, medium, high = by_risk["low"], by_risk["medium"], by_risk["high"]
    assert (low.deploys, low.settled) == (3, 2)
    assert low.median_cost == pytest.approx(0.02) and low.total_cost == pytest.approx(0.04)
    assert (medium.deploys, medium.settled, medium.median_cost, medium.total_cost) == (1, 1, 0.02, 0.02)
    assert (high.deploys, high.settled, high.median_cost, high.total_cost) == (1, 0, None, 0.0)
    assert [(o.kind, o.label, o.actor, o.pr, o.id, o.time) for o in checkout.overrides] == [
        ("override", "slo-gate/override", "alice", 42, "p1", iso(T0 + 4 * DAY))
    ]
    assert checkout.overlapping == 2
    assert len(checkout.notes) == 1 and "within 24 h" in checkout.notes[0]
    assert (checkout.spent, checkout.unattributed) == (None, None)
    assert payments.deploys == 1 and payments.total_cost == 0.05 and payments.notes == []
    assert [(o.kind, o.actor) for o in payments.overrides] == [("fix", "bob")]


def test_report_spend_not_attributable_to_any_deploy() -> None:
    services = {s.service: s for s in report(checkout=0.10, payments=0.01, search=0.2).services}
    assert services["checkout"].spent == 0.10
    assert services["checkout"].unattributed == pytest.approx(0.04)
    assert services["payments"].unattributed == 0.0  # settled costs exceed the spend: never negative
    search = services["search"]  # measured, but no decision in the period: all of it unattributed
    assert (search.deploys, search.unattributed, search.decisions["pass"]) == (0, 0.2, 0)


def test_overlap_needs_two_settled_deploys_within_a_day() -> None:
    apart = chain([D1, settlement("s1", D1, 0.01, T0 + DAY), decision("d9", T0 + DAY + 1), D2])
    [service] = build_report(apart, T0, NOW).services
    assert service.overlapping == 0  # d2 overlaps d1 but is not settled; d9 is a day and a second later


def test_report_json_round_trips() -> None:
    original = report(checkout=0.1)
    text = render_report(original, "json")
    assert AuditReport.model_validate_json(text) == original
    data = json.loads(text)
    assert (data["since"], data["until"]) == (iso(T0), iso(NOW))
    assert data["services"][0]["unattributed"] == pytest.approx(0.04)


def test_text_report() -> None:
    text = render_report(report(checkout=0.1), "text")
    # the log starts a day before the period (OLD): the whole period is covered
    assert text.startswith(
        f"slo-gate audit report\nperiod {iso(T0)} → {iso(NOW)} (10 d); "
        f"records from {iso(T0 - DAY)} (all 10 d covered)\n"
    )
    assert "  9 decisions (pass 5, warn 1, fail 2, inconclusive 1)" in text
    assert "  5 deploys, 3 settled, measured cost 6.00% (1 settled without a measurable cost)" in text
    spent = f"budget spent over {iso(T0)} → {iso(NOW)} (10 d, measured): 10.00%"
    assert f"  {spent}; not attributable to any deploy 4.00%" in text
    # payments' own records start later than the log's
    assert f"payments\n  records from {iso(T0 + 2 * DAY)} (8 d of data)\n" in text
    assert "override slo-gate/override by alice PR #42 (pass, p1)" in text
    assert "note: 2 settled deploys were within 24 h of another" in text
    assert render_report(build_report([], T0, NOW), "text").endswith("no decisions in this period\n")
    with pytest.raises(ValueError, match="'csv' is not one of text, json, markdown"):
        render_report(report(), "csv")


def test_markdown_report_escapes_untrusted_text() -> None:
    sneaky = decision(
        "m1",
        T0,
        override={
            "kind": "override",
            "label": "*[click](http://evil)*",
            "honoured": True,
            "actor": "@team",
            "reason": "",
        },
    )
    text = render_report(build_report(chain([sneaky]), T0, NOW), "markdown")
    assert "### checkout" in text
    assert "| low | 1 | 0 | — | 0.00% |" in text
    assert "\\*\\[click\\]\\(http:\u200b//evil\\)\\*" in text
    assert "@\u200bteam" in text
    assert "@team" not in text


def test_a_report_states_its_period_and_how_much_of_it_the_log_holds() -> None:
    """--since 90d over a log that holds 3 days: the report says so, and over which span the spend was
    measured (it used to print only "budget spent over the period 956.00%")."""
    now = NOW
    since = now - 90 * DAY
    first = decision("n1", now - 3 * DAY)
    records = chain([first, settlement("ns1", first, 0.02, now - 2 * DAY), decision("n2", now - DAY)])
    built = build_report(records, since, now, measured_spend={"checkout": 9.56})
    assert (built.days, built.records_from, built.data_days) == (90.0, iso(now - 3 * DAY), 3.0)
    [checkout] = built.services
    assert (checkout.spent_since, checkout.spent_until) == (iso(since), iso(now))
    assert (checkout.records_from, checkout.data_days) == (iso(now - 3 * DAY), 3.0)

    text = render_report(built, "text")
    assert (
        f"period {iso(since)} → {iso(now)} (90 d); records from {iso(now - 3 * DAY)} (3 d of data)\n" in text
    )
    assert f"budget spent over {iso(since)} → {iso(now)} (90 d, measured): 956.00%" in text
    assert (
        f"note: the spend was measured over 90 d but this service's audit records start at "
        f"{iso(now - 3 * DAY)} (3 d of data)" in text
    )
    markdown = render_report(built, "markdown")
    assert (
        f"period {iso(since)} → {iso(now)} (90 d); records from {iso(now - 3 * DAY)} (3 d of data)"
        in markdown
    )
    assert f"- budget spent over {iso(since)} → {iso(now)} (90 d, measured): 956.00%" in markdown
    data = json.loads(render_report(built, "json"))
    assert (data["days"], data["data_days"], data["records_from"]) == (90.0, 3.0, iso(now - 3 * DAY))

    empty = render_report(build_report([], since, now), "text")
    assert f"period {iso(since)} → {iso(now)} (90 d); no audit records in it\n" in empty


@pytest.mark.parametrize(
    ("days", "text"), [(90.0, "90 d"), (2.5, "2.5 d"), (1.0, "1 d"), (0.75, "18 h"), (0.02, "29 min")]
)
def test_span_text(days: float, text: str) -> None:
    assert span_text(days) == text
