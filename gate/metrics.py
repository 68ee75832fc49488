"""Where metrics come from: the MetricsSource interface, a recorder, a snapshot replayer, and the
checks every answer gets whichever source it comes from.

A snapshot holds the answers to the exact batched queries of one run, so `slo-gate demo` and
`--metrics-snapshot` replay the real pipeline with no network. A replayed answer is validated like a
live one (`check_series`: well-formed labels, finite values), so a snapshot holding NaN makes that
SLO inconclusive with the reason, never "nan% left". A snapshot file is parsed with bounded depth.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from gate import safejson
from gate.errors import DataError, UsageError
from gate.models import Sample

SNAPSHOT_FORMAT = "slo-gate-snapshot/v1"
_MAX_SERIES_NAMED: Final = 5
_NAME_CHARS: Final = 200  # a label value comes from outside: no message quotes all of a huge one


def series_name(labels: Mapping[str, str]) -> str:
    """`name{a="1", b="2"}`, as messages name a series: at most 200 characters."""
    name = labels.get("__name__", "")
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    text = f"{name}{{{rest}}}"
    return text if len(text) <= _NAME_CHARS else text[:_NAME_CHARS] + "…"


def check_series(series: Iterable[tuple[Mapping[str, str], Iterable[float]]], *, query: str) -> None:
    """The checks every answer gets, live or replayed: label names are non-empty printable text and
    every value is finite. Raises DataError naming up to five offending series."""
    bad = []
    for labels, values in series:
        if not well_formed_labels(labels):
            raise DataError(f"malformed labels on a series: {sorted(labels, key=str)!r:.200}", query=query)
        odd = sorted({_fmt_value(v) for v in values if not math.isfinite(v)})
        if odd:
            bad.append(f"{series_name(labels)} = {'/'.join(odd)}")
    if bad:
        named = "; ".join(bad[:_MAX_SERIES_NAMED])
        more = f" (and {len(bad) - _MAX_SERIES_NAMED} more)" if len(bad) > _MAX_SERIES_NAMED else ""
        raise DataError(f"non-finite values (NaN/Inf) in {len(bad)} series: {named}{more}", query=query)


def text_map(mapping: Mapping[Any, Any]) -> bool:
    """Every key and value is a str. Checked with joins, in C: a 1000-SLO answer has 100,000 labels."""
    try:
        "".join(mapping)
        "".join(mapping.values())
    except TypeError:
        return False
    return True


def well_formed_labels(labels: Mapping[Any, Any]) -> bool:
    """Every label name is non-empty printable text and every value is text."""
    return text_map(labels) and all(labels) and "".join(labels).isprintable()


def _fmt_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


class MetricsSource(Protocol):
    def instant(self, expr: str, at: float, *, tenant: str | None = None) -> list[Sample]: ...


class PreferRecorded:
    """A source whose SLOs are read from the series `slo-gate rules` records, where they exist and are
    fresh (`--use-recorded`; gate/measure.py falls back to the raw queries, with the reason, per SLO).
    Queries pass through unchanged; range queries too, when the source can run them."""

    prefer_recorded = True

    def __init__(self, inner: MetricsSource) -> None:
        self._inner = inner

    def instant(self, expr: str, at: float, *, tenant: str | None = None) -> list[Sample]:
        return self._inner.instant(expr, at, tenant=tenant)

    def range(self, expr: str, start: float, end: float, step: float, *, tenant: str | None = None) -> Any:
        range_query = getattr(self._inner, "range", None)
        if not callable(range_query):
            raise DataError("this metrics source cannot run range queries", query=expr)
        return range_query(expr, start, end, step, tenant=tenant)


def prefers_recorded(source: object) -> bool:
    """Whether the run asked for recorded series (`--use-recorded`) through this source."""
    return bool(getattr(source, "prefer_recorded", False))


class SnapshotEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    expr: str
    tenant: str | None = None
    samples: list[Sample]


class Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    format: str = SNAPSHOT_FORMAT
    evaluated_at: float
    note: str = ""
    queries: list[SnapshotEntry]


class RecordingSource:
    """Passes queries through to a real source and keeps every successful answer."""

    def __init__(self, inner: MetricsSource) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str | None], SnapshotEntry] = {}
        self._at: float | None = None

    def instant(self, expr: str, at: float, *, tenant: str | None = None) -> list[Sample]:
        samples = self._inner.instant(expr, at, tenant=tenant)
        with self._lock:
            self._at = at
            self._entries[(expr, tenant)] = SnapshotEntry(expr=expr, tenant=tenant, samples=samples)
        return samples

    def snapshot(self, note: str = "") -> Snapshot:
        with self._lock:
            entries = sorted(self._entries.values(), key=lambda e: (e.tenant or "", e.expr))
            return Snapshot(evaluated_at=self._at or 0.0, note=note, queries=entries)

    def save(self, path: Path, note: str = "") -> None:
        text = self.snapshot(note).model_dump_json(indent=1)
        path.write_text(text + "\n", encoding="utf-8")


class SnapshotSource:
    """Answers queries from a recorded snapshot; anything not recorded is a DataError, never a guess."""

    def __init__(self, snapshot: Snapshot, *, label: str = "snapshot") -> None:
        self.snapshot = snapshot
        self._label = label
        self._answers = {(e.expr, e.tenant): e.samples for e in snapshot.queries}

    @classmethod
    def from_text(cls, text: str, *, label: str) -> SnapshotSource:
        try:
            # NaN/Infinity load as floats so that check_series names them per query.
            data = safejson.loads(text, constants=True)
        except safejson.JSONError as exc:
            raise UsageError(f"{label}: not a JSON metrics snapshot: {exc}") from None
        try:
            snapshot = Snapshot.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise UsageError(f"{label}: {where}: {first['msg']}") from exc
        if snapshot.format != SNAPSHOT_FORMAT:
            raise UsageError(f"{label}: format {snapshot.format!r} is not {SNAPSHOT_FORMAT!r}")
        return cls(snapshot, label=label)

    @classmethod
    def from_file(cls, path: Path) -> SnapshotSource:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{path}: cannot read metrics snapshot: {exc.strerror}") from exc
        return cls.from_text(text, label=str(path))

    def instant(self, expr: str, at: float, *, tenant: str | None = None) -> list[Sample]:
        if at != self.snapshot.evaluated_at:
            raise DataError(
                f"{self._label} was recorded at {self.snapshot.evaluated_at:.0f}, not {at:.0f}", query=expr
            )
        try:
            samples = list(self._answers[(expr, tenant)])
        except KeyError:
            raise DataError(f"{self._label} holds no answer for this query", query=expr) from None
        check_series(((s.labels, (s.value,)) for s in samples), query=expr)
        return samples
