"""Override and fix labels, verified through the issue timeline and collaborator permissions.

The real GitHubClient over HTTP against the loopback GitHub fake; times are fixed strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from gate.errors import ExternalError
from gate.github.api import GitHubClient
from gate.github.context import PullRequestInfo
from gate.github.overrides import (
    head_pushed_at,
    judge_label,
    last_push_time,
    role_of,
    strip_stale_labels,
    verify_labels,
)
from gate.models import Override
from gate.policy import OverrideConfig
from tests.support.events import labeled_pull_request
from tests.support.fake_github import FakeGitHub

TOKEN = "ghs_installationT0ken000000000000000000"
OVERRIDE, FIX = "slo-gate/override", "slo-gate/fix"

PUSHED = "2024-05-01T10:00:00Z"  # the head commit's date in the timeline
BEFORE = "2024-05-01T09:00:00Z"
AFTER = "2024-05-01T11:00:00Z"
LATER = "2024-05-01T11:30:00Z"
LATEST = "2024-05-01T11:45:00Z"


def pull_request(labels: tuple[str, ...] = (OVERRIDE, FIX)) -> PullRequestInfo:
    return labeled_pull_request(labels)


PR = pull_request()
REPO = "Codertocat/Hello-World"
AUTHOR = PR.author  # Codertocat


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as fake:
        fake.add_pull(REPO, PR.number, labels=[{"name": OVERRIDE}, {"name": FIX}], user={"login": AUTHOR})
        fake.set_timeline(REPO, PR.number, [FakeGitHub.committed(PR.head_sha, PUSHED)])
        fake.set_permission(REPO, "alice", "maintain")
        fake.set_permission(REPO, "bob", "triage")
        fake.set_permission(REPO, "dave", "read")
        fake.set_permission(REPO, AUTHOR, "admin")
        yield fake


def client_for(gh: FakeGitHub, **options: Any) -> GitHubClient:
    return GitHubClient(TOKEN, api_url=gh.api_url, sleep=lambda _: None, **options)


def label_events(gh: FakeGitHub, *events: dict[str, Any]) -> None:
    gh.timelines[(REPO, PR.number)].extend(events)


def verify(
    gh: FakeGitHub, config: OverrideConfig | None = None, pr: PullRequestInfo = PR
) -> dict[str, Override]:
    with client_for(gh, max_retries=0) as client:
        return verify_labels(client, REPO, pr, config or OverrideConfig())


def requests_to(gh: FakeGitHub, fragment: str) -> int:
    return sum(fragment in r.path for r in gh.requests)


# -- who applied it ------------------------------------------------------------------------------


def test_a_maintainer_who_is_not_the_author_is_honoured(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "alice", AFTER))
    verdict = verify(gh)[OVERRIDE]
    assert verdict == Override(
        kind="override",
        label=OVERRIDE,
        honoured=True,
        actor="alice",
        reason="applied by @alice (maintain), not the author",
    )


def test_a_triage_user_is_not_honoured(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "bob", AFTER))
    verdict = verify(gh)[OVERRIDE]
    assert not verdict.honoured and verdict.actor == "bob"
    assert verdict.reason == "applied by @bob, who has triage; needs maintain"


def test_write_is_enough_when_the_policy_says_write(gh: FakeGitHub) -> None:
    gh.set_permission(REPO, "erin", "write")
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "erin", AFTER))
    assert not verify(gh)[OVERRIDE].honoured
    assert verify(gh, OverrideConfig(min_permission="write"))[OVERRIDE].honoured


def test_the_pr_author_is_not_honoured_unless_allow_author(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, AUTHOR, AFTER))
    refused = verify(gh)[OVERRIDE]
    assert not refused.honoured
    assert refused.reason == "applied by the PR author @Codertocat; override.allow_author is false"
    allowed = verify(gh, OverrideConfig(allow_author=True))[OVERRIDE]
    assert allowed.honoured and allowed.actor == AUTHOR
    assert allowed.reason == "applied by the PR author @Codertocat (admin); override.allow_author is true"


def test_the_author_check_ignores_case(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "CODERTOCAT", AFTER, user_type="User"))
    assert "PR author" in verify(gh)[OVERRIDE].reason


def test_a_bot_is_not_honoured_unless_listed(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "dependabot[bot]", AFTER))
    refused = verify(gh)[OVERRIDE]
    assert not refused.honoured
    assert refused.reason == "applied by a bot (dependabot[bot]) not in override.bots"
    allowed = verify(gh, OverrideConfig(bots=["dependabot[bot]"]))[OVERRIDE]
    assert allowed.honoured and allowed.actor == "dependabot[bot]"
    assert allowed.reason == "applied by dependabot[bot], listed in override.bots, not the author"
    assert requests_to(gh, "/collaborators/") == 0  # a listed bot needs no permission lookup


def test_an_app_acting_for_a_user_is_not_honoured(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "alice", AFTER, app="label-sync"))
    verdict = verify(gh)[OVERRIDE]
    assert not verdict.honoured
    assert verdict.reason == "applied through the app label-sync (as alice), not in override.bots"


def test_a_user_listed_in_users_is_honoured_even_with_read(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "dave", AFTER))
    assert not verify(gh)[OVERRIDE].honoured
    before = requests_to(gh, "/collaborators/")
    verdict = verify(gh, OverrideConfig(users=["Dave"]))[OVERRIDE]
    assert verdict.honoured and verdict.reason == "applied by @dave, listed in override.users, not the author"
    assert requests_to(gh, "/collaborators/") == before


def test_a_custom_role_falls_back_to_its_base_permission(gh: FakeGitHub) -> None:
    gh.set_permission(REPO, "carl", "release-manager", permission="write")
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "carl", AFTER))
    assert verify(gh)[OVERRIDE].reason == "applied by @carl, who has write; needs maintain"
    assert verify(gh, OverrideConfig(min_permission="write"))[OVERRIDE].honoured


def test_a_user_with_no_access_is_not_honoured(gh: FakeGitHub) -> None:
    gh.permissions[(REPO, "zed")] = {"permission": "none", "role_name": "", "user": {"login": "zed"}}
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "zed", AFTER))
    assert (
        verify(gh)[OVERRIDE].reason == "applied by @zed, who has no access to the repository; needs maintain"
    )


# -- when, and whether it is still there ---------------------------------------------------------


def test_a_label_applied_before_the_last_push_does_not_count(gh: FakeGitHub) -> None:
    gh.set_timeline(
        REPO,
        PR.number,
        [FakeGitHub.labeled(OVERRIDE, "alice", BEFORE), FakeGitHub.committed(PR.head_sha, PUSHED)],
    )
    verdict = verify(gh)[OVERRIDE]
    assert not verdict.honoured and verdict.actor == "alice"
    assert verdict.reason.startswith("applied before the last push (by @alice at 2024-05-01T09:00:00Z")
    assert verdict.reason.endswith("re-apply it after reviewing the new commits")
    assert requests_to(gh, "/collaborators/") == 0


def test_a_force_push_after_the_label_makes_it_stale(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "alice", AFTER), FakeGitHub.force_pushed(AUTHOR, LATER))
    verdict = verify(gh)[OVERRIDE]
    assert not verdict.honoured and "head pushed at 2024-05-01T11:30:00Z" in verdict.reason


def test_labeled_then_unlabeled_does_not_count(gh: FakeGitHub) -> None:
    label_events(
        gh, FakeGitHub.labeled(OVERRIDE, "alice", AFTER), FakeGitHub.unlabeled(OVERRIDE, "bob", LATER)
    )
    verdict = verify(gh)[OVERRIDE]
    assert not verdict.honoured and verdict.reason == "the label is no longer on the PR"


def test_labeled_unlabeled_and_labeled_again_by_a_maintainer_counts(gh: FakeGitHub) -> None:
    label_events(
        gh,
        FakeGitHub.labeled(OVERRIDE, "bob", AFTER),
        FakeGitHub.unlabeled(OVERRIDE, "bob", LATER),
        FakeGitHub.labeled(OVERRIDE, "alice", LATEST),
    )
    verdict = verify(gh)[OVERRIDE]
    assert verdict.honoured and verdict.actor == "alice"


def test_the_latest_labeled_event_decides_not_the_first(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "alice", AFTER), FakeGitHub.labeled(OVERRIDE, "bob", LATER))
    assert verify(gh)[OVERRIDE].actor == "bob"


def test_a_label_with_no_timeline_record_does_not_count(gh: FakeGitHub) -> None:
    verdict = verify(gh)[OVERRIDE]
    assert not verdict.honoured and "no record" in verdict.reason


def test_both_labels_get_verdicts_with_one_timeline_read_and_one_permission_read(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "alice", AFTER), FakeGitHub.labeled(FIX, "Alice", LATER))
    verdicts = verify(gh)
    assert verdicts[OVERRIDE].kind == "override" and verdicts[FIX].kind == "fix"
    assert verdicts[OVERRIDE].honoured and verdicts[FIX].honoured
    assert requests_to(gh, "/timeline") == 1
    assert requests_to(gh, "/collaborators/") == 1  # cached per login, case-insensitively
    assert requests_to(gh, "/commits/") == 0  # the timeline lists the head commit


def test_several_policies_can_share_one_timeline_read(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "bob", AFTER))
    with client_for(gh) as client:
        events = client.issue_timeline(REPO, PR.number)
        pushed = head_pushed_at(client, REPO, PR, events=events)
        strict = verify_labels(client, REPO, PR, OverrideConfig(), head_pushed_at=pushed, events=events)
        lax = verify_labels(
            client, REPO, PR, OverrideConfig(users=["bob"]), head_pushed_at=pushed, events=events
        )
    assert not strict[OVERRIDE].honoured and lax[OVERRIDE].honoured
    assert requests_to(gh, "/timeline") == 1


def test_only_labels_on_the_pr_are_verified(gh: FakeGitHub) -> None:
    assert verify(gh, pr=pull_request(labels=("bug",))) == {}
    assert gh.requests == []
    only_fix = verify(gh, pr=pull_request(labels=(FIX,)))
    assert list(only_fix) == [FIX]


# -- API failures: never honoured ----------------------------------------------------------------


def test_a_timeline_500_means_not_honoured_with_the_reason(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "alice", AFTER))
    gh.fail_next(FakeGitHub.server_error())
    verdicts = verify(gh)
    assert set(verdicts) == {OVERRIDE, FIX}
    for verdict in verdicts.values():
        assert not verdict.honoured
        assert verdict.reason.startswith("could not verify: GitHub API GET ")
        assert "/timeline: HTTP 500" in verdict.reason


def test_a_permission_404_means_not_honoured(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "ghost-user", AFTER))
    verdict = verify(gh)[OVERRIDE]
    assert not verdict.honoured
    assert verdict.reason.startswith("could not verify: cannot read ghost-user's permission")


def test_a_head_with_no_known_date_means_not_honoured(gh: FakeGitHub) -> None:
    gh.set_timeline(REPO, PR.number, [FakeGitHub.labeled(OVERRIDE, "alice", AFTER)])
    verdict = verify(gh)[OVERRIDE]  # the timeline has no committed event and the commit is unknown
    assert not verdict.honoured and verdict.reason.startswith("could not verify: ")


# -- when the head was pushed --------------------------------------------------------------------


def test_head_pushed_at_falls_back_to_the_commits_committer_date(gh: FakeGitHub) -> None:
    gh.set_timeline(REPO, PR.number, [FakeGitHub.labeled(OVERRIDE, "alice", AFTER)])
    gh.add_commit(REPO, PR.head_sha, committed_at=LATER)
    with client_for(gh) as client:
        assert head_pushed_at(client, REPO, PR) == 1714563000.0  # 11:30Z
        assert not verify_labels(client, REPO, PR, OverrideConfig())[OVERRIDE].honoured
    assert requests_to(gh, f"/commits/{PR.head_sha}") == 2


def test_head_pushed_at_takes_the_latest_of_commits_and_force_pushes(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.force_pushed(AUTHOR, LATER), FakeGitHub.committed("0" * 40, BEFORE))
    with client_for(gh) as client:
        assert head_pushed_at(client, REPO, PR) == 1714563000.0  # the force push at 11:30Z
    assert requests_to(gh, "/commits/") == 0


def test_an_explicit_push_time_is_used_as_given(gh: FakeGitHub) -> None:
    label_events(gh, FakeGitHub.labeled(OVERRIDE, "alice", AFTER))
    with client_for(gh) as client:
        late = verify_labels(client, REPO, PR, OverrideConfig(), head_pushed_at=1714563000.0)
    assert not late[OVERRIDE].honoured and "applied before the last push" in late[OVERRIDE].reason


# -- stripping labels on a new push --------------------------------------------------------------


def test_strip_stale_labels_on_synchronize_removes_both(gh: FakeGitHub) -> None:
    notes: list[str] = []
    with client_for(gh) as client:
        removed = strip_stale_labels(client, REPO, PR, OverrideConfig(), "synchronize", notes=notes)
    assert removed == [OVERRIDE, FIX] and notes == []
    deletes = [r for r in gh.requests if r.method == "DELETE"]
    assert [r.target for r in deletes] == [
        f"/repos/{REPO}/issues/2/labels/slo-gate%2Foverride",
        f"/repos/{REPO}/issues/2/labels/slo-gate%2Ffix",
    ]
    assert gh.pulls[(REPO, PR.number)].data["labels"] == []
    # The fake records the removals on the timeline, so a verdict read afterwards agrees.
    assert [e["event"] for e in gh.timelines[(REPO, PR.number)][-2:]] == ["unlabeled", "unlabeled"]


def test_strip_stale_labels_does_nothing_on_other_actions(gh: FakeGitHub) -> None:
    with client_for(gh) as client:
        for action in ("labeled", "opened", "reopened", ""):
            assert strip_stale_labels(client, REPO, PR, OverrideConfig(), action) == []
    assert gh.requests == []


def test_strip_stale_labels_skips_labels_not_on_the_pr_and_tolerates_gone_ones(gh: FakeGitHub) -> None:
    gh.pulls[(REPO, PR.number)].data["labels"] = []  # already removed by someone else
    with client_for(gh) as client:
        removed = strip_stale_labels(
            client, REPO, pull_request(labels=(FIX,)), OverrideConfig(), "synchronize"
        )
    assert removed == [FIX]  # a 404 "Label does not exist" means it is gone: fine
    assert [r.target.rsplit("/", 1)[1] for r in gh.requests] == ["slo-gate%2Ffix"]


def test_strip_stale_labels_with_a_read_only_token_notes_it(gh: FakeGitHub) -> None:
    gh.read_only = True
    notes: list[str] = []
    with client_for(gh) as client:
        removed = strip_stale_labels(client, REPO, PR, OverrideConfig(), "synchronize", notes=notes)
    assert removed == []
    assert len(notes) == 2 and all("may only read" in note for note in notes)


def test_strip_stale_labels_never_raises(gh: FakeGitHub) -> None:
    gh.fail_next(FakeGitHub.server_error(), times=10)
    notes: list[str] = []
    with client_for(gh, max_retries=0) as client:
        removed = strip_stale_labels(client, REPO, PR, OverrideConfig(), "synchronize", notes=notes)
    assert removed == [] and len(notes) == 2 and "HTTP 500" in notes[0]


# -- the pure parts ------------------------------------------------------------------------------


def judge(events: list[dict[str, Any]], **overrides: Any) -> Override:
    options: dict[str, Any] = {
        "pr_author": AUTHOR,
        "config": OverrideConfig(),
        "permission_of": {"alice": "maintain"}.get,
        "head_pushed_at": None,
    }
    options.update(overrides)
    return judge_label("override", OVERRIDE, events, **options)


def test_judge_a_deleted_actor() -> None:
    event = FakeGitHub.labeled(OVERRIDE, "alice", AFTER)
    event["actor"] = None
    assert judge([event]).reason == "applied by a deleted or unknown account"


def test_judge_a_labeled_event_without_a_time_when_the_push_time_is_known() -> None:
    event = FakeGitHub.labeled(OVERRIDE, "alice", "yesterday")
    assert judge([event]).honoured  # no push time: nothing to compare
    assert "no valid time" in judge([event], head_pushed_at=0.0).reason


def test_judge_ignores_other_labels_events() -> None:
    events = [FakeGitHub.labeled(OVERRIDE, "alice", AFTER), FakeGitHub.unlabeled("bug", "bob", LATER)]
    assert judge(events).honoured


def test_judge_never_asks_permissions_it_does_not_need() -> None:
    def refuse(login: str) -> str | None:
        raise AssertionError(f"asked for {login}")

    judge([FakeGitHub.labeled(OVERRIDE, AUTHOR, AFTER)], permission_of=refuse)
    judge(
        [FakeGitHub.labeled(OVERRIDE, "dave", AFTER)],
        permission_of=refuse,
        config=OverrideConfig(users=["dave"]),
    )


@pytest.mark.parametrize(
    ("payload", "role"),
    [
        ({"permission": "admin", "role_name": "admin"}, "admin"),
        ({"permission": "write", "role_name": "maintain"}, "maintain"),
        ({"permission": "read", "role_name": "triage"}, "triage"),
        ({"permission": "write", "role_name": "deployer"}, "write"),
        ({"permission": "push"}, "write"),
        ({"permission": "none", "role_name": ""}, None),
        ({}, None),
    ],
)
def test_role_of(payload: dict[str, Any], role: str | None) -> None:
    assert role_of(payload) == role


def test_last_push_time_is_none_without_dates() -> None:
    assert last_push_time([FakeGitHub.labeled(OVERRIDE, "alice", AFTER)]) is None
    assert last_push_time([], commit_date=5.0) == 5.0


def test_an_unknown_commit_is_an_external_error(gh: FakeGitHub) -> None:
    gh.set_timeline(REPO, PR.number, [])
    with client_for(gh) as client, pytest.raises(ExternalError, match="No commit found"):
        head_pushed_at(client, REPO, replace(PR, head_sha="1" * 40))
