"""PURE: the watch's persisted state and its transitions: who is told what, once.

In: the state as stored (`WatchState`), a round's observations, the time, this watcher's id, the
sinks configured, the repeat interval. Out (`plan`): the next state and the notifications this
watcher has claimed. After sending, `settle` records what was delivered. No clock, no I/O: the store
(gate.incident.store) runs `plan` and `settle` inside a compare-and-swap update, so two watchers on
the same state each decide against the other's latest write.

Per (service, SLO), each round:
- a page or ticket condition holds and no incident is open -> open one (`firing`), notify `new`;
- it holds, the incident was a ticket and is now a page -> `escalated`, notify in its thread;
- it still holds -> notify again (`repeat`) only when `repeat_interval` has passed since the last
  notification (Alertmanager's default is 4 h);
- neither holds on conclusive data -> `resolved`, notify in the thread, then forget the incident;
- inconclusive data changes nothing: garbage never resolves an incident.

Exactly-once across watchers: a notification is first claimed in the state (`Pending`, with the
watcher's id and the time); a claim held by another watcher is left alone until its lease runs out
(a watcher that died mid-send is taken over: at-least-once beats never). A delivery that failed
stays pending for the sinks that failed and is retried next round; one that succeeded is never
sent again by anyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gate.incident.model import Observation, RowState, Severity

__all__ = [
    "DEFAULT_LEASE",
    "DEFAULT_REPEAT",
    "Claim",
    "GroupState",
    "IncidentState",
    "Pending",
    "Planned",
    "SinkResult",
    "WatchState",
    "plan",
    "settle",
]

DEFAULT_REPEAT = 4 * 3600.0
DEFAULT_LEASE = 15 * 60.0  # a claim older than this was abandoned (the watcher died mid-round)
EventKind = Literal["new", "escalated", "repeat", "resolved"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Pending(_Frozen):
    """A notification due for `sinks`, claimed by a watcher (or free for the next one to claim)."""

    event: EventKind
    sinks: list[str]
    claimed_by: str | None = None
    claimed_at: float | None = None
    attempts: int = 0


class IncidentState(_Frozen):
    service: str
    slo: str
    status: Literal["firing", "resolved"] = "firing"
    severity: Severity
    peak: Severity  # the most severe condition seen: an escalation is told once
    opened_at: float
    onset: float | None = None
    resolved_at: float | None = None
    last_notified_at: float | None = None
    refs: dict[str, dict[str, str]] = Field(default_factory=dict)  # sink -> its message reference
    pending: Pending | None = None


class GroupState(_Frozen):
    """An Alertmanager group `slo-gate serve` has posted about: where its message is."""

    status: Literal["firing", "resolved"] = "firing"
    opened_at: float
    updated_at: float
    refs: dict[str, dict[str, str]] = Field(default_factory=dict)
    alerts: list[str] = Field(default_factory=list)  # fingerprints of the firing alerts last told


class WatchState(_Frozen):
    schema_version: Literal[1] = 1
    incidents: dict[str, IncidentState] = Field(default_factory=dict)
    groups: dict[str, GroupState] = Field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    """A notification this watcher now owns: send `event` about `key` to `sinks`."""

    key: str
    event: EventKind
    sinks: tuple[str, ...]


@dataclass(frozen=True)
class Planned:
    state: WatchState
    claims: tuple[Claim, ...]
    rows: Mapping[str, RowState]  # the incidents this round reports, by key
    busy: Mapping[str, str]  # incidents whose notification another watcher holds: key -> why


def _severity_rank(severity: Severity) -> int:
    return 1 if severity == "page" else 0


def _claimable(pending: Pending, owner: str, now: float, lease: float) -> bool:
    if pending.claimed_by is None or pending.claimed_by == owner:
        return True
    return pending.claimed_at is None or now - pending.claimed_at >= lease


def plan(
    state: WatchState,
    observations: Sequence[Observation],
    *,
    now: float,
    owner: str,
    sinks: Sequence[str],
    repeat_interval: float = DEFAULT_REPEAT,
    lease: float = DEFAULT_LEASE,
    services: Iterable[str] = (),
) -> Planned:
    """The next state and this watcher's claims (see the module docstring).

    `services`: the services whose policies this round loaded; an incident of one of them whose SLO
    is no longer in the policies is forgotten (without a message), incidents of other services are
    left as they are (another watcher, or a `--service` filter, owns them).
    """
    incidents = dict(state.incidents)
    claims: list[Claim] = []
    rows: dict[str, RowState] = {}
    busy: dict[str, str] = {}
    seen = {o.key for o in observations}
    loaded = set(services)
    for key, incident in list(incidents.items()):
        if incident.service in loaded and key not in seen:
            del incidents[key]
    for obs in observations:
        current = incidents.get(obs.key)
        held = current.pending if current is not None else None
        if current is not None and held is not None and not _claimable(held, owner, now, lease):
            # Another watcher is telling this incident: leave it whole until it has settled.
            rows[obs.key] = "resolved" if current.status == "resolved" else "firing"
            busy[obs.key] = f"another watcher ({held.claimed_by}) is sending its {held.event} notice"
            continue
        step = _step(current, obs, now, repeat_interval)
        if step is None:
            continue
        updated, event, row = step
        if row is not None:
            rows[obs.key] = row
        if event is not None:
            updated = updated.model_copy(update={"pending": Pending(event=event, sinks=list(sinks))})
        pending = updated.pending
        if pending is not None and obs.conclusive:  # a retry waits for data it can report
            claimed = pending.model_copy(
                update={"claimed_by": owner, "claimed_at": now, "attempts": pending.attempts + 1}
            )
            updated = updated.model_copy(update={"pending": claimed})
            claims.append(Claim(obs.key, claimed.event, tuple(claimed.sinks)))
        incidents[obs.key] = updated
    return Planned(state.model_copy(update={"incidents": incidents}), tuple(claims), rows, busy)


def _step(
    current: IncidentState | None, obs: Observation, now: float, repeat_interval: float
) -> tuple[IncidentState, EventKind | None, RowState | None] | None:
    """One SLO's transition: the incident after this round, the event to notify, the row to report.
    None: nothing to keep (no incident, none needed)."""
    if not obs.conclusive:
        return None if current is None else (current, None, "firing" if current.status == "firing" else None)
    severity = obs.severity
    if severity is None:
        if current is None:
            return None
        if current.status == "resolved":  # a resolution still being delivered
            return current, None, "resolved"
        resolved = current.model_copy(update={"status": "resolved", "resolved_at": now})
        return resolved, "resolved", "resolved"
    if current is None or (current.status == "resolved" and current.pending is None):
        opened = IncidentState(
            service=obs.service, slo=obs.slo, severity=severity, peak=severity, opened_at=now
        )
        return opened, "new", "new"
    if current.status == "resolved":
        # It burns again before its resolution was told: the same incident goes on, untold.
        current = current.model_copy(update={"status": "firing", "resolved_at": None, "pending": None})
    updated = current.model_copy(update={"severity": severity})
    if _severity_rank(severity) > _severity_rank(current.peak):
        return updated.model_copy(update={"peak": severity}), "escalated", "escalated"
    if current.pending is not None:
        return updated, None, "firing"
    last = current.last_notified_at
    if last is not None and now - last >= repeat_interval:
        return updated, "repeat", "firing"
    return updated, None, "firing"


@dataclass(frozen=True)
class SinkResult:
    """What one sink did with one claimed notice: the reference to keep, or the error."""

    ref: Mapping[str, str] | None = None
    error: str | None = None


def settle(
    state: WatchState, owner: str, results: Mapping[str, Mapping[str, SinkResult]], *, now: float
) -> WatchState:
    """Record the deliveries of this watcher's claims: references kept, sinks that failed left pending
    (unclaimed, for the next round), a fully told resolution forgotten."""
    incidents = dict(state.incidents)
    for key, by_sink in results.items():
        incident = incidents.get(key)
        if incident is None:
            continue
        refs = dict(incident.refs)
        for sink, result in by_sink.items():
            if result.error is None and result.ref:
                refs[sink] = dict(result.ref)
        pending = incident.pending
        mine = pending is not None and pending.claimed_by == owner
        if not mine:
            incidents[key] = incident.model_copy(update={"refs": refs})  # taken over: keep what we learnt
            continue
        assert pending is not None
        failed = [sink for sink in pending.sinks if sink not in by_sink or by_sink[sink].error is not None]
        if failed:
            left = pending.model_copy(update={"sinks": failed, "claimed_by": None, "claimed_at": None})
            incidents[key] = incident.model_copy(update={"refs": refs, "pending": left})
        elif incident.status == "resolved":
            del incidents[key]
        else:
            incidents[key] = incident.model_copy(
                update={"refs": refs, "pending": None, "last_notified_at": now}
            )
    return state.model_copy(update={"incidents": incidents})
