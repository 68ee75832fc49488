"""PURE: what one forced tool call produced, read from a Messages API answer.

In: the SDK's message object (or anything that arrived in its place) and the tool that was forced.
Out: a `ToolCallResult` whose `value` is the validated payload exactly when `failure` is None. A
failure is plain words chosen here: it never contains model-authored text (not even the name of a
tool the model made up) and never a value the model sent. Text blocks next to one good call are
ignored; a refusal, a cut-off answer, no call, several calls or invalid input are failures. Usage is
read (and priced) whenever the API reported it, because a failed answer was still paid for.
An object that is not a message at all raises; the client turns that into a failure text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from gate.llm.pricing import PRICES, Price, estimate_cost
from gate.llm.tools import ToolSpec

__all__ = ["ToolCallResult", "read_answer", "request_id_of"]

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ToolCallResult(Generic[M]):
    """One call's outcome; `value` is None exactly when `failure` says why. `cached`: read from disk."""

    model: str
    value: M | None
    failure: str | None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    cached: bool = False
    request_id: str | None = None


def read_answer(
    message: Any,
    tool: ToolSpec[M],
    *,
    model: str,
    max_tokens: int,
    prices: Mapping[str, Price] = PRICES,
) -> ToolCallResult[M]:
    """The result `message` gives for a call that forced `tool` on `model`.

    Raises (AttributeError...) when `message` is not a message at all (a 200 whose body the SDK handed
    back as a string): the client reports that as an answer that could not be read.
    """
    usage = getattr(message, "usage", None)
    input_tokens = _int_or_none(getattr(usage, "input_tokens", None))
    output_tokens = _int_or_none(getattr(usage, "output_tokens", None))
    cost = None
    if input_tokens is not None and output_tokens is not None:
        cost = estimate_cost(model, input_tokens, output_tokens, prices)
        answered_by = getattr(message, "model", None)
        if cost is None and isinstance(answered_by, str):
            cost = estimate_cost(answered_by, input_tokens, output_tokens, prices)
    value, failure = _interpret(message, tool, max_tokens)
    return ToolCallResult(
        model=model,
        value=value,
        failure=failure,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost,
        request_id=request_id_of(message),
    )


def _interpret(message: Any, tool: ToolSpec[M], max_tokens: int) -> tuple[M | None, str | None]:
    """The payload in a message, or why there is none."""
    stop = message.stop_reason  # AttributeError for a body that is not a message: the caller says so
    if stop == "refusal":
        return None, f"the model refused to {tool.task} (stop_reason refusal)"
    if stop == "max_tokens":
        # Even if a tool block is present its input may be cut short: never trust it.
        return None, f"the answer was cut off at max_tokens ({max_tokens}) before the tool call was complete"
    if stop == "model_context_window_exceeded":
        return None, "the prompt did not fit the model's context window"
    blocks = message.content if isinstance(message.content, list) else []
    calls = [block for block in blocks if getattr(block, "type", None) == "tool_use"]
    name = tool.name
    if not calls:
        return None, f"the model answered without calling {name} (stop_reason {stop or 'missing'})"
    if len(calls) > 1:
        return None, f"the model made {len(calls)} tool calls; exactly one {name} call is allowed"
    call = calls[0]
    if getattr(call, "name", None) != name:
        return None, f"the model called a tool other than {name}"  # its name is model text: not echoed
    return tool.parse(getattr(call, "input", None))


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def request_id_of(message: Any) -> str | None:
    """The API's request id for `message` (the SDK sets it from the request-id header), if any."""
    request_id = getattr(message, "_request_id", None)
    return request_id if isinstance(request_id, str) else None
