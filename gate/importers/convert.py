"""A Sloth, OpenSLO or Pyrra file -> validated slo-gate policies, one per service: the one conversion path
of `slo-gate import` and of `--policy` / `validate` given such a file.

In: the file's exact bytes, its display path and the `--gate-defaults` overlay (if any). Out: an
`Imported` per service (the `Policy`, the slo-gate YAML it is written as, and the line of each value
in the spec), or `PolicyErrors` with every refusal and every validation error of the file at once,
each `FILE:LINE: field: message` with the field spelled as in the spec. Several documents (`---`, or a
top-level list) are read; OpenSLO references resolve within the file. Validation is the policy
loader's own (`validate_policy_data`), on the converted data with the spec's line map.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gate.errors import PolicyError, PolicyErrors
from gate.importers import openslo, pyrra, sloth
from gate.importers.detect import is_foreign
from gate.importers.render import policy_yaml
from gate.importers.spec import Doc, Draft, Refused, rename
from gate.policy import GateDefaults, Policy
from gate.policy_yaml import LineMap, parse_yaml_documents, sort_errors

__all__ = ["Imported", "Overlay", "convert_file", "is_foreign"]

FORMATS = {
    "sloth": "Sloth prometheus/v1",
    "sloth-crd": "Sloth sloth.slok.dev/v1 PrometheusServiceLevel",
    "openslo/v1": "OpenSLO v1",
    "openslo/v1alpha": "OpenSLO v1alpha",
    "pyrra": "Pyrra pyrra.dev/v1alpha1 ServiceLevelObjective",
}


@dataclass(frozen=True)
class Overlay:
    """A `--gate-defaults` file, read and validated."""

    defaults: GateDefaults
    path: str
    sha256: str


@dataclass(frozen=True)
class Imported:
    policy: Policy
    text: str  # the slo-gate YAML (header + policy)
    lines: LineMap  # slo-gate path -> line in the spec
    path: str
    formats: tuple[str, ...]
    notes: tuple[str, ...]


def _format(data: Any) -> str | None:
    version, api, kind = data.get("version"), data.get("apiVersion"), data.get("kind")
    if version == sloth.VERSION and api is None:
        return "sloth"
    if api == sloth.CRD_API and kind == sloth.CRD_KIND:
        return "sloth-crd"
    if api in (openslo.V1, openslo.V1ALPHA):
        return str(api)
    if api == pyrra.API and kind == pyrra.KIND:
        return "pyrra"
    return None


def _documents(data: bytes, path: str) -> tuple[list[tuple[str, Doc]], list[PolicyError]]:
    docs: list[tuple[str, Doc]] = []
    errors: list[PolicyError] = []
    for parsed in parse_yaml_documents(data, path):
        found = _format(parsed.data)
        if found is None:
            what = parsed.data.get("apiVersion") or parsed.data.get("version")
            line = parsed.lines.get(("apiVersion",)) or parsed.lines.get(("version",)) or parsed.lines.get(())
            errors.append(
                PolicyError(
                    path,
                    line,
                    "apiVersion",
                    f"{what!r} (kind {parsed.data.get('kind')!r}) is not a spec slo-gate imports; a file holds "
                    "Sloth prometheus/v1 or PrometheusServiceLevel, OpenSLO v1/v1alpha, or Pyrra "
                    "ServiceLevelObjective objects (a slo-gate policy goes in a file of its own)",
                )
            )
            continue
        docs.append((found, Doc(path, parsed.data, parsed.lines, FORMATS[found])))
    return docs, errors


def _drafts(docs: Sequence[tuple[str, Doc]], refusals: list[Refused]) -> list[Draft]:
    drafts: list[Draft] = []
    for found, doc in docs:
        if found in ("sloth", "sloth-crd"):
            drafts += sloth.convert(doc, refusals)
        elif found == "pyrra":
            drafts += pyrra.convert(doc, refusals)
    open_docs = [doc for found, doc in docs if found.startswith("openslo")]
    if open_docs:
        drafts += openslo.convert(open_docs, refusals)
    return _merged(drafts)


def _merged(drafts: Sequence[Draft]) -> list[Draft]:
    """One draft per service (Pyrra objects of one namespace, Sloth CRDs of one service)."""
    by_service: dict[str, Draft] = {}
    for draft in drafts:
        into = by_service.get(draft.service)
        if into is None:
            by_service[draft.service] = draft
            continue
        for index, slo in enumerate(draft.data.get("slos", [])):
            lines = {at[2:]: line for at, line in draft.lines.items() if at[:2] == ("slos", index)}
            prefix = f"slos[{index}]"
            fields = {
                name[len(prefix) :].lstrip("."): source
                for name, source in draft.fields.items()
                if name == prefix or name.startswith((prefix + ".", prefix + "["))
            }
            into.add_slo(slo, lines, fields)
        for note in draft.notes:
            into.note(note)
        if draft.kind not in into.kind:
            into.kind += f", {draft.kind}"
    return list(by_service.values())


def _overlaid(draft: Draft, overlay: Overlay | None) -> dict[str, Any]:
    raw: dict[str, Any] = {"apiVersion": "slo-gate/v1", **draft.data}
    if overlay is None:
        return raw
    given = overlay.defaults
    if given.paths is not None:
        raw["paths"] = list(given.paths)
    if given.adjustments is not None:
        raw["adjustments"] = [a.model_dump(mode="json") for a in given.adjustments]
    for key in ("prometheus", "gate", "audit"):
        value = getattr(given, key)
        if value is not None:
            raw[key] = value.model_dump(mode="json", by_alias=True)
    slo_defaults = given.slo_defaults
    if slo_defaults is not None:
        for slo in raw.get("slos", []):
            if slo_defaults.window is not None and "window" not in slo:
                window = slo_defaults.window
                slo["window"] = window if isinstance(window, str) else window.model_dump()
            if slo_defaults.min_events is not None and "min_events" not in slo:
                slo["min_events"] = slo_defaults.min_events
            if slo_defaults.recorded is not None and isinstance(slo.get("sli"), dict):
                slo["sli"].setdefault("recorded", slo_defaults.recorded)
    return raw


def _header(draft: Draft, data: bytes, overlay: Overlay | None) -> list[str]:
    sha = hashlib.sha256(data).hexdigest()[:12]
    lines = [
        f"Imported by `slo-gate import` from {draft.path} ({draft.kind}, sha256 {sha}).",
        "Edit the source and import again, or adopt this file and retire the source.",
    ]
    if overlay is not None:
        lines.append(
            f"Gate settings from {overlay.path} (sha256 {overlay.sha256[:12]}); the rest are slo-gate's defaults."
        )
    else:
        lines.append("Gate settings: slo-gate's defaults (give --gate-defaults FILE to set your own).")
    if "Sloth" in draft.kind and not (
        overlay and overlay.defaults.slo_defaults and overlay.defaults.slo_defaults.window
    ):
        lines.append(
            "Sloth specs have no window: 30d, Sloth's default (slo_defaults.window in --gate-defaults sets another)."
        )
    if draft.notes:
        lines.append("Not carried over: " + "; ".join(draft.notes) + ".")
    return lines


def convert_file(data: bytes, path: str, overlay: Overlay | None = None) -> list[Imported]:
    """Every service of a spec file as a validated slo-gate policy; PolicyErrors with every problem."""
    from gate.policy_load import validate_policy_data

    docs, errors = _documents(data, path)
    refusals: list[Refused] = []
    drafts = _drafts(docs, refusals)
    errors += [r.error for r in refusals]
    imported: list[Imported] = []
    for draft in drafts:
        if not draft.data.get("slos"):  # every SLO of it was refused (reported above)
            continue
        try:
            policy = validate_policy_data(_overlaid(draft, overlay), draft.lines, path)
        except PolicyErrors as exc:
            errors += [rename(e, draft.fields) for e in exc.errors]
            continue
        text = policy_yaml(policy, _header(draft, data, overlay))
        formats = tuple(k.strip() for k in draft.kind.split(","))
        imported.append(Imported(policy, text, draft.lines, path, formats, tuple(draft.notes)))
    if errors:
        raise PolicyErrors(sort_errors(errors))
    if not imported:
        raise PolicyErrors([PolicyError(path, None, "", "no SLO in this file")])
    return imported
