"""What `watch` calls when an incident resolves: draft its postmortem, and open it once per incident
when it crossed the policy's `postmortem.required_above`.

- `draft_for_incident` builds the draft for one SLO's incident: its edges are found at 1-minute
  resolution around the watcher's onset (the watcher's own times are coarser); if no alert is found
  there, the watcher's span is used as given.
- `open_draft` opens a required draft as a GitHub issue labelled POSTMORTEM_LABEL (found again by the
  hidden marker naming service, SLO and onset, among open and closed issues, so a rerun or a second
  watcher never opens it twice) or as a file under a folder (never overwritten). A draft that is not
  required opens nothing (None).

The GitHub client and the model client are the Runtime's (gate.compose); nothing here builds one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gate.errors import UsageError
from gate.postmortem.build import DraftRequest, build_postmortem
from gate.postmortem.model import Postmortem
from gate.postmortem.render import marker, render_markdown, title

if TYPE_CHECKING:
    from gate.audit.record import AuditRecord
    from gate.github.api import GitHubClient
    from gate.llm.client import ToolCaller
    from gate.measure import HistorySource
    from gate.policy import LoadedPolicy

__all__ = ["POSTMORTEM_LABEL", "OpenedDraft", "draft_for_incident", "open_draft"]

POSTMORTEM_LABEL = "slo-gate/postmortem"
BODY_MAX = 60_000  # GitHub refuses issue bodies over 65,536 characters


@dataclass(frozen=True)
class OpenedDraft:
    location: str  # the issue's URL, or the file's path
    created: bool  # False: this incident's draft was already there


def draft_for_incident(
    loaded: LoadedPolicy,
    slo: str,
    source: HistorySource,
    records: Sequence[AuditRecord],
    *,
    onset: float,
    resolved: float,
    at: float,
    metrics_label: str,
    client: ToolCaller | None = None,
    without_model: str = "no model configured",
) -> Postmortem:
    """The draft for `slo`'s incident that the watcher saw from `onset` to `resolved` (unix seconds)."""
    around = DraftRequest(at=at, around=onset, slo=slo, search=max(3600.0, resolved - onset + 3600.0))
    try:
        return build_postmortem(
            loaded,
            source,
            records,
            around,
            metrics_label=metrics_label,
            client=client,
            without_model=without_model,
        )
    except UsageError:  # no alert near the onset at 1-minute resolution: the watcher's span as given
        given = DraftRequest(at=at, start=onset, end=max(resolved, onset + 60.0), slo=slo)
        return build_postmortem(
            loaded,
            source,
            records,
            given,
            metrics_label=metrics_label,
            client=client,
            without_model=without_model,
        )


def _file_name(draft: Postmortem) -> str:
    stamp = draft.incident.start.replace("-", "").replace(":", "")
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{draft.service}-{draft.slo}")
    return f"postmortem-{safe}-{stamp}.md"


def open_draft(
    draft: Postmortem,
    *,
    github: GitHubClient | None = None,
    repo: str | None = None,
    out_dir: Path | None = None,
) -> OpenedDraft | None:
    """Open a required draft once: as an issue in `repo` (with `github`), else as a file in `out_dir`."""
    if not draft.postmortem.required:
        return None
    text = render_markdown(draft)
    if github is not None and repo is not None:
        tag = marker(draft)
        for issue in github.list_issues(repo, label=POSTMORTEM_LABEL):
            body = issue.get("body")
            if isinstance(body, str) and tag in body:
                return OpenedDraft(str(issue.get("html_url") or issue.get("number")), created=False)
        body = (
            text
            if len(text) <= BODY_MAX
            else text[:BODY_MAX] + "\n\n_(cut: the draft was too long for an issue)_\n"
        )
        created = github.create_issue(repo, title(draft)[:250], body, [POSTMORTEM_LABEL])
        return OpenedDraft(str(created.get("html_url") or created.get("number")), created=True)
    if out_dir is None:
        raise UsageError("a postmortem draft needs a GitHub repository or an output folder")
    path = out_dir / _file_name(draft)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        return OpenedDraft(str(path), created=False)
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None
    return OpenedDraft(str(path), created=True)
