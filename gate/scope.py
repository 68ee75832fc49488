"""PURE: which policies judge a change, and which of its files each one judges (monorepos).

A policy owns the changed files its `paths` match, and its own policy file. Files that no policy owns
are shared (a root Dockerfile, CI, lockfiles): every policy with `paths` judges them, so a change made
only of shared files is never skipped by all. A diff that could not be fully read proves no service
untouched: every policy judges it (fail safe). A policy without `paths` judges every change.
"""

from __future__ import annotations

from collections.abc import Sequence

from gate import globs
from gate.models import ChangedFile, Scope, SkippedPolicy
from gate.policy import LoadedPolicy
from gate.risk.diff import ParsedDiff

__all__ = ["policy_scope", "scoped_indexes", "select_policies", "shared_files"]


def _normalized(path: str) -> str:
    try:
        return globs.normalize_path(path)
    except ValueError:
        return path  # not repo-relative: compared as given (the rules already make it high)


def _touches(f: ChangedFile, patterns: Sequence[str]) -> bool:
    return any(globs.match_any(p, patterns) for p in (f.path, f.old_path) if p)


def shared_files(files: Sequence[ChangedFile], policies: Sequence[LoadedPolicy]) -> list[ChangedFile]:
    """Changed files that no policy owns (a root Dockerfile, CI, lockfiles): every policy with `paths`
    judges them, so a change made only of shared files is never skipped by all. A policy owns the
    files its `paths` match and its own policy file."""
    owners = [p.policy.paths for p in policies if p.policy.paths]
    policy_files = {_normalized(p.path) for p in policies}

    def owned(f: ChangedFile) -> bool:
        names = [n for n in (f.path, f.old_path) if n]
        return any(_touches(f, paths) for paths in owners) or any(
            _normalized(n) in policy_files for n in names
        )

    return [f for f in files if not owned(f)]


def policy_scope(loaded: LoadedPolicy, diff: ParsedDiff, shared: Sequence[ChangedFile]) -> Scope:
    """Which changed files make a policy with `paths` judge this change (empty: it does not apply)."""
    owned = [f.path for f in diff.files if _touches(f, loaded.policy.paths)]
    changed = {_normalized(p) for f in diff.files for p in (f.path, f.old_path) if p}
    unsure = "; ".join([*diff.problems, *diff.incomplete])[:300] or None
    return Scope(
        owned=owned,
        shared=[f.path for f in shared],
        unsure=unsure,
        own_policy_file=_normalized(loaded.path) in changed,
    )


def select_policies(
    policies: Sequence[LoadedPolicy], services: Sequence[str], diff: ParsedDiff | None
) -> tuple[list[LoadedPolicy], list[SkippedPolicy], dict[str, Scope]]:
    """`--service` narrows by name; a policy with `paths` applies when the change touches them, touches
    shared files (owned by no policy), edits the policy's own file, or could not be fully read.

    Returns the policies that apply, those skipped (with why), and each applying path-scoped policy's
    scope (what made it apply), for the report.
    """
    chosen: list[LoadedPolicy] = []
    skipped: list[SkippedPolicy] = []
    scopes: dict[str, Scope] = {}
    shared = shared_files(diff.files, policies) if diff is not None else []
    for loaded in policies:
        policy = loaded.policy
        if services and policy.service not in services:
            continue
        if policy.paths and diff is not None:
            scope = policy_scope(loaded, diff, shared)
            if not (scope.owned or scope.shared or scope.unsure or scope.own_policy_file):
                skipped.append(
                    SkippedPolicy(
                        service=policy.service,
                        policy=loaded.path,
                        reason="the change touches none of its paths: " + ", ".join(policy.paths),
                    )
                )
                continue
            scopes[policy.service] = scope
        chosen.append(loaded)
    return chosen, skipped, scopes


def scoped_indexes(
    loaded: LoadedPolicy, files: Sequence[ChangedFile], all_policies: Sequence[LoadedPolicy]
) -> list[int]:
    """In a monorepo each service judges its own files plus shared ones (owned by no policy's `paths`)."""
    if not loaded.policy.paths:
        return list(range(len(files)))
    shared = {id(f) for f in shared_files(files, all_policies)}
    own_file = _normalized(loaded.path)

    def judged(f: ChangedFile) -> bool:
        names = [n for n in (f.path, f.old_path) if n]
        return _touches(f, loaded.policy.paths) or id(f) in shared or own_file in map(_normalized, names)

    return [i for i, f in enumerate(files) if judged(f)]
