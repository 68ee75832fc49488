"""The runner protocol: outputs that cannot be forged, masks, annotations, stop-commands."""

from __future__ import annotations

import re
from pathlib import Path

from gate.github.actions import (
    error_annotation,
    mask_commands,
    secret_values,
    stop_commands,
    write_outputs,
    write_summary,
)
from tests.support.runner import github_outputs


def test_outputs_use_a_random_delimiter_a_value_cannot_forge(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text("earlier=1\n", encoding="utf-8")  # the runner's file may already hold outputs
    hostile = "line one\nEOF\ndecision=pass\nghadelimiter_0000\n"
    write_outputs(path, {"decision": "fail", "report": hostile.strip()})
    text = path.read_text("utf-8")
    assert text.startswith("earlier=1\n")
    found = github_outputs(text[len("earlier=1\n") :])
    assert found == {"decision": "fail", "report": hostile.strip()}
    delimiters = re.findall(r"<<(ghadelimiter_[0-9a-f]{32})", text)
    assert len(set(delimiters)) == 2


def test_untrusted_text_cannot_issue_a_workflow_command() -> None:
    text = "::set-output name=decision::pass\n::add-mask::x\nordinary line"
    wrapped = stop_commands(text)
    first, *body, last = wrapped.splitlines()
    token = first.removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert last == f"::{token}::"
    assert body == text.splitlines()
    assert token not in text and stop_commands(text) != wrapped  # fresh token each time


def test_annotations_escape_data_and_properties() -> None:
    line = error_annotation("bad\nvalue 100%", file="policies/a,b:c.yaml", line=7, title="slo-gate policy")
    assert line == "::error file=policies/a%2Cb%3Ac.yaml,line=7,title=slo-gate policy::bad%0Avalue 100%25\n"
    assert error_annotation("plain") == "::error::plain\n"


def test_every_secret_is_masked_line_by_line() -> None:
    env = {
        "SLO_GATE_PROMETHEUS_TOKEN": "prom-token-1",
        "SLO_GATE_ANTHROPIC_API_KEY": "sk-ant-xyz",
        "GITHUB_TOKEN": "ghs_abcdef",
        "SLO_GATE_PROMETHEUS_HEADERS": "X-Api-Key: header-secret\nX-Scope-OrgID: tenant-a",
        "SLO_GATE_PROMETHEUS_PASSWORD": "multi\nline-secret",
        "UNRELATED": "visible",
    }
    values = secret_values(env)
    assert set(values) == {
        "prom-token-1",
        "sk-ant-xyz",
        "ghs_abcdef",
        "header-secret",
        "tenant-a",
        "multi",
        "line-secret",
    }
    commands = mask_commands(values)
    assert commands.count("::add-mask::") == len(values)
    assert "visible" not in commands


def test_the_summary_is_appended(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    write_summary(path, "# one")
    write_summary(path, "# two\n")
    assert path.read_text("utf-8") == "# one\n# two\n"


def test_basic_credentials_are_masked_in_their_encoded_form_too() -> None:
    """A proxy that echoes `Authorization: Basic <base64(user:pass)>` must not print it in the log."""
    import base64

    from gate.action import mask_secrets

    env = {"SLO_GATE_PROMETHEUS_USERNAME": "grafana", "SLO_GATE_PROMETHEUS_PASSWORD": "s3cr3t-pass"}
    masks = mask_secrets(env).splitlines()
    encoded = base64.b64encode(b"grafana:s3cr3t-pass").decode()
    assert "::add-mask::s3cr3t-pass" in masks
    assert f"::add-mask::{encoded}" in masks
