"""The answer disk cache (gate.llm.cache): on its own, generic over the payload, and in front of the
Claude risk advisor (real SDK, fake API)."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.llm.answer import ToolCallResult
from gate.llm.cache import FORMAT_VERSION, AnswerCache, default_cache_dir
from gate.llm.client import ModelClient
from gate.risk.claude import ClaudeClassifier
from gate.risk.verdict import ModelVerdict
from tests.support.fake_anthropic import FakeAnthropic, text_only, tool
from tests.test_claude import GOOD, KEY, make_prompt

VERDICT = ModelVerdict.model_validate_json(json.dumps(GOOD))
ANSWER = ToolCallResult(
    model="claude-haiku-4-5",
    value=VERDICT,
    failure=None,
    input_tokens=1000,
    output_tokens=40,
    cost_usd=0.0012,
    request_id="req_first",
)
HEX = "ab" + "0" * 62


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


def classifier(fake: FakeAnthropic, directory: Path) -> ClaudeClassifier:
    return ClaudeClassifier(ModelClient(KEY, base_url=fake.url, max_retries=0, cache=AnswerCache(directory)))


def entry(directory: Path, key: str) -> Path:
    return directory / "llm" / key[:2] / f"{key}.json"


# -- through the classifier ----------------------------------------------------------------------
def test_a_second_classify_is_served_from_disk_with_the_first_calls_cost(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    prompt = make_prompt()
    fake.enqueue(tool(GOOD, usage=(2000, 80)))
    first = classifier(fake, tmp_path).classify(prompt)
    # A new classifier (a new run) over the same directory: no request at all.
    second = classifier(fake, tmp_path).classify(prompt)

    assert len(fake.requests) == 1
    assert first.cached is False
    assert second.cached is True
    assert second.value == first.value
    assert second.failure is None
    assert (second.input_tokens, second.output_tokens) == (2000, 80)
    assert second.cost_usd == first.cost_usd == pytest.approx((2000 * 1.0 + 80 * 5.0) / 1e6)
    assert second.request_id == first.request_id
    assert second.model == first.model


def test_another_prompt_is_not_a_hit(fake: FakeAnthropic, tmp_path: Path) -> None:
    fake.enqueue(tool(GOOD), tool(GOOD))
    client = classifier(fake, tmp_path)
    client.classify(make_prompt(user="one"))
    answer = client.classify(make_prompt(user="two"))
    assert answer.cached is False
    assert len(fake.requests) == 2


def test_failures_are_not_cached(fake: FakeAnthropic, tmp_path: Path) -> None:
    prompt = make_prompt()
    fake.enqueue(text_only("no tool"), tool(GOOD))
    client = classifier(fake, tmp_path)
    failed = client.classify(prompt)
    assert failed.value is None
    assert not entry(tmp_path, prompt.cache_key).exists()
    retried = client.classify(prompt)
    assert retried.value is not None
    assert retried.cached is False
    assert len(fake.requests) == 2


def test_a_corrupt_cache_file_leads_to_a_fresh_request_and_is_replaced(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    prompt = make_prompt()
    path = entry(tmp_path, prompt.cache_key)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"format": 1, "verdict": {"risk": "lo')
    fake.enqueue(tool(GOOD))
    client = classifier(fake, tmp_path)

    fresh = client.classify(prompt)
    assert fresh.cached is False
    assert fresh.value is not None
    assert len(fake.requests) == 1
    assert client.classify(prompt).cached is True  # the rewritten file is good
    assert len(fake.requests) == 1


def test_an_unwritable_cache_directory_does_not_break_classify(fake: FakeAnthropic, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    prompt = make_prompt()
    fake.enqueue(tool(GOOD), tool(GOOD))
    client = classifier(fake, blocker / "cache")  # mkdir fails even as root

    first = client.classify(prompt)
    second = client.classify(prompt)
    assert first.value is not None
    assert second.value is not None
    assert (first.cached, second.cached) == (False, False)
    assert len(fake.requests) == 2


# -- the cache on its own ------------------------------------------------------------------------
def test_put_then_get_round_trips_and_marks_the_answer_cached(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    cache.put(HEX, ANSWER)
    hit = cache.get(HEX, "claude-haiku-4-5", ModelVerdict)
    assert hit is not None
    assert hit.cached is True
    assert hit.value == VERDICT
    assert hit.failure is None
    assert (hit.input_tokens, hit.output_tokens, hit.cost_usd, hit.request_id) == (
        1000,
        40,
        0.0012,
        "req_first",
    )


def test_files_are_private_atomic_and_hold_nothing_secret(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path / "cache")
    cache.put(HEX, ANSWER)
    path = entry(tmp_path / "cache", HEX)
    for directory in (tmp_path / "cache", tmp_path / "cache" / "llm", path.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
    data = json.loads(path.read_text())
    assert data["format"] == FORMAT_VERSION
    assert set(data) == {
        "format",
        "key",
        "model",
        "payload",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "request_id",
    }
    assert KEY not in path.read_text()


def test_answers_without_a_verdict_are_not_stored(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    cache.put(HEX, ToolCallResult(model="claude-haiku-4-5", value=None, failure="refused"))
    assert not (tmp_path / "llm").exists()


@pytest.mark.parametrize("key", ["../" + "a" * 61, "AB" + "0" * 62, "abc", "a" * 65, "g" * 64])
def test_a_key_that_is_not_a_sha256_hex_digest_is_never_a_path(tmp_path: Path, key: str) -> None:
    cache = AnswerCache(tmp_path / "cache")
    cache.put(key, ANSWER)
    assert cache.get(key, "claude-haiku-4-5", ModelVerdict) is None
    assert not (tmp_path / "cache").exists()


def _tamper(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "changes",
    [
        {"format": FORMAT_VERSION + 1},
        {"format": None},
        {"key": "cd" + "0" * 62},
        {"model": "claude-opus-4-5"},
        {"format": 1},
        {"payload": {**GOOD, "risk": "critical"}},
        {"payload": {**GOOD, "extra": 1}},
        {"payload": "low"},
    ],
    ids=[
        "newer format",
        "no format",
        "other key",
        "other model",
        "format 1",
        "bad risk",
        "extra field",
        "not an object",
    ],
)
def test_a_wrong_or_tampered_file_is_a_miss(tmp_path: Path, changes: dict[str, object]) -> None:
    cache = AnswerCache(tmp_path)
    cache.put(HEX, ANSWER)
    _tamper(entry(tmp_path, HEX), **changes)
    assert cache.get(HEX, "claude-haiku-4-5", ModelVerdict) is None


def test_a_hit_is_only_for_the_model_asked(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    cache.put(HEX, ANSWER)
    assert cache.get(HEX, "claude-sonnet-4-5", ModelVerdict) is None
    assert cache.get(HEX, "claude-haiku-4-5", ModelVerdict) is not None


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe not utf-8",
        b"[1, 2]",
        b"null",
        b'{"format": 1}',
        b"{" + b" " * 70_000 + b"}",
        b"[" * 60_000,
    ],
    ids=["empty", "binary", "a list", "null", "no fields", "oversized", "deeply nested"],
)
def test_unreadable_content_is_a_miss(tmp_path: Path, content: bytes) -> None:
    path = entry(tmp_path, HEX)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert AnswerCache(tmp_path).get(HEX, "claude-haiku-4-5", ModelVerdict) is None


def test_a_directory_where_the_file_should_be_is_a_miss_and_not_an_error(tmp_path: Path) -> None:
    entry(tmp_path, HEX).mkdir(parents=True)
    cache = AnswerCache(tmp_path)
    assert cache.get(HEX, "claude-haiku-4-5", ModelVerdict) is None
    cache.put(HEX, ANSWER)  # os.replace onto a directory fails: skipped silently
    assert [p.name for p in entry(tmp_path, HEX).parent.iterdir()] == [f"{HEX}.json"]


def test_odd_token_fields_are_dropped_not_trusted(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path)
    cache.put(HEX, ANSWER)
    _tamper(entry(tmp_path, HEX), input_tokens="1000", output_tokens=True, cost_usd=2, request_id=7)
    hit = cache.get(HEX, "claude-haiku-4-5", ModelVerdict)
    assert hit is not None
    assert (hit.input_tokens, hit.output_tokens, hit.cost_usd, hit.request_id) == (None, None, 2.0, None)


# -- where the cache lives -----------------------------------------------------------------------
def test_default_cache_dir_prefers_the_explicit_variable() -> None:
    env = {"SLO_GATE_CACHE_DIR": "/srv/gate-cache", "XDG_CACHE_HOME": "/xdg", "HOME": "/home/ci"}
    assert default_cache_dir(env) == Path("/srv/gate-cache")


def test_default_cache_dir_then_xdg() -> None:
    assert default_cache_dir({"XDG_CACHE_HOME": "/xdg", "HOME": "/home/ci"}) == Path("/xdg/slo-gate")


def test_default_cache_dir_then_home() -> None:
    assert default_cache_dir({"HOME": "/home/ci"}) == Path("/home/ci/.cache/slo-gate")


def test_default_cache_dir_ignores_empty_and_relative_values() -> None:
    env = {"SLO_GATE_CACHE_DIR": "", "XDG_CACHE_HOME": "relative/cache", "HOME": "/home/ci"}
    assert default_cache_dir(env) == Path("/home/ci/.cache/slo-gate")


def test_default_cache_dir_expands_a_tilde(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/tilde")
    assert default_cache_dir({"SLO_GATE_CACHE_DIR": "~/gate"}) == Path("/home/tilde/gate")


@pytest.mark.parametrize("cost", [float("nan"), float("inf"), -0.5])
def test_a_cost_that_is_not_a_finite_non_negative_number_is_dropped(tmp_path: Path, cost: float) -> None:
    # json.loads reads NaN and Infinity; such a figure must not reach a report as a price.
    cache = AnswerCache(tmp_path)
    cache.put(HEX, ANSWER)
    _tamper(entry(tmp_path, HEX), cost_usd=cost)
    hit = cache.get(HEX, "claude-haiku-4-5", ModelVerdict)
    assert hit is not None
    assert hit.cost_usd is None
    assert hit.input_tokens == 1000
