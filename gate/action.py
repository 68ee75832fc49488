"""`slo-gate check` inside GitHub Actions: the edge between the gate and the runner and the REST API.

Before the run: mask every secret (before anything else is printed), read the policies from the PR's
base commit (a PR cannot loosen the policy that judges it), verify override and fix labels through the
issue timeline and collaborator permissions, and on `synchronize` remove labels applied before the new
commits. After the run: step outputs, the job summary, one sticky comment per service, and the text
report printed between stop-commands tokens so no untrusted text can act as a workflow command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from gate import git, report
from gate.errors import GateError, UsageError
from gate.github import actions
from gate.models import GateRun, Override
from gate.policy import LoadedPolicy
from gate.policy_load import GitTree, discover, load_policy_sources, read_gate_defaults, read_sources

if TYPE_CHECKING:
    from gate.github.api import GitHubClient
    from gate.github.context import GitHubContext, PullRequestInfo

__all__ = ["ActionRun", "base_policies", "mask_secrets", "outputs", "publish"]


def mask_secrets(env: Mapping[str, str]) -> str:
    """The `::add-mask::` commands for every secret in `env`: print them before anything else."""
    return actions.mask_commands(actions.secret_values(env))


def _git(args: Sequence[str], cwd: str | None) -> git.GitResult:
    try:
        return git.run(args, cwd=cwd)
    except git.GitUnavailable as exc:
        raise UsageError(f"{exc}; git is needed to read the policies at the PR's base") from None


def base_policies(commit: str, paths: Sequence[str], *, cwd: str | None) -> list[LoadedPolicy] | None:
    """The policies under `paths` as they are at `commit` (fetched when the checkout lacks it).

    Discovered by the same rules as local files (policy_load.discover over a GitTree). None when the
    base commit has no policy there (a PR that adds the first policy): the caller then uses the PR's
    own policies and says so.
    """
    if _git(["cat-file", "-e", "--end-of-options", f"{commit}^{{commit}}"], cwd).returncode != 0:
        fetched = _git(
            ["fetch", "--quiet", "--no-tags", "--depth=1", "origin", "--end-of-options", commit], cwd
        )
        if not fetched.ok:
            reason = git.describe_failure(fetched.stderr, fetched.returncode)
            raise UsageError(
                f"cannot read the policies at the PR's base commit {commit[:12]} (a PR is judged by its "
                f"base's policies, never its own): {reason}"
            )
    tree = GitTree(commit, cwd)
    try:
        # The --gate-defaults of imported specs comes from the base too (absent there: the defaults).
        overlay = read_gate_defaults(tree)
        # A path missing at the base is no error: the PR may be the one adding it.
        files, _missing = discover(paths, tree)
        if overlay is not None:
            files = [f for f in files if tree.identity(f) != tree.identity(overlay.path)]
        sources, errors = read_sources(files, tree)
    except git.GitUnavailable as exc:
        raise UsageError(f"{exc}; git is needed to read the policies at the PR's base") from None
    if not sources and not errors:
        return None
    return load_policy_sources(sources, errors, overlay=overlay)


@dataclass
class ActionRun:
    """What the Actions edge learned before the run, to report after it."""

    context: GitHubContext
    pr: PullRequestInfo | None
    notes: list[str] = field(default_factory=list)
    verified: dict[str, Override] = field(default_factory=dict)


def policies_for_run(
    context: GitHubContext,
    pr: PullRequestInfo | None,
    loaded: list[LoadedPolicy],
    paths: Sequence[str],
    notes: list[str],
) -> list[LoadedPolicy]:
    """On a PR, the base commit's policies (the PR's own only when the base has none)."""
    if pr is None:
        return loaded
    at_base = base_policies(pr.base_sha, paths, cwd=context.workspace or None)
    if at_base is None:
        notes.append("the base commit has no policy yet; this PR's own policies are used")
        return loaded
    notes.append(f"policies read from the base commit {pr.base_sha[:12]}, not from the PR")
    return at_base


def verify_override_labels(
    client: GitHubClient,
    context: GitHubContext,
    pr: PullRequestInfo,
    policies: Sequence[LoadedPolicy],
    notes: list[str],
) -> dict[str, Override]:
    """Verdicts on the override/fix labels, keyed `service/label`; stale labels removed on synchronize."""
    from gate.github.overrides import head_pushed_at, strip_stale_labels, verify_labels

    verdicts: dict[str, Override] = {}
    action = str(context.payload.get("action") or "")
    removed: set[str] = set()
    for loaded in policies:
        config = loaded.policy.gate.override
        removed.update(strip_stale_labels(client, context.repository, pr, config, action, notes=notes))
    if removed:
        notes.append(
            "new commits were pushed, so "
            + ", ".join(sorted(removed))
            + " was removed; re-apply it after reviewing them"
        )
    current = replace(pr, labels=tuple(label for label in pr.labels if label not in removed))
    events = client.issue_timeline(context.repository, pr.number)  # one read serves every policy
    pushed_at = head_pushed_at(client, context.repository, current, events=events)
    # A fork's `pull_request` token cannot remove labels, and commit dates can be backdated: there a
    # label counts only in the run its own `labeled` event starts, for the head it was applied to.
    read_only = context.event_name == "pull_request" and (
        pr.head_repo is None or pr.head_repo != context.repository
    )
    labeled = context.payload.get("label")
    labeled_now = labeled.get("name") if action == "labeled" and isinstance(labeled, Mapping) else None
    for loaded in policies:
        for label, verdict in verify_labels(
            client,
            context.repository,
            current,
            loaded.policy.gate.override,
            head_pushed_at=pushed_at,
            events=events,
        ).items():
            if verdict.honoured and action == "synchronize":
                verdict = verdict.model_copy(
                    update={
                        "honoured": False,
                        "reason": "new commits were pushed after it was applied; re-apply it after reviewing them",
                    }
                )
            elif verdict.honoured and read_only and labeled_now != label:
                verdict = verdict.model_copy(
                    update={
                        "honoured": False,
                        "reason": "on a pull request from a fork a label counts only in the run its own labeled "
                        "event starts (the time of a push cannot be verified there); re-apply it",
                    }
                )
            verdicts[f"{loaded.policy.service}/{label}"] = verdict
    for loaded in policies:  # labels removed above: reported as such, never as "cannot be verified"
        config = loaded.policy.gate.override
        for kind, label in (("override", config.label), ("fix", config.fix_label)):
            if label in removed and f"{loaded.policy.service}/{label}" not in verdicts:
                verdicts[f"{loaded.policy.service}/{label}"] = Override(
                    kind="override" if kind == "override" else "fix",
                    label=label,
                    honoured=False,
                    reason="new commits were pushed after it was applied, so it was removed; "
                    "re-apply it after reviewing them",
                )
    return verdicts


def outputs(run: GateRun, report_path: str, comment_urls: Sequence[str]) -> dict[str, str]:
    """The action's step outputs (names as in action.yml)."""
    remaining = [
        s.budget_remaining for r in run.services for s in r.budgets.slos if s.budget_remaining is not None
    ]
    burns = [s.burn_rates.get("1h") for r in run.services for s in r.budgets.slos]
    burn_values = [b for b in burns if b is not None]
    override = run.override
    override_text = ""
    if override is not None:
        override_text = (
            f"honoured: {override.label} by {override.actor}"
            if override.honoured
            else f"ignored: {override.reason}"
        )
    audit_ids = [f"{e.service}={e.id}" for e in run.audit if e.id]
    return {
        "decision": run.outcome,
        "risk": run.change.risk.value,
        "category": run.change.category.value,
        "budget-remaining": f"{min(remaining) * 100:.2f}" if remaining else "",
        "burn-rate-1h": f"{max(burn_values):.4g}" if burn_values else "",
        "override": override_text,
        "audit-id": ",".join(audit_ids),
        "report": report_path,
        "comment-url": "\n".join(comment_urls),
    }


def comment_body(run: GateRun, service: str, notes: Sequence[str]) -> str:
    from gate.github.comment import marker

    result = next(r for r in run.services if r.budgets.service == service)
    parts = [marker(service), report.service_markdown(result)]
    parts += [
        f"**Audit:** {report.md_escape(report.audit_sentence(e))}\n"
        for e in run.audit
        if e.service == service
    ]
    parts += [f"_{report.md_escape(note)}_\n" for note in notes]
    return "\n".join(parts) + "\n"


def publish(
    run: GateRun,
    state: ActionRun,
    env: Mapping[str, str],
    *,
    client: GitHubClient | None,
    comment: bool,
    report_path: str,
) -> list[str]:
    """Comments (PR runs), outputs and the job summary. Returns the comment URLs."""
    urls: list[str] = []
    notes = list(state.notes)
    if comment and state.pr is not None and client is not None:
        from gate.github.comment import upsert_comment

        for result in run.services:
            service = result.budgets.service
            try:
                posted = upsert_comment(
                    client,
                    state.context.repository,
                    state.pr.number,
                    service,
                    comment_body(run, service, state.notes),
                )
            except GateError as exc:
                notes.append(f"the PR comment for {service} could not be posted: {exc}")
                continue
            if posted.url:
                urls.append(posted.url)
            if posted.note:
                notes.append(posted.note)
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        summary = report.render_markdown(run) + "".join(f"\n_{report.md_escape(n)}_\n" for n in notes)
        actions.write_summary(Path(summary_path), summary)
    output_path = env.get("GITHUB_OUTPUT")
    if output_path:
        actions.write_outputs(Path(output_path), outputs(run, report_path, urls))
    state.notes = notes
    return urls


def start(
    env: Mapping[str, str],
    loaded: list[LoadedPolicy],
    policy_paths: Sequence[str],
    client: GitHubClient | None,
) -> tuple[ActionRun, list[LoadedPolicy]]:
    """Everything before the run; GitHub API trouble becomes a note, never a crash.

    `client` is the run's one GitHub client (None without a token), built by the composition root.
    """
    from gate.github.context import PULL_REQUEST_EVENTS, GitHubContext

    context = GitHubContext.from_env(env)
    if context is None:  # pragma: no cover - the caller checked GITHUB_ACTIONS
        raise UsageError("not running in GitHub Actions")
    pr = context.pull_request if context.event_name in PULL_REQUEST_EVENTS else None
    state = ActionRun(context=context, pr=pr)
    loaded = policies_for_run(context, pr, loaded, policy_paths, state.notes)
    if pr is not None:
        wanted = {
            label
            for p in loaded
            for label in (p.policy.gate.override.label, p.policy.gate.override.fix_label)
        }
        if client is None:
            state.notes.append("no GitHub token: override and fix labels cannot be verified")
        elif wanted & set(pr.labels):
            try:
                state.verified = verify_override_labels(client, context, pr, loaded, state.notes)
            except GateError as exc:
                state.verified = {
                    f"{p.policy.service}/{label}": Override(
                        kind="override" if label == p.policy.gate.override.label else "fix",
                        label=label,
                        honoured=False,
                        reason=f"could not verify who applied it: {exc}",
                    )
                    for p in loaded
                    for label in wanted & set(pr.labels)
                }
    return state, loaded


def finish(
    run: GateRun,
    state: ActionRun,
    env: Mapping[str, str],
    *,
    client: GitHubClient | None,
    comment: bool,
    report_path: str,
    text: str,
) -> str:
    """Publish, then the text to print: the report inside stop-commands, notes after it."""
    publish(run, state, env, client=client, comment=comment, report_path=report_path)
    printed = actions.stop_commands(text + "".join(f"note: {n}\n" for n in state.notes))
    for entry in run.audit:
        if entry.error and entry.required:
            printed += actions.error_annotation(
                f"audit record for {entry.service} not written: {entry.error}"
            )
    if run.exit_code == 1:
        printed += actions.error_annotation(f"slo-gate: {run.outcome}", title="slo-gate")
    return printed
