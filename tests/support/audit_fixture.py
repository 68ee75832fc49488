"""The compatibility chain in tests/data/audit/: real gate runs from fixed inputs, recorded by slo-gate.

    python -m tests.support.audit_fixture tests/data/audit

starts the fixture Prometheus (tests/promfixture), runs the gate's own pipeline (`run_check`, then
`record_run` into a `FileSink`) for the runs below at fixed times with fixed record ids and clocks,
settles the first deploy, and writes:

- `chain-v1.jsonl`: the chain exactly as the sink wrote it (one chain, every service);
- `chain-v1.inputs.json`: per decision record, the run it was made from (`GateRun` as JSON), the
  policy (path, text, mode), the run context, the record id and the recording time, so a test can
  build the same record again and compare the bytes.

The runs: a pass (push); a fail whose override label could not be verified; the same PR passed by a
verified override; a warn (advisory mode stopping a high-risk change); an inconclusive (low traffic); a
warn from a failed query (on_inconclusive: warn); a pass the model reviewed (tokens, cost); a fix label
passing a fast burn; then the settlement of the first deploy.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from gate.app import ChangeInput, CheckOptions, run_check
from gate.audit import recorder
from gate.audit.record import RunContext
from gate.audit.sink import FileSink
from gate.errors import DataError
from gate.metrics import MetricsSource
from gate.models import Override, Sample
from gate.policy import LoadedPolicy
from gate.policy_load import load_policy_bytes
from gate.risk.material import prepare_change
from gate.risk.verdict import ModelVerdict, Prompt

DAY = 86400.0
HOUR = 3600.0
CHAIN = "chain-v1.jsonl"
INPUTS = "chain-v1.inputs.json"

_SLI = (
    '      error_query: sum(rate(http_requests_total{{job="{job}",code=~"5.."}}[{{{{.window}}}}]))\n'
    '      total_query: sum(rate(http_requests_total{{job="{job}"}}[{{{{.window}}}}]))\n'
)

T = TypeVar("T")


def _policy(service: str, slos: str, gate: str = "") -> str:
    return f"apiVersion: slo-gate/v1\nservice: {service}\nslos:\n{slos}" + (f"gate:\n{gate}" if gate else "")


def _slo(name: str, job: str, window: str = "30d", extra: str = "") -> str:
    return f"  - name: {name}\n    objective: 99.9\n    window: {window}\n{extra}    sli:\n" + _SLI.format(
        job=job
    )


POLICIES = {
    # tier-limited: 35 % left, so low risk passes and anything else fails
    "payments": _policy(
        "payments",
        _slo("availability", "payments", "{calendar: quarter}") + _slo("availability-30d", "payments"),
        "  risk:\n    rules:\n      - {paths: ['**/migrations/**'], risk: high}\n",
    ),
    "checkout": _policy("checkout", _slo("availability", "checkout")),
    "search": _policy("search", _slo("availability", "search"), "  freeze_on: page\n"),
    "cron": _policy("cron", _slo("availability", "cron", extra="    min_events: 1000\n")),
    "ledger": _policy("ledger", _slo("availability", "ledger"), "  on_inconclusive: warn\n"),
}

ONE_LINE = (
    "diff --git a/services/{svc}/lib/format.py b/services/{svc}/lib/format.py\n"
    "--- a/services/{svc}/lib/format.py\n+++ b/services/{svc}/lib/format.py\n"
    "@@ -1,0 +1,1 @@\n+AMOUNT_PRECISION = 2\n"
)
MIGRATION = (
    "diff --git a/services/payments/migrations/0042_ledger.sql b/services/payments/migrations/0042_ledger.sql\n"
    "new file mode 100644\n--- /dev/null\n+++ b/services/payments/migrations/0042_ledger.sql\n"
    "@@ -0,0 +1,1 @@\n+ALTER TABLE ledger ADD COLUMN note text;\n"
)


@dataclass(frozen=True)
class Answer:
    """A model's answer as the Claude client returns it (gate.risk.review.Answer)."""

    model: str
    value: ModelVerdict | None
    failure: str | None = None
    input_tokens: int | None = 1834
    output_tokens: int | None = 97
    cost_usd: float | None = 0.002319
    cached: bool = False


class Advisor:
    def classify(self, prompt: Prompt) -> Answer:
        verdict = ModelVerdict.model_validate(
            {
                "risk": "medium",
                "category": "code",
                "rationale": "Changes how amounts are rounded in checkout totals.",
                "signals": ["money formatting", "checkout path"],
            }
        )
        return Answer(model=prompt.model, value=verdict)


class FailingLedger:
    """The fixture Prometheus, except that every ledger query fails (a 503 from a proxy)."""

    def __init__(self, inner: MetricsSource) -> None:
        self._inner = inner

    def instant(self, expr: str, at: float, *, tenant: str | None = None) -> list[Sample]:
        if 'job="ledger"' in expr:
            raise DataError("Prometheus answered 503 Service Unavailable", query=expr)
        return self._inner.instant(expr, at, tenant=tenant)


@dataclass(frozen=True)
class Run:
    service: str
    at_offset: float  # seconds before the fixture's end
    context: RunContext
    diff: str
    labels: tuple[str, ...] = ()
    mode: str | None = None
    verified: tuple[Override, ...] = ()
    llm: bool = False


def _ci(event: str, run_id: str, *, pr: int | None = None, sha: str = "a") -> RunContext:
    return RunContext(
        repo="acme/shop",
        event=event,
        pr=pr,
        ref=f"refs/pull/{pr}/merge" if pr is not None else "refs/heads/main",
        head_sha=sha * 40,
        base_sha="0" * 40 if pr is not None else "9" * 40,
        run_id=run_id,
        run_attempt="1",
        actor="deployer" if pr is None else "carol",
        workflow="deploy" if pr is None else "ci",
        job="gate",
    )


OVERRIDE_OK = Override(
    kind="override",
    label="slo-gate/override",
    honoured=True,
    actor="alice",
    reason="alice has maintain permission on acme/shop",
)
FIX_OK = Override(
    kind="fix",
    label="slo-gate/fix",
    honoured=True,
    actor="bob",
    reason="bob has admin permission on acme/shop",
)

RUNS = (
    Run("payments", 2 * DAY, _ci("push", "101"), ONE_LINE.format(svc="payments")),
    Run("payments", 30 * HOUR, _ci("pull_request", "102", pr=42, sha="b"), MIGRATION, ("slo-gate/override",)),
    Run(
        "payments",
        29 * HOUR,
        _ci("pull_request", "103", pr=42, sha="b"),
        MIGRATION,
        ("slo-gate/override",),
        verified=(OVERRIDE_OK,),
    ),
    Run("payments", 20 * HOUR, _ci("workflow_dispatch", "104", sha="c"), MIGRATION, mode="advisory"),
    Run("cron", 6 * HOUR, RunContext(), ONE_LINE.format(svc="cron")),
    Run("ledger", 5 * HOUR, _ci("push", "105", sha="d"), ONE_LINE.format(svc="ledger")),
    Run(
        "checkout",
        4 * HOUR,
        _ci("pull_request", "106", pr=43, sha="e"),
        ONE_LINE.format(svc="checkout"),
        llm=True,
    ),
    Run(
        "search",
        HOUR,
        _ci("pull_request", "107", pr=44, sha="f"),
        ONE_LINE.format(svc="search"),
        ("slo-gate/fix",),
        verified=(FIX_OK,),
    ),
)


def loaded_policy(service: str, mode: str | None = None) -> LoadedPolicy:
    loaded = load_policy_bytes(POLICIES[service].encode("utf-8"), f"policies/{service}.yaml")
    return loaded.with_mode("advisory" if mode == "advisory" else "enforce") if mode else loaded


def _change(run: Run) -> ChangeInput:
    material, parsed = prepare_change(run.diff, title="Change", labels=run.labels)
    return ChangeInput(
        diff=parsed,
        labels=run.labels,
        material=material,
        llm_note=None if run.llm else "--no-llm",
        verified_labels={o.label: o for o in run.verified},
    )


def constant(value: T) -> Callable[[], T]:
    """A function that always returns `value` (a fixed clock or id for reproducible records)."""
    return lambda: value


def _counter(start: int) -> Iterator[str]:
    n = start
    while True:
        yield f"{n:016x}"
        n += 1


def generate(out: Path, source: MetricsSource, url: str, end: float) -> None:
    """Write the chain and its inputs into `out` (the chain file must not exist yet)."""
    chain = out / CHAIN
    if chain.exists():
        raise SystemExit(f"{chain} exists: remove it first (the chain is append-only)")
    sink = FileSink(chain)
    ids = _counter(0xA0D17C4A1000)
    inputs: list[dict[str, Any]] = []
    for run in RUNS:
        at = end - run.at_offset
        loaded = loaded_policy(run.service, run.mode)
        metrics = FailingLedger(source) if run.service == "ledger" else source
        options = CheckOptions(at=at, concurrency=1, metrics_source=f"prometheus {url}")
        gate_run = run_check([loaded], metrics, _change(run), options, Advisor() if run.llm else None)
        plan = recorder.plan_sinks(f"file:{chain}", [loaded], in_actions=False, remote="origin", cwd=None)
        record_id = next(ids)
        recorded_at = at + 7.25
        done = recorder.record_run(
            gate_run, [loaded], plan, run.context, clock=constant(recorded_at), new_id=constant(record_id)
        )
        [entry] = done.audit
        assert entry.error is None and entry.id == record_id, entry
        inputs.append(
            {
                "id": record_id,
                "recorded_at": recorded_at,
                "policy": {"path": loaded.path, "text": loaded.source, "mode": run.mode},
                "context": run.context.model_dump(mode="json"),
                "run": gate_run.model_dump(mode="json"),
            }
        )
    _settle_first(sink, source, url, end, next(ids))
    (out / INPUTS).write_text(json.dumps(inputs, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    chain.with_name(chain.name + ".lock").unlink()  # the sink's lock file is not part of the fixture


def _settle_first(sink: FileSink, source: MetricsSource, url: str, end: float, record_id: str) -> None:
    from gate.audit.recorder import read_records
    from gate.audit.settle import deploys_to_settle, settle

    records = read_records(sink)
    first = deploys_to_settle(records, end)[0]
    sink.append(settle(first, source, f"prometheus {url}", now=end, record_id=record_id))


def main(argv: list[str]) -> int:
    from gate.prometheus import PrometheusClient, PrometheusSettings
    from tests.promfixture.server import running_fixture_prometheus

    out = Path(argv[0] if argv else "tests/data/audit")
    out.mkdir(parents=True, exist_ok=True)
    with running_fixture_prometheus() as prom, PrometheusClient(PrometheusSettings(url=prom.url)) as client:
        # The URL's port changes per run; the records name a fixed one, as a real deployment would.
        generate(out, client, "http://prometheus.acme.internal:9090", float(prom.end_time))
    print(f"wrote {out / CHAIN} and {out / INPUTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
