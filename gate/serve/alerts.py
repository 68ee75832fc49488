"""PURE: an Alertmanager webhook notification (payload version 4), read and checked.

In: the request body (bytes, already capped at MAX_BODY by the receiver). Out: an `AlertGroup`, or a
`PayloadError` saying what is wrong (never quoting the body). The body is hostile until proven
otherwise: parsed with bounded depth (gate.safejson), every field type-checked, strings capped, at
most MAX_ALERTS alerts kept (the rest counted as truncated, like Alertmanager's own `truncatedAlerts`).

Which SLO an alert is about (DESIGN §7): the labels `slo-gate rules` puts on its alerts,
`slo_gate_service` and `slo_gate_slo` (severity in `severity`), or Sloth's `sloth_service`,
`sloth_slo` (severity in `sloth_severity`). A value that is not a valid service or SLO name leaves the
alert unmatched: it is still shown, with its own labels, never looked up.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from gate import safejson
from gate.times import check_unix, parse_iso

__all__ = ["MAX_ALERTS", "MAX_BODY", "Alert", "AlertGroup", "PayloadError", "parse_notification"]

MAX_BODY: Final = 1024 * 1024
MAX_ALERTS: Final = 200
_VALUE_MAX: Final = 1000
_LABELS_MAX: Final = 64
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_LABEL_KEYS = (
    ("slo_gate_service", "slo_gate_slo", "severity"),
    ("sloth_service", "sloth_slo", "sloth_severity"),
)


class PayloadError(ValueError):
    """The body is not an Alertmanager v4 notification this receiver can use."""


@dataclass(frozen=True)
class Alert:
    status: Literal["firing", "resolved"]
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: float | None
    ends_at: float | None
    fingerprint: str

    @property
    def slo_ref(self) -> tuple[str, str] | None:
        """(service, SLO) from slo-gate's or Sloth's labels, when both are valid names."""
        for service_key, slo_key, _ in _LABEL_KEYS:
            service, slo = self.labels.get(service_key), self.labels.get(slo_key)
            if service is not None and slo is not None:
                if _NAME.fullmatch(service) and _NAME.fullmatch(slo):
                    return service, slo
                return None
        return None

    @property
    def severity(self) -> str | None:
        """`page` or `ticket` when the alert says so (slo-gate's or Sloth's label), else None."""
        for _, _, severity_key in _LABEL_KEYS:
            value = self.labels.get(severity_key)
            if value in ("page", "ticket"):
                return value
        return None


@dataclass(frozen=True)
class AlertGroup:
    receiver: str
    status: Literal["firing", "resolved"]
    group_key: str
    group_labels: Mapping[str, str]
    common_labels: Mapping[str, str]
    alerts: tuple[Alert, ...]
    truncated: int = 0
    external_url: str = ""

    @property
    def group_id(self) -> str:
        """A short stable id for the group (its key may be long and hold any label values)."""
        return hashlib.sha256(self.group_key.encode("utf-8", "surrogatepass")).hexdigest()[:24]

    @property
    def firing(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.status == "firing")


def _text(value: Any, where: str, limit: int = _VALUE_MAX) -> str:
    if not isinstance(value, str):
        raise PayloadError(f"{where} must be a string")
    return value[:limit]


def _mapping(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be an object of strings")
    out: dict[str, str] = {}
    for index, (key, item) in enumerate(value.items()):
        if index >= _LABELS_MAX:
            break
        out[_text(key, f"{where} key", 200)] = _text(item, f"{where} value")
    return out


def _time(value: Any) -> float | None:
    """An RFC 3339 time; None for Alertmanager's zero time (`0001-01-01T00:00:00Z`) or anything unusable."""
    if not isinstance(value, str) or value.startswith("0001-") or len(value) > 64:
        return None
    try:
        return check_unix(parse_iso(value))
    except (ValueError, OverflowError):
        return None


def _status(value: Any, where: str) -> Literal["firing", "resolved"]:
    if value == "firing":
        return "firing"
    if value == "resolved":
        return "resolved"
    raise PayloadError(f"{where} must be firing or resolved")


def _alert(raw: Any, index: int) -> Alert:
    where = f"alerts[{index}]"
    if not isinstance(raw, dict):
        raise PayloadError(f"{where} must be an object")
    return Alert(
        status=_status(raw.get("status"), f"{where}.status"),
        labels=_mapping(raw.get("labels"), f"{where}.labels"),
        annotations=_mapping(raw.get("annotations"), f"{where}.annotations"),
        starts_at=_time(raw.get("startsAt")),
        ends_at=_time(raw.get("endsAt")),
        fingerprint=_text(raw.get("fingerprint", ""), f"{where}.fingerprint", 64),
    )


def parse_notification(body: bytes) -> AlertGroup:
    if len(body) > MAX_BODY:
        raise PayloadError(f"the body is larger than {MAX_BODY} bytes")
    try:
        data = safejson.loads(body)
    except safejson.JSONError as exc:
        raise PayloadError(f"the body is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PayloadError("the body must be a JSON object")
    if str(data.get("version")) != "4":
        raise PayloadError("only Alertmanager webhook payload version 4 is read")
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("alerts must be a list")
    truncated = data.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        truncated = 0
    return AlertGroup(
        receiver=_text(data.get("receiver", ""), "receiver", 200),
        status=_status(data.get("status"), "status"),
        group_key=_text(data.get("groupKey"), "groupKey", 4000),
        group_labels=_mapping(data.get("groupLabels"), "groupLabels"),
        common_labels=_mapping(data.get("commonLabels"), "commonLabels"),
        alerts=tuple(_alert(raw, i) for i, raw in enumerate(alerts[:MAX_ALERTS])),
        truncated=truncated + max(0, len(alerts) - MAX_ALERTS),
        external_url=_text(data.get("externalURL", ""), "externalURL", 500),
    )
