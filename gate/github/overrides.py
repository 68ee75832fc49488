"""Override and fix labels count only when the right person applied them after the last push.

A label on a pull request says nothing about who put it there, and anyone with triage access (or a
bot, or the author on their own PR) can add one. The issue timeline does say: `judge_label` reads the
latest `labeled` event and checks its actor against the policy's `override` settings. It is pure; the
functions below it do the API calls, and any API failure makes a label not count, never the reverse.

When was the head pushed? GitHub's REST API does not record the time of an ordinary push. What it
has: `head_ref_force_pushed` events (server time of a force push) and `committed` events, whose
dates, like the commit's own `committer.date`, come from the pusher's git client: a commit made
yesterday and pushed now looks a day old, and the date can be set at will. So the push time is the
latest of those dates (the commit's committer date when the timeline does not list the head), which
is as late as the API can vouch for. The first line of defence is `strip_stale_labels`, which
removes the labels on every `synchronize`; this check catches what it cannot (a read-only token).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

from gate.errors import ExternalError, GateError
from gate.github.api import GitHubClient, ReadOnlyTokenError
from gate.github.context import PullRequestInfo
from gate.models import Override
from gate.policy import OverrideConfig
from gate.times import iso, parse_iso

__all__ = [
    "PERMISSION_RANK",
    "head_pushed_at",
    "judge_label",
    "last_push_time",
    "role_of",
    "strip_stale_labels",
    "timeline_lists_head",
    "verify_labels",
]

Kind = Literal["override", "fix"]

# GitHub's base repository roles, weakest first.
PERMISSION_RANK: Final = {"read": 0, "triage": 1, "write": 2, "maintain": 3, "admin": 4}
# Older names the `permission` field has used.
_LEGACY: Final = {"pull": "read", "push": "write"}


# -- pure decisions ------------------------------------------------------------------------------
def role_of(payload: Mapping[str, Any]) -> str | None:
    """The base role in a collaborator-permission answer, None for no access.

    `role_name` is exact for the five base roles; a custom role's name means nothing here, so fall
    back to `permission`, the base role it inherits from (which GitHub reports as admin/write/read).
    """
    role = payload.get("role_name")
    if isinstance(role, str) and role.lower() in PERMISSION_RANK:
        return role.lower()
    permission = payload.get("permission")
    if isinstance(permission, str):
        base = _LEGACY.get(permission.lower(), permission.lower())
        if base in PERMISSION_RANK:
            return base
    return None


def last_push_time(events: Sequence[Mapping[str, Any]], commit_date: float | None = None) -> float | None:
    """The latest time the API vouches for the head being pushed (see the module docstring).

    `commit_date`: the head commit's committer date, for when the timeline does not list the head.
    """
    times: list[float | None] = [commit_date]
    for event in events:
        kind = event.get("event")
        if kind == "head_ref_force_pushed":
            times.append(_time(event.get("created_at")))
        elif kind == "committed":
            committer = event.get("committer")
            times.append(_time(committer.get("date")) if isinstance(committer, Mapping) else None)
    known = [t for t in times if t is not None]
    return max(known) if known else None


def timeline_lists_head(events: Sequence[Mapping[str, Any]], head_sha: str) -> bool:
    return any(e.get("event") == "committed" and e.get("sha") == head_sha for e in events)


def judge_label(
    kind: Kind,
    label: str,
    events: Sequence[Mapping[str, Any]],
    *,
    pr_author: str,
    config: OverrideConfig,
    permission_of: Callable[[str], str | None],
    head_pushed_at: float | None,
) -> Override:
    """Whether `label` counts, from the PR's timeline. `head_pushed_at` None: no push-time check.

    `permission_of(login)` is a base role (see `role_of`) or None; it is called only when needed.
    """

    def verdict(honoured: bool, reason: str, actor: str | None = None) -> Override:
        return Override(kind=kind, label=label, honoured=honoured, actor=actor, reason=reason)

    event = _latest_label_event(events, label)
    if event is None:
        return verdict(False, "the PR's timeline has no record of who applied the label")
    if event.get("event") != "labeled":
        return verdict(False, "the label is no longer on the PR")
    actor = event.get("actor")
    login = actor.get("login") if isinstance(actor, Mapping) else None
    if not isinstance(actor, Mapping) or not isinstance(login, str) or not login:
        return verdict(False, "applied by a deleted or unknown account")
    applied_at = _time(event.get("created_at"))
    if head_pushed_at is not None:
        if applied_at is None:
            return verdict(False, "could not verify: the labeled event has no valid time", login)
        if applied_at <= head_pushed_at:
            return verdict(
                False,
                f"applied before the last push (by @{login} at {iso(applied_at)}; head pushed at "
                f"{iso(head_pushed_at)}); re-apply it after reviewing the new commits",
                login,
            )
    app = event.get("performed_via_github_app")
    human = actor.get("type") == "User" and not app
    listed_bot = _listed(login, config.bots)
    if not human and not listed_bot:
        if app:
            name = (app.get("slug") or app.get("name")) if isinstance(app, Mapping) else None
            via = f"the app {name}" if isinstance(name, str) and name else "an app"
            return verdict(False, f"applied through {via} (as {login}), not in override.bots", login)
        return verdict(False, f"applied by a bot ({login}) not in override.bots", login)
    is_author = login.casefold() == pr_author.casefold()
    if is_author and not config.allow_author:
        return verdict(False, f"applied by the PR author @{login}; override.allow_author is false", login)
    who = f"the PR author @{login}" if is_author else f"@{login}"
    author_note = "; override.allow_author is true" if is_author else ", not the author"
    if not human:
        return verdict(True, f"applied by {login}, listed in override.bots{author_note}", login)
    if _listed(login, config.users):
        return verdict(True, f"applied by {who}, listed in override.users{author_note}", login)
    role = permission_of(login)
    need = config.min_permission
    if role is None or PERMISSION_RANK.get(role, -1) < PERMISSION_RANK[need]:
        has = f"has {role}" if role else "has no access to the repository"
        return verdict(False, f"applied by {who}, who {has}; needs {need}", login)
    return verdict(True, f"applied by {who} ({role}){author_note}", login)


# -- API edges -----------------------------------------------------------------------------------
def head_pushed_at(
    client: GitHubClient,
    repo: str,
    pr: PullRequestInfo,
    *,
    events: Sequence[Mapping[str, Any]] | None = None,
) -> float:
    """When the head was last pushed, as far as the API can vouch (see the module docstring).

    Reads the timeline unless given `events`, and the head commit only when the timeline does not
    list it. Raises ExternalError when no time can be found: a label then cannot be checked.
    """
    if events is None:
        events = client.issue_timeline(repo, pr.number)
    return _push_time(client, repo, pr, events)


def _push_time(
    client: GitHubClient, repo: str, pr: PullRequestInfo, events: Sequence[Mapping[str, Any]]
) -> float:
    # Separate from head_pushed_at because verify_labels' keyword argument shadows that name.
    commit_date = None
    if not timeline_lists_head(events, pr.head_sha):
        payload = client.commit(repo, pr.head_sha)
        commit = payload.get("commit")
        committer = commit.get("committer") if isinstance(commit, Mapping) else None
        commit_date = _time(committer.get("date")) if isinstance(committer, Mapping) else None
    pushed = last_push_time(events, commit_date)
    if pushed is None:
        raise ExternalError(f"cannot tell when {pr.head_sha[:12]} was pushed: GitHub gives no date for it")
    return pushed


def verify_labels(
    client: GitHubClient,
    repo: str,
    pr: PullRequestInfo,
    config: OverrideConfig,
    *,
    head_pushed_at: float | None = None,
    events: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Override]:
    """Verdicts on the override and fix labels that are on the PR, keyed by label name.

    One timeline read (none when given `events`, so several policies can share one); permissions
    are fetched only when a verdict needs them, once per login. `head_pushed_at` None: derived from
    the same timeline. Any API error makes the label not count, with "could not verify: ...".
    """
    pairs: tuple[tuple[Kind, str], ...] = (("override", config.label), ("fix", config.fix_label))
    wanted: dict[str, Kind] = {}
    for kind, label in pairs:
        if label in pr.labels:
            wanted.setdefault(label, kind)
    if not wanted:
        return {}

    def failed(label: str, exc: GateError) -> Override:
        return Override(kind=wanted[label], label=label, honoured=False, reason=f"could not verify: {exc}")

    try:
        if events is None:
            events = client.issue_timeline(repo, pr.number)
        pushed = head_pushed_at
        if pushed is None:
            pushed = _push_time(client, repo, pr, events)
    except GateError as exc:
        return {label: failed(label, exc) for label in wanted}

    roles: dict[str, str | None] = {}

    def permission_of(login: str) -> str | None:
        key = login.casefold()
        if key not in roles:
            roles[key] = role_of(client.collaborator_permission(repo, login))
        return roles[key]

    verdicts: dict[str, Override] = {}
    for label, kind in wanted.items():
        try:
            verdicts[label] = judge_label(
                kind,
                label,
                events,
                pr_author=pr.author,
                config=config,
                permission_of=permission_of,
                head_pushed_at=pushed,
            )
        except GateError as exc:
            verdicts[label] = failed(label, exc)
    return verdicts


def strip_stale_labels(
    client: GitHubClient,
    repo: str,
    pr: PullRequestInfo,
    config: OverrideConfig,
    event_action: str,
    *,
    notes: list[str] | None = None,
) -> list[str]:
    """On `synchronize` (new commits), take the override and fix labels off: they approved other code.

    Returns the labels removed. A failure (a read-only token) is appended to `notes`, never raised:
    the label then stays, and `judge_label` still refuses it as applied before the push.
    """
    if event_action != "synchronize":
        return []
    removed: list[str] = []
    for label in dict.fromkeys((config.label, config.fix_label)):
        if label not in pr.labels:
            continue
        try:
            client.remove_label(repo, pr.number, label)
        except ReadOnlyTokenError:
            if notes is not None:
                notes.append(
                    f"could not remove {label} after the new push: the token may only read; "
                    "it does not count until re-applied"
                )
        except GateError as exc:
            if notes is not None:
                notes.append(f"could not remove {label} after the new push: {exc}")
        else:
            removed.append(label)
    return removed


# -- helpers -------------------------------------------------------------------------------------
def _latest_label_event(events: Sequence[Mapping[str, Any]], label: str) -> Mapping[str, Any] | None:
    """The last `labeled`/`unlabeled` event for `label`; the timeline lists events oldest first."""
    latest = None
    for event in events:
        named = event.get("label")
        if (
            event.get("event") in ("labeled", "unlabeled")
            and isinstance(named, Mapping)
            and named.get("name") == label
        ):
            latest = event
    return latest


def _listed(login: str, logins: Sequence[str]) -> bool:
    # GitHub logins are case-insensitive.
    return login.casefold() in {entry.casefold() for entry in logins}


def _time(value: object) -> float | None:
    """An ISO 8601 time from the API (`2024-05-01T12:00:00Z`) as unix seconds."""
    if not isinstance(value, str):
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None
