"""`slo-gate watch` end to end: a real Prometheus holding an incident (tests/promfixture/watch_incident.py),
a real audit branch in a real git repository, and loopback Slack, GitHub and Anthropic stand-ins driven
through the real clients. Expected figures come from the generator's exact counts or from Prometheus'
own answers, never from slo-gate's code."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from gate.audit.sink import GitSink
from tests.promfixture import watch_incident as wi
from tests.promfixture.server import FixturePrometheus
from tests.support.audit_records import decision
from tests.support.cli import run_cli
from tests.support.fake_anthropic import FakeAnthropic, answer
from tests.support.fake_github import FakeGitHub
from tests.support.fake_slack import FakeSlack
from tests.support.git import GIT_ENV, git
from tests.support.httpstub import HTTPStub, Reply, record_waits

pytestmark = pytest.mark.slow

BRANCH = "slo-gate-audit"
REPO = "acme/shop"
SHA = "3f1c2a9" + "0" * 33
TOKEN = "xoxb-test-token"
CHANNEL = "C0123ABC"
TITLE = "orders: new retry policy <!here> *now* ::warning::x"


@pytest.fixture
def prom(watch_prometheus: FixturePrometheus) -> FixturePrometheus:
    return watch_prometheus


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clone of a bare `origin` whose audit branch holds the gate's decisions around the incident."""
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    clone = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    sink = GitSink(BRANCH, cwd=clone)
    records = [
        # the deploy that caused it: 40 min before the burn
        decision(
            "d-1234", wi.DEPLOY_AT, service="orders", pr=1234, head_sha=SHA, risk="medium", event="push"
        ),
        # an earlier deploy, 5 h before: around, but not correlated
        decision(
            "d-1200", wi.BURN_START - 5 * 3600, service="orders", pr=1200, head_sha="a" * 40, event="push"
        ),
        # a failed decision and another service's deploy: not deploys of orders
        decision("d-fail", wi.DEPLOY_AT + 60, service="orders", pr=1300, outcome="fail", head_sha="b" * 40),
        decision("d-pay", wi.DEPLOY_AT, service="payments", pr=77, head_sha="c" * 40),
        # after the evaluation time: not yet happened
        decision("d-late", wi.DURING + 600, service="orders", pr=1400, head_sha="d" * 40),
    ]
    for record in records:
        sink.append(record.model_copy(update={"run": record.run.model_copy(update={"repo": REPO})}))
    policies = clone / "policies"
    policies.mkdir()
    (policies / "orders.yaml").write_text(wi.policy_text("orders"))
    (policies / "payments.yaml").write_text(wi.policy_text("payments", breakdown=()))
    monkeypatch.chdir(clone)
    return clone


def watch(
    prom: FixturePrometheus, at: float, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    result = run_cli(
        "watch",
        "--once",
        "--prometheus-url",
        prom.url,
        "--at",
        str(int(at)),
        "--format",
        "json",
        *args,
        env=env,
    )
    return result.exit_code, result.stdout


def prom_share(prom: FixturePrometheus, label: str, value: str, at: float) -> float:
    """The share of orders' 5m errors on `label=value`, as Prometheus itself answers it."""
    errors = f'sum by ({label}) (rate(http_requests_total{{job="orders",code=~"5.."}}[5m]))'
    rows = prom.query(errors, at)
    total = sum(float(r["value"][1]) for r in rows)
    return next(float(r["value"][1]) for r in rows if r["metric"].get(label) == value) / total


def bot_env(slack: FakeSlack, **more: str) -> dict[str, str]:
    return {"SLO_GATE_SLACK_API_URL": slack.api_url, "SLO_GATE_SLACK_TOKEN": TOKEN, **more}


def test_a_page_is_told_once_with_its_context_then_resolved_in_its_thread(
    prom: FixturePrometheus, workspace: Path
) -> None:
    with FakeSlack(token=TOKEN, channels={CHANNEL}) as slack:
        args = (
            "--policy",
            "policies/orders.yaml",
            "--audit",
            f"git:{BRANCH}",
            "--slack-channel",
            CHANNEL,
            "--no-llm",
        )
        code, out = watch(prom, wi.DURING, *args, env=bot_env(slack))
        assert code == 0, out
        doc = json.loads(out)
        [incident] = doc["incidents"]
        assert (incident["severity"], incident["state"], incident["notified"]) == ("page", "new", True)
        # onset: the burn began at BURN_START; the first minute whose 5m burn exceeds 1x is the next one
        onset = _unix(incident["onset"])
        assert abs(onset - wi.BURN_START) <= 60
        # the budget spent since onset, from the generator's exact counts: b * t / P
        expected = wi.burn("orders", onset, wi.DURING) * (wi.DURING - onset) / (7 * 86400)
        assert incident["budget_spent_since_onset"] == pytest.approx(expected, rel=1e-6)
        # where: shares equal Prometheus' own answers; the top values are the concentrated ones
        route, tenant = incident["where"]["route"], incident["where"]["tenant"]
        assert route[0]["value"] == "/api/orders" and route[0]["concentrated"] is True
        assert route[0]["share"] == pytest.approx(
            prom_share(prom, "route", "/api/orders", wi.DURING), rel=1e-9
        )
        assert tenant[0]["value"] == "acme"
        assert tenant[0]["share"] == pytest.approx(prom_share(prom, "tenant", "acme", wi.DURING), rel=1e-9)
        assert wi.HOSTILE_ROUTE[:1000] in [v["value"] for v in route]  # JSON carries it as it came (capped)
        # deploys: the correlated one first class, the older one listed, the failed and later ones not
        deploys = {d["pr"]: d for d in incident["deploys"]}
        assert set(deploys) == {1234, 1200}
        assert deploys[1234]["correlated"] is True and deploys[1234]["risk"] == "medium"
        assert deploys[1200]["correlated"] is False
        assert deploys[1234]["sha"] == SHA

        [message] = slack.messages
        assert message.channel == CHANNEL and message.replies == []
        text = message.block_text
        assert "PAGE" in message.text and "orders" in text
        assert "`/api/orders`" in text and "`acme`" in text and "#1234" in text and "*correlated*" in text
        assert "sha 3f1c2a9" in text

        code, out = watch(prom, wi.DURING + 60, *args, env=bot_env(slack))
        assert code == 0
        again = json.loads(out)["incidents"][0]
        assert (again["state"], again["notified"], again["event"]) == ("firing", False, None)
        assert len(slack.messages) == 1 and message.replies == [] and message.versions == []

        code, out = watch(prom, wi.END, *args, env=bot_env(slack))
        assert code == 0
        [resolved] = json.loads(out)["incidents"]
        assert (resolved["state"], resolved["event"], resolved["notified"]) == ("resolved", "resolved", True)
        total = wi.burn("orders", onset, wi.END) * (wi.END - onset) / (7 * 86400)
        assert resolved["budget_spent_total"] == pytest.approx(total, rel=1e-6)
        assert len(slack.messages) == 1
        [reply] = message.replies
        assert reply.thread_ts == message.ts and "Resolved" in reply.block_text
        assert "RESOLVED" in message.text and len(message.versions) == 1  # the first message was updated

        # the state lives on the audit branch and the resolved incident is gone from it
        git(workspace, "fetch", "-q", "origin", BRANCH)
        state = json.loads(git(workspace, "show", f"origin/{BRANCH}:watch/state.json"))
        assert state["incidents"] == {}
        # claim + settle per notice, nothing for the quiet run in between; the audit chain is untouched
        subjects = git(workspace, "log", "--format=%s", f"origin/{BRANCH}").splitlines()
        assert subjects.count("slo-gate: watch state") == 4 and len(subjects) == 9
        verified = run_cli("audit", "verify", "--branch", BRANCH)
        assert verified.exit_code == 0, verified.output


def test_ticket_then_page_escalates_in_the_thread(prom: FixturePrometheus, workspace: Path) -> None:
    with FakeSlack(token=TOKEN, channels={CHANNEL}) as slack:
        args = (
            "--policy",
            "policies/payments.yaml",
            "--state",
            "file:state.json",
            "--slack-channel",
            CHANNEL,
            "--no-llm",
        )
        code, out = watch(prom, wi.TICKET_AT, *args, env=bot_env(slack))
        assert code == 0, out
        assert [i["severity"] for i in json.loads(out)["incidents"]] == ["ticket"]
        code, out = watch(prom, wi.PAGE_AT, *args, env=bot_env(slack))
        [incident] = json.loads(out)["incidents"]
        assert (incident["severity"], incident["state"], incident["event"]) == (
            "page",
            "escalated",
            "escalated",
        )
        [message] = slack.messages
        [reply] = message.replies
        assert reply.broadcast and "Escalated to PAGE" in reply.block_text
        assert message.text.startswith("PAGE") and message.versions[0]["text"].startswith("TICKET")


def test_two_watchers_racing_on_the_same_state_notify_once(prom: FixturePrometheus, workspace: Path) -> None:
    with FakeSlack(token=TOKEN, channels={CHANNEL}) as slack:
        for state in ("file:race.json", f"git:{BRANCH}"):
            env = {**GIT_ENV, **bot_env(slack), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
            command = [
                sys.executable, "-m", "gate", "watch", "--once", "--prometheus-url", prom.url,
                "--at", str(wi.DURING), "--policy", "policies/orders.yaml", "--state", state,
                "--slack-channel", CHANNEL, "--no-llm", "--format", "json",
            ]  # fmt: skip
            procs = [
                subprocess.Popen(
                    command, cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
                for _ in range(3)
            ]
            outputs = [p.communicate(timeout=120) for p in procs]
            assert [p.returncode for p in procs] == [0, 0, 0], [o[1][-2000:] for o in outputs]
            notified = [json.loads(o[0])["incidents"][0]["notified"] for o in outputs]
            assert notified.count(True) == 1, (state, notified)
        assert len(slack.messages) == 2  # one per state store, never two for the same one
        assert all(m.replies == [] for m in slack.messages)


def test_in_github_actions_titles_come_from_github_and_nothing_can_issue_a_command(
    prom: FixturePrometheus, workspace: Path, tmp_path: Path
) -> None:
    with FakeSlack(token=TOKEN, channels={CHANNEL}) as slack, FakeGitHub(token="ghs_test") as gh:
        gh.add_pull(REPO, 1234, title=TITLE)
        event = tmp_path / "event.json"
        event.write_text("{}")
        env = bot_env(
            slack,
            GITHUB_ACTIONS="true",
            GITHUB_EVENT_NAME="schedule",
            GITHUB_EVENT_PATH=str(event),
            GITHUB_API_URL=gh.api_url,
            GITHUB_TOKEN="ghs_test",
            GITHUB_REPOSITORY=REPO,
            GITHUB_SERVER_URL="https://github.com",
            GITHUB_RUN_ID="99",
            GITHUB_WORKSPACE=str(workspace),
        )
        result = run_cli(
            "watch", "--once", "--prometheus-url", prom.url, "--at", str(wi.DURING), "--policy", "policies/orders.yaml",
            "--audit", f"git:{BRANCH}", "--slack-channel", CHANNEL, "--no-llm", env=env,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert out.startswith("::add-mask::")
        assert TOKEN not in out.replace(f"::add-mask::{TOKEN}", "")
        assert "::stop-commands::" in out
        token = out.split("::stop-commands::", 1)[1].split("\n", 1)[0]
        inside = out.split(f"::stop-commands::{token}\n", 1)[1].split(f"::{token}::", 1)[0]
        assert "::error::pwned" in inside  # the hostile label is shown, but only where commands are off
        assert all(not line.lstrip().startswith("::") for line in inside.splitlines())
        text = slack.messages[0].block_text
        assert "orders: new retry policy" in text and "<!here>" not in text and "&lt;!here&gt;" in text


def test_the_model_summary_is_used_when_grounded_and_replaced_when_it_invents_a_deploy(
    prom: FixturePrometheus, workspace: Path
) -> None:
    grounded = {
        "headline": "orders availability pages: 19.6x over 1h",
        "likely_cause": "PR #1234 (sha 3f1c2a9) passed the gate 41 min before the burn; `/api/orders` holds 77.1% of errors.",
        "recommended_action": "Roll back #1234.",
        "confidence": "high",
    }
    invented = {**grounded, "likely_cause": "PR #999 broke it.", "recommended_action": "Revert #999."}
    with FakeAnthropic() as fake, FakeSlack(token=TOKEN, channels={CHANNEL}) as slack:
        fake.enqueue_for(
            "summarise_incident", answer(grounded, usage=(900, 80)), answer(invented, usage=(910, 70))
        )
        env = bot_env(slack, ANTHROPIC_API_KEY="sk-test", ANTHROPIC_BASE_URL=fake.url)
        base = ("--policy", "policies/orders.yaml", "--audit", f"git:{BRANCH}", "--slack-channel", CHANNEL)
        code, out = watch(prom, wi.DURING, *base, "--state", "file:a.json", env=env)
        assert code == 0, out
        summary = json.loads(out)["incidents"][0]["summary"]
        assert summary["source"] == "model" and summary["confidence"] == "high"
        assert (summary["input_tokens"], summary["output_tokens"]) == (900, 80)
        assert summary["cost_usd"] == pytest.approx((900 * 1.0 + 80 * 5.0) / 1_000_000)
        assert "summary by claude-haiku-4-5" in slack.messages[0].block_text
        # the model was given the untrusted values only inside the nonce-delimited block
        sent = fake.messages_requests[0].user_text or ""
        assert "<untrusted-data-" in sent and "/api/orders" in sent.split("<untrusted-data-", 1)[1]

        # a minute later the facts differ, so the answer cache does not apply
        code, out = watch(prom, wi.DURING + 60, *base, "--state", "file:b.json", env=env)
        summary = json.loads(out)["incidents"][0]["summary"]
        assert (
            summary["source"] == "facts"
            and "#999" in summary["note"]
            and "not in the facts" in summary["note"]
        )
        assert "PR #1234" in summary["likely_cause"] and summary["input_tokens"] == 910
        assert "#999" not in slack.messages[1].block_text.replace(summary["note"], "")


def test_an_incoming_webhook_waits_out_429_and_a_refusal_names_it_without_the_url(
    prom: FixturePrometheus, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits = record_waits(monkeypatch)
    with FakeSlack(token=TOKEN, channels={CHANNEL}) as slack:
        slack.rate_limit(2, retry_after=7)
        args = ("--policy", "policies/orders.yaml", "--state", "file:s.json", "--no-llm")
        code, out = watch(prom, wi.DURING, *args, env={"SLO_GATE_SLACK_WEBHOOK_URL": slack.webhook_url})
        assert code == 0, out
        assert waits == [7.0, 7.0] and len(slack.messages) == 1 and slack.messages[0].via == "webhook"

    secret = "/services/T1/B1/" + "Zz9" * 10
    with HTTPStub(default=Reply.text("channel_not_found", status=404)) as hook:
        result = run_cli(
            "watch", "--once", "--prometheus-url", prom.url, "--at", str(wi.DURING), "--policy", "policies/orders.yaml",
            "--state", "file:t.json", "--no-llm", env={"SLO_GATE_SLACK_WEBHOOK_URL": hook.url + secret},
        )  # fmt: skip
        assert result.exit_code == 1
        assert "channel_not_found" in result.output and "Slack webhook" in result.output
        assert "Zz9Zz9" not in result.output and "Zz9Zz9" not in Path("t.json").read_text()
        assert len(hook.requests) == 1  # a 4xx is not retried
    # the failed notice is retried by the next run, and then delivered
    with FakeSlack(token=TOKEN, channels={CHANNEL}) as slack:
        code, out = watch(
            prom,
            wi.DURING + 60,
            "--policy",
            "policies/orders.yaml",
            "--state",
            "file:t.json",
            "--no-llm",
            env={"SLO_GATE_SLACK_WEBHOOK_URL": slack.webhook_url},
        )
        assert code == 0 and len(slack.messages) == 1


def test_the_generic_webhook_gets_the_incident_as_json(prom: FixturePrometheus, workspace: Path) -> None:
    with HTTPStub(default=Reply.json({"ok": True})) as hook:
        code, _ = watch(
            prom, wi.DURING, "--policy", "policies/orders.yaml", "--state", "file:w.json", "--no-llm",
            env={"SLO_GATE_NOTIFY_WEBHOOK": hook.url + "/hook/" + "k" * 30},
        )  # fmt: skip
        assert code == 0
        [request] = hook.requests
        body: dict[str, Any] = request.json()
        assert body["schema_version"] == 1 and body["event"] == "new"
        assert body["incident"]["service"] == "orders" and body["incident"]["severity"] == "page"
        assert body["incident"]["where"]["route"][0]["value"] == "/api/orders"


def test_a_dry_run_prints_the_messages_and_writes_no_state(prom: FixturePrometheus, workspace: Path) -> None:
    result = run_cli(
        "watch", "--once", "--prometheus-url", prom.url, "--at", str(wi.DURING), "--policy", "policies",
        "--state", "file:dry.json", "--no-llm", "--dry-run",
        env={"SLO_GATE_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/" + "q" * 24},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "would send new about orders/availability to slack" in result.stdout
    assert "would send new about payments/availability to slack" in result.stdout
    assert not Path("dry.json").exists()
    assert "q" * 24 not in result.output


def test_inconclusive_data_exits_3_and_bad_input_exits_2(prom: FixturePrometheus, workspace: Path) -> None:
    Path("policies/ghost.yaml").write_text(wi.policy_text("ghost", breakdown=()))
    code, out = watch(
        prom, wi.DURING, "--policy", "policies/ghost.yaml", "--state", "file:g.json", "--no-llm"
    )
    assert code == 3
    assert json.loads(out)["inconclusive"][0]["service"] == "ghost"
    bad = run_cli(
        "watch", "--once", "--prometheus-url", prom.url, "--policy", "policies", "--state", "s3:bucket"
    )
    assert bad.exit_code == 2 and "expected git:BRANCH or file:PATH" in bad.output
    neither = run_cli("watch", "--prometheus-url", prom.url, "--policy", "policies")
    assert neither.exit_code == 2 and "--once" in neither.output
    no_state = run_cli("watch", "--once", "--prometheus-url", prom.url, "--policy", "policies")
    assert no_state.exit_code == 2 and "--state" in no_state.output


def _unix(text: str) -> float:
    from gate.times import parse_iso

    return parse_iso(text)


class _Instant(threading.Event):
    """A stop event whose waits pass at once (and move a fake clock), so `--every` runs without sleeping."""

    def __init__(self, clock: list[float]) -> None:
        super().__init__()
        self.clock = clock

    def wait(self, timeout: float | None = None) -> bool:
        self.clock[0] += timeout or 0.0
        return self.is_set()


def test_every_runs_rounds_on_its_own_clock_and_keeps_state_in_memory(
    prom: FixturePrometheus, workspace: Path
) -> None:
    from gate.compose import Runtime
    from gate.settings import MetricsSettings, ModelSettings, NotifySettings
    from gate.watch.command import watch as run_watch
    from gate.watch.settings import WatchSettings

    now = [float(wi.DURING)]
    printed: list[str] = []
    warnings: list[str] = []
    with FakeSlack(token=TOKEN, channels={CHANNEL}) as slack:
        rt = Runtime(bot_env(slack), clock=lambda: now[0], warn=warnings.append)
        settings = WatchSettings(
            policies=(Path("policies/orders.yaml"),),
            services=(),
            metrics=MetricsSettings(prometheus_url=prom.url),
            notify=NotifySettings(slack_channel=CHANNEL),
            model=ModelSettings(enabled=False),
            once=False,
            every=60.0,
            rounds=3,
            output_format="json",
        )
        try:
            result = run_watch(settings, rt, emit=printed.append, stop=_Instant(now))
        finally:
            rt.close()
        assert result.exit_code == 0
        rounds = [json.loads(line) for line in printed]
        assert [r["evaluated_at"] for r in rounds] == [
            "2026-11-03T13:00:00Z", "2026-11-03T13:01:00Z", "2026-11-03T13:02:00Z",
        ]  # fmt: skip
        assert [r["incidents"][0]["notified"] for r in rounds] == [True, False, False]
        assert len(slack.messages) == 1
        assert any("kept in memory" in w for w in warnings)


def test_sigterm_ends_every_after_the_round_in_progress_with_exit_0(
    prom: FixturePrometheus, workspace: Path
) -> None:
    env = {**GIT_ENV, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [
        sys.executable, "-m", "gate", "watch", "--every", "1m", "--prometheus-url", prom.url,
        "--at", str(wi.DURING), "--policy", "policies/orders.yaml", "--no-llm", "--format", "json",
    ]  # fmt: skip
    proc = subprocess.Popen(
        command, cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    first = json.loads(proc.stdout.readline())  # the first round is printed as it ends ...
    assert first["incidents"][0]["service"] == "orders"
    proc.send_signal(signal.SIGTERM)  # ... then, waiting for the next, the watcher is told to stop
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out == ""  # no second round
    assert "kept in memory" in err


@pytest.mark.parametrize(("required_above", "opened"), [(1.0, True), (99.0, False)])
def test_a_resolved_incident_that_spent_enough_opens_its_postmortem_draft_once(
    prom: FixturePrometheus, workspace: Path, tmp_path: Path, required_above: float, opened: bool
) -> None:
    """The SRE Workbook rule as a policy field: `watch` drafts the postmortem of an incident that spent
    more than `postmortem.required_above` percent of the window's budget, once, when it resolves."""
    policy = workspace / "policies" / "orders.yaml"
    policy.write_text(policy.read_text() + f"postmortem:\n  required_above: {required_above}\n")
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    args = [
        *("--policy", "policies/orders.yaml", "--audit", f"git:{BRANCH}", "--no-llm"),
        *("--postmortem-out", str(drafts)),
    ]
    assert watch(prom, wi.DURING, *args)[0] == 0
    assert list(drafts.iterdir()) == []  # burning: nothing to draft yet
    code, out = watch(prom, wi.END, *args)
    assert code == 0, out
    assert json.loads(out)["incidents"][0]["state"] == "resolved"
    found = list(drafts.iterdir())
    if not opened:
        assert found == []
        return
    [draft] = found
    text = draft.read_text("utf-8")
    assert draft.name.startswith("postmortem-orders-availability-")
    assert "## Impact in budget" in text or "Impact in budget" in text
    assert "#1234" in text  # the correlated deploy from the audit log is in the timeline
    assert watch(prom, wi.END + 60, *args)[0] == 0
    assert list(drafts.iterdir()) == [draft]  # once per incident
