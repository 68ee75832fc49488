"""PURE: rule groups as text: a Prometheus rule file (`groups:`) or a prometheus-operator `PrometheusRule`.

In: groups from gate/export/rules.py and a header naming where they came from. Out: YAML text, with
each rule's comment above it and multi-line expressions as literal blocks, so a reviewer reads the
file like code. The same input always gives the same bytes (golden-tested).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from gate.export.rules import Group

__all__ = ["dump_yaml", "operator_name", "render_operator", "render_rule_file"]


class _Dumper(yaml.SafeDumper):
    """Block style; a string with a newline as a literal block (`|-`), so expressions read as written."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any) -> str:
    """YAML in block style, keys in their order, multi-line strings as literal blocks (`|-`)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1_000_000)


_dump = dump_yaml


def _scalar(value: str) -> str:
    """One YAML scalar as it would appear after `key: ` (quoted when YAML needs it)."""
    return _dump({"k": value})[len("k: ") :].strip()


def _comment(text: str, indent: str) -> list[str]:
    return [f"{indent}# {line}".rstrip() for line in text.splitlines()] if text else []


def _indent(text: str, first: str, rest: str) -> list[str]:
    lines = text.rstrip("\n").splitlines()
    return [first + lines[0], *(rest + line for line in lines[1:])]


def _groups(groups: Sequence[Group], indent: str) -> list[str]:
    lines: list[str] = []
    for group in groups:
        lines += _comment(group.comment, indent)
        name, interval = _scalar(group.name), _scalar(group.interval)
        lines += [f"{indent}- name: {name}", f"{indent}  interval: {interval}", f"{indent}  rules:"]
        for rule in group.rules:
            lines += _comment(rule.comment, indent + "  ")
            lines += _indent(_dump(rule.as_dict()), indent + "  - ", indent + "    ")
    return lines


def render_rule_file(groups: Sequence[Group], header: Sequence[str]) -> str:
    """A Prometheus rule file (`promtool check rules` reads it)."""
    lines = _comment("\n".join(header), "")
    lines.append("groups:" if groups else "groups: []")
    lines += _groups(groups, "")
    return "\n".join(lines) + "\n"


_K8S_NAME = re.compile(r"[^a-z0-9-]+")


def operator_name(service: str) -> str:
    """A Kubernetes object name (RFC 1123 label) for a service's PrometheusRule."""
    name = _K8S_NAME.sub("-", f"slo-gate-{service}".lower()).strip("-")
    return name[:63].rstrip("-")


def render_operator(service: str, groups: Sequence[Group], header: Sequence[str]) -> str:
    """One `PrometheusRule` (monitoring.coreos.com/v1) holding a service's groups."""
    lines = _comment("\n".join(header), "")
    lines += [
        "apiVersion: monitoring.coreos.com/v1",
        "kind: PrometheusRule",
        "metadata:",
        f"  name: {operator_name(service)}",
        "  labels:",
        "    app.kubernetes.io/managed-by: slo-gate",
        f"    slo-gate/service: {_scalar(service.rstrip('._-') or 'x')}",
        "spec:",
        "  groups:" if groups else "  groups: []",
    ]
    lines += _groups(groups, "  ")
    return "\n".join(lines) + "\n"
