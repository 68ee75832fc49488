"""Typed audit records: the format-1 compatibility chain (tests/data/audit) read, replayed, reported and
extended by today's code; records rebuilt byte for byte from the same inputs; and lines this gate does
not read (newer kinds and formats, hand-made records with a valid hash) warned about, never a traceback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from gate.audit import builder
from gate.audit.builder import decision_record, settlement_record
from gate.audit.chain import GENESIS, canonical, seal, verify_lines
from gate.audit.costs import expected_cost
from gate.audit.record import (
    DecisionRecord,
    RunContext,
    SettlementRecord,
    UnknownRecord,
    idempotency_key,
    parse_record,
)
from gate.audit.recorder import read_records
from gate.audit.sink import FileSink
from gate.cli import main
from gate.errors import AuditError
from gate.models import GateRun
from gate.policy_load import load_policy_bytes
from gate.times import iso, parse_iso
from tests.promfixture.server import FixturePrometheus
from tests.support.audit_fixture import ONE_LINE
from tests.support.audit_records import decision, sealed, settlement

DATA = Path(__file__).resolve().parent / "data" / "audit"
CHAIN = DATA / "chain-v1.jsonl"
LINES = CHAIN.read_text("utf-8").removesuffix("\n").split("\n")
INPUTS: list[dict[str, Any]] = json.loads((DATA / "chain-v1.inputs.json").read_text("utf-8"))
STORED = [json.loads(line) for line in LINES]
DECISION_IDS = [r["id"] for r in STORED if r["kind"] == "decision"]
END = 1_792_497_600.0  # the fixture Prometheus' end time, when the chain was made


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    path = tmp_path / "audit.jsonl"
    shutil.copyfile(CHAIN, path)
    return path


# ---- the compatibility chain, read by today's code --------------------------------------------------


def test_the_fixture_holds_what_its_readme_says() -> None:
    outcomes = [(r["service"], r["decision"]["outcome"]) for r in STORED if r["kind"] == "decision"]
    assert outcomes == [
        ("payments", "pass"),
        ("payments", "fail"),
        ("payments", "pass"),
        ("payments", "warn"),
        ("cron", "inconclusive"),
        ("ledger", "warn"),
        ("checkout", "pass"),
        ("search", "pass"),
    ]
    assert STORED[1]["override"]["honoured"] is False and STORED[2]["override"]["honoured"] is True
    assert STORED[6]["change"]["llm"]["review"]["input_tokens"] == 1834
    assert STORED[8]["kind"] == "settlement" and STORED[8]["deploy_id"] == STORED[0]["id"]
    assert {r["format"] for r in STORED} == {1}


def test_every_line_reads_as_its_typed_record_and_dumps_to_the_same_bytes() -> None:
    records = [parse_record(item) for item in STORED]
    assert [type(r) for r in records] == [DecisionRecord] * 8 + [SettlementRecord]
    assert [canonical(r.stored()) for r in records] == LINES


def test_decision_records_rebuilt_from_the_same_inputs_are_byte_identical(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decisions = [r for r in STORED if r["kind"] == "decision"]
    assert len(INPUTS) == len(decisions)
    for given, stored in zip(INPUTS, decisions, strict=True):
        monkeypatch.setattr(builder, "__version__", stored["gate_version"])
        gate_run = GateRun.model_validate(given["run"])
        loaded = load_policy_bytes(given["policy"]["text"].encode("utf-8"), given["policy"]["path"])
        if given["policy"]["mode"]:
            loaded = loaded.with_mode(given["policy"]["mode"])
        record = decision_record(
            gate_run,
            gate_run.services[0],
            loaded,
            RunContext.model_validate(given["context"]),
            record_id=given["id"],
            recorded_at=given["recorded_at"],
        )
        assert canonical(seal(record.body(), stored["seq"], stored["prev_hash"])) == canonical(stored)


def test_the_settlement_rebuilt_from_its_inputs_is_byte_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = STORED[8]
    monkeypatch.setattr(builder, "__version__", stored["gate_version"])
    deploy = parse_record(STORED[0])
    done = parse_record(stored)
    assert isinstance(deploy, DecisionRecord) and isinstance(done, SettlementRecord)
    rebuilt = settlement_record(
        deploy,
        done.slos,
        record_id=done.id,
        recorded_at=parse_iso(done.recorded_at),
        window_start=parse_iso(done.window.start),
        window_end=parse_iso(done.window.end),
        metrics_source=done.metrics_source,
    )
    assert canonical(seal(rebuilt.body(), 9, stored["prev_hash"])) == LINES[8]


def test_audit_verify_passes_on_the_fixture() -> None:
    result = run("audit", "verify", "--file", str(CHAIN), "--checkpoint", f"9:{STORED[8]['hash']}")
    assert result.exit_code == 0, result.output
    assert result.output == f"ok   {CHAIN}: 9 records, head {STORED[8]['hash']}\n"


@pytest.mark.parametrize("record_id", DECISION_IDS)
def test_audit_replay_reaches_the_same_verdict(record_id: str) -> None:
    stored = next(r for r in STORED if r["id"] == record_id)
    result = run("audit", "replay", "--file", str(CHAIN), record_id)
    assert result.exit_code == 0, result.output
    outcome = stored["decision"]["outcome"]
    assert result.output == (
        f"same verdict: {stored['service']} {record_id} was {outcome}, replayed {outcome}\n"
    )


def test_audit_log_reads_the_fixture() -> None:
    result = run("audit", "log", "--file", str(CHAIN), "--format", "json")
    assert result.exit_code == 0 and result.stderr == ""
    rows = json.loads(result.stdout)
    assert [(r["seq"], r["hash"], r["kind"]) for r in rows] == [
        (r["seq"], r["hash"], r["kind"]) for r in STORED
    ]
    assert rows[2]["override"] == "slo-gate/override by alice"
    assert rows[7]["override"] == "slo-gate/fix by bob"
    assert (rows[8]["cost"], rows[8]["risk"], rows[8]["head_sha"]) == (
        STORED[8]["cost"],
        "low",
        STORED[0]["run"]["head_sha"],
    )
    failed = run("audit", "log", "--file", str(CHAIN), "--decision", "fail", "--pr", "42")
    assert [line.split()[0] for line in failed.output.splitlines()[1:]] == ["2"]


def test_audit_report_reads_the_fixture() -> None:
    result = run(
        "audit", "report", "--file", str(CHAIN), "--since", "30d", "--at", iso(END), "--format", "json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    services = {s["service"]: s for s in report["services"]}
    assert sorted(services) == ["checkout", "cron", "ledger", "payments", "search"]
    payments = services["payments"]
    assert payments["decisions"] == {"pass": 2, "warn": 1, "fail": 1, "inconclusive": 0}
    # the advisory warn would have failed and the PR checks are not deploys: one deploy, settled
    assert (payments["deploys"], payments["settled"], payments["total_cost"]) == (1, 1, STORED[8]["cost"])
    assert [(o["kind"], o["actor"]) for o in payments["overrides"]] == [("override", "alice")]
    assert (report["records_from"], report["data_days"], report["days"]) == (
        STORED[0]["evaluated_at"],
        2.0,
        30.0,
    )


def test_todays_gate_appends_to_the_fixture_and_it_still_verifies(
    prometheus: FixturePrometheus, copy: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "payments.yaml"
    policy.write_text(INPUTS[0]["policy"]["text"], encoding="utf-8")
    (tmp_path / "change.diff").write_text(ONE_LINE.format(svc="payments"), encoding="utf-8")
    checked = run(
        "check", "--policy", str(policy), "--prometheus-url", prometheus.url, "--at", str(prometheus.end_time),
        "--diff", str(tmp_path / "change.diff"), "--no-llm", "--audit", f"file:{copy}", "--format", "json",
    )  # fmt: skip
    assert checked.exit_code == 0, checked.output
    [entry] = json.loads(checked.stdout)["audit"]
    assert (entry["seq"], entry["created"]) == (10, True)
    lines = copy.read_text("utf-8").removesuffix("\n").split("\n")
    assert lines[:9] == LINES  # appended, nothing rewritten
    report = verify_lines(str(copy), lines)
    assert (report.ok, report.count) == (True, 10)
    assert report.records[9]["prev_hash"] == STORED[8]["hash"]

    verified = run("audit", "verify", "--file", str(copy), "--checkpoint", f"9:{STORED[8]['hash']}")
    assert verified.exit_code == 0 and "10 records" in verified.output
    replayed = run("audit", "replay", "--file", str(copy), entry["id"])
    assert replayed.output.startswith(f"same verdict: payments {entry['id']} was pass")


def test_a_sink_appends_typed_records_to_the_fixture(copy: Path) -> None:
    deploy = parse_record(STORED[0])
    assert isinstance(deploy, DecisionRecord)
    repeat = FileSink(copy).append(deploy)  # the same run key: already recorded, nothing written
    assert (repeat.created, repeat.record.seq) == (False, 1)
    again = FileSink(copy).append(parse_record(STORED[8]))  # the same deploy settled again: skipped
    assert (again.created, again.record.seq) == (False, 9)
    local = deploy.model_copy(update={"id": "local-1", "run_key": None})  # no run key: always appended
    fresh = FileSink(copy).append(local)
    assert fresh.created and fresh.record.seq == 10 and isinstance(fresh.record, DecisionRecord)
    records = read_records(FileSink(copy))
    assert [r.seq for r in records] == list(range(1, 11))
    assert canonical(records[9].stored()) == canonical(fresh.record.stored())
    assert verify_lines(str(copy), copy.read_text("utf-8").removesuffix("\n").split("\n")).ok


# ---- parse_record: what this gate does not read -----------------------------------------------------


def with_fields(index: int, **fields: Any) -> dict[str, Any]:
    return {**STORED[index], **fields}


@pytest.mark.parametrize(
    ("data", "why", "problem"),
    [
        (with_fields(0, kind="incident"), "kind", "kind 'incident' is not one this slo-gate reads"),
        ({"seq": 3}, "kind", "kind none is not one this slo-gate reads"),
        (with_fields(0, kind=["decision"]), "kind", "kind ['decision'] is not one"),
        (
            with_fields(0, format=2),
            "format",
            "decision record format 2: this slo-gate reads format 1 (a newer",
        ),
        (
            with_fields(8, format=7),
            "format",
            "settlement record format 7: this slo-gate reads format 1 (a newer",
        ),
        (with_fields(0, format="1"), "invalid", "decision record format '1': this slo-gate reads format 1"),
        (with_fields(0, format=True), "invalid", "decision record format True"),
        (with_fields(0, format=None), "invalid", "decision record format None"),
        (with_fields(0, surprise=1), "invalid", "not a valid decision record: surprise: Extra inputs"),
        (with_fields(0, run="x"), "invalid", "not a valid decision record: run: Input should be"),
        (
            with_fields(0, evaluated_at_unix=1e300),
            "invalid",
            "evaluated_at_unix: Value error, time: 1e+300 is",
        ),
        (
            with_fields(8, recorded_at="yesterday"),
            "invalid",
            "recorded_at: Value error, not an RFC 3339 time",
        ),
        (with_fields(8, cost="abc"), "invalid", "not a valid settlement record: cost: Input should be"),
        (with_fields(0, decision={"outcome": "bogus"}), "invalid", "decision.outcome: Input should be"),
    ],
)
def test_what_this_gate_does_not_read_is_an_unknown_record(
    data: dict[str, Any], why: str, problem: str
) -> None:
    record = parse_record(data)
    assert isinstance(record, UnknownRecord)
    assert record.why == why
    assert record.problem.startswith(problem) or problem in record.problem, record.problem
    assert record.data == data and record.stored() == data
    assert len(record.problem) <= 300


def test_an_unknown_record_keeps_what_it_can_tell() -> None:
    record = parse_record(with_fields(0, kind="incident"))
    assert isinstance(record, UnknownRecord)
    assert (record.id, record.service, record.seq, record.hash) == (
        STORED[0]["id"],
        "payments",
        1,
        STORED[0]["hash"],
    )
    assert record.at == parse_iso(STORED[0]["recorded_at"])
    garbage = parse_record({"kind": "x", "seq": True, "id": 5, "recorded_at": "never"})
    assert isinstance(garbage, UnknownRecord)
    assert (garbage.seq, garbage.id, garbage.at) == (None, None, None)


def test_a_validation_problem_never_echoes_the_input() -> None:
    planted = "=HYPERLINK(evil)\x1b[31m" * 50
    record = parse_record(with_fields(0, decision={"outcome": planted}))
    assert isinstance(record, UnknownRecord) and "HYPERLINK" not in record.problem


def test_keys_the_writer_omits_stay_omitted() -> None:
    checkout = parse_record(STORED[6])
    assert isinstance(checkout, DecisionRecord)
    rules = checkout.change.assessments[0].model_dump(mode="json")
    assert rules["source"] == "rules" and "model" not in rules and "cost_usd" not in rules
    model = next(a for a in checkout.change.assessments if a.source == "llm").model_dump(mode="json")
    assert (model["model"], model["input_tokens"]) == ("claude-haiku-4-5", 1834)
    assert "query" not in checkout.budgets[0].model_dump(mode="json")
    ledger = parse_record(STORED[5])
    assert isinstance(ledger, DecisionRecord)
    assert ledger.budgets[0].model_dump(mode="json")["query"] == ledger.queries[0].expr
    # a record made before --mode was recorded has no gate_mode, and dumps without one
    older = {k: v for k, v in STORED[0].items() if k != "gate_mode"}
    record = parse_record(older)
    assert isinstance(record, DecisionRecord) and record.gate_mode is None
    assert record.stored() == older
    assert parse_record(STORED[0]).body() == {
        k: v for k, v in STORED[0].items() if k not in ("seq", "prev_hash", "hash")
    }


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (
            {"kind": "decision", "service": "payments", "run_key": "7.1.gate/abc/pass"},
            ("decision", "payments", "7.1.gate/abc/pass"),
        ),
        ({"kind": "decision", "service": "payments", "run_key": None}, None),
        ({"kind": "decision", "service": "payments"}, None),
        ({"kind": "settlement", "deploy_id": "d1", "service": "x"}, ("settlement", "d1")),
        ({"kind": "incident", "id": "i1"}, None),
        ({"kind": ["decision"]}, None),
    ],
)
def test_idempotency_keys_come_from_each_kinds_key_fields(
    data: dict[str, Any], key: tuple[str, ...] | None
) -> None:
    assert idempotency_key(data) == key


# ---- an old gate reading a newer log; hand-made records with a valid hash -----------------------------


def write_chain(path: Path, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Seal `objects` (bodies) into one chain at `path`: every hash valid, whatever they hold."""
    stored, prev = [], GENESIS
    for seq, body in enumerate(objects, start=1):
        item = seal({k: v for k, v in body.items() if k not in ("seq", "prev_hash", "hash")}, seq, prev)
        stored.append(item)
        prev = item["hash"]
    path.write_text("".join(canonical(item) + "\n" for item in stored), encoding="utf-8")
    return stored


def incident(at: float) -> dict[str, Any]:
    """A record kind a newer gate writes (the watcher's notifications)."""
    return {
        "format": 1,
        "kind": "incident",
        "id": "inc-1",
        "service": "payments",
        "recorded_at": iso(at),
        "gate_version": "9.0.0",
        "slo": "availability",
        "state": "firing",
    }


def test_an_old_gate_reads_a_newer_log(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    newer = with_fields(0, id="newer-format", format=2, extra_field=True)
    write_chain(path, [*STORED, incident(END), incident(END + 60), newer])
    warnings: list[str] = []
    records = read_records(FileSink(path), warn=warnings.append)
    assert [type(r).__name__ for r in records[9:]] == ["UnknownRecord"] * 3
    assert warnings == [
        f"{path}: not read: 1 decision (newer format), 2 incident record(s) of a kind or format this "
        "slo-gate does not know (a newer slo-gate wrote them)"
    ]
    # the records it does read still count: settled costs, replay, the report
    assert expected_cost(records, "payments", "low", 0.5).samples == 1
    listed = run("audit", "log", "--file", str(path), "--format", "json")
    rows = {r["seq"]: r for r in json.loads(listed.stdout)}
    assert len(rows) == 12
    assert [rows[seq]["kind"] for seq in (10, 11, 12)] == [
        "incident (not read)",
        "incident (not read)",
        "decision (not read)",
    ]
    assert rows[10]["reasons"].startswith("kind 'incident' is not one this slo-gate reads")
    assert (rows[10]["service"], rows[10]["time"], rows[12]["id"]) == ("payments", iso(END), "newer-format")
    assert "not read: 1 decision (newer format), 2 incident" in listed.stderr
    missing = run("audit", "replay", "--file", str(path), "newer-format")
    assert missing.exit_code == 2 and "no decision record with id 'newer-format'" in missing.stderr
    reported = run("audit", "report", "--file", str(path), "--since", "30d", "--at", iso(END + 3600))
    assert reported.exit_code == 0 and "payments\n  4 decisions" in reported.stdout


HOSTILE: dict[str, Callable[[], dict[str, Any]]] = {
    "run is a string": lambda: with_fields(0, run="x"),
    "a time past the year 9999": lambda: with_fields(0, evaluated_at_unix=1e300),
    "a settlement recorded 'yesterday'": lambda: with_fields(8, recorded_at="yesterday"),
    "no queries to replay": lambda: {k: v for k, v in STORED[0].items() if k != "queries"},
    "an outcome that is no outcome": lambda: with_fields(
        0, decision={**STORED[0]["decision"], "outcome": "bogus"}
    ),
    "a cost that is no number": lambda: with_fields(8, cost="abc"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hand_made_record_with_a_valid_hash_is_warned_about_not_a_traceback(
    name: str, tmp_path: Path
) -> None:
    """The hash chain proves order, not authorship: anyone who can push the branch can write a line
    whose hash matches. Every reader warns (chain and seq) and carries on."""
    path = tmp_path / "audit.jsonl"
    write_chain(path, [HOSTILE[name]()])
    assert run("audit", "verify", "--file", str(path)).exit_code == 0  # the chain itself is intact
    for args in (
        ("log",),
        ("report", "--since", "90d", "--at", iso(END + 3 * 86400)),
        ("replay", STORED[0]["id"] if "settlement" not in name and "cost" not in name else "none"),
    ):
        result = run("audit", args[0], "--file", str(path), *args[1:])
        assert f"slo-gate: warning: {path}: seq 1: not a valid" in result.stderr, (args, result.output)
        assert result.exit_code in (0, 2), (args, result.output)


def test_the_gate_runs_on_when_its_history_holds_a_hand_made_record(
    prometheus: FixturePrometheus, tmp_path: Path
) -> None:
    """Budget impact reads settled costs from the log: a settlement whose cost is not a number used to
    stop `check` with a ValueError; it is now skipped with a warning."""
    path = tmp_path / "audit.jsonl"
    write_chain(path, [STORED[0], with_fields(8, cost="abc")])
    policy = tmp_path / "payments.yaml"
    policy.write_text(INPUTS[0]["policy"]["text"], encoding="utf-8")
    (tmp_path / "change.diff").write_text(ONE_LINE.format(svc="payments"), encoding="utf-8")
    checked = run(
        "check", "--policy", str(policy), "--prometheus-url", prometheus.url, "--at", str(prometheus.end_time),
        "--diff", str(tmp_path / "change.diff"), "--no-llm", "--audit", f"file:{path}", "--format", "json",
    )  # fmt: skip
    assert checked.exit_code == 0, checked.output
    document = json.loads(checked.stdout)
    assert document["services"][0]["impact"]["cost_source"] == "policy gate.expected_cost"
    assert document["audit"][0]["seq"] == 3
    assert (
        f"slo-gate: warning: audit history: {path}: seq 2: not a valid settlement record: cost:"
        in checked.stderr
    )


# ---- the sink writes only what reads back ---------------------------------------------------------------


def test_a_record_that_would_not_read_back_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    good = decision("d1", END)
    FileSink(path).append(good)
    size = path.stat().st_size
    broken = good.model_copy(update={"id": "d2", "evaluated_at_unix": 1e300})  # model_copy skips validation
    with pytest.raises(AuditError, match=r"would not read back \(.*evaluated_at_unix.*NOT written"):
        FileSink(path).append(broken)
    assert path.stat().st_size == size


def test_a_record_of_a_kind_this_gate_does_not_know_can_still_be_copied(tmp_path: Path) -> None:
    source = parse_record(incident(END))
    assert isinstance(source, UnknownRecord)
    appended = FileSink(tmp_path / "audit.jsonl").append(source)
    assert isinstance(appended.record, UnknownRecord) and appended.record.seq == 1
    assert appended.record.body() == incident(END)


def test_hand_built_test_records_are_complete_records() -> None:
    d = decision(
        "d1", END, pr=4, override={"kind": "override", "label": "l", "honoured": True, "reason": "r"}
    )
    s = settlement("s1", d, 0.02, END + 86400)
    assert [type(parse_record(item)) for item in sealed([d, s])] == [DecisionRecord, SettlementRecord]


def test_a_flood_of_bad_records_is_named_a_few_then_counted(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_chain(path, [with_fields(0, id=f"bad{n}", run="x") for n in range(40)])
    warnings: list[str] = []
    records = read_records(FileSink(path), warn=warnings.append)
    assert len(records) == 40 and all(isinstance(r, UnknownRecord) for r in records)
    assert [w.split(": ")[1] for w in warnings[:5]] == [f"seq {n}" for n in range(1, 6)]
    assert warnings[5:] == [f"{path}: 35 more records do not read as records either"]


def test_a_report_period_must_start_before_it_ends() -> None:
    result = CliRunner().invoke(
        main, ["audit", "report", "--file", str(CHAIN), "--since", "2027-01-01", "--at", iso(END)]
    )
    assert result.exit_code == 2
    assert f"--since 2027-01-01: the period must start before its end ({iso(END)})" in result.stderr
