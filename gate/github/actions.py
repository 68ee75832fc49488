"""The GitHub Actions runner protocol: masks, step outputs, the job summary, annotations, stop-commands.

Everything the gate prints in a job goes through here, so untrusted text can never issue a workflow
command: it is printed only between `::stop-commands::TOKEN` and `::TOKEN::` (a random token per
block), and annotation data is escaped as the runner expects. Secrets are masked before anything else
is printed. Outputs use the heredoc form with a random delimiter that cannot occur in the value.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

from gate.secrets import Secrets

__all__ = [
    "SECRET_VARIABLES",
    "error_annotation",
    "escape_data",
    "escape_property",
    "mask_commands",
    "secret_values",
    "stop_commands",
    "write_outputs",
    "write_summary",
]

# Variables whose values are secrets; header values of SLO_GATE_PROMETHEUS_HEADERS are added too.
SECRET_VARIABLES = (
    "SLO_GATE_PROMETHEUS_TOKEN",
    "SLO_GATE_PROMETHEUS_PASSWORD",
    "SLO_GATE_ANTHROPIC_API_KEY",
    "ANTHROPIC_API_KEY",
    "SLO_GATE_GITHUB_TOKEN",
    "GITHUB_TOKEN",
    # slo-gate watch / serve: a bot token, and webhook URLs that are credentials in themselves
    "SLO_GATE_SLACK_TOKEN",
    "SLO_GATE_SLACK_WEBHOOK_URL",
    "SLO_GATE_NOTIFY_WEBHOOK",
    "SLO_GATE_RECEIVER_TOKEN",
)


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def secret_values(env: Mapping[str, str]) -> list[str]:
    """Every secret the environment holds, line by line (a multi-line secret is masked per line)."""
    values: list[str] = []
    for name in SECRET_VARIABLES:
        values += (env.get(name) or "").splitlines()
    for line in (env.get("SLO_GATE_PROMETHEUS_HEADERS") or "").splitlines():
        _, sep, value = line.partition(":")
        if sep:
            values.append(value.strip())
    user, password = env.get("SLO_GATE_PROMETHEUS_USERNAME"), env.get("SLO_GATE_PROMETHEUS_PASSWORD")
    if user and password:  # what a Basic Authorization header carries: base64 of user:password
        values += Secrets((), basic=(user, password)).forms
    return [v for v in dict.fromkeys(v.strip() for v in values) if len(v) >= 4]


def mask_commands(values: Iterable[str]) -> str:
    return "".join(f"::add-mask::{escape_data(value)}\n" for value in values)


def error_annotation(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    properties = []
    if file:
        properties.append(f"file={escape_property(file)}")
    if line is not None:
        properties.append(f"line={line}")
    if title:
        properties.append(f"title={escape_property(title)}")
    head = "::error" + (" " + ",".join(properties) if properties else "")
    return f"{head}::{escape_data(message)}\n"


def stop_commands(text: str) -> str:
    """`text` wrapped so that no line of it is read as a workflow command."""
    token = secrets.token_hex(16)
    while token in text:  # pragma: no cover - 128 random bits
        token = secrets.token_hex(16)
    body = text if text.endswith("\n") else text + "\n"
    return f"::stop-commands::{token}\n{body}::{token}::\n"


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append step outputs in the heredoc form; each delimiter is random and absent from its value."""
    chunks = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in value:  # pragma: no cover - 128 random bits
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(chunks))


def write_summary(path: Path, markdown: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
