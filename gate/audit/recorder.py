"""Record a gate run in the audit log, and read the log back. The I/O edge between the CLI and sinks.

Sink specs (`--audit`): `none`; `git` (each policy's `audit.branch`; a policy with `branch: ""` is
not recorded); `git:BRANCH` (every service on that branch); `file:PATH` (one local JSONL chain).
Without `--audit`, a run inside GitHub Actions records to each policy's branch and a local run
records nothing.

Reading: `read_records` turns every chain line into a typed record (gate.audit.record) once, here;
a line that is not a record this slo-gate reads is kept as an `UnknownRecord` and reported through
`warn`, naming its chain and seq, never raised.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gate.audit.builder import decision_record
from gate.audit.chain import verify_lines
from gate.audit.record import AuditRecord, RunContext, UnknownRecord, parse_record
from gate.audit.sink import Appended, AuditSink, FileSink, GitSink
from gate.errors import AuditError, UsageError
from gate.models import AuditEntry, GateRun
from gate.policy import LoadedPolicy
from gate.report import clean

__all__ = ["SinkPlan", "plan_sinks", "read_records", "record_run", "run_context"]


def run_context(env: Mapping[str, str]) -> RunContext:
    """Where this run happens: the GitHub Actions run and its event, or nothing for a local run."""
    from gate.github.context import PULL_REQUEST_EVENTS, GitHubContext

    context = GitHubContext.from_env(env)
    if context is None:
        return RunContext()
    pr = context.pull_request if context.event_name in PULL_REQUEST_EVENTS else None
    payload = context.payload
    before = payload.get("before") if context.event_name == "push" else None
    return RunContext(
        repo=context.repository or None,
        event=context.event_name or None,
        pr=pr.number if pr is not None else None,
        ref=env.get("GITHUB_REF") or None,
        head_sha=pr.head_sha if pr is not None else (context.sha or None),
        base_sha=pr.base_sha if pr is not None else (before if isinstance(before, str) else None),
        run_id=context.run_id or None,
        run_attempt=context.run_attempt or None,
        actor=env.get("GITHUB_ACTOR") or None,
        workflow=env.get("GITHUB_WORKFLOW") or None,
        job=env.get("GITHUB_JOB") or None,
        # a deleted fork leaves head.repo null; a deleted same-repository branch keeps it
        fork=pr is not None and (pr.head_repo is None or pr.head_repo != context.repository),
    )


class UnavailableSink:
    """A sink that could not be set up (git missing, a bad branch name): every use reports why.

    The gate still decides; the record is reported as not written (and fails the run if required).
    """

    def __init__(self, location: str, error: AuditError) -> None:
        self.location = location
        self.error = error

    def __repr__(self) -> str:
        return self.location

    def append(self, record: AuditRecord) -> Appended:
        raise self.error

    def read(self) -> dict[str, list[str]]:
        raise self.error


class SinkPlan:
    """Which sink records which service; sinks are shared between services that use the same one."""

    def __init__(
        self,
        by_service: Mapping[str, AuditSink | None],
        required: Mapping[str, bool],
        disabled: Mapping[str, str] | None = None,
    ) -> None:
        self.by_service = dict(by_service)
        self.required = dict(required)
        self.disabled = dict(disabled or {})  # service -> why it is not recorded (shown, never silent)

    @property
    def sinks(self) -> list[AuditSink]:
        unique: dict[int, AuditSink] = {}
        for sink in self.by_service.values():
            if sink is not None:
                unique.setdefault(id(sink), sink)
        return list(unique.values())


def plan_sinks(
    spec: str | None, policies: Sequence[LoadedPolicy], *, in_actions: bool, remote: str, cwd: str | None
) -> SinkPlan:
    if spec is None:
        spec = "git" if in_actions else "none"
    kind, _, arg = spec.partition(":")
    by_service: dict[str, AuditSink | None] = {}
    git_sinks: dict[str, AuditSink] = {}

    def git_sink(branch: str) -> AuditSink:
        if branch not in git_sinks:
            try:
                git_sinks[branch] = GitSink(branch, remote=remote, cwd=cwd)
            except AuditError as exc:
                git_sinks[branch] = UnavailableSink(f"git branch {branch} on {remote}", exc)
        return git_sinks[branch]

    if kind == "none" and not arg:
        by_service = {p.policy.service: None for p in policies}
    elif kind == "git" and not arg:
        by_service = {
            p.policy.service: git_sink(p.policy.audit.branch) if p.policy.audit.branch else None
            for p in policies
        }
    elif kind == "git":
        by_service = {p.policy.service: git_sink(arg) for p in policies}
    elif kind == "file" and arg:
        sink = FileSink(Path(arg))
        by_service = {p.policy.service: sink for p in policies}
    else:
        raise UsageError(f"--audit {spec!r}: expected none, git, git:BRANCH or file:PATH")
    required = {p.policy.service: p.policy.audit.required for p in policies}
    disabled = {
        p.policy.service: "not recorded: the policy's audit.branch is empty"
        for p in policies
        if kind == "git" and not arg and not p.policy.audit.branch
    }
    return SinkPlan(by_service, required, disabled)


def read_records(sink: AuditSink, *, warn: Callable[[str], None] | None = None) -> list[AuditRecord]:
    """Every record of every chain the sink holds, typed, in chain order; a broken chain is read up to
    its break. Records this slo-gate cannot read are returned as `UnknownRecord`s and warned about:
    each invalid one by chain and seq, records of newer kinds or formats once per chain."""
    records: list[AuditRecord] = []
    for name, lines in sorted(sink.read().items()):
        report = verify_lines(name, lines)
        if not report.ok and warn is not None:
            warn(f"{name}: the chain is broken at seq {report.bad_seq} ({report.problem}); read up to it")
        parsed = [parse_record(raw) for raw in report.records]
        if warn is not None:
            _warn_unread(name, parsed, warn)
        records.extend(parsed)
    return records


_INVALID_NAMED = 5  # invalid records named one by one per chain; the rest are counted


def _warn_unread(name: str, records: Sequence[AuditRecord], warn: Callable[[str], None]) -> None:
    """One warning per invalid record (the first few, then a count), one for newer kinds and formats."""
    invalid = [r for r in records if isinstance(r, UnknownRecord) and r.why == "invalid"]
    for record in invalid[:_INVALID_NAMED]:
        warn(clean(f"{name}: seq {record.seq}: {record.problem}; not read as a record", 2000))
    if len(invalid) > _INVALID_NAMED:
        warn(f"{clean(name)}: {len(invalid) - _INVALID_NAMED} more records do not read as records either")
    newer: dict[str, int] = {}
    for unread in records:
        if isinstance(unread, UnknownRecord) and unread.why != "invalid":
            label = str(unread.kind) if unread.why == "kind" else f"{unread.kind} (newer format)"
            newer[label] = newer.get(label, 0) + 1
    if newer:
        kinds = ", ".join(f"{count} {label}" for label, count in sorted(newer.items()))
        warn(
            clean(
                f"{name}: not read: {kinds} record(s) of a kind or format this slo-gate does not know "
                "(a newer slo-gate wrote them)",
                2000,
            )
        )


def history(plan: SinkPlan) -> list[AuditRecord]:
    """Past records for budget impact; an unreadable log only costs the measured medians, not the run
    (a record that does not read is left out, with a warning)."""

    def warn(message: str) -> None:
        print(f"slo-gate: warning: {clean(message, 2000)}", file=sys.stderr)

    records: list[AuditRecord] = []
    for sink in plan.sinks:
        try:
            records.extend(read_records(sink, warn=lambda message: warn(f"audit history: {message}")))
        except AuditError as exc:
            warn(f"audit history unavailable, using the policies' expected_cost: {exc}")
    return records


def record_run(
    run: GateRun,
    policies: Sequence[LoadedPolicy],
    plan: SinkPlan,
    context: RunContext,
    *,
    clock: Callable[[], float] = time.time,
    new_id: Callable[[], str] = lambda: secrets.token_hex(8),
) -> GateRun:
    """Append one decision record per service; the run carries where each went (or why it did not).

    A required record that cannot be written fails the run (exit 1), whatever the decision was,
    except in advisory mode (which never fails) and on a fork's pull request (its token cannot push).
    """
    by_service = {p.policy.service: p for p in policies}
    entries: list[AuditEntry] = []
    for result in run.services:
        service = result.budgets.service
        sink = plan.by_service.get(service)
        if sink is None:
            if service in plan.disabled:
                entries.append(
                    AuditEntry(service=service, location="none", error=plan.disabled[service], required=False)
                )
            continue
        record = decision_record(
            run, result, by_service[service], context, record_id=new_id(), recorded_at=clock()
        )
        advisory = by_service[service].policy.gate.mode == "advisory"
        required = plan.required.get(service, True) and not advisory and not context.fork
        try:
            appended = sink.append(record)
        except AuditError as exc:
            entries.append(
                AuditEntry(service=service, location=repr(sink), error=str(exc), required=required)
            )
            continue
        stored = appended.record
        entries.append(
            AuditEntry(
                service=service,
                location=appended.location,
                id=stored.id,
                seq=stored.seq,
                hash=stored.hash,
                created=appended.created,
                required=required,
            )
        )
    failed = any(e.error and e.required for e in entries)
    update: dict[str, Any] = {"audit": entries}
    if failed:
        update.update(outcome="fail", exit_code=1)
    return run.model_copy(update=update)
