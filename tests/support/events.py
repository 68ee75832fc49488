"""Pull requests from the real webhook payloads in tests/data/github-webhooks/."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from gate.github.context import GitHubContext, PullRequestInfo

LABELED_EVENT = (
    Path(__file__).resolve().parent.parent / "data" / "github-webhooks" / "pull_request.labeled.payload.json"
)


def labeled_pull_request(labels: Sequence[str] | None = None) -> PullRequestInfo:
    """The PR of a real `pull_request.labeled` payload; `labels` replaces its labels when given."""
    payload = json.loads(LABELED_EVENT.read_text("utf-8"))
    if labels is not None:
        payload["pull_request"]["labels"] = [{"name": name, "color": "d73a4a"} for name in labels]
        payload["label"] = {"name": labels[0]} if labels else payload["label"]
    context = GitHubContext(
        event_name="pull_request",
        repository=payload["repository"]["full_name"],
        api_url="https://api.github.com",
        server_url="https://github.com",
        sha="",
        run_id="1",
        run_attempt="1",
        workspace="",
        payload=payload,
    )
    pr = context.pull_request
    assert pr is not None
    return pr
