"""The generic model client (gate.llm.client) with a tool other than classify_change, through the real
anthropic SDK against the loopback Messages API; tool specs; the constructor from the environment.
The transport's failure texts are tested through the risk advisor in tests/test_claude.py.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from gate.llm.cache import AnswerCache
from gate.llm.client import ModelClient, ToolRequest, model_client_from_env
from gate.llm.narrative import NARRATIVE
from gate.llm.tools import ToolSpec, strict_object
from gate.risk.verdict import CLASSIFY_CHANGE
from tests.support.fake_anthropic import (
    FakeAnthropic,
    answer,
    stop,
    strict_schema_problems,
    tool,
)

KEY = "sk-ant-test-SECRET-generic-0123456789"
HEADLINE_MAX = 120


class IncidentSummary(BaseModel):
    """The shape an incident summary will have (the watcher defines its own)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    headline: str = Field(max_length=HEADLINE_MAX)
    likely_cause: str = Field(max_length=600)
    recommended_action: str = Field(max_length=600)
    confidence: Literal["low", "medium", "high"]


SUMMARY: ToolSpec[IncidentSummary] = ToolSpec(
    name="summarise_incident",
    description="Record a summary of the incident described by the facts. Call exactly once.",
    input_schema=strict_object(
        {
            "headline": {"type": "string", "description": f"At most {HEADLINE_MAX} characters."},
            "likely_cause": {"type": "string", "description": "At most 600 characters."},
            "recommended_action": {"type": "string", "description": "At most 600 characters."},
            "confidence": {"type": "string", "enum": ["low", "medium", "high"]},
        }
    ),
    payload=IncidentSummary,
    task="summarise the incident",
)
GOOD_SUMMARY: dict[str, Any] = {
    "headline": "checkout burns 14.9x",
    "likely_cause": "#1234 raised retries.",
    "recommended_action": "Roll back #1234.",
    "confidence": "medium",
}
KEY_HEX = "cd" + "0" * 62


def summary_request(
    model: str = "claude-haiku-4-5", cache_key: str | None = None
) -> ToolRequest[IncidentSummary]:
    return ToolRequest(
        model=model,
        system="Summarise incidents.",
        user="FACTS\nburn: 14.9x",
        tool=SUMMARY,
        max_tokens=400,
        cache_key=cache_key,
    )


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


# -- any tool, forced ------------------------------------------------------------------------------
def test_another_tool_is_forced_validated_and_priced(fake: FakeAnthropic) -> None:
    fake.enqueue(answer(GOOD_SUMMARY, usage=(900, 70)))
    result = ModelClient(KEY, base_url=fake.url).call(summary_request())

    assert result.failure is None
    assert result.value == IncidentSummary.model_validate(GOOD_SUMMARY)
    assert (result.input_tokens, result.output_tokens) == (900, 70)
    assert result.cost_usd == pytest.approx((900 * 1.0 + 70 * 5.0) / 1e6)
    (request,) = fake.messages_requests
    assert request.body["tools"] == [SUMMARY.definition()]
    assert request.body["tool_choice"] == {
        "type": "tool",
        "name": "summarise_incident",
        "disable_parallel_tool_use": True,
    }
    assert request.body["max_tokens"] == 400
    assert request.body["system"] == "Summarise incidents."
    assert not {"temperature", "top_p", "top_k"} & set(request.body)


def test_failure_texts_name_the_tool_and_its_task(fake: FakeAnthropic) -> None:
    client = ModelClient(KEY, base_url=fake.url)
    fake.enqueue(stop("refusal"), tool(GOOD_SUMMARY), answer({**GOOD_SUMMARY, "confidence": "total"}))
    refused, wrong_tool, invalid = (client.call(summary_request()) for _ in range(3))
    assert refused.failure == "the model refused to summarise the incident (stop_reason refusal)"
    assert wrong_tool.failure == "the model called a tool other than summarise_incident"
    assert invalid.failure == "the summarise_incident input failed validation: confidence (literal_error)"
    assert "total" not in (invalid.failure or "")


def test_limits_the_schema_cannot_state_are_enforced_by_the_payload_model(fake: FakeAnthropic) -> None:
    fake.enqueue(answer({**GOOD_SUMMARY, "headline": "h" * (HEADLINE_MAX + 1)}))
    result = ModelClient(KEY, base_url=fake.url).call(summary_request())
    assert result.value is None
    assert result.failure == "the summarise_incident input failed validation: headline (string_too_long)"


def test_a_cached_answer_is_revalidated_as_its_own_payload(fake: FakeAnthropic, tmp_path: Path) -> None:
    fake.enqueue(answer(GOOD_SUMMARY, usage=(500, 20)))
    first = ModelClient(KEY, base_url=fake.url, cache=AnswerCache(tmp_path)).call(
        summary_request(cache_key=KEY_HEX)
    )
    second = ModelClient(KEY, base_url=fake.url, cache=AnswerCache(tmp_path)).call(
        summary_request(cache_key=KEY_HEX)
    )
    assert len(fake.messages_requests) == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.value == first.value
    assert (second.input_tokens, second.cost_usd) == (500, first.cost_usd)
    # The same file read as another payload is a miss, not a wrongly typed answer.
    assert AnswerCache(tmp_path).get(KEY_HEX, "claude-haiku-4-5", NARRATIVE.payload) is None


def test_without_a_cache_key_every_call_asks(fake: FakeAnthropic, tmp_path: Path) -> None:
    fake.enqueue(answer(GOOD_SUMMARY), answer(GOOD_SUMMARY))
    client = ModelClient(KEY, base_url=fake.url, cache=AnswerCache(tmp_path))
    assert [client.call(summary_request()).cached for _ in range(2)] == [False, False]
    assert len(fake.messages_requests) == 2
    assert not (tmp_path / "llm").exists()


def test_per_tool_scripts_answer_their_own_tool_whatever_the_order(fake: FakeAnthropic) -> None:
    fake.enqueue(tool({"risk": "low", "category": "docs", "rationale": "Docs.", "signals": []}))
    fake.enqueue_for("summarise_incident", answer(GOOD_SUMMARY))
    assert fake.pending == 2
    client = ModelClient(KEY, base_url=fake.url)
    summary = client.call(summary_request())  # asked first, answered from its own queue
    assert summary.value == IncidentSummary.model_validate(GOOD_SUMMARY)
    assert fake.pending == 1
    verdict = client.call(ToolRequest(model="claude-haiku-4-5", system="s", user="u", tool=CLASSIFY_CHANGE))
    assert verdict.value is not None and verdict.value.risk == "low"
    assert fake.pending == 0


# -- tool specs ------------------------------------------------------------------------------------
class Loose(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str


class Closed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str


@pytest.mark.parametrize(
    ("schema", "payload", "message"),
    [
        (
            strict_object({"text": {"type": "string", "maxLength": 10}}),
            Closed,
            r"input_schema.text: maxLength not supported in strict mode",
        ),
        (
            strict_object({"items": {"type": "array", "items": {"type": "string"}, "maxItems": 3}}),
            Closed,
            r"input_schema.items: maxItems not supported",
        ),
        (
            {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
            Closed,
            r"input_schema: additionalProperties must be false",
        ),
        (strict_object({"text": {"type": "string"}}), Loose, r"Loose must forbid extra fields"),
    ],
    ids=["maxLength", "maxItems", "open object", "payload allows extras"],
)
def test_a_spec_strict_mode_would_refuse_fails_when_it_is_defined(
    schema: dict[str, Any], payload: type[BaseModel], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ToolSpec(name="t", description="d", input_schema=schema, payload=payload, task="do it")


@pytest.mark.parametrize("spec", [CLASSIFY_CHANGE, NARRATIVE, SUMMARY], ids=lambda s: s.name)
def test_shipped_specs_pass_the_fakes_independent_strict_check(spec: ToolSpec[Any]) -> None:
    definition = spec.definition()
    assert definition["strict"] is True
    assert strict_schema_problems(definition["input_schema"]) == []


def test_a_definition_is_a_fresh_copy() -> None:
    definition = SUMMARY.definition()
    definition["input_schema"]["properties"]["headline"]["maxLength"] = 5
    assert "maxLength" not in SUMMARY.definition()["input_schema"]["properties"]["headline"]


def test_a_narrative_is_one_bounded_text(fake: FakeAnthropic) -> None:
    fake.enqueue(answer({"text": "Budget fell to 35.2%."}), answer({"text": ""}))
    client = ModelClient(KEY, base_url=fake.url)
    request = ToolRequest(model="claude-haiku-4-5", system="s", user="u", tool=NARRATIVE)
    good, empty = client.call(request), client.call(request)
    assert good.value is not None and good.value.text == "Budget fell to 35.2%."
    assert empty.failure == "the write_narrative input failed validation: text (string_too_short)"


# -- built from the environment --------------------------------------------------------------------
def test_no_key_means_no_client_and_says_why(tmp_path: Path) -> None:
    assert model_client_from_env({"HOME": str(tmp_path)}, 5.0) == (None, "no ANTHROPIC_API_KEY")
    empty = {"SLO_GATE_ANTHROPIC_API_KEY": "", "ANTHROPIC_API_KEY": "", "HOME": str(tmp_path)}
    assert model_client_from_env(empty, 5.0) == (None, "no ANTHROPIC_API_KEY")


def test_the_client_from_the_environment_uses_its_key_url_timeout_and_cache(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    env = {
        "SLO_GATE_ANTHROPIC_API_KEY": "sk-ant-gate-own",
        "ANTHROPIC_API_KEY": "sk-ant-general",
        "ANTHROPIC_BASE_URL": fake.url,
        "SLO_GATE_CACHE_DIR": str(tmp_path / "cache"),
    }
    client, why_not = model_client_from_env(env, 7.5)
    assert why_not is None
    assert client is not None
    assert client.timeout == 7.5
    assert client.cache is not None and client.cache.directory == tmp_path / "cache"
    assert "sk-ant" not in repr(client)
    fake.enqueue(answer(GOOD_SUMMARY))
    assert client.call(summary_request(cache_key=KEY_HEX)).value is not None
    assert fake.messages_requests[0].credential == "sk-ant-gate-own"
    assert (tmp_path / "cache" / "llm" / KEY_HEX[:2] / f"{KEY_HEX}.json").exists()


def test_the_general_key_is_used_when_the_gate_has_none(fake: FakeAnthropic) -> None:
    env = {
        "SLO_GATE_ANTHROPIC_API_KEY": "",
        "ANTHROPIC_API_KEY": "sk-ant-general",
        "ANTHROPIC_BASE_URL": fake.url,
    }
    client, _ = model_client_from_env(env, 5.0, cache=False)
    assert client is not None and client.cache is None
    fake.enqueue(answer(GOOD_SUMMARY))
    client.call(summary_request())
    assert fake.messages_requests[0].credential == "sk-ant-general"


def test_importing_the_llm_package_does_not_import_the_sdk() -> None:
    modules = "client, cache, phrase, grounding, citations, narrative, tools, untrusted, background, pricing, answer"
    code = f"import sys; from gate.llm import {modules}; sys.exit('anthropic' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
